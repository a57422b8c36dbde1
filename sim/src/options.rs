//! How a simulator is set up: [`SimOptions`].

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::{Duration, SystemTime};

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
    /// The IP addresses each API app accepts calls from (SEBI's static-IP rule,
    /// PROTOCOLS.md §8): app id (Angel One's api_key, a Noren client_id, Flattrade's api_key;
    /// `"*"` for every app) -> the addresses. An app with no entry accepts any address. A call
    /// from elsewhere is refused as the broker refuses it: Angel One `AG7002` on every call, Noren
    /// `INVALID_IP` at GenAcsTok, Flattrade a failed apitoken with an empty `emsg`. Default empty.
    pub allowed_ips: BTreeMap<String, Vec<IpAddr>>,
    /// How far the simulated brokers' clock is from this machine's, in seconds (positive: the
    /// broker is ahead). It moves the `Date` header of every reply and the moment TOTP codes
    /// are checked against, so a client whose clock is off can be played. Default 0.
    pub clock_offset_secs: i64,
    /// Whether Shoonya's QuickAuth still answers API users. Shoonya closed it on 2026-04-01
    /// (PROTOCOLS.md §2.3): with `false` it answers HTTP 502. Default `false`.
    pub shoonya_quickauth_open: bool,
    /// Whether Flattrade's apitoken answers success with `stat` (some replies) instead of the
    /// documented `status` with an empty `emsg` (PROTOCOLS.md §2.4). Default `false`.
    pub flattrade_says_stat: bool,
}

impl SimOptions {
    /// Whether `app` accepts a call from `peer` (see [`SimOptions::allowed_ips`]).
    pub(crate) fn ip_allowed(&self, app: &str, peer: Option<IpAddr>) -> bool {
        let Some(allowed) = self
            .allowed_ips
            .get(app)
            .or_else(|| self.allowed_ips.get("*"))
        else {
            return true;
        };
        peer.is_some_and(|peer| allowed.contains(&peer))
    }

    /// Now, on the simulated brokers' clock (see [`SimOptions::clock_offset_secs`]).
    pub(crate) fn now(&self) -> SystemTime {
        let offset = Duration::from_secs(self.clock_offset_secs.unsigned_abs());
        let now = SystemTime::now();
        if self.clock_offset_secs >= 0 {
            now + offset
        } else {
            now - offset
        }
    }
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
            allowed_ips: BTreeMap::new(),
            clock_offset_secs: 0,
            shoonya_quickauth_open: false,
            flattrade_says_stat: false,
        }
    }
}
