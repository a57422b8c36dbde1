//! The browser's return, caught on loopback: when the redirect URL
//! registered with the broker app is `http://127.0.0.1:<port>/…`, the tool
//! listens there, takes the address the browser comes back to and hands it
//! to the library, which takes the code and checks `state` where the broker
//! has one. The browser gets a short page that says how it went.

use crate::fail::{Failure, failure};
use brokerlink::Status;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};
use url::Url;

/// Where to listen for a redirect URL: `Some` for `http://` on a loopback
/// host (127.0.0.1, [::1], localhost) with its path.
pub(crate) struct Loopback {
    /// `host:port` to bind.
    bind: String,
    /// The redirect URL's scheme, host and port, to rebuild the address.
    origin: String,
    /// The path the browser must come back to.
    path: String,
}

impl Loopback {
    pub(crate) fn of(redirect: &str) -> Option<Loopback> {
        let url = Url::parse(redirect).ok()?;
        if url.scheme() != "http" {
            return None;
        }
        let host = match url.host()? {
            url::Host::Ipv4(ip) if ip.is_loopback() => ip.to_string(),
            url::Host::Ipv6(ip) if ip.is_loopback() => format!("[{ip}]"),
            url::Host::Domain("localhost") => "127.0.0.1".to_string(),
            _ => return None,
        };
        let port = url.port_or_known_default()?;
        Some(Loopback {
            bind: format!("{host}:{port}"),
            origin: url.origin().ascii_serialization(),
            path: url.path().to_string(),
        })
    }

    /// The address listened on, for messages.
    pub(crate) fn address(&self) -> String {
        format!("{}{}", self.origin, self.path)
    }

    /// Binds the listener (before the browser is sent to log in).
    pub(crate) fn listen(&self) -> Result<TcpListener, Failure> {
        let listener = TcpListener::bind(&self.bind).map_err(|e| {
            failure(
                Status::Network,
                format!(
                    "cannot listen on {} for the browser's return: {e}",
                    self.address()
                ),
            )
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| failure(Status::Network, format!("cannot listen: {e}")))?;
        Ok(listener)
    }

    /// Waits up to `wait` for the browser to come back to the path, then
    /// calls `finish` with the whole address it came back to and answers
    /// the browser with how that went. Other paths (a favicon) get a 404;
    /// a request to the path with no query is answered and not used.
    pub(crate) fn capture<T>(
        &self,
        listener: &TcpListener,
        wait: Duration,
        mut finish: impl FnMut(&str) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let deadline = Instant::now() + wait;
        loop {
            let stream = match listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if Instant::now() >= deadline {
                        return Err(failure(
                            Status::Timeout,
                            format!(
                                "the browser did not come back to {} within {} s: nothing was saved; run login again",
                                self.address(),
                                wait.as_secs()
                            ),
                        ));
                    }
                    std::thread::sleep(Duration::from_millis(50));
                    continue;
                }
                Err(e) => {
                    return Err(failure(
                        Status::Network,
                        format!("accepting the browser's return: {e}"),
                    ));
                }
            };
            let Some((mut stream, target)) = read_request(stream) else {
                continue;
            };
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            if path != self.path {
                respond(
                    &mut stream,
                    "404 Not Found",
                    "Not here",
                    "This is brokerlink's login listener.",
                );
                continue;
            }
            if query.is_empty() {
                respond(
                    &mut stream,
                    "400 Bad Request",
                    "No login here",
                    "This address carries no code from the broker. Log in from the address brokerlink printed.",
                );
                continue;
            }
            let result = finish(&format!("{}{target}", self.origin));
            match &result {
                Ok(_) => respond(
                    &mut stream,
                    "200 OK",
                    "Logged in",
                    "Logged in: brokerlink has the session. You can close this tab.",
                ),
                Err(e) => respond(
                    &mut stream,
                    "400 Bad Request",
                    "Login failed",
                    &format!("The login failed: {}", e.message),
                ),
            }
            return result;
        }
    }
}

/// The request target of a `GET`, or `None` for anything unusable.
fn read_request(mut stream: TcpStream) -> Option<(TcpStream, String)> {
    stream.set_nonblocking(false).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut byte).ok()?;
        if n == 0 || head.len() > 16 * 1024 {
            break;
        }
        head.extend_from_slice(&byte[..n]);
    }
    let head = String::from_utf8_lossy(&head);
    let mut parts = head.lines().next()?.split(' ');
    let method = parts.next()?;
    let target = parts.next()?.to_string();
    if method != "GET" || !target.starts_with('/') {
        respond(
            &mut stream,
            "405 Method Not Allowed",
            "Not here",
            "Only GET.",
        );
        return None;
    }
    Some((stream, target))
}

fn respond(stream: &mut TcpStream, status: &str, title: &str, text: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>brokerlink: {title}</title></head><body><h1>{title}</h1><p>{}</p></body></html>",
        escape(text)
    );
    let _ = write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_loopback_addresses_are_listened_on() {
        let ok = Loopback::of("http://127.0.0.1:5000/cb").unwrap();
        assert_eq!(
            (ok.bind.as_str(), ok.path.as_str()),
            ("127.0.0.1:5000", "/cb")
        );
        assert_eq!(
            Loopback::of("http://localhost:8080/").unwrap().bind,
            "127.0.0.1:8080"
        );
        assert_eq!(Loopback::of("http://[::1]:9/x").unwrap().bind, "[::1]:9");
        assert!(Loopback::of("https://127.0.0.1:5000/cb").is_none());
        assert!(Loopback::of("http://example.com/cb").is_none());
        assert!(Loopback::of("http://10.0.0.1:5000/cb").is_none());
    }
}
