//! The broker families. Each module turns the library's operations into its
//! broker's wire requests and the broker's replies into [`crate::model`]
//! values or [`Error`](crate::error::Error)s. Nothing outside this folder knows a wire field name.

use crate::config::{self, Config, Credentials, Keys};
use crate::error::{Error, Reason, Result};
use crate::http::{Call, Response};
use crate::model::{BrokerKind, Funds, Profile};
use crate::operation::Operation;
use crate::pacing::RateLimit;
use crate::secret::Secret;
use serde::Serialize;
use serde_json::Value;

pub(crate) mod angelone;
pub(crate) mod dhan;
pub(crate) mod fyers;
pub(crate) mod noren;
pub(crate) mod upstox;
pub(crate) mod zerodha;

/// The tokens of one logged-in session.
#[derive(Clone, Debug)]
pub struct Tokens {
    /// The access token sent with every call.
    pub access: Secret,
    /// The token that buys a new access token, when the broker has one.
    pub refresh: Option<Secret>,
    /// A market-data token some brokers issue with the login (Angel One).
    pub feed: Option<Secret>,
    /// The broker's user id for this session.
    pub user_id: String,
    /// The trading account id, where the broker has one apart from the user id.
    pub account_id: Option<String>,
    /// How the access token is sent.
    pub style: TokenStyle,
    /// When the access token expires, seconds since the epoch, when known.
    pub expires_at: Option<i64>,
}

/// How a session's access token travels with each call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenStyle {
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// Noren's legacy `&jKey=<token>` after the `jData` body.
    JKey,
}

impl TokenStyle {
    /// The name used in exported session state.
    pub fn name(self) -> &'static str {
        match self {
            TokenStyle::Bearer => "bearer",
            TokenStyle::JKey => "jkey",
        }
    }

    /// The style with this [`TokenStyle::name`].
    pub fn from_name(name: &str) -> Option<TokenStyle> {
        match name {
            "bearer" => Some(TokenStyle::Bearer),
            "jkey" => Some(TokenStyle::JKey),
            _ => None,
        }
    }
}

/// One broker family's operations. Implementations hold the config (base
/// URL, keys, device headers) and no session state: tokens are passed in.
pub(crate) trait Broker: Send + Sync + std::fmt::Debug {
    /// The family's name in results and config: `"angelone"`.
    fn name(&self) -> &'static str;

    /// What `broker_new` reports about the session it made (base URL, the
    /// device headers chosen): no secret.
    fn describe(&self) -> Value;

    /// The REST base URL in use (no trailing `/`).
    fn base_url(&self) -> &str;

