//! [`Session`]: one account's login state and the operations on it.
//!
//! The tokens sit behind a mutex that is held only to read or swap an `Arc`,
//! never across network I/O, so one session serves many threads at once. A
//! failed login or refresh leaves the previous tokens as they were.

mod state;

use crate::brokers::{self, Broker, Tokens};
use crate::config::{self, BrokerConfig};
use crate::error::{Error, Result, Status};
use crate::http::Transport;
use crate::model::{
    Funds, Imported, LoggedOut, LoginInfo, LoginUrl, Profile, Refreshed, rfc3339_utc, unix_now,
};
use serde_json::Value;
use std::sync::{Arc, Mutex, PoisonError};

/// A broker session: config, HTTP client and the current tokens.
pub struct Session {
    broker_config: BrokerConfig,
    broker: Box<dyn Broker>,
    http: Transport,
    tokens: Mutex<Option<Arc<Tokens>>>,
}

impl Session {
    /// A logged-out session from `broker_new`'s config JSON.
    pub fn new(config_json: &str) -> Result<Session> {
        let config = config::parse_config(config_json)?;
        let broker = brokers::for_config(&config)?;
        let http = Transport::new(config.timeout)?;
        Ok(Session {
            broker_config: config.broker,
            broker,
            http,
            tokens: Mutex::new(None),
        })
    }

    /// What the session was configured with (no secrets).
    pub fn describe(&self) -> Value {
        self.broker.describe()
    }

    /// The browser address where the user logs in, for OAuth-style logins.
    pub fn login_url(&self) -> Result<LoginUrl> {
        Ok(LoginUrl {
            url: self.broker.login_url()?,
        })
    }

    /// Logs in with `broker_login`'s credentials JSON.
    pub fn login(&self, credentials_json: &str) -> Result<LoginInfo> {
        let credentials = config::parse_credentials(&self.broker_config, credentials_json)?;
        let tokens = self.broker.login(&self.http, &credentials)?;
        let info = LoginInfo {
            broker: self.broker.name(),
            user_id: tokens.user_id.clone(),
            logged_in_at: rfc3339_utc(unix_now()),
            access_expires_at: tokens.expires_at.map(rfc3339_utc),
        };
        *self.lock() = Some(Arc::new(tokens));
        Ok(info)
    }

    /// Trades the refresh token for new tokens.
    pub fn refresh(&self) -> Result<Refreshed> {
        let current = self.current()?;
        let fresh = Arc::new(self.broker.refresh(&self.http, &current)?);
        let info = Refreshed {
            broker: self.broker.name(),
            user_id: fresh.user_id.clone(),
            refreshed_at: rfc3339_utc(unix_now()),
            access_expires_at: fresh.expires_at.map(rfc3339_utc),
        };
        self.replace_if_current(&current, Some(fresh));
        Ok(info)
    }

    /// Reads the profile.
    pub fn profile(&self) -> Result<Profile> {
        let tokens = self.current()?;
        self.broker.profile(&self.http, &tokens)
    }

    /// Reads funds and margins.
    pub fn funds(&self) -> Result<Funds> {
        let tokens = self.current()?;
        self.broker.funds(&self.http, &tokens)
    }

    /// Ends the session at the broker and forgets the tokens. A broker that
    /// says the session had already ended counts as success; any other
    /// failure keeps the tokens so the call can be tried again.
    pub fn logout(&self) -> Result<LoggedOut> {
        let current = self.current()?;
        match self.broker.logout(&self.http, &current) {
            Ok(()) => {}
            Err(e) if e.status == Status::SessionExpired => {}
            Err(e) => return Err(e),
        }
        self.replace_if_current(&current, None);
        Ok(LoggedOut {
            broker: self.broker.name(),
            user_id: current.user_id.clone(),
            logged_out: true,
        })
    }

    /// The tokens and what they belong to, as versioned JSON (a secret).
    pub fn export(&self) -> Result<String> {
        let tokens = self.current()?;
        Ok(state::export(
            self.broker.name(),
            self.broker.base_url(),
            &tokens,
            unix_now(),
        ))
    }

    /// Resumes a session from [`Session::export`]'s JSON. On any error the
    /// session is left as it was.
    pub fn import(&self, state_json: &str) -> Result<Imported> {
        let tokens = state::import(
            state_json,
            self.broker.name(),
            self.broker.base_url(),
            unix_now(),
        )?;
        let info = Imported {
            broker: self.broker.name(),
            user_id: tokens.user_id.clone(),
            access_expires_at: tokens.expires_at.map(rfc3339_utc),
        };
        *self.lock() = Some(Arc::new(tokens));
        Ok(info)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<Arc<Tokens>>> {
        // The lock guards a plain swap; a panic elsewhere cannot leave it half-done.
        self.tokens.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn current(&self) -> Result<Arc<Tokens>> {
        self.lock().clone().ok_or_else(|| {
            Error::new(
                Status::NotLoggedIn,
                "not logged in: call broker_login first",
            )
        })
    }

    /// Swaps the tokens unless another thread already replaced `seen`.
    fn replace_if_current(&self, seen: &Arc<Tokens>, next: Option<Arc<Tokens>>) {
        let mut slot = self.lock();
        if slot.as_ref().is_some_and(|t| Arc::ptr_eq(t, seen)) {
            *slot = next;
        }
    }
}
