//! Config and credential JSON -> typed, validated values, with errors that
//! name the key that is wrong and never repeat a value (it may be a secret).

mod keys;

pub(crate) use keys::Keys;

use crate::error::{Error, Result};
use crate::log::Level;
use crate::pacing::{Operation, RateLimit};
use crate::secret::Secret;
use crate::totp::TotpSecret;
use reqwest::Url;
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

/// How the session reaches the broker and what it records.
#[derive(Debug, Default)]
pub struct TransportConfig {
    /// Extra trusted CA certificates, PEM (`ca_file` and `ca_pem`).
    pub extra_ca_pem: Vec<u8>,
    /// An http(s) proxy URL, possibly with credentials (so a secret).
    pub proxy: Option<Secret>,
    /// How much to log; `None` is off.
    pub log_level: Option<Level>,
    /// A file to append log lines to.
    pub log_file: Option<String>,
}

/// How a session refreshes, retries and paces itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Refresh before expiry and after a `SESSION_EXPIRED` reply.
    pub auto_refresh: bool,
    /// Retries of a failed read (profile, funds).
    pub max_retries: u32,
    /// Client-side pacing.
    pub rate_limits: RateLimits,
    /// When the broker ends sessions, minutes after midnight IST: the expiry
    /// assumed when the broker does not say.
    pub day_end_ist_minutes: u32,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            auto_refresh: true,
            max_retries: 2,
            rate_limits: RateLimits::default(),
            day_end_ist_minutes: 0,
        }
    }
}

/// The `rate_limits` config: the broker's published limits with overrides,
/// or no pacing at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum RateLimits {
    /// The broker's published limits.
    #[default]
    BrokerDefaults,
    /// The broker's limits, with these operations overridden.
    Overrides(Vec<(Operation, RateLimit)>),
    /// No client-side pacing.
    Off,
}

impl RateLimits {
    /// The limit for an operation, given the broker's default.
    pub fn limit(&self, op: Operation, broker_default: RateLimit) -> RateLimit {
        match self {
            RateLimits::Off => RateLimit::NONE,
            RateLimits::BrokerDefaults => broker_default,
            RateLimits::Overrides(list) => list
                .iter()
                .find(|(o, _)| *o == op)
                .map_or(broker_default, |(_, limit)| *limit),
        }
    }
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

fn parse_policy(keys: &mut Keys) -> Result<Policy> {
    let defaults = Policy::default();
    Ok(Policy {
        auto_refresh: keys
            .optional_bool("auto_refresh")?
            .unwrap_or(defaults.auto_refresh),
        max_retries: keys
            .optional_u64("max_retries", 0, 10)?
            .map_or(defaults.max_retries, |n| n as u32),
        rate_limits: keys.rate_limits("rate_limits")?,
        day_end_ist_minutes: keys
            .optional_clock("day_end_ist")?
            .unwrap_or(defaults.day_end_ist_minutes),
    })
}

fn parse_transport(keys: &mut Keys) -> Result<TransportConfig> {
    let mut extra_ca_pem = Vec::new();
    if let Some(path) = keys.optional_str("ca_file")? {
        extra_ca_pem.extend(read_ca_file(&path)?);
        extra_ca_pem.push(b'\n');
    }
    if let Some(pem) = keys.optional_str("ca_pem")? {
        extra_ca_pem.extend(pem.into_bytes());
    }
    let log_level = match keys.optional_str("log_level")?.as_deref() {
        None => Some(Level::Info),
        Some("off") => None,
        Some(name) => Some(Level::from_name(name).ok_or_else(|| {
            Error::invalid_argument("config key \"log_level\" must be \"off\", \"error\", \"warn\", \"info\" or \"debug\"")
        })?),
    };
    Ok(TransportConfig {
        extra_ca_pem,
        proxy: keys
            .optional_str("proxy")?
            .map(|p| validate_proxy(&p))
            .transpose()?,
        log_level,
        log_file: keys.optional_str("log_file")?,
    })
}

/// Largest `ca_file` read: a bundle of every public CA is about 250 KB.
const MAX_CA_FILE_BYTES: u64 = 4 << 20;

/// Reads `ca_file`: a regular file of at most [`MAX_CA_FILE_BYTES`], so a
/// device (`/dev/zero`), a FIFO or a huge file cannot hang the caller or
/// exhaust its memory.
fn read_ca_file(path: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let cannot = |why: &dyn std::fmt::Display| {
        Error::invalid_argument(format!("config key \"ca_file\" cannot be read: {why}"))
    };
    let metadata = std::fs::metadata(path).map_err(|e| cannot(&e))?;
    if !metadata.is_file() {
        return Err(cannot(&"it is not a regular file"));
    }
    let mut pem = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_CA_FILE_BYTES + 1).read_to_end(&mut pem))
        .map_err(|e| cannot(&e))?;
    if pem.len() as u64 > MAX_CA_FILE_BYTES {
        return Err(cannot(&"it is larger than 4 MiB"));
    }
    Ok(pem)
}

