//! `brokersim`: an offline simulator of Indian brokers' REST APIs.
//!
//! It serves the Angel One SmartAPI endpoints, the Noren OMS family's (Kambala, Shoonya, Zebu,
//! Tradesmart, Flattrade) and Zerodha Kite Connect's over plain HTTP on a local port (or HTTPS, see [`SimOptions::tls`]), checking requests the way the brokers
//! do (headers, MPIN, TOTP, OAuth codes and checksums, tokens, rate limits) and answering in the
//! brokers' shapes. It is used in-process by `brokerlink`'s tests, as the `brokersim` binary by
//! its demo, and by anyone developing against these brokers offline.
//!
//! ```no_run
//! use brokersim::{Fault, FaultTimes, Sim};
//!
//! let sim = Sim::start()?; // a free port on 127.0.0.1, with the demo account
//! let base_url = sim.angel_base_url(); // "http://127.0.0.1:PORT"
//! // Make the next getRMS answer with the broker's rate-limit text.
//! sim.inject(
//!     "/rest/secure/angelbroking/user/v1/getRMS",
//!     Fault::RateLimitText,
//!     FaultTimes::Next(1),
//! );
//! // ... point a client at `base_url`, then inspect what it sent:
//! for request in sim.requests() {
//!     println!("{} {} -> {}", request.method, request.path, request.status);
//! }
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! The demo accounts are registered unless [`SimOptions::demo_accounts`] is off: Angel One's
//! ([`AngelAccount::demo`]: API key `demo-api-key`, client code `D12345`, MPIN `1234`, TOTP
//! secret `JBSWY3DPEHPK3PXP`) and one per Noren preset ([`NorenAccount::demo`], e.g. user
//! `NKAM01` with client id `kambala-client` and secret `kambala-secret` at Kambala), and Zerodha's
//! ([`ZerodhaAccount::demo`]: api_key `zerodha-api-key`, api_secret `zerodha-api-secret`, user
//! `ZD1234`). Kite's paths are served at the root, as on api.kite.trade
//! ([`Sim::zerodha_base_url`]), its login page at [`Sim::zerodha_login_url`].
//!
//! Dhan ([`DhanAccount::demo`]: client id `1000000001`, PIN `123456`) lives under `/dhan/`: its
//! REST API at [`Sim::dhan_base_url`], its auth host at [`Sim::dhan_auth_url`].
//!
//! Noren presets live under `/noren/<preset>/`: [`Sim::noren_base_url`] gives a preset's REST
//! base, [`Sim::noren_oauth_url`] its browser login page (which redirects at once with a fresh
//! code; [`Sim::noren_authorize`] mints one without HTTP).
//!
//! Upstox lives under `/upstox/`: [`Sim::upstox_base_url`] is its REST base, [`Sim::upstox_oauth_url`]
//! its authorization dialog (which redirects at once with a fresh code and the `state` it was
//! given; [`Sim::upstox_authorize`] mints one without HTTP), and [`UpstoxAccount::demo`] its demo
//! account (user `UP1234`, API key `upstox-api-key`, API secret `upstox-api-secret`).
//! Fyers API v3 lives under `/fyers/api/v3` ([`Sim::fyers_base_url`]); its login page
//! ([`Sim::fyers_login_url`]) redirects at once with a fresh single-use auth code
//! ([`Sim::fyers_authorize`] mints one without HTTP), and its demo account is
//! [`FyersAccount::demo`].
//!
//! Faults ([`Fault`]) are carried out at the socket level (resets, hangs, endless bodies), since
//! the server is a small HTTP/1.1 implementation on `std::net`. The simulator stops when the
//! [`Sim`] is dropped.
//!
//! With [`SimOptions::tls`] the simulator serves HTTPS (TLS 1.2 and 1.3, rustls with ring) with a
//! server certificate signed by a throwaway CA made at start; [`Sim::ca_pem`] and
//! [`Sim::ca_file`] give that CA to the client. [`SimTls`] also makes certificates a verifying
//! client must refuse (wrong host, expired).

#![warn(missing_docs)]
#![deny(unreachable_pub, dead_code)]

mod angel;
mod browse;
mod connection;
mod dhan;
mod fault;
mod fyers;
mod http;
mod jwt;
mod locked;
mod log;
mod noren;
mod options;
mod random;
mod rate_limit;
mod respond;
mod routes;
mod server;
mod startup;
mod state;
mod time;
mod tls;
mod totp;
mod upstox;
mod web;
mod zerodha;

