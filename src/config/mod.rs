//! Config and credential JSON -> typed, validated values, with errors that
//! name the key that is wrong and never repeat a value (it may be a secret).

mod keys;
mod policy;
mod transport;

pub(crate) use keys::Keys;
use policy::parse_policy;
pub use policy::{Policy, RateLimits};
use transport::parse_transport;
pub use transport::{TransportConfig, validate_base_url, validate_url};

use crate::error::{Error, Result};
use crate::secret::Secret;
use crate::totp::TotpSecret;
use std::net::IpAddr;
use std::time::Duration;

/// Default total timeout of one call; also the connect timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(7000);
const MAX_TIMEOUT_MS: u64 = 600_000;

/// A validated `broker_new` config.
#[derive(Debug)]
pub struct Config {
    /// Which broker, and its settings.
    pub broker: BrokerConfig,
    /// Total time one call may take, connect included.
    pub timeout: Duration,
    /// Overrides the broker's default REST base URL (no trailing `/`).
    pub base_url: Option<String>,
    /// How the session keeps itself alive.
    pub policy: Policy,
    /// TLS, proxy and logging settings.
    pub transport: TransportConfig,
}

/// The settings of one broker family.
#[derive(Debug)]
pub enum BrokerConfig {
    /// Angel One SmartAPI.
    AngelOne(AngelOneConfig),
    /// A broker on the Noren OMS back office.
    Noren(NorenConfig),
}

/// How a Noren session logs in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NorenAuth {
    /// A code from the broker's browser login (GenAcsTok; Flattrade's apitoken).
    OAuth,
    /// Password and TOTP (QuickAuth).
    Password,
}

/// Noren OMS settings. Which keys a login needs depends on the preset and
/// `auth`; `brokers::noren` checks the combination and names what is missing.
#[derive(Debug)]
pub struct NorenConfig {
    /// The preset name: a known broker, or `"custom"`.
    pub preset: String,
    /// The login kind.
    pub auth: NorenAuth,
    /// Overrides the browser login address.
    pub oauth_url: Option<String>,
    /// Overrides the token service address (Flattrade).
    pub token_url: Option<String>,
    /// The OAuth app's client id.
    pub client_id: Option<String>,
    /// The OAuth app's secret (also Flattrade's API secret).
    pub secret: Option<Secret>,
    /// The broker user id.
    pub user_id: Option<String>,
    /// The trading account id; defaults to the user id.
    pub account_id: Option<String>,
    /// Flattrade's API key.
    pub api_key: Option<Secret>,
    /// QuickAuth vendor code.
    pub vendor_code: Option<String>,
    /// QuickAuth API secret (hashed into `appkey`).
    pub api_secret: Option<Secret>,
    /// QuickAuth device id.
    pub imei: Option<String>,
    /// Whether the broker has `/RefreshToken`; overrides the preset.
    pub supports_refresh: Option<bool>,
}

/// Angel One SmartAPI settings.
#[derive(Debug)]
pub struct AngelOneConfig {
    /// The SmartAPI app's API key (sent as `X-PrivateKey`).
    pub api_key: Secret,
    /// The account's client code.
    pub client_code: String,
    /// The device headers; unset ones are read from the machine.
    pub device: DeviceOverrides,
}

/// Caller-given values for the IP and MAC headers Angel One requires.
#[derive(Debug, Default, Clone)]
pub struct DeviceOverrides {
    /// The machine's LAN address.
    pub local_ip: Option<IpAddr>,
    /// The public (static, registered) address.
    pub public_ip: Option<IpAddr>,
    /// `aa:bb:cc:dd:ee:ff`.
    pub mac_address: Option<String>,
}

/// Validated `broker_login` credentials.
#[derive(Debug)]
pub enum Credentials {
    /// Angel One: MPIN and TOTP.
    AngelOne {
        /// The 4-digit MPIN.
        pin: Secret,
        /// The TOTP code, or the secret to compute it from.
        totp: TotpInput,
    },
    /// Noren OAuth (and Flattrade): the code from the browser login.
    NorenCode {
        /// The one-time authorization code.
        code: Secret,
        /// The user id the redirect carried (Flattrade's `client`), if any.
        user_id: Option<String>,
    },
    /// Noren password login (QuickAuth).
    NorenPassword {
        /// The account password (sent only as its SHA-256).
        password: Secret,
        /// The TOTP code, or the secret to compute it from.
        totp: TotpInput,
    },
}

