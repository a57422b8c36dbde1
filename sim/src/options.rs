//! How a simulator is set up: [`SimOptions`].

use std::time::Duration;

/// Settings for [`Sim::start_with`](crate::Sim::start_with). Start from
/// [`SimOptions::default()`] and change what you need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimOptions {
    /// The address to listen on. Default `"127.0.0.1"`.
    pub host: String,
    /// The port to listen on; 0 picks a free port. Default 0.
    pub port: u16,
    /// Whether the brokers' rate limits are enforced. Default `true`.
    pub rate_limits: bool,
    /// How long an Angel One jwtToken stays valid. Default 8 hours.
    pub token_ttl: Duration,
    /// How long an Angel One refreshToken stays valid. Default 24 hours.
    pub refresh_token_ttl: Duration,
    /// Whether a successful generateTokens revokes the jwtToken and refreshToken it replaced
    /// (whether the real broker does is not documented). Default `true`.
    pub revoke_on_refresh: bool,
    /// Whether the demo accounts (such as [`AngelAccount::demo`](crate::AngelAccount::demo)) are
    /// registered at start. Default `true`.
    pub demo_accounts: bool,
}

impl Default for SimOptions {
    fn default() -> SimOptions {
        SimOptions {
            host: "127.0.0.1".to_owned(),
            port: 0,
            rate_limits: true,
            token_ttl: Duration::from_secs(8 * 3600),
            refresh_token_ttl: Duration::from_secs(24 * 3600),
            revoke_on_refresh: true,
            demo_accounts: true,
        }
    }
}
