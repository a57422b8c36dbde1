//! The normalized results every broker maps to: the same field names and
//! number formats whatever the broker, with the broker's own payload under `raw`.

pub(crate) use crate::money::Money;
use serde::Serialize;
use serde_json::Value;

/// What `broker_login` returns. Tokens stay inside the library.
#[derive(Clone, Debug, Serialize)]
pub struct LoginInfo {
    /// The broker family, `"angelone"` or `"noren"`.
    pub broker: &'static str,
    /// The broker's user id (Angel One client code, Noren `uid`).
    pub user_id: String,
    /// When the login happened, RFC 3339 UTC.
    pub logged_in_at: String,
    /// When the access token expires, RFC 3339 UTC, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<String>,
}

/// What `broker_refresh` returns.
#[derive(Clone, Debug, Serialize)]
pub struct Refreshed {
    /// The broker family.
    pub broker: &'static str,
    /// The broker's user id.
    pub user_id: String,
    /// When the refresh happened, RFC 3339 UTC.
    pub refreshed_at: String,
    /// When the new access token expires, RFC 3339 UTC, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<String>,
}

/// What `broker_logout` returns.
#[derive(Clone, Debug, Serialize)]
pub struct LoggedOut {
    /// The broker family.
    pub broker: &'static str,
    /// The broker's user id.
    pub user_id: String,
    /// Always `true`: the session is closed locally, and at the broker
    /// unless the broker had already ended it.
    pub logged_out: bool,
    /// Whether the broker no longer accepts the tokens: `true` when it
    /// ended the session (or had already ended it), `false` for a broker
    /// with no logout endpoint (Dhan), whose token stays valid at the
    /// broker until it expires although this session has forgotten it.
    pub revoked_at_broker: bool,
}

/// Whether a session is logged in, as whom and until when
/// ([`Session::status`](crate::Session::status)). No token.
#[derive(Clone, Debug, Serialize)]
pub struct SessionStatus {
    /// The broker family.
    pub broker: &'static str,
    /// Whether the session holds tokens that have not expired.
    pub logged_in: bool,
    /// The broker's user id of the tokens held, expired or not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// When the access token expires, RFC 3339 UTC, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<String>,
    /// The session file, when the config names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session_file: Option<String>,
}

/// One broker family the library speaks ([`brokers`](crate::brokers)).
#[derive(Clone, Debug, Serialize)]
pub struct BrokerKind {
    /// The config's `"broker"` name.
    pub broker: &'static str,
    /// The logins its `broker_login` takes: `pin_totp`, `password_totp`,
    /// `oauth` (a browser login whose code or redirect address is passed
    /// on), `access_token` (a token the user already holds).
    pub logins: Vec<&'static str>,
    /// Its named presets (config key `preset`), if it has any.
    pub presets: Vec<&'static str>,
}

/// What `broker_login_url` returns.
#[derive(Clone, Debug, Serialize)]
pub struct LoginUrl {
    /// The address to open in a browser.
    pub url: String,
}

/// What `broker_session_import` returns.
#[derive(Clone, Debug, Serialize)]
pub struct Imported {
    /// The broker family.
    pub broker: &'static str,
    /// The broker's user id.
    pub user_id: String,
    /// When the access token expires, RFC 3339 UTC, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_expires_at: Option<String>,
}

/// The account holder's profile.
#[derive(Clone, Debug, Serialize)]
pub struct Profile {
    /// The broker family.
    pub broker: &'static str,
    /// The broker's user id.
    pub user_id: String,
    /// The account holder's name.
    pub name: String,
    /// E-mail address, `""` when the broker has none.
    pub email: String,
    /// Mobile number, `""` when the broker has none.
    pub mobile: String,
    /// Exchange segments the account may trade, as the broker names them.
    pub exchanges: Vec<String>,
    /// Product types the account may use, as the broker names them.
    pub products: Vec<String>,
    /// The broker's own payload, unchanged.
    pub raw: Value,
}

/// Funds and margins. Every amount is in rupees, exact to the paise.
#[derive(Clone, Debug, Serialize)]
pub struct Funds {
    /// The broker family.
    pub broker: &'static str,
    /// Cash available to trade with.
    pub available_cash: Money,
    /// Net funds: the broker's overall figure.
    pub net: Money,
    /// Margin used by open positions and orders.
    pub used_margin: Money,
    /// Collateral value (pledged holdings), after haircut.
    pub collateral: Money,
    /// Funds added today.
    pub payin: Money,
    /// Withdrawals requested today.
    pub payout: Money,
    /// Realised profit and loss today.
    pub m2m_realized: Money,
    /// Unrealised mark-to-market profit and loss.
    pub m2m_unrealized: Money,
    /// The broker's own payload, unchanged.
    pub raw: Value,
}