use std::fmt;
use std::io;
use std::path::PathBuf;
use std::sync::Arc;

pub use angel::AngelAccount;
pub use browse::browse;
pub use dhan::DhanAccount;
pub use fault::{Fault, FaultTimes};
pub use fyers::{FyersAccount, FyersLimits};
pub use log::LoggedRequest;
pub use noren::{NorenAccount, PasswordState};
pub use options::SimOptions;
pub use tls::{SimTls, TlsVersions};
pub use upstox::UpstoxAccount;
pub use zerodha::ZerodhaAccount;

use server::Server;
use state::Shared;
use tls::TlsSetup;

/// A running simulator. Dropping it stops the server; connections still open are closed within
/// a fraction of a second.
pub struct Sim {
    shared: Arc<Shared>,
    server: Server,
    /// The CA and server settings when serving HTTPS. Dropped after the server stops.
    tls: Option<TlsSetup>,
}

impl Sim {
    /// Starts a simulator with [`SimOptions::default()`]: a free port on 127.0.0.1, rate limits
    /// on, the demo accounts registered.
    ///
    /// # Errors
    ///
    /// When the address cannot be bound or the acceptor thread cannot be spawned.
    pub fn start() -> io::Result<Sim> {
        Sim::start_with(SimOptions::default())
    }

    /// Starts a simulator with the given options.
    ///
    /// # Errors
    ///
    /// When `options.host` and `options.port` cannot be bound (the port is taken, the host is not
    /// a local address), the acceptor thread cannot be spawned, or, with [`SimOptions::tls`], the
    /// certificates cannot be made or the CA's file cannot be written to the temporary directory.
    pub fn start_with(options: SimOptions) -> io::Result<Sim> {
        let demo_accounts = options.demo_accounts;
        let tls = options
            .tls
            .as_ref()
            .map(|kind| TlsSetup::generate(kind, options.tls_versions))
            .transpose()?;
        let shared = Arc::new(Shared::new(options));
        if demo_accounts {
            angel::add_account(&shared.angel, AngelAccount::demo());
        }
        let tls_config = tls.as_ref().map(|tls| Arc::clone(&tls.config));
        let server = Server::start(Arc::clone(&shared), tls_config)?;
        let sim = Sim {
            shared,
            server,
            tls,
        };
        if demo_accounts {
            // Registered once the port is known: their redirect URL is the sim's callback page.
            for preset in noren::Preset::ALL {
                sim.add_noren_account(NorenAccount::demo(preset.name()));
            }
            sim.add_zerodha_account(ZerodhaAccount::demo());
            sim.add_upstox_account(UpstoxAccount::demo());
            sim.add_fyers_account(FyersAccount::demo());
            sim.add_dhan_account(DhanAccount::demo());
        }
        Ok(sim)
    }

    /// The simulator's base URL, `http://127.0.0.1:PORT`, or `https://127.0.0.1:PORT` with
    /// [`SimOptions::tls`] (no trailing slash). Every other URL of the simulator starts with it.
    #[must_use]
    pub fn base_url(&self) -> String {
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        format!("{scheme}://{}", self.server.connect_addr())
    }

    /// The PEM certificate of the CA that signed this HTTPS simulator's server certificate: a
    /// client that trusts it accepts the simulator (unless the certificate is meant to be
    /// refused, see [`SimTls`]). `None` for plain HTTP. The CA is made fresh at each start and its
    /// private key is never stored.
    #[must_use]
    pub fn ca_pem(&self) -> Option<String> {
        self.tls.as_ref().map(|tls| tls.ca_pem.clone())
    }

    /// The path of a temporary file holding [`Sim::ca_pem`], for clients that take a CA file.
    /// It is created at start and removed when the simulator is dropped. `None` for plain HTTP.
    #[must_use]
    pub fn ca_file(&self) -> Option<PathBuf> {
        self.tls.as_ref().map(|tls| tls.ca_file().to_path_buf())
    }

    /// The Angel One base URL. Angel One's paths are absolute (`/rest/...`), so this equals
    /// [`Sim::base_url`].
    #[must_use]
    pub fn angel_base_url(&self) -> String {
        self.base_url()
    }

    /// Registers an Angel One account, replacing any account with the same client code.
    pub fn add_angel_account(&self, account: AngelAccount) {
        angel::add_account(&self.shared.angel, account);
    }

