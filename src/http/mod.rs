//! [`Transport`]: the one place that talks HTTP. One reqwest client per
//! session (kept-alive connections), rustls with ring, TLS 1.2+, a total
//! deadline per call, a body size cap, and errors sorted into statuses.
//!
//! Every request runs on the caller's own thread: reqwest's async client is
//! driven by [`runtime::block_on`] on a current-thread tokio runtime shared
//! by the process, so a call never hands over to another thread and back,
//! and the library starts no thread that unloading would have to join. The
//! TLS setup (trust store and extra CAs) is built once per CA set and shared
//! by every session that uses it ([`tls`]).

use crate::config::TransportConfig;
use crate::error::{Error, Result, Status};
use crate::secret::Secret;
use std::cell::RefCell;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

mod errors;
mod proxy;
mod runtime;
mod tls;

pub use errors::classify_non_json;
use errors::{proxy_refused_credentials, root_cause};
use proxy::with_proxy;

/// Largest reply body read; a larger one is a protocol error, so a broken or
/// hostile server cannot exhaust the host's memory.
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

/// The HTTP method of a broker call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Method {
    /// GET, no body.
    Get,
    /// POST with a body.
    Post,
    /// DELETE, its parameters in the URL's query (Zerodha's logout).
    Delete,
}

/// One request, as a broker module builds it. Header values and the body are
/// [`Secret`]s because they carry tokens, keys and PINs.
pub(crate) struct Request {
    /// GET or POST.
    pub method: Method,
    /// The full URL.
    pub url: String,
    /// Header names and values, sent in this order.
    pub headers: Vec<(&'static str, Secret)>,
    /// The body, if any.
    pub body: Option<Secret>,
}

/// A reply: status and the whole body (at most [`MAX_BODY_BYTES`]).
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The body; wiped when dropped, since it may hold tokens.
    pub body: Zeroizing<Vec<u8>>,
    /// The broker's clock: its `Date` header as sent. Only a refused TOTP
    /// reads it ([`Response::date_unix`]), so no reply pays to parse it.
    pub date: Option<String>,
}

impl Response {
    /// The broker's clock from its `Date` header, seconds since the epoch.
    pub fn date_unix(&self) -> Option<i64> {
        self.date.as_deref().and_then(crate::time::parse_http_date)
    }
}

#[cfg(test)]
impl Response {
    /// A reply as the reply parsers' tests build one: no `Date` header.
    pub(crate) fn test(status: u16, content_type: &str, body: &str) -> Response {
        Response {
            status,
            content_type: Some(content_type.into()),
            body: Zeroizing::new(body.as_bytes().to_vec()),
            date: None,
        }
    }
}

/// A kept-alive HTTP client with the session's timeout.
pub(crate) struct Transport {
    client: reqwest::Client,
    timeout: Duration,
    /// Dropped after `client` (fields drop in order), to close its
    /// connections then.
    _closer: ClosesConnections,
}

/// Lets the connections of a dropped client close at once. Their tasks live
/// on the shared runtime, which runs only while some thread is in a call:
/// without this, a freed session's sockets would stay open until the
/// process's next call.
struct ClosesConnections;

impl Drop for ClosesConnections {
    fn drop(&mut self) {
        runtime::settle();
    }
}

/// One library call's view of the transport: every request it sends, its
/// retries and its waits share one deadline, the call's total timeout.
pub(crate) struct Call<'a> {
    transport: &'a Transport,
    deadline: Instant,
    /// The last request's path and HTTP status, kept only when logging.
    last: Option<RefCell<(String, Option<u16>)>>,
}

