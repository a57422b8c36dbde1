//! Just enough HTTP/1.1: reading one request at a time from a keep-alive connection and writing
//! responses with a `Content-Length`.
//!
//! Requests are parsed with `httparse`. The header block may be at most [`MAX_HEAD_BYTES`] and the
//! body at most [`MAX_BODY_BYTES`]; bodies must come with a `Content-Length` (chunked uploads are
//! refused with 411). Nothing a client sends can panic the reader: every malformed request turns
//! into a [`ReadOutcome::Rejected`] that the server answers and then closes the connection.

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Largest accepted request line plus headers.
pub(crate) const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Largest accepted request body.
pub(crate) const MAX_BODY_BYTES: u64 = 1024 * 1024;
/// Most header lines accepted in one request.
const MAX_HEADERS: usize = 128;
/// A connection that sends nothing (or an incomplete request) for this long is closed.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// One request, fully read.
#[derive(Clone, Debug)]
pub(crate) struct Request {
    /// The method, as sent (`GET`, `POST`, ...).
    pub(crate) method: String,
    /// The request target up to the first `?`.
    pub(crate) path: String,
    /// What follows the first `?` of the target, if there is a `?`.
    pub(crate) query: Option<String>,
    /// Headers in the order sent, names lower-cased, values decoded lossily as UTF-8.
    pub(crate) headers: Vec<(String, String)>,
    /// The body bytes (empty without a body).
    pub(crate) body: Vec<u8>,
    /// Whether the client allows the connection to stay open after the response.
    pub(crate) keep_alive: bool,
    /// The client's address, as the TCP connection shows it.
    pub(crate) peer: Option<IpAddr>,
}

impl Request {
    /// All values of the header `name` (give `name` in lower case), in the order sent.
    pub(crate) fn header_values<'r, 'n>(
        &'r self,
        name: &'n str,
    ) -> impl Iterator<Item = &'r str> + use<'r, 'n> {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of the header `name` (give `name` in lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.header_values(name).next()
    }

    /// The token of an `Authorization: Bearer <token>` header; `None` when the header is
    /// missing, uses another scheme or carries an empty token.
    pub(crate) fn bearer_token(&self) -> Option<&str> {
        let value = self.header("authorization")?.trim();
        let (scheme, token) = value.split_once(' ')?;
        let token = token.trim();
        (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
    }
}

/// What reading the next request from a connection produced.
pub(crate) enum ReadOutcome {
    /// A complete request.
    Request(Request),
    /// The connection ended cleanly, went idle for too long, or the simulator is stopping.
    Closed,
    /// The request cannot be served; answer `status` and close the connection. `request` holds the
    /// parsed head (with an empty body) when the head itself was readable.
    Rejected {
        /// The HTTP status to answer with.
        status: u16,
        /// A short explanation for the response body.
        reason: &'static str,
        /// The request head, when it could be parsed.
        request: Option<Request>,
    },
}

/// Reads requests from one connection, keeping bytes that arrive early (pipelining) for the next.
#[derive(Default)]
pub(crate) struct RequestReader {
    buffer: Vec<u8>,
}

impl RequestReader {
    /// Reads the next request. The stream's socket must have a short read timeout: each time it
    /// expires the reader checks `stopping` and [`IDLE_TIMEOUT`].
    pub(crate) fn read(
        &mut self,
        stream: &mut (impl Read + Write),
        stopping: &AtomicBool,
    ) -> ReadOutcome {
        let started = Instant::now();
        let mut chunk = [0u8; 8192];
        let mut sent_continue = false;
        loop {
            match self.try_parse() {
                Parsed::Complete(request) => return ReadOutcome::Request(request),
                Parsed::Invalid(outcome) => return outcome,
                Parsed::NeedBody { expects_continue } => {
                    if expects_continue && !sent_continue {
                        sent_continue = true;
                        if stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").is_err() {
                            return ReadOutcome::Closed;
                        }
                    }
                }
                Parsed::NeedHead => {}
            }
            match stream.read(&mut chunk) {
                Ok(0) => return ReadOutcome::Closed,
                Ok(n) => self.buffer.extend_from_slice(&chunk[..n]),
                Err(e) if is_timeout(&e) => {
                    if stopping.load(Ordering::SeqCst) || started.elapsed() >= IDLE_TIMEOUT {
                        return ReadOutcome::Closed;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return ReadOutcome::Closed,
            }
        }
    }

    /// Tries to take one complete request off the front of the buffer.
    fn try_parse(&mut self) -> Parsed {
        let mut header_slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Request::new(&mut header_slots);
        let head_len = match parsed.parse(&self.buffer) {
            Ok(httparse::Status::Complete(len)) => len,
            Ok(httparse::Status::Partial) if self.buffer.len() > MAX_HEAD_BYTES => {
                return rejected(431, "request header block too large", None);
            }
            Ok(httparse::Status::Partial) => return Parsed::NeedHead,
            Err(httparse::Error::TooManyHeaders) => {
                return rejected(431, "too many request headers", None);
            }
            Err(_) => return rejected(400, "malformed request", None),
        };
        if head_len > MAX_HEAD_BYTES {
            return rejected(431, "request header block too large", None);
        }
        let head = head_from(&parsed);
        let body_len = match body_length(&head) {
            Ok(len) => len,
            Err((status, reason)) => return rejected(status, reason, Some(head)),
        };
        let total = head_len + body_len;
        if self.buffer.len() < total {
            let expects_continue = head
                .header("expect")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("100-continue"));
            return Parsed::NeedBody { expects_continue };
        }
        let body = self.buffer[head_len..total].to_vec();
        self.buffer.drain(..total);
        Parsed::Complete(Request { body, ..head })
    }
}