    /// Replaces the data getRMS returns for `client_code` (ignored for an unknown client).
    pub fn set_angel_rms(&self, client_code: &str, rms: serde_json::Value) {
        angel::set_rms(&self.shared.angel, client_code, rms);
    }

    /// Makes every jwtToken of `client_code` expire now (`AG8002` from then on). Refresh tokens
    /// stay valid, so generateTokens with an expired jwt still works.
    pub fn expire_angel_sessions(&self, client_code: &str) {
        angel::expire_sessions(&self.shared.angel, client_code);
    }

    /// Makes every refreshToken of `client_code` expire now (`AB8051` from then on).
    pub fn expire_angel_refresh_tokens(&self, client_code: &str) {
        angel::expire_refresh_tokens(&self.shared.angel, client_code);
    }

    /// The REST base URL of a Noren preset (`"kambala"`, `"shoonya"`, `"zebu"`,
    /// `"tradesmart"`, `"flattrade"`), without trailing slash, e.g.
    /// `http://127.0.0.1:PORT/noren/kambala/NorenWClientAPI` (Shoonya: its OAuth base;
    /// Tradesmart: `.../NorenWClientAPIv2`; Flattrade: `.../noren/flattrade/PiConnectAPI`).
    ///
    /// # Panics
    ///
    /// When `preset` is not one of the five preset names.
    #[must_use]
    pub fn noren_base_url(&self, preset: &str) -> String {
        let preset = noren::known_preset(preset);
        format!("{}{}", self.base_url(), noren::base_path(preset))
    }

    /// The legacy (QuickAuth, jKey) REST base URL of a Noren preset, without trailing slash:
    /// Shoonya's `http://127.0.0.1:PORT/noren/shoonya/NorenWClientTP`.
    ///
    /// # Panics
    ///
    /// When `preset` has no legacy base (only `"shoonya"` has one).
    #[must_use]
    pub fn noren_legacy_base_url(&self, preset: &str) -> String {
        let Some(path) = noren::legacy_base_path(noren::known_preset(preset)) else {
            panic!("Noren preset {preset:?} has no legacy base: only shoonya has one");
        };
        format!("{}{path}", self.base_url())
    }

    /// The browser login page of a Noren preset, without query: add `?client_id=<client_id>`
    /// (`http://127.0.0.1:PORT/noren/<preset>/OAuthlogin/authorize/oauth`), or for Flattrade
    /// `?app_key=<api_key>` (`http://127.0.0.1:PORT/noren/flattrade/auth/`). The page
    /// redirects at once to the account's redirect URL with a fresh `code` (Flattrade: also
    /// `client`); an unknown app gets a 400 page.
    ///
    /// # Panics
    ///
    /// When `preset` is not one of the five preset names.
    #[must_use]
    pub fn noren_oauth_url(&self, preset: &str) -> String {
        let preset = noren::known_preset(preset);
        format!("{}{}", self.base_url(), preset.authorize_path())
    }

    /// Flattrade's token service URL, `http://127.0.0.1:PORT/noren/flattrade/trade/apitoken`.
    #[must_use]
    pub fn flattrade_token_url(&self) -> String {
        format!("{}{}", self.base_url(), noren::FLATTRADE_TOKEN_PATH)
    }

    /// Registers a Noren account, replacing the account with the same preset and user id. A
    /// `redirect_url` starting with `/` is made absolute with [`Sim::base_url`].
    ///
    /// # Panics
    ///
    /// When `account.preset` is not one of the five preset names.
    pub fn add_noren_account(&self, account: NorenAccount) {
        noren::add_account(&self.shared.noren, account, &self.base_url());
    }

    /// Replaces the fields Limits returns for `user_id` at `preset` (ignored for an unknown
    /// preset or user). `limits` should be an object of strings, sent verbatim besides `stat`,
    /// `request_time` and `actid`; anything else leaves only those three.
    pub fn set_noren_limits(&self, preset: &str, user_id: &str, limits: serde_json::Value) {
        noren::set_limits(&self.shared.noren, preset, user_id, limits);
    }

