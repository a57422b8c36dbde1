//! The JSON line the CLI prints at start, so that a script or a demo can find the simulator's
//! URLs and the accounts to log in with.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::angel::AngelAccount;
use crate::dhan::DhanAccount;
use crate::fyers::FyersAccount;
use crate::noren::NorenAccount;
use crate::upstox::UpstoxAccount;
use crate::zerodha::ZerodhaAccount;

/// The CLI's startup line (field order is the output order).
#[derive(Serialize)]
struct StartupLine<'a> {
    brokersim: &'static str,
    base_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    ca_file: Option<&'a str>,
    angelone: AngelStartup<'a>,
    noren: NorenStartup<'a>,
    zerodha: ZerodhaStartup<'a>,
    upstox: UpstoxStartup<'a>,
    fyers: FyersStartup<'a>,
    dhan: DhanStartup<'a>,
}

/// The Angel One part of the startup line.
#[derive(Serialize)]
struct AngelStartup<'a> {
    base_url: &'a str,
    accounts: Vec<AngelCredentials<'a>>,
}

/// What a client needs to log in to one Angel One account.
#[derive(Serialize)]
struct AngelCredentials<'a> {
    api_key: &'a str,
    client_code: &'a str,
    pin: &'a str,
    totp_secret: &'a str,
}

/// The Noren part of the startup line: one entry per preset, in the given order.
struct NorenStartup<'a>(&'a [NorenPresetLine]);

impl Serialize for NorenStartup<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for preset in self.0 {
            map.serialize_entry(preset.name, &NorenPresetStartup::from(preset))?;
        }
        map.end()
    }
}

/// One Noren preset's URLs and accounts, as [`Sim::startup_line`](crate::Sim::startup_line)
/// lists them.
pub(crate) struct NorenPresetLine {
    /// The preset's name, the key in the line.
    pub(crate) name: &'static str,
    /// The main REST base URL.
    pub(crate) base_url: String,
    /// The legacy (QuickAuth) base URL, Shoonya only.
    pub(crate) legacy_base_url: Option<String>,
    /// The browser login page's URL, without query.
    pub(crate) oauth_url: String,
    /// The token service URL, Flattrade only.
    pub(crate) token_url: Option<String>,
    /// The registered accounts.
    pub(crate) accounts: Vec<NorenAccount>,
}

/// The serialized form of a [`NorenPresetLine`] (field order is the output order).
#[derive(Serialize)]
struct NorenPresetStartup<'a> {
    base_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    legacy_base_url: Option<&'a str>,
    oauth_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_url: Option<&'a str>,
    accounts: Vec<NorenCredentials<'a>>,
}

impl<'a> From<&'a NorenPresetLine> for NorenPresetStartup<'a> {
    fn from(line: &'a NorenPresetLine) -> NorenPresetStartup<'a> {
        NorenPresetStartup {
            base_url: &line.base_url,
            legacy_base_url: line.legacy_base_url.as_deref(),
            oauth_url: &line.oauth_url,
            token_url: line.token_url.as_deref(),
            accounts: line
                .accounts
                .iter()
                .map(|a| NorenCredentials {
                    user_id: &a.user_id,
                    client_id: &a.client_id,
                    secret: &a.secret,
                    password: &a.password,
                    totp_secret: &a.totp_secret,
                    vendor_code: &a.vendor_code,
                    api_secret: &a.api_secret,
                    api_key: &a.api_key,
                })
                .collect(),
        }
    }
}

/// What a client needs to log in to one Noren account.
#[derive(Serialize)]
struct NorenCredentials<'a> {
    user_id: &'a str,
    client_id: &'a str,
    secret: &'a str,
    password: &'a str,
    totp_secret: &'a str,
    vendor_code: &'a str,
    api_secret: &'a str,
    api_key: &'a str,
}

/// Zerodha's URLs and accounts, as [`Sim::startup_line`](crate::Sim::startup_line) lists them.
pub(crate) struct ZerodhaLine {
    /// The REST base URL (the SDK's root).
    pub(crate) base_url: String,
    /// The browser login page's URL, without query.
    pub(crate) login_url: String,
    /// The registered accounts.
    pub(crate) accounts: Vec<ZerodhaAccount>,
}

/// The serialized form of a [`ZerodhaLine`] (field order is the output order).
#[derive(Serialize)]
struct ZerodhaStartup<'a> {
    base_url: &'a str,
    login_url: &'a str,
    accounts: Vec<ZerodhaCredentials<'a>>,
}

/// What a client needs to log in to one Zerodha account.
#[derive(Serialize)]
struct ZerodhaCredentials<'a> {
    api_key: &'a str,
    api_secret: &'a str,
    user_id: &'a str,
}

/// The Fyers part of the startup line: the REST base, the login page and the accounts.
#[derive(Serialize)]
pub(crate) struct FyersStartup<'a> {
    /// The REST base URL (`…/fyers/api/v3`).
    pub(crate) base_url: &'a str,
    /// The browser login page (`…/fyers/api/v3/generate-authcode`), without query.
    pub(crate) login_url: &'a str,
    /// What a client needs to log in to each account.
    pub(crate) accounts: Vec<FyersCredentials<'a>>,
}