impl Call<'_> {
    /// Sends a request, giving it whatever time the call has left.
    pub(crate) fn send(&self, request: &Request) -> Result<Response> {
        let result = self.transport.send_by(request, self.deadline);
        let status = match &result {
            Ok(response) => Some(response.status),
            Err(error) => error.http_status,
        };
        if let Some(last) = &self.last {
            *last.borrow_mut() = (endpoint_of(&request.url), status);
        }
        result
    }

    /// The path and HTTP status of the last request sent, for the log.
    pub(crate) fn last_request(&self) -> (String, Option<u16>) {
        self.last
            .as_ref()
            .map_or_else(|| ("-".to_string(), None), |last| last.borrow().clone())
    }

    /// When the call's time runs out.
    pub(crate) fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl Transport {
    /// A client whose calls each take at most `timeout`, connect included.
    pub(crate) fn new(timeout: Duration, config: &TransportConfig) -> Result<Transport> {
        let builder = reqwest::Client::builder()
            .user_agent(concat!("brokerlink/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout)
            .tls_backend_preconfigured(tls::client_config(&config.extra_ca_pem)?)
            .redirect(reqwest::redirect::Policy::none())
            // The library decides what to repeat (src/session/mod.rs); reqwest's
            // own policy only repeats HTTP/2 refusals, which this client
            // never speaks, yet copies every request to be ready: with no
            // repeat allowed at all, it copies nothing.
            .retry(reqwest::retry::never().max_retries_per_request(0))
            .tcp_nodelay(true);
        let builder = with_proxy(builder, config)?;
        let client = builder.build().map_err(|e| {
            Error::new(
                Status::Tls,
                format!("could not set up HTTPS: {}", root_cause(&e)),
            )
        })?;
        Ok(Transport {
            client,
            timeout,
            _closer: ClosesConnections,
        })
    }

    /// Starts a call: its deadline is now plus the configured timeout.
    /// `logged` keeps each request's path and status for the log line.
    pub(crate) fn call(&self, logged: bool) -> Call<'_> {
        Call {
            transport: self,
            deadline: Instant::now() + self.timeout,
            last: logged.then(|| RefCell::new(("-".to_string(), None))),
        }
    }

    /// The error for a call whose time ran out.
    pub(crate) fn timed_out(&self) -> Error {
        Error::new(
            Status::Timeout,
            format!(
                "the broker did not answer within {} ms",
                self.timeout.as_millis()
            ),
        )
    }

    /// Sends a request and reads the whole reply before `deadline`, on the
    /// caller's thread.
    fn send_by(&self, request: &Request, deadline: Instant) -> Result<Response> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(self.timed_out());
        }
        let method = match request.method {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Delete => reqwest::Method::DELETE,
        };
        let mut builder = self.client.request(method, &request.url).timeout(remaining);
        for (name, value) in &request.headers {
            let mut header =
                reqwest::header::HeaderValue::from_str(value.expose()).map_err(|_| {
                    Error::invalid_argument(format!(
                        "the value for the {name} header has characters HTTP does not allow"
                    ))
                })?;
            header.set_sensitive(true);
            builder = builder.header(*name, header);
        }
        builder = match &request.body {
            Some(body) if !body.expose().is_empty() => builder.body(body.expose().to_owned()),
            // hyper sends an empty body with no length at all, but proxies
            // and firewalls may refuse a POST without one (411), and the
            // SDKs send `Content-Length: 0`.
            _ if request.method == Method::Post => {
                builder.header(reqwest::header::CONTENT_LENGTH, "0")
            }
            _ => builder,
        };
        runtime::block_on(self.exchange(builder, deadline))?
    }

    /// The request's round trip: send, then read the reply whole.
    async fn exchange(
        &self,
        request: reqwest::RequestBuilder,
        deadline: Instant,
    ) -> Result<Response> {
        let reply = request.send().await.map_err(|e| self.classify(e))?;
        let status = reply.status().as_u16();
        if status == 407 {
            // Only a proxy answers 407 (here: to a plain-HTTP request it forwards).
            return Err(proxy_refused_credentials());
        }
        let content_type = reply
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let date = reply
            .headers()
            .get(reqwest::header::DATE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = self.read_body(reply, deadline, status).await?;
        Ok(Response {
            status,
            content_type,
            body,
            date,
        })
    }

    /// Reads the body up to the cap, and no later than the deadline, so a
    /// server that trickles bytes cannot hold the caller past its timeout.
    async fn read_body(
        &self,
        mut reply: reqwest::Response,
        deadline: Instant,
        status: u16,
    ) -> Result<Zeroizing<Vec<u8>>> {
        // Sized from Content-Length, the body is copied straight into its own
        // buffer, usually without a reallocation (which would leave an
        // unwiped copy of a token behind).
        let expected = reply
            .content_length()
            .map_or(0, |n| n.min(MAX_BODY_BYTES as u64) as usize);
        let mut body = Zeroizing::new(Vec::with_capacity(expected));
        loop {
            let chunk = match tokio::time::timeout_at(deadline.into(), reply.chunk()).await {
                Err(_elapsed) => return Err(self.timed_out().with_http_status(status)),
                Ok(Err(e)) if e.is_timeout() => {
                    return Err(self.timed_out().with_http_status(status));
                }
                Ok(Err(e)) => {
                    return Err(Error::new(
                        Status::Network,
                        format!(
                            "the connection broke while reading the reply: {}",
                            root_cause(&e.without_url())
                        ),
                    )
                    .with_http_status(status));
                }
                Ok(Ok(None)) => return Ok(body),
                Ok(Ok(Some(chunk))) => chunk,
            };
            if body.len() + chunk.len() > MAX_BODY_BYTES {
                return Err(
                    Error::protocol("the reply is larger than 1 MiB").with_http_status(status)
                );
            }
            if body.len() + chunk.len() > body.capacity() {
                grow(&mut body, chunk.len());
            }
            body.extend_from_slice(&chunk);
        }
    }
}