    /// Mints an authorization code exactly as the preset's login page does for the app
    /// `client_id_or_api_key` (the OAuth client id; for Flattrade the API key): fresh, single
    /// use, valid for [`SimOptions::noren_code_ttl`]. `None` when the preset or app is unknown.
    #[must_use]
    pub fn noren_authorize(&self, preset: &str, client_id_or_api_key: &str) -> Option<String> {
        noren::authorize(
            &self.shared.noren,
            self.shared.options.noren_code_ttl,
            preset,
            client_id_or_api_key,
        )
    }

    /// Makes every session (access token, susertoken, Flattrade token) of `user_id` at `preset`
    /// expire now (`Session Expired :  Invalid Session Key` from then on). Zebu's refresh tokens
    /// stay valid.
    pub fn expire_noren_sessions(&self, preset: &str, user_id: &str) {
        noren::expire_sessions(&self.shared.noren, preset, user_id);
    }

    /// Makes every unused Noren authorization code expire now.
    pub fn expire_noren_codes(&self) {
        noren::expire_codes(&self.shared.noren);
    }

    /// Zerodha's REST base URL: Kite's paths are absolute (`/session/token`, `/user/margins`,
    /// …) as on api.kite.trade, so this equals [`Sim::base_url`]. The official SDK's `root`.
    #[must_use]
    pub fn zerodha_base_url(&self) -> String {
        self.base_url()
    }

    /// Zerodha's browser login page, `http://127.0.0.1:PORT/connect/login`, without query:
    /// add `?v=3&api_key=<api_key>`. It redirects at once to the app's redirect URL with
    /// `action=login&type=login&status=success&request_token=<fresh token>`; without `v=3` or
    /// with an unknown api_key it answers a 400 page.
    #[must_use]
    pub fn zerodha_login_url(&self) -> String {
        format!("{}{}", self.base_url(), zerodha::LOGIN_PATH)
    }

    /// Registers a Zerodha account, replacing the account with the same user id. A
    /// `redirect_url` starting with `/` is made absolute with [`Sim::base_url`].
    pub fn add_zerodha_account(&self, account: ZerodhaAccount) {
        zerodha::add_account(&self.shared.zerodha, account, &self.base_url());
    }

    /// Replaces the data `GET /user/margins` returns for `user_id` (ignored for an unknown user).
    pub fn set_zerodha_margins(&self, user_id: &str, margins: serde_json::Value) {
        zerodha::set_margins(&self.shared.zerodha, user_id, margins);
    }

    /// Mints a request token exactly as the login page does for the app `api_key`: fresh,
    /// single use, valid for two minutes. `None` for an unknown api_key.
    #[must_use]
    pub fn zerodha_request_token(&self, api_key: &str) -> Option<String> {
        zerodha::mint_request_token(&self.shared.zerodha, api_key)
    }

    /// Makes every access token of `user_id` expire now (`TokenException` from then on).
    /// Refresh tokens stay valid.
    pub fn expire_zerodha_sessions(&self, user_id: &str) {
        zerodha::expire_sessions(&self.shared.zerodha, user_id);
    }

    /// Makes every refresh token of `user_id` expire now.
    pub fn expire_zerodha_refresh_tokens(&self, user_id: &str) {
        zerodha::expire_refresh_tokens(&self.shared.zerodha, user_id);
    }

    /// Makes every unused Zerodha request token expire now.
    pub fn expire_zerodha_request_tokens(&self) {
        zerodha::expire_request_tokens(&self.shared.zerodha);
    }

    /// Queues `fault` for requests to `path` (without query, e.g.
    /// `"/rest/secure/angelbroking/user/v1/getRMS"` or `"/noren/zebu/NorenWClientAPI/Limits"`),
    /// or to any path with `"*"`. Faults for one path apply in the order injected; `"*"` faults
    /// apply only when the path has none due.
    pub fn inject(&self, path: &str, fault: Fault, times: FaultTimes) {
        self.shared.lock().faults.inject(path, fault, times);
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Every logged request, oldest first (the log keeps the last 100,000).
    #[must_use]
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.shared.lock().log.all()
    }

    /// The logged requests to `path` (without query), oldest first.
    #[must_use]
    pub fn requests_to(&self, path: &str) -> Vec<LoggedRequest> {
        self.shared.lock().log.to_path(path)
    }

    /// Empties the request log.
    pub fn clear_log(&self) {
        self.shared.lock().log.clear();
    }

    /// Calls `listener` with each request once its status is known (on the connection's thread;
    /// keep it quick). Replaces any previous listener. The CLI's `--verbose` uses this.
    pub fn set_request_listener(&self, listener: impl Fn(&LoggedRequest) + Send + Sync + 'static) {
        self.shared.set_listener(Some(Arc::new(listener)));
    }

