//! `brokersim`: an offline simulator of Indian brokers' REST APIs.
//!
//! It serves the Angel One SmartAPI endpoints over plain HTTP on a local port, checking requests
//! the way the broker does (headers, MPIN, TOTP, tokens, rate limits) and answering in the
//! broker's shapes. It is used in-process by `brokerlink`'s tests, as the `brokersim` binary by
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
//! The demo account ([`AngelAccount::demo`]) is registered unless
//! [`SimOptions::demo_accounts`] is off: API key `demo-api-key`, client code `D12345`, MPIN
//! `1234`, TOTP secret `JBSWY3DPEHPK3PXP`.
//!
//! Faults ([`Fault`]) are carried out at the socket level (resets, hangs, endless bodies), since
//! the server is a small HTTP/1.1 implementation on `std::net`. The simulator stops when the
//! [`Sim`] is dropped.

#![warn(missing_docs)]

mod angel;
mod fault;
mod http;
mod jwt;
mod log;
mod options;
mod random;
mod rate_limit;
mod respond;
mod routes;
mod server;
mod startup;
mod state;
mod totp;

use std::fmt;
use std::io;
use std::sync::Arc;

pub use angel::AngelAccount;
pub use fault::{Fault, FaultTimes};
pub use log::LoggedRequest;
pub use options::SimOptions;

use server::Server;
use state::Shared;

/// A running simulator. Dropping it stops the server; connections still open are closed within
/// a fraction of a second.
pub struct Sim {
    shared: Arc<Shared>,
    server: Server,
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
    /// a local address) or the acceptor thread cannot be spawned.
    pub fn start_with(options: SimOptions) -> io::Result<Sim> {
        let demo_accounts = options.demo_accounts;
        let shared = Arc::new(Shared::new(options));
        if demo_accounts {
            angel::add_account(&shared, AngelAccount::demo());
        }
        let server = Server::start(Arc::clone(&shared))?;
        Ok(Sim { shared, server })
    }

    /// The simulator's base URL, `http://127.0.0.1:PORT` (no trailing slash).
    #[must_use]
    pub fn base_url(&self) -> String {
        format!("http://{}", self.server.connect_addr())
    }

    /// The Angel One base URL. Angel One's paths are absolute (`/rest/...`), so this equals
    /// [`Sim::base_url`].
    #[must_use]
    pub fn angel_base_url(&self) -> String {
        self.base_url()
    }

    /// Registers an Angel One account, replacing any account with the same client code.
    pub fn add_angel_account(&self, account: AngelAccount) {
        angel::add_account(&self.shared, account);
    }

    /// Replaces the data getRMS returns for `client_code` (ignored for an unknown client).
    pub fn set_angel_rms(&self, client_code: &str, rms: serde_json::Value) {
        angel::set_rms(&self.shared, client_code, rms);
    }

    /// Makes every jwtToken of `client_code` expire now (`AG8002` from then on). Refresh tokens
    /// stay valid, so generateTokens with an expired jwt still works.
    pub fn expire_angel_sessions(&self, client_code: &str) {
        angel::expire_sessions(&self.shared, client_code);
    }

    /// Makes every refreshToken of `client_code` expire now (`AB8051` from then on).
    pub fn expire_angel_refresh_tokens(&self, client_code: &str) {
        angel::expire_refresh_tokens(&self.shared, client_code);
    }

    /// Queues `fault` for requests to `path` (without query, e.g.
    /// `"/rest/secure/angelbroking/user/v1/getRMS"`), or to any path with `"*"`. Faults for one
    /// path apply in the order injected; `"*"` faults apply only when the path has none due.
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
    /// "totp_secret":"JBSWY3DPEHPK3PXP"}]}}`.
    #[must_use]
    pub fn startup_line(&self) -> String {
        startup::startup_line(
            &self.base_url(),
            &self.angel_base_url(),
            &angel::accounts(&self.shared),
        )
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