/// Makes room for `more` bytes by at least doubling a body buffer's
/// capacity (at least 8 KiB), wiping the old allocation instead of leaving
/// it to the allocator.
fn grow(body: &mut Zeroizing<Vec<u8>>, more: usize) {
    let capacity = (body.capacity() * 2).max(body.len() + more).max(8 * 1024);
    let mut bigger = Zeroizing::new(Vec::with_capacity(capacity));
    bigger.extend_from_slice(body);
    *body = bigger;
}

/// The path of a URL, for the log: never its query.
fn endpoint_of(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(|_| "-".to_string(), |u| u.path().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growing_a_body_keeps_its_bytes_and_doubles_capacity() {
        let mut body = Zeroizing::new(Vec::with_capacity(1));
        body.push(7);
        grow(&mut body, 1);
        assert_eq!(body.as_slice(), &[7]);
        assert!(body.capacity() >= 8 * 1024);
        let capacity = body.capacity();
        body.resize(capacity, 1);
        let before = body.capacity();
        grow(&mut body, 1);
        assert!(body.capacity() >= before * 2);
        grow(&mut body, 10 * before);
        assert!(body.capacity() >= 11 * before);
        assert!(body.iter().skip(1).all(|&b| b == 1));
    }

    /// Serves one request on a new listener; returns the URL and a handle
    /// that yields the request's head (request line and headers).
    fn one_request_server() -> (String, std::thread::JoinHandle<String>) {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream);
            let mut head = String::new();
            while reader.read_line(&mut head).unwrap() > 2 && !head.ends_with("\r\n\r\n") {}
            reader
                .get_mut()
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
                .unwrap();
            head
        });
        (url, server)
    }

    fn send(method: Method, url: String, body: Option<&str>) -> Response {
        let transport =
            Transport::new(Duration::from_secs(5), &TransportConfig::default()).unwrap();
        let request = Request {
            method,
            url,
            headers: Vec::new(),
            body: body.map(Secret::new),
        };
        transport.call(false).send(&request).unwrap()
    }

    #[test]
    // Under Wine the server sees no close until the runtime runs again
    // (a later call); untested on Windows itself.
    #[cfg_attr(windows, ignore = "under Wine the close comes at the next call")]
    fn dropping_a_transport_closes_its_connections_at_once() {
        use std::io::Read;
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/funds", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut head = [0; 1024];
            let _ = stream.read(&mut head).unwrap();
            std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}",
            )
            .unwrap();
            // A hang guard, not a timing: the close comes at the drop.
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            stream.read(&mut head).map_err(|e| e.kind())
        });
        let transport =
            Transport::new(Duration::from_secs(5), &TransportConfig::default()).unwrap();
        let request = Request {
            method: Method::Get,
            url,
            headers: Vec::new(),
            body: None,
        };
        transport.call(false).send(&request).unwrap();
        drop(transport);
        assert_eq!(
            server.join().unwrap(),
            Ok(0),
            "the server saw the connection close"
        );
    }

    #[test]
    fn delete_requests_go_out_as_delete_with_their_query() {
        let (url, server) = one_request_server();
        let response = send(Method::Delete, format!("{url}/session/token?a=1"), None);
        assert_eq!(
            (response.status, response.body.as_slice()),
            (200, &b"{}"[..])
        );
        let head = server.join().unwrap();
        assert!(
            head.starts_with("DELETE /session/token?a=1 HTTP/1.1\r\n"),
            "{head}"
        );
        assert!(
            !head.to_ascii_lowercase().contains("content-length"),
            "{head}"
        );
    }

    #[test]
    fn an_empty_post_says_its_length_is_zero() {
        for body in [None, Some("")] {
            let (url, server) = one_request_server();
            send(Method::Post, format!("{url}/login"), body);
            let head = server.join().unwrap().to_ascii_lowercase();
            assert!(
                head.contains("\r\ncontent-length: 0\r\n"),
                "{body:?}: {head}"
            );
        }
    }

    #[test]
    fn a_post_sends_its_body_with_its_length() {
        let (url, server) = one_request_server();
        send(Method::Post, format!("{url}/login"), Some("{\"a\":1}"));
        let head = server.join().unwrap().to_ascii_lowercase();
        assert!(head.contains("\r\ncontent-length: 7\r\n"), "{head}");
    }
}
