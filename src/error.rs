//! The one error type and the stable status codes every call reports.
//!
//! A [`Status`] number is a promise to every host program: numbers are never
//! changed or reused, new ones are only appended. An [`Error`] carries the
//! status, a sentence for a person, and whatever the broker itself said, and
//! turns into the error JSON object documented in the README.

use serde::Serialize;
use std::ffi::CStr;
use std::fmt;

/// The outcome class of a call. The numbers are part of the ABI.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum Status {
    /// Success.
    Ok = 0,
    /// A caller mistake: NULL, bad UTF-8, bad JSON, a missing or unknown key.
    InvalidArgument = 1,
    /// The session handle was never issued, or was already freed.
    InvalidHandle = 2,
    /// The operation needs a login first.
    NotLoggedIn = 3,
    /// Credentials, API key or IP whitelisting were refused.
    Auth = 4,
    /// The broker's session ended and a refresh could not save it.
    SessionExpired = 5,
    /// The broker, or the library's own pacing, refused for rate.
    RateLimited = 6,
    /// Any other error the broker reported.
    Broker = 7,
    /// The broker could not be reached, or the connection broke.
    Network = 8,
    /// The broker did not answer within the configured timeout.
    Timeout = 9,
    /// TLS failed: certificate, handshake or protocol version.
    Tls = 10,
    /// The broker's reply could not be understood.
    Protocol = 11,
    /// This broker has no such operation.
    Unsupported = 12,
    /// A bug in brokerlink (a caught panic).
    Internal = 13,
}

impl Status {
    /// Every status, in numeric order.
    pub const ALL: [Status; 14] = [
        Status::Ok,
        Status::InvalidArgument,
        Status::InvalidHandle,
        Status::NotLoggedIn,
        Status::Auth,
        Status::SessionExpired,
        Status::RateLimited,
        Status::Broker,
        Status::Network,
        Status::Timeout,
        Status::Tls,
        Status::Protocol,
        Status::Unsupported,
        Status::Internal,
    ];

    /// The status for a number, if the number is one.
    pub fn from_code(code: i32) -> Option<Status> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Status::ALL.get(i).copied())
    }

    /// The stable name used in error JSON (`"SESSION_EXPIRED"`).
    pub fn name(self) -> &'static str {
        // The names are ASCII literals, so this never falls back.
        self.name_with_nul().to_str().unwrap_or("UNKNOWN")
    }

    /// [`Status::name`], NUL-terminated, for callers that hand it out as a
    /// C string. The one table of names.
    pub fn name_with_nul(self) -> &'static CStr {
        match self {
            Status::Ok => c"OK",
            Status::InvalidArgument => c"INVALID_ARGUMENT",
            Status::InvalidHandle => c"INVALID_HANDLE",
            Status::NotLoggedIn => c"NOT_LOGGED_IN",
            Status::Auth => c"AUTH",
            Status::SessionExpired => c"SESSION_EXPIRED",
            Status::RateLimited => c"RATE_LIMITED",
            Status::Broker => c"BROKER",
            Status::Network => c"NETWORK",
            Status::Timeout => c"TIMEOUT",
            Status::Tls => c"TLS",
            Status::Protocol => c"PROTOCOL",
            Status::Unsupported => c"UNSUPPORTED",
            Status::Internal => c"INTERNAL",
        }
    }
}

/// A failed call: what went wrong, for a program (status, broker code) and a
/// person (message). Never holds a secret: every constructor is given text
/// written by this crate or by the broker, never a credential.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// The class of failure.
    pub status: Status,
    /// A sentence for a person; names the key or field that is wrong.
    pub message: String,
    /// The broker's own error code (`"AG8002"`), when it sent one.
    pub broker_code: Option<String>,
    /// The broker's own message, when it sent one.
    pub broker_message: Option<String>,
    /// The HTTP status of the reply, when there was a reply.
    pub http_status: Option<u16>,
    /// Whether the same call may succeed if simply tried again later.
    pub retryable: bool,
}

/// The result type of every fallible operation in the crate.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error of `status` with a message, retryable when the class usually is.
    pub fn new(status: Status, message: impl Into<String>) -> Error {
        let retryable = matches!(
            status,
            Status::RateLimited | Status::Network | Status::Timeout
        );
        Error {
            status,
            message: message.into(),
            broker_code: None,
            broker_message: None,
            http_status: None,
            retryable,
        }
    }

    /// A caller mistake.
    pub fn invalid_argument(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidArgument, message)
    }

    /// A reply the library cannot understand.
    pub fn protocol(message: impl Into<String>) -> Error {
        Error::new(Status::Protocol, message)
    }

    /// Attaches what the broker said.
    pub fn with_broker(mut self, code: Option<String>, message: Option<String>) -> Error {
        self.broker_code = code.filter(|c| !c.is_empty());
        self.broker_message = message.filter(|m| !m.is_empty());
        self
    }

    /// Attaches the HTTP status of the reply.
    pub fn with_http_status(mut self, status: u16) -> Error {
        self.http_status = Some(status);
        self
    }

    /// Overrides whether the call may be retried.
    pub fn retryable(mut self, retryable: bool) -> Error {
        self.retryable = retryable;
        self
    }

    /// The error object as JSON, as documented in the README.
    pub fn to_json(&self) -> String {
        #[derive(Serialize)]
        struct Wire<'a> {
            status: i32,
            code: &'static str,
            message: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            broker_code: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            broker_message: Option<&'a str>,
            #[serde(skip_serializing_if = "Option::is_none")]
            http_status: Option<u16>,
            retryable: bool,
        }
        let wire = Wire {
            status: self.status as i32,
            code: self.status.name(),
            message: &self.message,
            broker_code: self.broker_code.as_deref(),
            broker_message: self.broker_message.as_deref(),
            http_status: self.http_status,
            retryable: self.retryable,
        };
        // Serializing plain strings, numbers and bools cannot fail.
        serde_json::to_string(&wire).unwrap_or_else(|_| String::from("{}"))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.message)
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_numbers_are_stable_and_dense() {
        for (i, s) in Status::ALL.iter().enumerate() {
            assert_eq!(*s as i32, i as i32);
            assert_eq!(Status::from_code(i as i32), Some(*s));
            assert_eq!(s.name().as_bytes(), s.name_with_nul().to_bytes());
            assert_ne!(s.name(), "UNKNOWN");
        }
        assert_eq!(Status::from_code(-1), None);
        assert_eq!(Status::from_code(14), None);
    }

    #[test]
    fn error_json_omits_absent_fields() {
        let e = Error::new(Status::SessionExpired, "log in again")
            .with_broker(Some("AG8002".into()), Some("Token Expired".into()))
            .with_http_status(401);
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(v["status"], 5);
        assert_eq!(v["code"], "SESSION_EXPIRED");
        assert_eq!(v["broker_code"], "AG8002");
        assert_eq!(v["http_status"], 401);
        assert_eq!(v["retryable"], false);
        let bare: serde_json::Value =
            serde_json::from_str(&Error::invalid_argument("x").to_json()).unwrap();
        assert!(bare.get("broker_code").is_none());
        assert!(bare.get("http_status").is_none());
    }
}
