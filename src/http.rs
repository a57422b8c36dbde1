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

/// Largest reply body read; a larger one is a protocol error, so a broken or
/// hostile server cannot exhaust the host's memory.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// The HTTP method of a broker call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// GET, no body.
    Get,
    /// POST with a body.
    Post,
}

/// One request, as a broker module builds it. Header values and the body are
/// [`Secret`]s because they carry tokens, keys and PINs.
pub struct Request {
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
pub struct Transport {
    client: reqwest::blocking::Client,
    timeout: Duration,
}

/// One library call's view of the transport: every request it sends, its
/// retries and its waits share one deadline, the call's total timeout.
pub struct Call<'a> {
    transport: &'a Transport,
    deadline: Instant,
    last: RefCell<Option<(String, Option<u16>)>>,
}

impl Call<'_> {
    /// Sends a request, giving it whatever time the call has left.
    pub fn send(&self, request: &Request) -> Result<Response> {
        let result = self.transport.send_by(request, self.deadline);
        let status = match &result {
            Ok(response) => Some(response.status),
            Err(error) => error.http_status,
        };
        *self.last.borrow_mut() = Some((endpoint_of(&request.url), status));
        result
    }

    /// The path and HTTP status of the last request sent, for the log.
    pub fn last_request(&self) -> (String, Option<u16>) {
        self.last
            .borrow()
            .clone()
            .unwrap_or_else(|| ("-".to_string(), None))
    }

    /// When the call's time runs out.
    pub fn deadline(&self) -> Instant {
        self.deadline
    }
}

impl Transport {
    /// A client whose calls each take at most `timeout`, connect included.
    pub fn new(timeout: Duration, config: &TransportConfig) -> Result<Transport> {
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
    pub fn call(&self) -> Call<'_> {
        Call {
            transport: self,
            deadline: Instant::now() + self.timeout,
            last: RefCell::new(None),
        }
    }

