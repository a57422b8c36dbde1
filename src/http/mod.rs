//! [`Transport`]: the one place that talks HTTP. One blocking reqwest client
//! per session (kept-alive connections), rustls with ring, TLS 1.2+, a total
//! deadline per call, a body size cap, and errors sorted into statuses.

use crate::config::TransportConfig;
use crate::error::{Error, Result, Status};
use crate::secret::Secret;
use std::cell::RefCell;
use std::io::Read;
use std::sync::Once;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

mod errors;
mod proxy;

pub use errors::classify_non_json;
use errors::{is_timeout, proxy_refused_credentials, root_cause};
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
    /// DELETE (Upstox's and Kite's logout), usually without a body.
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
}

/// A kept-alive HTTP client with the session's timeout.
pub(crate) struct Transport {
    client: reqwest::blocking::Client,
    timeout: Duration,
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
        install_crypto_provider();
        let mut builder = reqwest::blocking::Client::builder()
            .user_agent(concat!("brokerlink/", env!("CARGO_PKG_VERSION")))
            .timeout(timeout)
            .connect_timeout(timeout)
            .tls_version_min(reqwest::tls::Version::TLS_1_2)
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true);
        if !config.extra_ca_pem.is_empty() {
            let certs = reqwest::Certificate::from_pem_bundle(&config.extra_ca_pem)
                .ok()
                .filter(|certs| !certs.is_empty())
                .ok_or_else(|| {
                    Error::invalid_argument(
                        "config keys \"ca_file\"/\"ca_pem\" hold no valid PEM certificate",
                    )
                })?;
            builder = builder.tls_certs_merge(certs);
        }
        builder = with_proxy(builder, config)?;
        let client = builder.build().map_err(|e| {
            Error::new(
                Status::Tls,
                format!("could not set up HTTPS: {}", root_cause(&e)),
            )
        })?;
        Ok(Transport { client, timeout })
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

    /// Sends a request and reads the whole reply before `deadline`.
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
        if let Some(body) = &request.body {
            builder = builder.body(body.expose().to_owned());
        }
        let reply = builder.send().map_err(|e| self.classify(e))?;
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
        let body = self.read_body(reply, deadline, status)?;
        Ok(Response {
            status,
            content_type,
            body,
        })
    }

    /// Reads the body up to the cap, and no later than the deadline, so a
    /// server that trickles bytes cannot hold the caller past its timeout.
    fn read_body(
        &self,
        mut reply: reqwest::blocking::Response,
        deadline: Instant,
        status: u16,
    ) -> Result<Zeroizing<Vec<u8>>> {
        // Sized from Content-Length, the body is read straight into its own
        // buffer, usually in one read and without a reallocation (which would
        // leave an unwiped copy of a token behind).
        let expected = reply
            .content_length()
            .map_or(0, |n| n.min(MAX_BODY_BYTES as u64) as usize);
        let mut body = Zeroizing::new(Vec::with_capacity(expected + 1));
        loop {
            if Instant::now() >= deadline {
                return Err(self.timed_out().with_http_status(status));
            }
            let filled = body.len();
            if filled == body.capacity() {
                grow(&mut body);
            }
            let capacity = body.capacity();
            body.resize(capacity, 0);
            let n = match reply.read(&mut body[filled..]) {
                Ok(n) => n,
                Err(e) if is_timeout(&e) || Instant::now() >= deadline => {
                    return Err(self.timed_out().with_http_status(status));
                }
                Err(e) => {
                    return Err(Error::new(
                        Status::Network,
                        format!(
                            "the connection broke while reading the reply: {}",
                            root_cause(&e)
                        ),
                    )
                    .with_http_status(status));
                }
            };
            body.truncate(filled + n);
            if body.len() > MAX_BODY_BYTES {
                return Err(
                    Error::protocol("the reply is larger than 1 MiB").with_http_status(status)
                );
            }
            if n == 0 {
                return Ok(body);
            }
        }
    }
}

/// Doubles a body buffer's capacity (at least 8 KiB), wiping the old
/// allocation instead of leaving it to the allocator.
fn grow(body: &mut Zeroizing<Vec<u8>>) {
    let mut bigger = Zeroizing::new(Vec::with_capacity((body.capacity() * 2).max(8 * 1024)));
    bigger.extend_from_slice(body);
    *body = bigger;
}

/// The path of a URL, for the log: never its query.
fn endpoint_of(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(|_| "-".to_string(), |u| u.path().to_string())
}

/// Installs ring as rustls' process default, once. The default lives in our
/// own copy of rustls, so no other TLS user in the host process is affected.
fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Err means a provider is already installed: that is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn growing_a_body_keeps_its_bytes_and_doubles_capacity() {
        let mut body = Zeroizing::new(Vec::with_capacity(1));
        body.push(7);
        grow(&mut body);
        assert_eq!(body.as_slice(), &[7]);
        assert!(body.capacity() >= 8 * 1024);
        let capacity = body.capacity();
        body.resize(capacity, 1);
        let before = body.capacity();
        grow(&mut body);
        assert!(body.capacity() >= before * 2);
        assert!(body.iter().skip(1).all(|&b| b == 1));
    }

    #[test]
    fn delete_goes_out_as_delete_without_a_body() {
        use std::io::{BufRead, BufReader, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/v2/logout", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut head = Vec::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                head.push(line.trim().to_ascii_lowercase());
            }
            let mut stream = stream;
            stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
                .unwrap();
            head
        });
        let transport =
            Transport::new(Duration::from_secs(5), &TransportConfig::default()).unwrap();
        let request = Request {
            method: Method::Delete,
            url,
            headers: vec![],
            body: None,
        };
        let response = transport.call(false).send(&request).unwrap();
        assert_eq!(response.status, 200);
        let head = server.join().unwrap();
        assert_eq!(head[0], "delete /v2/logout http/1.1");
        assert!(
            !head
                .iter()
                .any(|h| h.starts_with("content-length:") && h != "content-length: 0"),
            "{head:?}"
        );
    }
}