    /// The one JSON line the CLI prints at start: the version, the base URLs and the registered
    /// accounts with their credentials, e.g.
    /// `{"brokersim":"0.1.0","base_url":"http://127.0.0.1:PORT","angelone":{"base_url":"…",
    /// "accounts":[{"api_key":"demo-api-key","client_code":"D12345","pin":"1234",
    /// "totp_secret":"JBSWY3DPEHPK3PXP"}]},"noren":{"kambala":{"base_url":"…","oauth_url":"…",
    /// "accounts":[{"user_id":"NKAM01","client_id":"kambala-client","secret":"kambala-secret",
    /// "password":"Passw0rd!","totp_secret":"JBSWY3DPEHPK3PXP","vendor_code":"NKAM01_U",
    /// "api_secret":"kambala-api-secret","api_key":"kambala-api-key"}]},"shoonya":{…},…}}`.
    /// Every preset is listed (kambala, shoonya, zebu, tradesmart, flattrade), Shoonya with its
    /// `legacy_base_url` and Flattrade with its `token_url`. Then
    /// `"zerodha":{"base_url":"…","login_url":"…/connect/login","accounts":
    /// [{"api_key":"zerodha-api-key","api_secret":"zerodha-api-secret","user_id":"ZD1234"}]}`; then `"upstox":{"base_url":…,
    /// "oauth_url":…,"accounts":[{"user_id":…,"api_key":…,"api_secret":…,"redirect_uri":…}]}`.
    /// An HTTPS simulator's line has
    /// `legacy_base_url` and Flattrade with its `token_url`. Dhan's part is
    /// `"dhan":{"base_url":"…/dhan/v2","auth_url":"…/dhan/auth","accounts":[{"client_id":
    /// "1000000001","pin":"123456","totp_secret":"…","app_id":"…","app_secret":"…",
    /// "redirect_url":"…/dhan/callback"}]}`. An HTTPS simulator's line has
    /// `https://` URLs and, after `base_url`, `"ca_file":"<path>"` ([`Sim::ca_file`]).
    #[must_use]
    pub fn startup_line(&self) -> String {
        let base_url = self.base_url();
        let noren_lines: Vec<startup::NorenPresetLine> = noren::accounts(&self.shared.noren)
            .into_iter()
            .map(|(preset, accounts)| startup::NorenPresetLine {
                name: preset.name(),
                base_url: self.noren_base_url(preset.name()),
                legacy_base_url: noren::legacy_base_path(preset).map(|p| format!("{base_url}{p}")),
                oauth_url: self.noren_oauth_url(preset.name()),
                token_url: (preset == noren::Preset::Flattrade).then(|| self.flattrade_token_url()),
                accounts,
            })
            .collect();
        let ca_file = self
            .ca_file()
            .map(|path| path.to_string_lossy().into_owned());
        let zerodha_line = startup::ZerodhaLine {
            base_url: self.zerodha_base_url(),
            login_url: self.zerodha_login_url(),
            accounts: zerodha::accounts(&self.shared.zerodha),
        };
        let fyers_accounts = fyers::accounts(&self.shared.fyers);
        let (fyers_base, fyers_login) = (self.fyers_base_url(), self.fyers_login_url());
        let dhan_line = startup::DhanLine {
            base_url: self.dhan_base_url(),
            auth_url: self.dhan_auth_url(),
            accounts: dhan::accounts(&self.shared.dhan),
        };
        startup::startup_line(
            &base_url,
            ca_file.as_deref(),
            &self.angel_base_url(),
            &angel::accounts(&self.shared.angel),
            &noren_lines,
            &zerodha_line,
            &startup::UpstoxLine {
                base_url: self.upstox_base_url(),
                oauth_url: self.upstox_oauth_url(),
                accounts: upstox::accounts(&self.shared.upstox),
            },
            startup::FyersStartup {
                base_url: &fyers_base,
                login_url: &fyers_login,
                accounts: fyers_accounts.iter().map(Into::into).collect(),
            },
            &dhan_line,
        )
    }

    /// Upstox's REST base URL, `http://127.0.0.1:PORT/upstox` (no trailing slash): the paths
    /// below it are Upstox's own (`/v2/user/profile`, `/v3/user/get-funds-and-margin`, …), so
    /// the official SDK works with its host set to this.
    #[must_use]
    pub fn upstox_base_url(&self) -> String {
        format!("{}{}", self.base_url(), upstox::BASE_PATH)
    }