    /// The browser address where the user logs in (OAuth-style logins).
    /// Built without a network call, except where the broker must be asked
    /// first (Dhan's consent id): then through `http`.
    fn login_url(&self, http: &Call<'_>) -> Result<String>;

    /// The broker's published rate limit for an operation.
    fn rate_limit(&self, op: Operation) -> RateLimit;

    /// Whether the broker can refresh a session without a new login.
    fn can_refresh(&self) -> bool;

    /// Whether these tokens can be refreshed (Zerodha: only a login that
    /// carried a refresh token). A session refreshes by itself only when
    /// this is true; an explicit `broker_refresh` asks [`Broker::refresh`]
    /// anyway, which says why it cannot.
    fn can_refresh_tokens(&self, _tokens: &Tokens) -> bool {
        self.can_refresh()
    }

    /// Reads `broker_login`'s credentials: the kinds this broker's login
    /// takes, through the shared key reader (unknown keys are refused after).
    fn credentials(&self, keys: &mut Keys) -> Result<Credentials>;

    /// Logs in and returns the new session's tokens.
    fn login(&self, http: &Call<'_>, credentials: &Credentials) -> Result<Tokens>;

    /// Trades the refresh token for new tokens.
    fn refresh(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Tokens>;

    /// Reads the account holder's profile.
    fn profile(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Profile>;

    /// Reads funds and margins.
    fn funds(&self, http: &Call<'_>, tokens: &Tokens) -> Result<Funds>;

    /// Ends the session at the broker.
    fn logout(&self, http: &Call<'_>, tokens: &Tokens) -> Result<()>;

    /// Whether the broker has a logout that ends the session there. A
    /// broker without one (Dhan) answers `false`: `broker_logout` then only
    /// forgets the tokens, makes no call, and says so in its result.
    fn revokes_at_logout(&self) -> bool {
        true
    }
}

/// Builds a broker family from its own config keys and the shared
/// `base_url` override.
type Constructor = fn(&mut Keys, Option<&str>) -> Result<Box<dyn Broker>>;

/// One broker family in the registry: the config's `"broker"` name, its
/// constructor, the login kinds its `broker_login` takes and its presets.
struct Family {
    name: &'static str,
    construct: Constructor,
    logins: &'static [&'static str],
    presets: &'static [&'static str],
}

/// Every broker family. Adding a family is adding its folder and a line here.
const FAMILIES: &[Family] = &[
    Family {
        name: "angelone",
        construct: angelone::AngelOne::from_config,
        logins: &["pin_totp"],
        presets: &[],
    },
    Family {
        name: "noren",
        construct: noren::Noren::from_config,
        logins: &["oauth", "password_totp"],
        presets: &noren::PRESET_NAMES,
    },
    Family {
        name: "zerodha",
        construct: zerodha::Zerodha::from_config,
        logins: &["oauth"],
        presets: &[],
    },
    Family {
        name: "upstox",
        construct: upstox::Upstox::from_config,
        logins: &["oauth", "access_token"],
        presets: &[],
    },
    Family {
        name: "fyers",
        construct: fyers::Fyers::from_config,
        logins: &["oauth"],
        presets: &[],
    },
    Family {
        name: "dhan",
        construct: dhan::Dhan::from_config,
        logins: &["pin_totp", "oauth", "access_token"],
        presets: &[],
    },
];

/// Every broker family the library speaks, with its login kinds and presets.
pub(crate) fn families() -> Vec<BrokerKind> {
    FAMILIES
        .iter()
        .map(|f| BrokerKind {
            broker: f.name,
            logins: f.logins.to_vec(),
            presets: f.presets.to_vec(),
        })
        .collect()
}

/// Parses and validates a `broker_new` config: the shared settings, and the
/// broker family it names, built from its own keys. Unknown keys are refused.
pub(crate) fn configure(json: &str) -> Result<(Config, Box<dyn Broker>)> {
    let mut keys = Keys::parse(json, "config")?;
    let name = keys.required_str("broker")?;
    let config = config::parse_shared(&mut keys)?;
    let construct = FAMILIES
        .iter()
        .find(|family| family.name == name)
        .map(|family| family.construct)
        .ok_or_else(|| {
            let names: Vec<String> = FAMILIES.iter().map(|f| format!("\"{}\"", f.name)).collect();
            Error::invalid_argument(format!(
                "config key \"broker\" must be one of {}",
                names.join(", ")
            ))
        })?;
    let broker = construct(&mut keys, config.base_url.as_deref())?;
    keys.finish()?;
    Ok((config, broker))
}

/// Parses `broker_login`'s credentials JSON for a broker.
pub(crate) fn parse_credentials(broker: &dyn Broker, json: &str) -> Result<Credentials> {
    let mut keys = Keys::parse(json, "credentials")?;
    let credentials = broker.credentials(&mut keys)?;
    keys.finish()?;
    Ok(credentials)
}

/// The message of a refused TOTP, when the clocks agree.
pub(crate) const TOTP_REFUSED: &str =
    "the TOTP code was refused: check \"totp_secret\" (or \"totp\")";

/// How far this computer's clock may be from the broker's before a refused
/// TOTP is blamed on it: one 30-second code step.
const MAX_CLOCK_SKEW_SECS: i64 = 30;

/// A refused TOTP is most often a wrong clock. When the broker's `Date`
/// header and this computer's clock differ by more than 30 s, the refusal
/// says so, with the skew (reason `clock_skew`); otherwise it stays as it is
/// (`totp_rejected`). Errors of any other reason pass unchanged.
pub(crate) fn with_clock_check(mut error: Error, response: &Response) -> Error {
    if error.reason != Some(Reason::TotpRejected) {
        return error;
    }
    let Some(skew) = response
        .date_unix()
        .map(|date| crate::time::unix_now() - date)
    else {
        return error;
    };
    if skew.abs() > MAX_CLOCK_SKEW_SECS {
        let side = if skew > 0 { "ahead of" } else { "behind" };
        error.message = format!(
            "the TOTP code was refused, and this computer's clock is {} s {side} the broker's: set the clock right (turn on automatic time sync), then log in again",
            skew.abs()
        );
        error.reason = Some(Reason::ClockSkew);
    }
    error
}

/// A string field of a JSON object; numbers are taken as their text, and
/// null or missing is `""`, since brokers send all three for "nothing".
pub(crate) fn text_field(object: &Value, key: &str) -> String {
    match object.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A list of strings sent as a JSON array, as a string holding a JSON array
/// (`"[ \"NSE\", \"BSE\" ]"`), or as comma-separated text.
pub(crate) fn string_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|item| match item {
                Value::String(s) => Some(s.trim().to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(parsed @ Value::Array(_)) => string_list(Some(&parsed)),
            _ => text
                .trim()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .split(',')
                .map(|s| s.trim().trim_matches('"').trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
        },
        _ => Vec::new(),
    }
}

/// Whether a JSON value means true: `true` or the string `"true"`.
pub(crate) fn is_true(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// A fresh random value for an OAuth login's `state` parameter: 128 bits
/// from the operating system, as 32 hex digits. A redirect whose `state`
/// differs did not come from this session's login URL.
pub(crate) fn random_state() -> Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::new(
            crate::error::Status::Internal,
            format!("the operating system gave no random numbers: {e}"),
        )
    })?;
    Ok(hex::encode(bytes))
}

/// Serializes a request body straight into a [`Secret`], since bodies carry
/// PINs and tokens.
pub(crate) fn secret_body(body: &impl Serialize) -> Secret {
    Secret::new(serde_json::to_string(body).unwrap_or_default())
}

/// Overwrites every string in a JSON value: replies that carried tokens are
/// wiped before they are dropped.
pub(crate) fn wipe(value: &mut Value) {
    use zeroize::Zeroize;
    match value {
        Value::String(s) => s.zeroize(),
        Value::Array(items) => items.iter_mut().for_each(wipe),
        Value::Object(map) => map.values_mut().for_each(wipe),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_lists_in_every_shape() {
        let want = vec!["NSE".to_string(), "BSE".to_string()];
        assert_eq!(string_list(Some(&json!(["NSE", "BSE"]))), want);
        assert_eq!(string_list(Some(&json!("[ \"NSE\", \"BSE\" ]"))), want);
        assert_eq!(string_list(Some(&json!("[ \"NSE\", \"BSE\", ]"))), want);
        assert_eq!(string_list(Some(&json!("NSE,BSE"))), want);
        assert_eq!(string_list(Some(&json!(""))), Vec::<String>::new());
        assert_eq!(string_list(Some(&Value::Null)), Vec::<String>::new());
        assert_eq!(string_list(None), Vec::<String>::new());
    }

    #[test]
    fn random_states_are_fresh_hex() {
        let (a, b) = (random_state().unwrap(), random_state().unwrap());
        assert_ne!(a, b);
        assert!(
            a.len() == 32 && a.bytes().all(|c| c.is_ascii_hexdigit()),
            "{a}"
        );
    }

    #[test]
    fn truthiness_of_sloppy_booleans() {
        assert!(is_true(Some(&json!(true))));
        assert!(is_true(Some(&json!("true"))));
        assert!(!is_true(Some(&json!("false"))));
        assert!(!is_true(Some(&json!(false))));
        assert!(!is_true(None));
    }
}