/// The state of the buffer after one parse attempt.
enum Parsed {
    Complete(Request),
    NeedHead,
    NeedBody { expects_continue: bool },
    Invalid(ReadOutcome),
}

/// Shorthand for a rejection.
fn rejected(status: u16, reason: &'static str, request: Option<Request>) -> Parsed {
    Parsed::Invalid(ReadOutcome::Rejected {
        status,
        reason,
        request,
    })
}

/// Builds a body-less [`Request`] from a parsed head.
fn head_from(parsed: &httparse::Request<'_, '_>) -> Request {
    let target = parsed.path.unwrap_or("");
    let (path, query) = match target.split_once('?') {
        Some((path, query)) => (path.to_owned(), Some(query.to_owned())),
        None => (target.to_owned(), None),
    };
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).into_owned(),
            )
        })
        .collect();
    let mut request = Request {
        method: parsed.method.unwrap_or("").to_owned(),
        path,
        query,
        headers,
        body: Vec::new(),
        keep_alive: false,
        peer: None,
    };
    request.keep_alive = wants_keep_alive(&request, parsed.version.unwrap_or(1));
    request
}

/// HTTP/1.1 keeps the connection open unless told `close`; HTTP/1.0 only when told `keep-alive`.
fn wants_keep_alive(request: &Request, minor_version: u8) -> bool {
    let has_token = |token: &str| {
        request
            .header_values("connection")
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    if minor_version >= 1 {
        !has_token("close")
    } else {
        has_token("keep-alive")
    }
}

/// The body length a request declares, or the status to reject it with.
fn body_length(head: &Request) -> Result<usize, (u16, &'static str)> {
    if head.header("transfer-encoding").is_some() {
        return Err((411, "send the body with a Content-Length"));
    }
    let mut declared: Option<u64> = None;
    for value in head.header_values("content-length") {
        let len: u64 = value
            .trim()
            .parse()
            .map_err(|_| (400, "invalid Content-Length"))?;
        if declared.is_some_and(|d| d != len) {
            return Err((400, "conflicting Content-Length headers"));
        }
        declared = Some(len);
    }
    let len = declared.unwrap_or(0);
    if len > MAX_BODY_BYTES {
        return Err((413, "request body too large"));
    }
    usize::try_from(len).map_err(|_| (413, "request body too large"))
}

/// Whether an I/O error is a read timeout (`WouldBlock` on Unix, `TimedOut` on Windows).
pub(crate) fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// A complete response with a known body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Response {
    /// The HTTP status code.
    pub(crate) status: u16,
    /// The `Content-Type` header value.
    pub(crate) content_type: String,
    /// Further headers to send.
    pub(crate) extra_headers: Vec<(String, String)>,
    /// The body bytes.
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// A response with the given status, content type and body.
    pub(crate) fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            content_type: content_type.to_owned(),
            extra_headers: Vec::new(),
            body: body.into(),
        }
    }

    /// A JSON response.
    pub(crate) fn json(status: u16, value: &serde_json::Value) -> Response {
        Response::new(status, "application/json", value.to_string())
    }

    /// A short HTML page whose title and heading are `"<status> <reason phrase>"`.
    pub(crate) fn html_error(status: u16) -> Response {
        let title = format!("{status} {}", reason_phrase(status));
        let page = format!(
            "<html><head><title>{title}</title></head><body><h1>{title}</h1></body></html>"
        );
        Response::new(status, "text/html", page)
    }

    /// Adds a header.
    pub(crate) fn with_header(mut self, name: &str, value: &str) -> Response {
        self.extra_headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// Writes a status line and headers. `content_length` is declared as given, whatever body
/// follows; `close` adds `Connection: close`.
pub(crate) fn write_head(
    stream: &mut impl Write,
    status: u16,
    content_type: &str,
    extra_headers: &[(String, String)],
    content_length: u64,
    close: bool,
) -> io::Result<()> {
    stream.write_all(&head_bytes(
        status,
        content_type,
        extra_headers,
        content_length,
        close,
    ))
}

/// Writes a whole response in one go.
pub(crate) fn write_response(
    stream: &mut impl Write,
    response: &Response,
    close: bool,
) -> io::Result<()> {
    let mut bytes = head_bytes(
        response.status,
        &response.content_type,
        &response.extra_headers,
        response.body.len() as u64,
        close,
    );
    bytes.extend_from_slice(&response.body);
    stream.write_all(&bytes)?;
    stream.flush()
}

/// The bytes of a status line and headers, ending with the blank line.
fn head_bytes(
    status: u16,
    content_type: &str,
    extra_headers: &[(String, String)],
    content_length: u64,
    close: bool,
) -> Vec<u8> {
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason_phrase(status));
    head.push_str("Server: brokersim\r\n");
    if !content_type.is_empty() {
        let _ = write!(head, "Content-Type: {content_type}\r\n");
    }
    for (name, value) in extra_headers {
        let _ = write!(head, "{name}: {value}\r\n");
    }
    let _ = write!(head, "Content-Length: {content_length}\r\n");
    if close {
        head.push_str("Connection: close\r\n");
    }
    head.push_str("\r\n");
    head.into_bytes()
}

/// The standard reason phrase of the statuses the simulator uses; `"Status"` for others.
pub(crate) fn reason_phrase(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        302 => "Found",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}