    /// Upstox's authorization dialog, `http://127.0.0.1:PORT/upstox/v2/login/authorization/dialog`
    /// (add `?response_type=code&client_id=…&redirect_uri=…&state=…`). For a registered app and
    /// its redirect URI it redirects at once with a fresh `code` and the `state` it was given.
    #[must_use]
    pub fn upstox_oauth_url(&self) -> String {
        format!("{}{}", self.base_url(), upstox::DIALOG_PATH)
    }

    /// Registers an Upstox account, replacing the one with the same user id. A `redirect_uri`
    /// starting with `/` is made absolute with [`Sim::base_url`].
    pub fn add_upstox_account(&self, account: UpstoxAccount) {
        upstox::add_account(&self.shared.upstox, account, &self.base_url());
    }

    /// Mints a code exactly as the authorization dialog does for the app `api_key`: fresh, single
    /// use (a failed exchange uses it up too), valid for five minutes. `None` for an unknown app.
    #[must_use]
    pub fn upstox_authorize(&self, api_key: &str) -> Option<String> {
        upstox::authorize(&self.shared.upstox, api_key)
    }

    /// Issues a year-long extended token for `user_id`, as the token exchange hands one out
    /// (profile and funds take it, logout answers UDAPI100067). `None` for an unknown user.
    #[must_use]
    pub fn upstox_extended_token(&self, user_id: &str) -> Option<String> {
        upstox::tokens(&self.shared.upstox, user_id).map(|(_, extended)| extended)
    }

    /// Issues an access token for `user_id` as a successful token exchange does (valid until the
    /// next 03:30 IST): what a user who already holds a token logs in with. `None` for an unknown
    /// user.
    #[must_use]
    pub fn upstox_access_token(&self, user_id: &str) -> Option<String> {
        upstox::tokens(&self.shared.upstox, user_id).map(|(access, _)| access)
    }

    /// Whether Upstox's logout revokes the token it was called with: `true` (the default) as
    /// the broker does; `false` leaves it valid, for a test that logs in with one token again
    /// and again (the binding flows).
    pub fn set_upstox_revoke_on_logout(&self, revoke: bool) {
        upstox::set_revoke_on_logout(&self.shared.upstox, revoke);
    }

    /// Makes every token of `user_id` expire now (UDAPI100050 from then on).
    pub fn expire_upstox_sessions(&self, user_id: &str) {
        upstox::expire_sessions(&self.shared.upstox, user_id);
    }

    /// Makes every unused Upstox code expire now.
    pub fn expire_upstox_codes(&self) {
        upstox::expire_codes(&self.shared.upstox);
    }

    /// Replaces the `data` the v3 and/or v2 funds endpoints return for `user_id` (`None` keeps
    /// that version's; an unknown user is ignored).
    pub fn set_upstox_funds(
        &self,
        user_id: &str,
        v3: Option<serde_json::Value>,
        v2: Option<serde_json::Value>,
    ) {
        upstox::set_funds(&self.shared.upstox, user_id, v3, v2);
    }

    /// Closes (or opens again) Upstox's funds service, as between 00:00 and 05:30 IST: both
    /// funds endpoints answer HTTP 423 with UDAPI100072 while it is closed. Open by default,
    /// whatever the time of day.
    pub fn set_upstox_funds_closed(&self, closed: bool) {
        upstox::set_funds_closed(&self.shared.upstox, closed);
    }

    /// The Fyers REST base URL, `http://127.0.0.1:PORT/fyers/api/v3` (the real one is
    /// `https://api-t1.fyers.in/api/v3`), without trailing slash.
    #[must_use]
    pub fn fyers_base_url(&self) -> String {
        format!("{}{}", self.base_url(), fyers::BASE_PATH)
    }

    /// The Fyers browser login page, `<fyers_base_url>/generate-authcode`, without query: add
    /// `?client_id=<app_id>&redirect_uri=<registered URI>&response_type=code&state=<state>`. It
    /// redirects at once to the redirect URI with `s=ok&code=200&auth_code=<fresh code>&state=…`;
    /// an unknown app, another redirect URI or another response type gets a 400 page.
    #[must_use]
    pub fn fyers_login_url(&self) -> String {
        format!("{}/generate-authcode", self.fyers_base_url())
    }