/// A TOTP code given directly, or computed at login from a secret.
pub enum TotpInput {
    /// Six digits the user read off an authenticator app.
    Code(Secret),
    /// The base32 secret; the library computes the code when it logs in.
    Secret(TotpSecret),
}

impl std::fmt::Debug for TotpInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TotpInput::Code(_) => f.write_str("Code(***)"),
            TotpInput::Secret(_) => f.write_str("Secret(***)"),
        }
    }
}

impl TotpInput {
    /// The code to send now.
    pub fn code(&self) -> Secret {
        match self {
            TotpInput::Code(code) => code.clone(),
            TotpInput::Secret(secret) => Secret::new(secret.current_code().code.as_str()),
        }
    }
}

/// Parses and validates a `broker_new` config.
pub fn parse_config(json: &str) -> Result<Config> {
    let mut keys = Keys::parse(json, "config")?;
    let broker_name = keys.required_str("broker")?;
    let base_url = keys
        .optional_str("base_url")?
        .map(|u| validate_base_url(&u))
        .transpose()?;
    let timeout = keys
        .optional_u64("timeout_ms", 1, MAX_TIMEOUT_MS)?
        .map_or(DEFAULT_TIMEOUT, Duration::from_millis);
    let policy = parse_policy(&mut keys)?;
    let transport = parse_transport(&mut keys)?;
    let broker = match broker_name.as_str() {
        "angelone" => BrokerConfig::AngelOne(AngelOneConfig {
            api_key: Secret::new(keys.required_str("api_key")?),
            client_code: keys.required_str("client_code")?,
            device: DeviceOverrides {
                local_ip: keys.optional_ip("local_ip")?,
                public_ip: keys.optional_ip("public_ip")?,
                mac_address: keys.optional_mac("mac_address")?,
            },
        }),
        "noren" => BrokerConfig::Noren(parse_noren(&mut keys)?),
        _ => {
            return Err(Error::invalid_argument(
                "config key \"broker\" must be \"angelone\" or \"noren\"",
            ));
        }
    };
    keys.finish()?;
    Ok(Config {
        broker,
        timeout,
        base_url,
        policy,
        transport,
    })
}

fn parse_noren(keys: &mut Keys) -> Result<NorenConfig> {
    let auth = match keys.optional_str("auth")?.as_deref() {
        None | Some("oauth") => NorenAuth::OAuth,
        Some("password") => NorenAuth::Password,
        Some(_) => {
            return Err(Error::invalid_argument(
                "config key \"auth\" must be \"oauth\" or \"password\"",
            ));
        }
    };
    Ok(NorenConfig {
        preset: keys.required_str("preset")?,
        auth,
        oauth_url: keys.optional_url("oauth_url")?,
        token_url: keys.optional_url("token_url")?,
        client_id: keys.optional_str("client_id")?,
        secret: keys.optional_str("secret")?.map(Secret::new),
        user_id: keys.optional_str("user_id")?,
        account_id: keys.optional_str("account_id")?,
        api_key: keys.optional_str("api_key")?.map(Secret::new),
        vendor_code: keys.optional_str("vendor_code")?,
        api_secret: keys.optional_str("api_secret")?.map(Secret::new),
        imei: keys.optional_str("imei")?,
        supports_refresh: keys.optional_bool("supports_refresh")?,
    })
}

/// Parses and validates `broker_login` credentials for a broker.
pub fn parse_credentials(broker: &BrokerConfig, json: &str) -> Result<Credentials> {
    let mut keys = Keys::parse(json, "credentials")?;
    let credentials = match broker {
        BrokerConfig::AngelOne(_) => Credentials::AngelOne {
            pin: Secret::new(keys.required_str("pin")?),
            totp: keys.totp_input()?,
        },
        BrokerConfig::Noren(noren) if noren.auth == NorenAuth::Password => {
            Credentials::NorenPassword {
                password: Secret::new(keys.required_str("password")?),
                totp: keys.totp_input()?,
            }
        }
        BrokerConfig::Noren(_) => keys.authorization_code()?,
    };
    keys.finish()?;
    Ok(credentials)
}

#[cfg(test)]
mod tests;
