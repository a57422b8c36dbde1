//! Angel One's server-side state: accounts, sessions (one per login or refresh) and rate-limit
//! history.
//!
//! A session holds a jwtToken and its refreshToken (the feedToken is handed out but not used). A token is valid exactly when
//! its session is in the table and not expired; revoking a session removes it.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use crate::time::{unix_secs, unix_secs_after};

use crate::angel::account::AngelAccount;
use crate::jwt::TokenIssuer;
use crate::rate_limit::RateLimiter;

/// Sessions whose jwt and refresh token have both been expired this long are forgotten.
const FORGET_EXPIRED_AFTER: Duration = Duration::from_secs(3600);

/// One session: what a login or a refresh hands out.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    /// The client the session belongs to.
    pub(crate) client_code: String,
    /// When the jwtToken expires (unix seconds; equals its `exp` claim when issued).
    pub(crate) jwt_expires_at: u64,
    /// The refreshToken issued with the jwt.
    pub(crate) refresh_token: String,
    /// When the refreshToken expires (unix seconds).
    pub(crate) refresh_expires_at: u64,
}

/// The tokens of a new session, as login and generateTokens return them.
#[derive(Clone, Debug)]
pub(crate) struct IssuedTokens {
    /// The new jwtToken.
    pub(crate) jwt: String,
    /// The new refreshToken.
    pub(crate) refresh_token: String,
    /// The new feedToken.
    pub(crate) feed_token: String,
}

/// Token lifetimes, from the simulator's options.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lifetimes {
    /// How long a jwtToken lives.
    pub(crate) jwt: Duration,
    /// How long a refreshToken lives.
    pub(crate) refresh: Duration,
}

/// All Angel One state of one simulator.
pub(crate) struct AngelState {
    /// Registered accounts by client code.
    accounts: BTreeMap<String, AngelAccount>,
    /// Live sessions by jwtToken.
    sessions: HashMap<String, Session>,
    /// Accepted requests per (client code, endpoint).
    pub(crate) limiter: RateLimiter,
    /// Signs the tokens.
    issuer: TokenIssuer,
}

impl Default for AngelState {
    fn default() -> AngelState {
        AngelState {
            accounts: BTreeMap::new(),
            sessions: HashMap::new(),
            limiter: RateLimiter::default(),
            issuer: TokenIssuer::new(),
        }
    }
}

impl AngelState {
    /// Registers `account`, replacing an account with the same client code.
    pub(crate) fn add_account(&mut self, account: AngelAccount) {
        self.accounts.insert(account.client_code.clone(), account);
    }

    /// All accounts, ordered by client code.
    pub(crate) fn accounts(&self) -> impl Iterator<Item = &AngelAccount> {
        self.accounts.values()
    }

    /// The account of `client_code`.
    pub(crate) fn account(&self, client_code: &str) -> Option<&AngelAccount> {
        self.accounts.get(client_code)
    }

    /// The account of `client_code`, for changing it.
    pub(crate) fn account_mut(&mut self, client_code: &str) -> Option<&mut AngelAccount> {
        self.accounts.get_mut(client_code)
    }

    /// The account whose API key is `api_key`.
    pub(crate) fn account_by_key(&self, api_key: &str) -> Option<&AngelAccount> {
        self.accounts.values().find(|a| a.api_key == api_key)
    }

    /// The session of a jwtToken, expired or not.
    pub(crate) fn session(&self, jwt: &str) -> Option<&Session> {
        self.sessions.get(jwt)
    }