    /// Registers a Fyers account, replacing the one with the same app id. A `redirect_uri`
    /// starting with `/` is made absolute with [`Sim::base_url`].
    pub fn add_fyers_account(&self, account: FyersAccount) {
        fyers::add_account(&self.shared.fyers, account, &self.base_url());
    }

    /// Replaces the `fund_limit` rows `/funds` returns for the user `fy_id` (ignored for an
    /// unknown user), verbatim.
    pub fn set_fyers_funds(&self, fy_id: &str, fund_limit: serde_json::Value) {
        fyers::set_funds(&self.shared.fyers, fy_id, fund_limit);
    }

    /// Replaces the Fyers rate limits in force (default [`FyersLimits::default`], Fyers'
    /// published 10/s, 200/min, 1,00,000/day; none at all when [`SimOptions::rate_limits`] is
    /// off). Request history is kept.
    pub fn set_fyers_limits(&self, limits: FyersLimits) {
        fyers::set_limits(&self.shared.fyers, limits);
    }

    /// Mints an auth code exactly as the login page does for the app `app_id`: fresh, single
    /// use, valid for 30000 s. `None` for an unknown app.
    #[must_use]
    pub fn fyers_authorize(&self, app_id: &str) -> Option<String> {
        fyers::authorize(&self.shared.fyers, app_id)
    }

    /// Makes every Fyers access token of `fy_id` expire now (`-8 token is Expired` from then on).
    pub fn expire_fyers_sessions(&self, fy_id: &str) {
        fyers::expire_sessions(&self.shared.fyers, fy_id);
    }

    /// Makes every unused Fyers auth code expire now.
    pub fn expire_fyers_codes(&self) {
        fyers::expire_codes(&self.shared.fyers);
    }

    /// Dhan's REST base URL, `http://127.0.0.1:PORT/dhan/v2` (Dhan's `https://api.dhan.co/v2`).
    #[must_use]
    pub fn dhan_base_url(&self) -> String {
        format!("{}{}", self.base_url(), dhan::API_BASE_PATH)
    }

    /// Dhan's auth host, `http://127.0.0.1:PORT/dhan/auth` (Dhan's `https://auth.dhan.co`):
    /// generate-consent, the consent page, consumeApp-consent, generateAccessToken.
    #[must_use]
    pub fn dhan_auth_url(&self) -> String {
        format!("{}{}", self.base_url(), dhan::AUTH_BASE_PATH)
    }

    /// Registers a Dhan account, replacing the account with the same client id. A
    /// `redirect_url` starting with `/` is made absolute with [`Sim::base_url`].
    pub fn add_dhan_account(&self, account: DhanAccount) {
        dhan::add_account(&self.shared.dhan, account, &self.base_url());
    }

    /// Replaces what `/v2/fundlimit` returns for `client_id` besides `dhanClientId` (ignored
    /// for an unknown client).
    pub fn set_dhan_funds(&self, client_id: &str, fund_limit: serde_json::Value) {
        dhan::set_funds(&self.shared.dhan, client_id, fund_limit);
    }

    /// Makes every access token of `client_id` expire now (`DH-901` from then on; RenewToken
    /// renews only active tokens, so these cannot be renewed).
    pub fn expire_dhan_sessions(&self, client_id: &str) {
        dhan::expire_sessions(&self.shared.dhan, client_id);
    }

    /// Makes every unused tokenId of the consent login expire now.
    pub fn expire_dhan_token_ids(&self) {
        dhan::expire_token_ids(&self.shared.dhan);
    }

    /// Sets how long Dhan access tokens issued from now on stay valid (their `exp`); default 24
    /// hours, Dhan's documented lifetime.
    pub fn set_dhan_token_ttl(&self, ttl: std::time::Duration) {
        dhan::set_token_ttl(&self.shared.dhan, ttl);
    }

    /// A token for `client_id` as web.dhan.co generates it ("Access DhanHQ APIs"; renewable with
    /// RenewToken), or `None` for an unknown client.
    #[must_use]
    pub fn dhan_web_token(&self, client_id: &str) -> Option<String> {
        dhan::web_token(&self.shared.dhan, client_id)
    }
}

impl fmt::Debug for Sim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sim")
            .field("base_url", &self.base_url())
            .finish_non_exhaustive()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.server.stop();
    }
}
