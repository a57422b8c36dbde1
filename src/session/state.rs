//! The exported session state: a versioned JSON object holding the tokens,
//! so a session can be resumed in another process without a new login.
//! It is a secret: whoever holds it can act as the user until it expires.

use crate::brokers::{TokenStyle, Tokens};
use crate::config::Keys;
use crate::error::{Error, Result, Status};
use crate::secret::Secret;
use crate::time::rfc3339_utc;
use serde::Serialize;

/// The format version written by this library and the only one it reads.
pub const STATE_VERSION: i64 = 1;

/// The state of a logged-in session, as JSON.
pub fn export(broker: &str, base_url: &str, tokens: &Tokens, now: i64) -> String {
    #[derive(Serialize)]
    struct Wire<'a> {
        brokerlink_session: i64,
        broker: &'a str,
        base_url: &'a str,
        user_id: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        account_id: Option<&'a str>,
        token_style: &'a str,
        access_token: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        refresh_token: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        feed_token: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        access_expires_at: Option<i64>,
        exported_at: i64,
    }
    let wire = Wire {
        brokerlink_session: STATE_VERSION,
        broker,
        base_url,
        user_id: &tokens.user_id,
        account_id: tokens.account_id.as_deref(),
        token_style: tokens.style.name(),
        access_token: tokens.access.expose(),
        refresh_token: tokens.refresh.as_ref().map(Secret::expose),
        feed_token: tokens.feed.as_ref().map(Secret::expose),
        access_expires_at: tokens.expires_at,
        exported_at: now,
    };
    serde_json::to_string(&wire).unwrap_or_default()
}

/// A saved session state as it was read, before it is checked against the
/// session that reads it.
#[derive(Debug)]
pub struct Saved {
    /// The broker family it was exported from.
    pub broker: String,
    /// That session's base URL (no trailing `/`).
    pub base_url: String,
    /// The tokens.
    pub tokens: Tokens,
}

/// Parses an exported state (also the content of a session file) without
/// checking whose it is or whether it has expired. Anything malformed or of
/// another version is `INVALID_ARGUMENT`; no value is repeated in an error.
pub fn parse(json: &str) -> Result<Saved> {
    let mut keys = Keys::parse(json, "session state")?;
    match keys.optional_i64("brokerlink_session")? {
        Some(STATE_VERSION) => {}
        Some(other) => {
            return Err(Error::invalid_argument(format!(
                "session state version {other} is not supported: this library reads version {STATE_VERSION}"
            )));
        }
        None => {
            return Err(Error::invalid_argument(
                "session state key \"brokerlink_session\" is missing: this is not a brokerlink session state",
            ));
        }
    }
    let broker = keys.required_str("broker")?;
    let base_url = keys
        .required_str("base_url")?
        .trim_end_matches('/')
        .to_string();
    let style = keys.required_str("token_style")?;
    let style = TokenStyle::from_name(&style).ok_or_else(|| {
        Error::invalid_argument("session state key \"token_style\" must be \"bearer\" or \"jkey\"")
    })?;
    let tokens = Tokens {
        user_id: keys.required_str("user_id")?,
        account_id: keys.optional_str("account_id")?,
        style,
        access: Secret::new(keys.required_str("access_token")?),
        refresh: keys.optional_str("refresh_token")?.map(Secret::new),
        feed: keys.optional_str("feed_token")?.map(Secret::new),
        expires_at: keys.optional_i64("access_expires_at")?,
    };
    keys.optional_i64("exported_at")?;
    keys.finish()?;
    Ok(Saved {
        broker,
        base_url,
        tokens,
    })
}

impl Saved {
    /// Whether its access token has expired at `now`.
    pub fn expired(&self, now: i64) -> bool {
        self.tokens.expires_at.is_some_and(|at| at <= now)
    }
}

/// Reads an exported state for a session of `broker` at `base_url`.
/// Anything malformed, from another broker or base URL, or of another
/// version is `INVALID_ARGUMENT`; a state whose token has expired is
/// `SESSION_EXPIRED`.
pub fn import(json: &str, broker: &str, base_url: &str, now: i64) -> Result<Tokens> {
    let saved = parse(json)?;
    if saved.broker != broker {
        return Err(Error::invalid_argument(format!(
            "the session state is for broker \"{}\", but this session is \"{broker}\"",
            saved.broker
        )));
    }
    if saved.base_url != base_url {
        return Err(Error::invalid_argument(
            "the session state is for a different base_url than this session's",
        ));
    }
    if let Some(expiry) = saved.tokens.expires_at.filter(|_| saved.expired(now)) {
        return Err(Error::new(
            Status::SessionExpired,
            format!(
                "the saved session expired at {}: log in again",
                rfc3339_utc(expiry)
            ),
        ));
    }
    Ok(saved.tokens)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens(expires_at: Option<i64>) -> Tokens {
        Tokens {
            access: Secret::new("acc"),
            refresh: Some(Secret::new("ref")),
            feed: None,
            user_id: "D1".into(),
            account_id: None,
            style: TokenStyle::JKey,
            expires_at,
        }
    }

    #[test]
    fn round_trip_keeps_every_token() {
        let json = export("angelone", "http://x", &tokens(Some(2000)), 1000);
        let back = import(&json, "angelone", "http://x", 1500).unwrap();
        assert_eq!(back.access.expose(), "acc");
        assert_eq!(back.refresh.unwrap().expose(), "ref");
        assert!(back.feed.is_none());
        assert_eq!((back.user_id.as_str(), back.expires_at), ("D1", Some(2000)));
        assert_eq!(back.style, TokenStyle::JKey);
    }

    #[test]
    fn expired_state_is_session_expired() {
        let json = export("angelone", "http://x", &tokens(Some(2000)), 1000);
        assert_eq!(
            import(&json, "angelone", "http://x", 2000)
                .unwrap_err()
                .status,
            Status::SessionExpired
        );
    }

    #[test]
    fn wrong_broker_base_url_or_version_is_invalid_argument() {
        let json = export("angelone", "http://x", &tokens(None), 1000);
        assert!(
            import(&json, "noren", "http://x", 0)
                .unwrap_err()
                .message
                .contains("\"angelone\"")
        );
        assert!(
            import(&json, "angelone", "http://y", 0)
                .unwrap_err()
                .message
                .contains("base_url")
        );
        let v2 = json.replace("\"brokerlink_session\":1", "\"brokerlink_session\":2");
        assert!(
            import(&v2, "angelone", "http://x", 0)
                .unwrap_err()
                .message
                .contains("version 2")
        );
        let error = import(r#"{"broker":"angelone"}"#, "angelone", "http://x", 0).unwrap_err();
        assert!(error.message.contains("not a brokerlink session state"));
    }

    #[test]
    fn mistyped_token_is_named_but_not_shown() {
        let json =
            export("angelone", "http://x", &tokens(None), 1000).replace("\"acc\"", "12345678");
        let error = import(&json, "angelone", "http://x", 0).unwrap_err();
        assert!(error.message.contains("access_token") && !error.message.contains("12345678"));
    }
}