/// What a client needs to log in to one Fyers account.
#[derive(Serialize)]
pub(crate) struct FyersCredentials<'a> {
    app_id: &'a str,
    app_secret: &'a str,
    redirect_uri: &'a str,
    fy_id: &'a str,
    pin: &'a str,
}

impl<'a> From<&'a FyersAccount> for FyersCredentials<'a> {
    fn from(account: &'a FyersAccount) -> FyersCredentials<'a> {
        FyersCredentials {
            app_id: &account.app_id,
            app_secret: &account.app_secret,
            redirect_uri: &account.redirect_uri,
            fy_id: &account.fy_id,
            pin: &account.pin,
        }
    }
}

/// The startup line: the simulator's version, base URL, CA file (HTTPS only) and, per broker
/// family, its base URL and accounts. Broker families are keys (`"angelone"`, `"noren"`), so more
/// can be added.
#[allow(clippy::too_many_arguments)] // one per broker family, each its own type
pub(crate) fn startup_line(
    base_url: &str,
    ca_file: Option<&str>,
    angel_base_url: &str,
    angel_accounts: &[AngelAccount],
    noren: &[NorenPresetLine],
    zerodha: &ZerodhaLine,
    upstox: &UpstoxLine,
    fyers: FyersStartup<'_>,
    dhan: &DhanLine,
) -> String {
    let line = StartupLine {
        brokersim: env!("CARGO_PKG_VERSION"),
        base_url,
        ca_file,
        angelone: AngelStartup {
            base_url: angel_base_url,
            accounts: angel_accounts
                .iter()
                .map(|a| AngelCredentials {
                    api_key: &a.api_key,
                    client_code: &a.client_code,
                    pin: &a.pin,
                    totp_secret: &a.totp_secret,
                })
                .collect(),
        },
        noren: NorenStartup(noren),
        zerodha: ZerodhaStartup {
            base_url: &zerodha.base_url,
            login_url: &zerodha.login_url,
            accounts: zerodha
                .accounts
                .iter()
                .map(|a| ZerodhaCredentials {
                    api_key: &a.api_key,
                    api_secret: &a.api_secret,
                    user_id: &a.user_id,
                })
                .collect(),
        },
        upstox: UpstoxStartup {
            base_url: &upstox.base_url,
            oauth_url: &upstox.oauth_url,
            accounts: upstox
                .accounts
                .iter()
                .map(|a| UpstoxCredentials {
                    user_id: &a.user_id,
                    api_key: &a.api_key,
                    api_secret: &a.api_secret,
                    redirect_uri: &a.redirect_uri,
                })
                .collect(),
        },
        fyers,
        dhan: DhanStartup {
            base_url: &dhan.base_url,
            auth_url: &dhan.auth_url,
            accounts: dhan
                .accounts
                .iter()
                .map(|a| DhanCredentials {
                    client_id: &a.client_id,
                    pin: &a.pin,
                    totp_secret: &a.totp_secret,
                    app_id: &a.app_id,
                    app_secret: &a.app_secret,
                    redirect_url: &a.redirect_url,
                })
                .collect(),
        },
    };
    // Serializing structs of strings cannot fail.
    serde_json::to_string(&line).unwrap_or_default()
}

/// Upstox's URLs and accounts, as [`Sim::startup_line`](crate::Sim::startup_line) lists them.
pub(crate) struct UpstoxLine {
    /// The REST base URL.
    pub(crate) base_url: String,
    /// The authorization dialog's URL, without query.
    pub(crate) oauth_url: String,
    /// The registered accounts.
    pub(crate) accounts: Vec<UpstoxAccount>,
}

/// The Upstox part of the startup line.
#[derive(Serialize)]
struct UpstoxStartup<'a> {
    base_url: &'a str,
    oauth_url: &'a str,
    accounts: Vec<UpstoxCredentials<'a>>,
}

/// What a client needs to log in to one Upstox account.
#[derive(Serialize)]
struct UpstoxCredentials<'a> {
    user_id: &'a str,
    api_key: &'a str,
    api_secret: &'a str,
    redirect_uri: &'a str,
}

/// Dhan's URLs and accounts, as [`Sim::startup_line`](crate::Sim::startup_line) lists them.
pub(crate) struct DhanLine {
    /// The REST base URL (`…/dhan/v2`).
    pub(crate) base_url: String,
    /// The auth host's URL (`…/dhan/auth`).
    pub(crate) auth_url: String,
    /// The registered accounts.
    pub(crate) accounts: Vec<DhanAccount>,
}

/// The Dhan part of the startup line.
#[derive(Serialize)]
struct DhanStartup<'a> {
    base_url: &'a str,
    auth_url: &'a str,
    accounts: Vec<DhanCredentials<'a>>,
}

/// What a client needs to log in to one Dhan account.
#[derive(Serialize)]
struct DhanCredentials<'a> {
    client_id: &'a str,
    pin: &'a str,
    totp_secret: &'a str,
    app_id: &'a str,
    app_secret: &'a str,
    redirect_url: &'a str,
}
