//! Config and credential JSON -> typed, validated values, with errors that
//! name the key that is wrong and never repeat a value (it may be a secret).

mod keys;
mod policy;
mod transport;

pub(crate) use keys::Keys;
use policy::parse_policy;
pub(crate) use policy::{Policy, RateLimits};
use transport::parse_transport;
pub(crate) use transport::{TransportConfig, validate_base_url, validate_page_url, validate_url};

use crate::error::Result;
use crate::secret::Secret;
use crate::totp::TotpSecret;
use std::time::Duration;

/// Default total timeout of one call; also the connect timeout.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_millis(7000);
const MAX_TIMEOUT_MS: u64 = 600_000;

/// The `broker_new` settings every broker family shares. The family's own
/// keys are read by its constructor (`crate::brokers`), through the same
/// [`Keys`].
#[derive(Debug)]
pub(crate) struct Config {
    /// Total time one call may take, connect included.
    pub timeout: Duration,
    /// Overrides the broker's default REST base URL (no trailing `/`).
    pub base_url: Option<String>,
    /// How the session keeps itself alive.
    pub policy: Policy,
    /// TLS, proxy and logging settings.
    pub transport: TransportConfig,
    /// Where the session is shared with other processes (`session_file`).
    pub session_file: Option<String>,
}

/// What a user holds to log in, as `broker_login`'s credentials name it.
/// Each broker family accepts the kinds its login needs.
#[derive(Debug)]
pub enum Credentials {
    /// A PIN (Angel One's MPIN) and a TOTP.
    PinTotp {
        /// The PIN.
        pin: Secret,
        /// The TOTP code, or the secret to compute it from.
        totp: TotpInput,
    },
    /// An account password and a TOTP.
    PasswordTotp {
        /// The account password.
        password: Secret,
        /// The TOTP code, or the secret to compute it from.
        totp: TotpInput,
    },
    /// The one-time code from the broker's browser login, given as it is
    /// or taken from the address the browser landed on.
    AuthorizationCode {
        /// The code.
        code: Secret,
        /// The rest of that address's query (`state`, `status`, Flattrade's
        /// `client`), when the code came from a `redirect_url`.
        redirect: Option<Redirect>,
    },
    /// An access token the user already holds (one generated on the
    /// broker's web site, or a long-lived read-only token).
    AccessToken(Secret),
}

/// The query parameters of the address a browser login redirected to,
/// other than the code. A parameter that appears twice keeps its first
/// non-empty value.
pub struct Redirect {
    params: Vec<(String, String)>,
}

impl Redirect {
    /// The parameters, as the URL parser decoded them.
    pub(crate) fn new(params: Vec<(String, String)>) -> Redirect {
        Redirect { params }
    }

    /// The first non-empty value of the query parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(key, value)| key == name && !value.is_empty())
            .map(|(_, value)| value.as_str())
    }
}

impl std::fmt::Debug for Redirect {
    /// The parameter names only: a redirect's values are the user's business.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.params.iter().map(|(key, _)| key))
            .finish()
    }
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

/// Reads the settings every broker shares from a `broker_new` config,
/// leaving the family's own keys (and `"broker"`) for its constructor.
pub(crate) fn parse_shared(keys: &mut Keys) -> Result<Config> {
    let base_url = keys
        .optional_str("base_url")?
        .map(|u| validate_base_url(&u))
        .transpose()?;
    let timeout = keys
        .optional_u64("timeout_ms", 1, MAX_TIMEOUT_MS)?
        .map_or(DEFAULT_TIMEOUT, Duration::from_millis);
    Ok(Config {
        timeout,
        base_url,
        policy: parse_policy(keys)?,
        transport: parse_transport(keys)?,
        session_file: keys.optional_str("session_file")?,
    })
}

#[cfg(test)]
mod tests;
