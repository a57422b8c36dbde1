//! Answering one request: normally, or as an injected [`Fault`] says, down to the socket.

use std::io::{self, Read, Write};
use std::thread;
use std::time::{Duration, Instant};

use crate::connection::{Connection, POLL_INTERVAL};
use crate::fault::{FIREWALL_PAGE, Fault, RATE_LIMIT_TEXT};
use crate::http::{Request, Response, is_timeout, write_head, write_response};
use crate::log::EntryId;
use crate::routes::dispatch;
use crate::state::Shared;
use crate::time::http_date;

/// The `Content-Length` [`Fault::EndlessBody`] declares: far more than any client will wait for.
const ENDLESS_CONTENT_LENGTH: u64 = 1 << 40;
/// How often [`Fault::EndlessBody`] sends its next byte.
const ENDLESS_BYTE_INTERVAL: Duration = Duration::from_millis(100);

/// What the connection does after a reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum AfterReply {
    /// Read the next request.
    KeepOpen,
    /// Close the connection.
    Close,
}

/// Logs `request`, answers it (applying an injected fault, if one is due) and says whether the
/// connection stays open.
pub(crate) fn reply(
    shared: &Shared,
    stream: &mut impl Connection,
    request: &Request,
) -> AfterReply {
    let id = shared.log_request(request);
    let fault = shared.lock().faults.take(&request.path);
    let Some(fault) = fault else {
        return send(shared, stream, id, request, &dispatch(shared, request));
    };
    match fault {
        Fault::Reply {
            status,
            content_type,
            body,
        } => {
            let response = Response::new(status, &without_line_breaks(&content_type), body);
            send(shared, stream, id, request, &response)
        }
        Fault::RateLimitText => {
            let response = Response::new(403, "text/plain", RATE_LIMIT_TEXT);
            send(shared, stream, id, request, &response)
        }
        Fault::HtmlFirewall => {
            let response = Response::new(200, "text/html", FIREWALL_PAGE);
            send(shared, stream, id, request, &response)
        }
        Fault::EmptyBody => {
            let response = Response::new(200, "application/json", Vec::new());
            send(shared, stream, id, request, &response)
        }
        Fault::Delay(delay) => {
            if !sleep_unless_stopping(shared, delay) {
                return AfterReply::Close;
            }
            send(shared, stream, id, request, &dispatch(shared, request))
        }
        Fault::TruncatedJson => {
            let mut full = dispatch(shared, request).body;
            full.truncate(full.len() / 2);
            let response = Response::new(200, "application/json", full);
            send(shared, stream, id, request, &response)
        }
        Fault::EndlessBody => {
            shared.record_status(id, 200);
            send_endless_body(shared, stream);
            AfterReply::Close
        }
        Fault::Reset => {
            shared.record_status(id, 0);
            reset(&*stream);
            AfterReply::Close
        }
        Fault::Hang => {
            shared.record_status(id, 0);
            hang(shared, stream);
            AfterReply::Close
        }
    }
}

/// Records the status, writes the response and decides whether to keep the connection.
fn send(
    shared: &Shared,
    stream: &mut impl Write,
    id: EntryId,
    request: &Request,
    response: &Response,
) -> AfterReply {
    shared.record_status(id, response.status);
    let close = !request.keep_alive || shared.is_stopping();
    // Every reply carries the broker's clock, as real servers' do.
    let dated = response
        .clone()
        .with_header("Date", &http_date(shared.options.now()));
    match write_response(stream, &dated, close) {
        Ok(()) if !close => AfterReply::KeepOpen,
        _ => AfterReply::Close,
    }
}

/// Sleeps for `duration` in short slices; returns `false` if the simulator began stopping. A
/// duration too long to represent sleeps until the simulator stops.
fn sleep_unless_stopping(shared: &Shared, duration: Duration) -> bool {
    let deadline = Instant::now().checked_add(duration);
    loop {
        if shared.is_stopping() {
            return false;
        }
        let left = deadline.map_or(POLL_INTERVAL, |d| {
            d.saturating_duration_since(Instant::now())
        });
        if left.is_zero() {
            return true;
        }
        thread::sleep(left.min(POLL_INTERVAL));
    }
}

/// Sends 200 headers with a huge `Content-Length`, then a space every
/// [`ENDLESS_BYTE_INTERVAL`] until a write fails or the simulator stops.
fn send_endless_body(shared: &Shared, stream: &mut impl Write) {
    if write_head(
        stream,
        200,
        "application/json",
        &[],
        ENDLESS_CONTENT_LENGTH,
        false,
    )
    .is_err()
    {
        return;
    }
    while sleep_unless_stopping(shared, ENDLESS_BYTE_INTERVAL) {
        if stream
            .write_all(b" ")
            .and_then(|()| stream.flush())
            .is_err()
        {
            return;
        }
    }
}

/// Closes the connection with a TCP reset: `SO_LINGER` 0 makes the close abortive. Over TLS no
/// `close_notify` is sent either: the socket is simply reset.
fn reset(stream: &impl Connection) {
    let _ = socket2::SockRef::from(stream.socket()).set_linger(Some(Duration::ZERO));
    // The stream itself is dropped (closed) by the caller's return.
}

/// Reads and discards whatever the client sends until it closes the connection or the simulator
/// stops.
fn hang(shared: &Shared, stream: &mut impl Read) {
    let mut sink = [0u8; 4096];
    while !shared.is_stopping() {
        match stream.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if is_timeout(&e) || e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// A header value with CR and LF removed, so a canned content type cannot break the head.
fn without_line_breaks(value: &str) -> String {
    value.chars().filter(|c| *c != '\r' && *c != '\n').collect()
}