    /// Starts a session for `client_code` and returns its tokens.
    pub(crate) fn open_session(
        &mut self,
        client_code: &str,
        lifetimes: Lifetimes,
        now: SystemTime,
    ) -> IssuedTokens {
        self.forget_long_expired(now);
        let issued_at = unix_secs(now);
        let jwt_expires_at = unix_secs_after(now, lifetimes.jwt);
        let refresh_expires_at = unix_secs_after(now, lifetimes.refresh);
        let tokens = IssuedTokens {
            jwt: self.issuer.issue(client_code, issued_at, jwt_expires_at),
            refresh_token: self
                .issuer
                .issue(client_code, issued_at, refresh_expires_at),
            feed_token: self.issuer.issue(client_code, issued_at, jwt_expires_at),
        };
        let session = Session {
            client_code: client_code.to_owned(),
            jwt_expires_at,
            refresh_token: tokens.refresh_token.clone(),
            refresh_expires_at,
        };
        self.sessions.insert(tokens.jwt.clone(), session);
        tokens
    }

    /// Ends the session of `jwt`: its jwt, refresh and feed tokens stop working.
    pub(crate) fn revoke(&mut self, jwt: &str) {
        self.sessions.remove(jwt);
    }

    /// Makes every jwtToken of `client_code` expire now (refresh tokens stay valid).
    pub(crate) fn expire_jwts(&mut self, client_code: &str, now: SystemTime) {
        let now = unix_secs(now);
        for session in self.sessions_of(client_code) {
            session.jwt_expires_at = session.jwt_expires_at.min(now);
        }
    }

    /// Makes every refreshToken of `client_code` expire now.
    pub(crate) fn expire_refresh_tokens(&mut self, client_code: &str, now: SystemTime) {
        let now = unix_secs(now);
        for session in self.sessions_of(client_code) {
            session.refresh_expires_at = session.refresh_expires_at.min(now);
        }
    }

    /// The sessions of one client, for changing them.
    fn sessions_of<'a>(
        &'a mut self,
        client_code: &'a str,
    ) -> impl Iterator<Item = &'a mut Session> {
        self.sessions
            .values_mut()
            .filter(move |s| s.client_code == client_code)
    }

    /// Drops sessions that can no longer be used or refreshed, and have not been usable for
    /// [`FORGET_EXPIRED_AFTER`] (so recently expired tokens still answer "expired").
    fn forget_long_expired(&mut self, now: SystemTime) {
        let horizon = unix_secs(now).saturating_sub(FORGET_EXPIRED_AFTER.as_secs());
        self.sessions
            .retain(|_, s| s.jwt_expires_at > horizon || s.refresh_expires_at > horizon);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::has_passed;

    const HOUR: Duration = Duration::from_secs(3600);
    const LIFETIMES: Lifetimes = Lifetimes {
        jwt: HOUR,
        refresh: HOUR,
    };

    #[test]
    fn sessions_expire_and_are_forgotten_later() {
        let mut state = AngelState::default();
        let t0 = SystemTime::now();
        let old = state.open_session("A", LIFETIMES, t0);
        let session = state.session(&old.jwt).cloned();
        assert!(
            session
                .as_ref()
                .is_some_and(|s| !has_passed(s.jwt_expires_at, t0))
        );
        assert!(session.is_some_and(|s| has_passed(s.jwt_expires_at, t0 + HOUR)));
        // Two hours after expiry the next login forgets it.
        state.open_session("A", LIFETIMES, t0 + 3 * HOUR);
        assert!(state.session(&old.jwt).is_none());
    }

    #[test]
    fn expiring_jwts_keeps_refresh_tokens() {
        let mut state = AngelState::default();
        let now = SystemTime::now();
        let tokens = state.open_session("A", LIFETIMES, now);
        let other = state.open_session("B", LIFETIMES, now);
        state.expire_jwts("A", now);
        let session = state.session(&tokens.jwt).cloned();
        assert!(
            session
                .as_ref()
                .is_some_and(|s| has_passed(s.jwt_expires_at, now))
        );
        assert!(session.is_some_and(|s| !has_passed(s.refresh_expires_at, now)));
        let untouched = state.session(&other.jwt).cloned();
        assert!(untouched.is_some_and(|s| !has_passed(s.jwt_expires_at, now)));
    }
}
