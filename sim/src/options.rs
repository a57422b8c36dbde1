//! How a simulator is set up: [`SimOptions`].

use std::time::Duration;

use crate::tls::{SimTls, TlsVersions};

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
    /// How long an access token stays valid: an Angel One jwtToken, a Noren session (Zebu's at
    /// most 3600 s, its documented lifetime). Default 8 hours.
    pub token_ttl: Duration,
    /// How long a refresh token stays valid: Angel One's refreshToken, Zebu's refresh_token.
    /// Default 24 hours.
    pub refresh_token_ttl: Duration,
    /// Whether a refresh revokes the tokens it replaced: Angel One's generateTokens the jwtToken
    /// and refreshToken, Zebu's RefreshToken the access token it handed out last. With `false`
    /// the old tokens stay valid until they expire. Whether the real brokers revoke is not
    /// documented (PROTOCOLS.md §1.3, §1.5: UNCONFIRMED), so clients must work either way.
    /// Default `true`; the command line's `--keep-tokens-on-refresh` sets `false`.
    pub revoke_on_refresh: bool,
    /// Whether the demo accounts ([`AngelAccount::demo`](crate::AngelAccount::demo) and
    /// [`NorenAccount::demo`](crate::NorenAccount::demo) of each preset) are registered at start.
    /// Default `true`.
    pub demo_accounts: bool,
    /// How long a Noren authorization code (OAuth `code`, Flattrade `request_code`) stays
    /// usable after the login page issued it. Default 120 seconds.
    pub noren_code_ttl: Duration,
    /// Serve HTTPS with a certificate of this kind, signed by a CA made at start (see
    /// [`Sim::ca_pem`](crate::Sim::ca_pem)); `None` serves plain HTTP. Default `None`.
    pub tls: Option<SimTls>,
    /// The TLS versions an HTTPS simulator accepts. Default TLS 1.2 and 1.3.
    pub tls_versions: TlsVersions,
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
            noren_code_ttl: Duration::from_secs(120),
            tls: None,
            tls_versions: TlsVersions::default(),
        }
    }
}
