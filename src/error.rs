//! The one error type and the stable status codes every call reports.
//!
//! A [`Status`] number is a promise to every host program: numbers are never
//! changed or reused, new ones are only appended. An [`Error`] carries the
//! status, a sentence for a person, and whatever the broker itself said, and
//! turns into the error JSON object documented in the README.

use serde::Serialize;
use std::ffi::CStr;
use std::fmt;

/// Defines [`Status`] from one table: each row is a status's doc comment,
/// its variant, its number and its name. The C header's `BrokerStatus` enum
/// (`BROKER_OK`, `BROKER_ERR_<NAME>`) is written from the same table by
/// [`Status::c_enum`], so the Rust code and the header cannot drift apart.
macro_rules! statuses {
    ($( $(#[doc = $doc:literal])+ $variant:ident = $number:literal, $name:literal; )+) => {
        /// The outcome class of a call. The numbers are part of the ABI:
        /// never changed or reused, new ones only appended.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        #[repr(i32)]
        pub enum Status {
            $( $(#[doc = $doc])+ $variant = $number, )+
        }

        impl Status {
            /// Every status, in numeric order.
            pub const ALL: &[Status] = &[$(Status::$variant),+];

            /// [`Status::name`], NUL-terminated, for callers that hand it
            /// out as a C string.
            pub fn name_with_nul(self) -> &'static CStr {
                match self {
                    $( Status::$variant => {
                        const NAME: &CStr = match CStr::from_bytes_with_nul(concat!($name, "\0").as_bytes()) {
                            Ok(name) => name,
                            Err(_) => panic!("a status name holds a NUL"),
                        };
                        NAME
                    } )+
                }
            }

            /// The status's doc comment, a line each (with rustdoc's
            /// leading space).
            fn doc(self) -> &'static str {
                match self {
                    $( Status::$variant => concat!($($doc, "\n"),+), )+
                }
            }
        }
    };
}

statuses! {
    /// Success.
    Ok = 0, "OK";
    /// A caller mistake: NULL, bad UTF-8, bad JSON, a missing, mistyped or
    /// unknown key.
    InvalidArgument = 1, "INVALID_ARGUMENT";
    /// The session handle is NULL, was freed, or never came from broker_new.
    InvalidHandle = 2, "INVALID_HANDLE";
    /// The operation needs broker_login first.
    NotLoggedIn = 3, "NOT_LOGGED_IN";
    /// The broker refused the credentials, the API key, or this machine's IP.
    Auth = 4, "AUTH";
    /// The broker's session ended and could not be refreshed: log in again.
    SessionExpired = 5, "SESSION_EXPIRED";
    /// Too many requests (the broker said so, or the library's own pacing
    /// could not fit the call in its timeout): wait and retry.
    RateLimited = 6, "RATE_LIMITED";
    /// Any other error the broker reported (see broker_code, broker_message).
    Broker = 7, "BROKER";
    /// The broker could not be reached, or the connection broke.
    Network = 8, "NETWORK";
    /// The broker did not answer within the configured timeout.
    Timeout = 9, "TIMEOUT";
    /// TLS failed: certificate, handshake or protocol version.
    Tls = 10, "TLS";
    /// The broker's reply could not be understood.
    Protocol = 11, "PROTOCOL";
    /// This broker has no such operation.
    Unsupported = 12, "UNSUPPORTED";
    /// A bug inside brokerlink (a caught panic); the session is unchanged.
    Internal = 13, "INTERNAL";
}

impl Status {
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

    /// The name of the status's constant in the C header: `BROKER_OK`,
    /// `BROKER_ERR_SESSION_EXPIRED`.
    fn c_name(self) -> String {
        match self {
            Status::Ok => "BROKER_OK".to_string(),
            other => format!("BROKER_ERR_{}", other.name()),
        }
    }

    /// The header's `BrokerStatus` enum, every constant with its doc comment,
    /// in the style cbindgen writes the rest of the header. The header test
    /// (`make header`) puts it into include/brokerlink.h.
    #[doc(hidden)]
    pub fn c_enum() -> String {
        let mut out = String::from(
            "/**\n * A status code. Every fallible function returns one as an int32_t. The\n * numbers are stable forever; new ones are only ever appended.\n */\nenum BrokerStatus\n#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L\n  : int32_t\n#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L\n {\n",
        );
        for status in Status::ALL {
            out.push_str("  /**\n");
            for line in status.doc().lines() {
                out.push_str(&format!("   *{line}\n"));
            }
            out.push_str(&format!(
                "   */\n  {} = {},\n",
                status.c_name(),
                *status as i32
            ));
        }
        out.push_str(concat!(
            "};\n#ifndef __cplusplus\n#if __STDC_VERSION__ >= 202311L\n",
            "typedef enum BrokerStatus BrokerStatus;\n#else\ntypedef int32_t BrokerStatus;\n",
            "#endif // __STDC_VERSION__ >= 202311L\n#endif // __cplusplus\n",
        ));
        out
    }
}

/// Defines [`Reason`] from one table: each row is a reason's doc comment,
/// its variant and the word the error JSON carries.
macro_rules! reasons {
    ($( $(#[doc = $doc:literal])+ $variant:ident = $word:literal; )+) => {
        /// Why the broker refused, for refusals a user can fix: a word a host
        /// program can switch on to show its own help (the error JSON's
        /// `"reason"`). The vocabulary only grows: a word, once published,
        /// keeps its meaning. The error's `message` says what to do.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Reason {
            $( $(#[doc = $doc])+ $variant, )+
        }

        impl Reason {
            /// Every reason, in the order they were added.
            pub const ALL: &[Reason] = &[$(Reason::$variant),+];

            /// The word in the error JSON (`"ip_not_registered"`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $( Reason::$variant => $word, )+
                }
            }
        }
    };
}

reasons! {
    /// The broker refused this machine's IP address: register the static IP
    /// with the API app (SEBI's static-IP rule).
    IpNotRegistered = "ip_not_registered";
    /// A TOTP was refused while this computer's clock differs from the
    /// broker's by more than 30 seconds: set the clock right.
    ClockSkew = "clock_skew";
    /// A TOTP was refused: check the TOTP secret (or code).
    TotpRejected = "totp_rejected";
    /// Angel One wants the 4-digit MPIN, not the web password.
    MpinRequired = "mpin_required";
    /// The broker requires a password change (or the password expired):
    /// change it on the broker's web site.
    PasswordChangeRequired = "password_change_required";
    /// The broker has closed this login method to API users (Shoonya's
    /// password login since April 2026): use the OAuth login.
    LoginMethodClosed = "login_method_closed";
    /// The account is not enabled for API access: enable it with the broker.
    ApiNotEnabled = "api_not_enabled";
    /// A daily cap was reached (logins, consents, or a block after repeated
    /// rate-limit breaches): try again the next day.
    DailyLimitReached = "daily_limit_reached";
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
    /// Why the broker refused, when it is a refusal the user can fix.
    pub reason: Option<Reason>,
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
            message: capped(message.into(), MAX_MESSAGE_CHARS),
            broker_code: None,
            broker_message: None,
            http_status: None,
            retryable,
            reason: None,
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
        self.broker_code = code
            .filter(|c| !c.is_empty())
            .map(|c| capped(c, MAX_BROKER_CODE_CHARS));
        self.broker_message = message
            .filter(|m| !m.is_empty())
            .map(|m| capped(m, MAX_MESSAGE_CHARS));
        self
    }

    /// Attaches the HTTP status of the reply.
    pub fn with_http_status(mut self, status: u16) -> Error {
        self.http_status = Some(status);
        self
    }

    /// Names why the broker refused, for a refusal the user can fix.
    pub fn with_reason(mut self, reason: Reason) -> Error {
        self.reason = Some(reason);
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
            #[serde(skip_serializing_if = "Option::is_none")]
            reason: Option<&'static str>,
        }
        let wire = Wire {
            status: self.status as i32,
            code: self.status.name(),
            message: &self.message,
            broker_code: self.broker_code.as_deref(),
            broker_message: self.broker_message.as_deref(),
            http_status: self.http_status,
            retryable: self.retryable,
            reason: self.reason.map(Reason::as_str),
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

/// The longest `message` and `broker_message` kept, in characters. A broker
/// that answers with a page of text (or a megabyte of it) still gives an
/// error a host can log and show; the rest is cut and marked with `…`.
const MAX_MESSAGE_CHARS: usize = 1000;
/// The longest `broker_code` kept: real codes are a few characters.
const MAX_BROKER_CODE_CHARS: usize = 64;

/// `text` cut to at most `max` characters, the cut marked with `…`.
fn capped(mut text: String, max: usize) -> String {
    // No text of at most `max` bytes has more than `max` characters.
    if text.len() <= max {
        return text;
    }
    if let Some((end, _)) = text.char_indices().nth(max) {
        let end = text[..end]
            .char_indices()
            .next_back()
            .map_or(0, |(last, _)| last);
        text.truncate(end);
        text.push('…');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_broker_text_is_cut_to_a_loggable_size() {
        let page = "é".repeat(5_000);
        let error = Error::new(Status::Broker, format!("the broker said: {page}"))
            .with_broker(Some("X".repeat(500)), Some(page.clone()));
        for (text, max) in [
            (&error.message, MAX_MESSAGE_CHARS),
            (error.broker_message.as_ref().unwrap(), MAX_MESSAGE_CHARS),
            (error.broker_code.as_ref().unwrap(), MAX_BROKER_CODE_CHARS),
        ] {
            assert_eq!(text.chars().count(), max, "{text}");
            assert!(text.ends_with('…'));
        }
        assert!(error.message.starts_with("the broker said: éé"));
        let short = Error::new(Status::Broker, "short").with_broker(None, Some("AG8001".into()));
        assert_eq!(
            (short.message.as_str(), short.broker_message.as_deref()),
            ("short", Some("AG8001"))
        );
        assert_eq!(
            capped("x".repeat(MAX_MESSAGE_CHARS), MAX_MESSAGE_CHARS).len(),
            MAX_MESSAGE_CHARS
        );
    }

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
    fn reasons_are_distinct_snake_case_words_in_the_json() {
        let mut seen = std::collections::HashSet::new();
        for reason in Reason::ALL {
            let word = reason.as_str();
            assert!(seen.insert(word), "{word} twice");
            assert!(
                word.bytes().all(|b| b == b'_' || b.is_ascii_lowercase()),
                "{word}"
            );
            let e = Error::new(Status::Auth, "x").with_reason(*reason);
            let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
            assert_eq!(v["reason"], word);
        }
        assert_eq!(Reason::IpNotRegistered.as_str(), "ip_not_registered");
        assert_eq!(Reason::ALL.len(), 8);
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
        assert!(bare.get("reason").is_none());
        assert!(bare.get("http_status").is_none());
    }
}