/// An http:// or https:// proxy URL (credentials allowed, never echoed).
fn validate_proxy(text: &str) -> Result<Secret> {
    let url = Url::parse(text)
        .map_err(|_| Error::invalid_argument("config key \"proxy\" is not a valid URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::invalid_argument(
            "config key \"proxy\" must be an http:// or https:// URL, like http://user:password@proxy:3128",
        ));
    }
    Ok(Secret::new(text))
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

/// Checks a base URL: http(s), no query or fragment, and plain http only
/// for loopback hosts. Returns it without a trailing `/`.
pub fn validate_base_url(text: &str) -> Result<String> {
    Ok(validate_url("base_url", text)?
        .trim_end_matches('/')
        .to_string())
}

/// Checks the URL in config key `key` by the rules of [`validate_base_url`],
/// and returns it unchanged (a login page's trailing `/` matters).
pub fn validate_url(key: &str, text: &str) -> Result<String> {
    let bad = |why: &str| Error::invalid_argument(format!("config key \"{key}\" {why}"));
    let url = Url::parse(text).map_err(|_| bad("is not a valid URL"))?;
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(bad("must not carry a query, a fragment or credentials"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback_host(&url) => {}
        "http" => {
            return Err(bad(
                "must use https://: plain http:// is allowed only for loopback hosts (127.0.0.1, ::1, localhost)",
            ));
        }
        _ => return Err(bad("must be an https:// URL")),
    }
    Ok(text.to_string())
}

fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANGEL: &str = r#"{"broker":"angelone","api_key":"k","client_code":"C1"}"#;

    #[test]
    fn minimal_angel_config_gets_defaults() {
        let c = parse_config(ANGEL).unwrap();
        assert_eq!(c.timeout, DEFAULT_TIMEOUT);
        assert!(c.base_url.is_none());
        let BrokerConfig::AngelOne(a) = c.broker else {
            panic!("an Angel One config")
        };
        assert_eq!(a.client_code, "C1");
        assert!(a.device.local_ip.is_none());
    }

    #[test]
    fn unknown_key_is_named() {
        let err =
            parse_config(r#"{"broker":"angelone","api_key":"k","client_code":"C","apikey":"x"}"#)
                .unwrap_err();
        assert_eq!(err.message, "unknown config key \"apikey\"");
    }

    #[test]
    fn missing_and_mistyped_keys_are_named_without_values() {
        let err = parse_config(r#"{"broker":"angelone","client_code":"C"}"#).unwrap_err();
        assert_eq!(err.message, "config key \"api_key\" is missing");
        let err =
            parse_config(r#"{"broker":"angelone","api_key":98765,"client_code":"C"}"#).unwrap_err();
        assert!(err.message.contains("\"api_key\" must be a string"));
        assert!(!err.message.contains("98765"));
    }

    #[test]
    fn timeout_is_range_checked() {
        let with = |t: &str| {
            parse_config(&format!(
                r#"{{"broker":"angelone","api_key":"k","client_code":"C","timeout_ms":{t}}}"#
            ))
        };
        assert_eq!(with("250").unwrap().timeout, Duration::from_millis(250));
        for bad in ["0", "-5", "1.5", "\"7000\"", "600001"] {
            assert!(
                with(bad).unwrap_err().message.contains("timeout_ms"),
                "{bad}"
            );
        }
    }

    #[test]
    fn base_url_rules() {
        assert_eq!(
            validate_base_url("https://a.example/x/").unwrap(),
            "https://a.example/x"
        );
        assert!(validate_base_url("http://127.0.0.1:9/").is_ok());
        assert!(validate_base_url("http://[::1]:9").is_ok());
        assert!(validate_base_url("http://localhost:9").is_ok());
        let err = validate_base_url("http://apiconnect.angelone.in").unwrap_err();
        assert!(err.message.contains("loopback"));
        assert!(validate_base_url("ftp://127.0.0.1").is_err());
        assert!(validate_base_url("https://a.example/?q=1").is_err());
        assert!(validate_base_url("not a url").is_err());
    }

    #[test]
    fn device_overrides_are_validated() {
        let base = r#""broker":"angelone","api_key":"k","client_code":"C""#;
        let c = parse_config(&format!(
            r#"{{{base},"local_ip":"10.0.0.5","mac_address":"AA-BB-CC-DD-EE-0F"}}"#
        ))
        .unwrap();
        let BrokerConfig::AngelOne(a) = c.broker else {
            panic!("an Angel One config")
        };
        assert_eq!(a.device.mac_address.as_deref(), Some("aa:bb:cc:dd:ee:0f"));
        assert!(parse_config(&format!(r#"{{{base},"local_ip":"10.0.0"}}"#)).is_err());
        assert!(parse_config(&format!(r#"{{{base},"mac_address":"aa:bb"}}"#)).is_err());
    }

    #[test]
    fn credentials_need_exactly_one_totp_form() {
        let c = parse_config(ANGEL).unwrap().broker;
        assert!(parse_credentials(&c, r#"{"pin":"1234","totp":"123456"}"#).is_ok());
        assert!(
            parse_credentials(&c, r#"{"pin":"1234","totp_secret":"JBSWY3DPEHPK3PXP"}"#).is_ok()
        );
        let both = r#"{"pin":"1234","totp":"123456","totp_secret":"JBSWY3DPEHPK3PXP"}"#;
        assert!(
            parse_credentials(&c, both)
                .unwrap_err()
                .message
                .contains("not both")
        );
        assert!(parse_credentials(&c, r#"{"pin":"1234"}"#).is_err());
        let short = parse_credentials(&c, r#"{"pin":"1234","totp":"12345"}"#).unwrap_err();
        assert!(short.message.contains("six digits") && !short.message.contains("12345"));
        assert!(
            parse_credentials(&c, r#"{"totp":"123456"}"#)
                .unwrap_err()
                .message
                .contains("pin")
        );
    }

    #[test]
    fn ca_file_must_be_a_regular_file() {
        // /dev/zero would be read forever, a FIFO would block at open.
        for path in ["/dev/zero", "/dev/stdin", "/"] {
            let json = format!(
                r#"{{"broker":"angelone","api_key":"k","client_code":"C","ca_file":"{path}"}}"#
            );
            let err = parse_config(&json).unwrap_err();
            assert_eq!(err.status, crate::error::Status::InvalidArgument, "{path}");
            assert!(
                err.message.contains("\"ca_file\""),
                "{path}: {}",
                err.message
            );
        }
    }

    #[test]
    fn non_objects_and_bad_json_are_invalid_arguments() {
        for bad in ["", "[]", "null", "{", "\"x\""] {
            let err = parse_config(bad).unwrap_err();
            assert_eq!(err.status, crate::error::Status::InvalidArgument, "{bad}");
        }
    }

    const NOREN: &str = r#"{"broker":"noren","preset":"zebu","client_id":"c","secret":"s"}"#;

    #[test]
    fn noren_config_defaults_to_oauth() {
        let BrokerConfig::Noren(n) = parse_config(NOREN).unwrap().broker else {
            panic!("a Noren config")
        };
        assert_eq!((n.preset.as_str(), n.auth), ("zebu", NorenAuth::OAuth));
        assert!(n.supports_refresh.is_none());
        let err = parse_config(r#"{"broker":"noren","preset":"zebu","auth":"sso"}"#).unwrap_err();
        assert!(err.message.contains("\"auth\""));
        let err = parse_config(r#"{"broker":"noren","preset":"zebu","supports_refresh":"yes"}"#)
            .unwrap_err();
        assert!(err.message.contains("true or false"));
        let err = parse_config(
            r#"{"broker":"noren","preset":"zebu","oauth_url":"http://example.com/x"}"#,
        )
        .unwrap_err();
        assert!(err.message.contains("\"oauth_url\""));
    }

    #[test]
    fn noren_code_from_code_or_redirect_url() {
        let c = parse_config(NOREN).unwrap().broker;
        let code = |json: &str| match parse_credentials(&c, json) {
            Ok(Credentials::NorenCode { code, user_id }) => {
                Ok((code.expose().to_string(), user_id))
            }
            Ok(other) => panic!("{other:?}"),
            Err(e) => Err(e.message),
        };
        assert_eq!(code(r#"{"code":"abc"}"#).unwrap(), ("abc".into(), None));
        assert_eq!(
            code(r#"{"redirect_url":"https://app.example/cb?code=x%2By&client=FT1"}"#).unwrap(),
            ("x+y".into(), Some("FT1".into()))
        );
        assert!(
            code(r#"{"redirect_url":"https://app.example/cb?state=1"}"#)
                .unwrap_err()
                .contains("no \"code\"")
        );
        assert!(
            code(r#"{"redirect_url":"nope"}"#)
                .unwrap_err()
                .contains("not a valid URL")
        );
        assert!(
            code(r#"{"code":"a","redirect_url":"https://x/?code=b"}"#)
                .unwrap_err()
                .contains("not both")
        );
        assert!(code("{}").unwrap_err().contains("missing"));
    }

    #[test]
    fn noren_password_credentials() {
        let c = parse_config(r#"{"broker":"noren","preset":"shoonya","auth":"password"}"#)
            .unwrap()
            .broker;
        assert!(matches!(
            parse_credentials(&c, r#"{"password":"p","totp":"123456"}"#),
            Ok(Credentials::NorenPassword { .. })
        ));
        assert!(parse_credentials(&c, r#"{"code":"x"}"#).is_err());
    }
}