    /// The configured total timeout of one call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The error for a call whose time ran out.
    pub fn timed_out(&self) -> Error {
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
        let mut body = Zeroizing::new(Vec::new());
        let mut chunk = Zeroizing::new([0u8; 16 * 1024]);
        loop {
            if Instant::now() >= deadline {
                return Err(self.timed_out().with_http_status(status));
            }
            let n = match reply.read(&mut chunk[..]) {
                Ok(0) => return Ok(body),
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
            if body.len() + n > MAX_BODY_BYTES {
                return Err(
                    Error::protocol("the reply is larger than 1 MiB").with_http_status(status)
                );
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }

    fn classify(&self, error: reqwest::Error) -> Error {
        let error = error.without_url();
        if error.is_timeout() {
            return self.timed_out();
        }
        if let Some(tls) = find_source::<rustls::Error>(&error) {
            return Error::new(Status::Tls, tls_message(tls));
        }
        // hyper-util's CONNECT errors ("tunnel error: ..."), known by their
        // text since the type is not reachable from here; tests/proxy.rs pins
        // them.
        if let Some(what) = root_cause(&error).strip_prefix("tunnel error: ") {
            if what == "proxy authorization required" {
                return proxy_refused_credentials();
            }
            return Error::new(
                Status::Network,
                format!("the proxy would not open a connection to the broker ({what})"),
            );
        }
        if error.is_builder() {
            return Error::invalid_argument(format!(
                "the request could not be built: {}",
                root_cause(&error)
            ));
        }
        let what = if error.is_connect() {
            "could not connect to the broker"
        } else {
            "the connection to the broker failed"
        };
        Error::new(Status::Network, format!("{what}: {}", root_cause(&error)))
    }
}

/// Routes the client through the config's `proxy`, or else the environment's.
///
/// A config `proxy` carries every request: the environment (`HTTPS_PROXY`,
/// `NO_PROXY`, ...) is not consulted, so what the config says is what
/// happens whatever the host process inherited. Without one, reqwest reads
/// `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` (and their lower
/// case forms) like curl: for every host, loopback included, unless
/// `NO_PROXY` lists it. One fix on top: a `NO_PROXY` entry `*` means every
/// host, IP addresses included (hyper-util matches `*` against names only).
fn with_proxy(
    builder: reqwest::blocking::ClientBuilder,
    config: &TransportConfig,
) -> Result<reqwest::blocking::ClientBuilder> {
    if let Some(proxy) = &config.proxy {
        let proxy = reqwest::Proxy::all(proxy.expose()).map_err(|_| {
            Error::invalid_argument("config key \"proxy\" is not a usable proxy URL")
        })?;
        // `proxy` also turns off the environment's proxies.
        return Ok(builder.proxy(proxy));
    }
    let no_proxy = std::env::var("NO_PROXY")
        .or_else(|_| std::env::var("no_proxy"))
        .unwrap_or_default();
    if no_proxy.split(',').any(|entry| entry.trim() == "*") {
        return Ok(builder.no_proxy());
    }
    Ok(builder)
}

/// A proxy's 407, for a forwarded request or a CONNECT: the broker was never
/// reached, so it is a network error, and retrying will not fix it.
fn proxy_refused_credentials() -> Error {
    Error::new(
        Status::Network,
        "the proxy refused the credentials (HTTP 407 Proxy Authentication Required): check the user and password in config key \"proxy\" (or HTTPS_PROXY/HTTP_PROXY)",
    )
    .retryable(false)
    .with_http_status(407)
}

/// Which TLS check failed, in words a user can act on.
fn tls_message(error: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    let what = match error {
        rustls::Error::InvalidCertificate(cert) => match cert {
            C::UnknownIssuer => {
                "the server's certificate is not signed by a trusted authority (if a corporate proxy re-signs TLS, add its CA with \"ca_file\")"
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "the server's certificate is for a different host name"
            }
            C::Expired | C::ExpiredContext { .. } => {
                "the server's certificate has expired (or this computer's clock is wrong)"
            }
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "the server's certificate is not valid yet (or this computer's clock is wrong)"
            }
            C::Revoked => "the server's certificate has been revoked",
            C::BadSignature => "the server's certificate has a bad signature",
            _ => "the server's certificate was refused",
        },
        rustls::Error::PeerIncompatible(_) => {
            "the server offers no TLS version or cipher this library accepts (TLS 1.2 or 1.3)"
        }
        _ => "",
    };
    if what.is_empty() {
        format!("TLS failed: {error}")
    } else {
        format!("TLS failed: {what} ({error})")
    }
}

/// The path of a URL, for the log: never its query.
fn endpoint_of(url: &str) -> String {
    reqwest::Url::parse(url).map_or_else(|_| "-".to_string(), |u| u.path().to_string())
}

/// Whether a body read failed because the request's time ran out: reqwest
/// reports its own timer as an io error wrapping a timeout `reqwest::Error`.
fn is_timeout(error: &std::io::Error) -> bool {
    error.kind() == std::io::ErrorKind::TimedOut
        || error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<reqwest::Error>())
            .is_some_and(reqwest::Error::is_timeout)
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

/// The innermost error's text: the one that says what actually happened.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut current = error;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// The first error of type `T` in `error`'s chain. An `io::Error` that wraps
/// another error reports that error's *source* as its own, skipping the
/// wrapped error itself (this is how rustls' errors reach us, inside hyper's
/// `io::Error`), so the wrapped error is looked at too.
fn find_source<'a, T: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    let mut current = Some(error);
    while let Some(e) = current {
        if let Some(found) = e.downcast_ref::<T>() {
            return Some(found);
        }
        let wrapped = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .map(|inner| inner as &(dyn std::error::Error + 'static));
        if let Some(found) = wrapped.and_then(|inner| find_source::<T>(inner)) {
            return Some(found);
        }
        current = e.source();
    }
    None
}

/// How a reply that is not the broker's JSON is classed, whatever the broker:
/// rate limits, firewall pages, empty bodies, server errors.
pub fn classify_non_json(response: &Response) -> Error {
    let text = String::from_utf8_lossy(&response.body);
    let trimmed = text.trim();
    let status = response.status;
    let is_html = trimmed.starts_with('<')
        || response
            .content_type
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().contains("html"));
    let error = if status == 429 || (status == 403 && trimmed.contains("exceeding access rate")) {
        Error::new(
            Status::RateLimited,
            "the broker's rate limit was exceeded: slow down and retry",
        )
        .with_broker(None, Some(short(trimmed)))
    } else if trimmed.is_empty() {
        Error::protocol(format!("the broker sent an empty reply (HTTP {status})")).retryable(true)
    } else if is_html && trimmed.contains("Request Rejected") {
        Error::new(
            Status::Broker,
            "the broker's web firewall rejected the request (an HTML \"Request Rejected\" page); wait and retry",
        )
        .retryable(true)
    } else if status >= 500 {
        Error::new(
            Status::Broker,
            format!("the broker's server failed (HTTP {status})"),
        )
        .retryable(true)
    } else if is_html {
        Error::protocol(format!(
            "the broker sent an HTML page instead of JSON (HTTP {status})"
        ))
    } else if status >= 400 {
        Error::new(
            Status::Broker,
            format!("the broker refused the request (HTTP {status})"),
        )
        .with_broker(None, Some(short(trimmed)))
    } else {
        Error::protocol(format!("the broker's reply is not JSON (HTTP {status})"))
    };
    error.with_http_status(status)
}

/// At most 200 characters of a plain-text reply, for `broker_message`.
fn short(text: &str) -> String {
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, content_type: &str, body: &str) -> Response {
        Response {
            status,
            content_type: Some(content_type.into()),
            body: Zeroizing::new(body.as_bytes().to_vec()),
        }
    }

    #[test]
    fn plain_text_403_is_a_retryable_rate_limit() {
        let e = classify_non_json(&reply(
            403,
            "text/plain",
            "Access denied because of exceeding access rate",
        ));
        assert_eq!(e.status, Status::RateLimited);
        assert!(e.retryable);
        assert_eq!(e.http_status, Some(403));
        assert_eq!(
            e.broker_message.as_deref(),
            Some("Access denied because of exceeding access rate")
        );
        assert_eq!(
            classify_non_json(&reply(429, "text/plain", "")).status,
            Status::RateLimited
        );
    }

    #[test]
    fn html_and_empty_and_server_errors_are_classified() {
        let firewall = reply(
            200,
            "text/html",
            "<html><title>Request Rejected</title></html>",
        );
        assert_eq!(classify_non_json(&firewall).status, Status::Broker);
        assert_eq!(
            classify_non_json(&reply(200, "text/html", "<html>hi</html>")).status,
            Status::Protocol
        );
        let empty = classify_non_json(&reply(200, "application/json", ""));
        assert_eq!((empty.status, empty.retryable), (Status::Protocol, true));
        let bad_gateway = classify_non_json(&reply(502, "text/plain", "Bad Gateway"));
        assert_eq!(
            (bad_gateway.status, bad_gateway.retryable),
            (Status::Broker, true)
        );
        assert_eq!(
            classify_non_json(&reply(400, "text/plain", "Bad Request")).status,
            Status::Broker
        );
        assert_eq!(
            classify_non_json(&reply(200, "text/plain", "hello")).status,
            Status::Protocol
        );
    }
}
