//! Sorting what went wrong into statuses: transport errors (timeouts,
//! TLS, proxies, refused connections) and replies that are not the broker's
//! JSON (rate-limit text, firewall pages, empty bodies, server errors).

use super::{Response, Transport};
use crate::error::{Error, Reason, Status};

impl Transport {
    pub(super) fn classify(&self, error: reqwest::Error) -> Error {
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

/// A proxy's 407, for a forwarded request or a CONNECT: the broker was never
/// reached, so it is a network error, and retrying will not fix it.
pub(super) fn proxy_refused_credentials() -> Error {
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

/// The innermost error's text: the one that says what actually happened.
pub(super) fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
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
        // Reported on every request from an IP the user believed was
        // registered (PROTOCOLS.md §1.3, §8): name that cause too.
        Error::new(
            Status::Broker,
            "the broker's web firewall rejected the request (an HTML \"Request Rejected\" page): wait and retry; if it persists, check that this machine's IP is the static IP registered for the API key",
        )
        .retryable(true)
        .with_reason(Reason::IpNotRegistered)
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
        Response::test(status, content_type, body)
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
