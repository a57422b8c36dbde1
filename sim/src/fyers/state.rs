//! Fyers' server-side state: accounts, auth codes, access and refresh tokens, rate-limit history.
//!
//! Every code and token is a real-looking JWT (HS256 under a key random per simulator) whose
//! `exp` is the expiry enforced here. A token is valid while it is in the table, unrevoked and
//! unexpired; auth codes are single use.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::fyers::account::FyersAccount;
use crate::fyers::limits::{FyersLimits, Limiter};
use crate::time::{has_passed, unix_secs};

/// An auth code's lifetime: `exp` is `iat + 30000` in the public samples (PROTOCOLS.md §6.2).
pub(crate) const CODE_TTL: Duration = Duration::from_secs(30_000);
/// A refresh token's lifetime (PROTOCOLS.md §6.6).
const REFRESH_TTL: Duration = Duration::from_secs(15 * 86_400);
/// Expired and revoked entries are forgotten this long after their expiry.
const FORGET_AFTER: Duration = Duration::from_secs(86_400);
/// India Standard Time's offset from UTC, in seconds.
const IST_OFFSET: u64 = 5 * 3600 + 1800;

/// What a code or token lookup found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Lookup<T> {
    /// Valid.
    Live(T),
    /// Never issued (or long forgotten).
    Unknown,
    /// Used (a code), or revoked by logout or refresh (a token).
    Revoked,
    /// Past its expiry.
    Expired,
}

/// An auth code from the login page.
#[derive(Clone, Debug)]
struct CodeGrant {
    app_id: String,
    expires_at: u64,
    used: bool,
}

/// An access token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Session {
    /// The app it was issued to.
    pub(crate) app_id: String,
    /// The user.
    pub(crate) fy_id: String,
    /// Its `exp`.
    expires_at: u64,
    /// Revoked by logout or by a refresh.
    revoked: bool,
    /// The refresh token of the login it came from.
    refresh_token: Option<String>,
}

/// A (legacy) refresh token.
#[derive(Clone, Debug)]
struct RefreshGrant {
    app_id: String,
    fy_id: String,
    expires_at: u64,
    revoked: bool,
    /// The access token it handed out last.
    access_token: String,
}

/// All Fyers state of one simulator.
pub(crate) struct FyersState {
    /// Registered accounts by app id.
    accounts: BTreeMap<String, FyersAccount>,
    codes: HashMap<String, CodeGrant>,
    sessions: HashMap<String, Session>,
    refresh_grants: HashMap<String, RefreshGrant>,
    /// The rate-limit history.
    pub(crate) limiter: Limiter,
    /// The limits in force.
    pub(crate) limits: FyersLimits,
    /// The JWT signing key.
    key: Vec<u8>,
}

impl Default for FyersState {
    fn default() -> FyersState {
        FyersState {
            accounts: BTreeMap::new(),
            codes: HashMap::new(),
            sessions: HashMap::new(),
            refresh_grants: HashMap::new(),
            limiter: Limiter::default(),
            limits: FyersLimits::default(),
            key: crate::random::bytes(32),
        }
    }
}

impl FyersState {
    /// Registers `account`, replacing the one with the same app id.
    pub(crate) fn add_account(&mut self, account: FyersAccount) {
        self.accounts.insert(account.app_id.clone(), account);
    }

    /// The registered accounts, by app id.
    pub(crate) fn accounts(&self) -> impl Iterator<Item = &FyersAccount> {
        self.accounts.values()
    }

    /// The account of the app `app_id`.
    pub(crate) fn account(&self, app_id: &str) -> Option<&FyersAccount> {
        self.accounts.get(app_id)
    }

    /// The account of the user `fy_id`, for changing it.
    pub(crate) fn account_of_user_mut(&mut self, fy_id: &str) -> Option<&mut FyersAccount> {
        self.accounts.values_mut().find(|a| a.fy_id == fy_id)
    }

    /// Issues a fresh single-use auth code for the app `app_id`.
    pub(crate) fn mint_code(&mut self, app_id: &str, now: SystemTime) -> String {
        self.forget_old(now);
        let issued = unix_secs(now);
        let expires_at = issued + CODE_TTL.as_secs();
        let code = self.jwt(&json!({
            "iss": "api.fyers.in",
            "iat": issued,
            "exp": expires_at,
            "nbf": issued,
            "sub": "auth_code",
            "app_id": app_id.split('-').next().unwrap_or(app_id),
            "nonce": hex::encode(crate::random::bytes(16)),
        }));
        self.codes.insert(
            code.clone(),
            CodeGrant {
                app_id: app_id.to_owned(),
                expires_at,
                used: false,
            },
        );
        code
    }

    /// The app whose code `code` is, if the code may be exchanged now.
    pub(crate) fn code(&self, code: &str, now: SystemTime) -> Lookup<String> {
        if let Some(account) = self
            .accounts
            .values()
            .find(|a| a.reusable_auth_code.as_deref() == Some(code))
        {
            return Lookup::Live(account.app_id.clone());
        }
        match self.codes.get(code) {
            None => Lookup::Unknown,
            Some(grant) if grant.used => Lookup::Revoked,
            Some(grant) if has_passed(grant.expires_at, now) => Lookup::Expired,
            Some(grant) => Lookup::Live(grant.app_id.clone()),
        }
    }

    /// Marks a code used (a reusable code stays usable).
    pub(crate) fn use_code(&mut self, code: &str) {
        if let Some(grant) = self.codes.get_mut(code) {
            grant.used = true;
        }
    }

    /// Makes every unused code expire now.
    pub(crate) fn expire_codes(&mut self, now: SystemTime) {
        let now = unix_secs(now);
        for grant in self.codes.values_mut() {
            grant.expires_at = grant.expires_at.min(now);
        }
    }

    /// Opens a session for the app's user: an access token expiring at the next 06:00 IST or
    /// after `ttl`, whichever is first, and a refresh token (15 days).
    pub(crate) fn open_session(
        &mut self,
        account: &FyersAccount,
        ttl: Duration,
        now: SystemTime,
    ) -> (String, String) {
        let access = self.access_token(account, ttl, now, None);
        let issued = unix_secs(now);
        let refresh = self.jwt(&json!({
            "iss": "api.fyers.in",
            "iat": issued,
            "exp": issued + REFRESH_TTL.as_secs(),
            "sub": "refresh_token",
            "fy_id": account.fy_id,
            "hsm_key": hex::encode(crate::random::bytes(16)),
        }));
        self.refresh_grants.insert(
            refresh.clone(),
            RefreshGrant {
                app_id: account.app_id.clone(),
                fy_id: account.fy_id.clone(),
                expires_at: issued + REFRESH_TTL.as_secs(),
                revoked: false,
                access_token: access.clone(),
            },
        );
        if let Some(session) = self.sessions.get_mut(&access) {
            session.refresh_token = Some(refresh.clone());
        }
        (access, refresh)
    }

    /// A new access token for the account.
    fn access_token(
        &mut self,
        account: &FyersAccount,
        ttl: Duration,
        now: SystemTime,
        refresh_token: Option<String>,
    ) -> String {
        let issued = unix_secs(now);
        let expires_at = next_six_ist(issued).min(issued.saturating_add(ttl.as_secs()));
        let token = self.jwt(&json!({
            "iss": "api.fyers.in",
            "iat": issued,
            "exp": expires_at,
            "nbf": issued,
            "sub": "access_token",
            "fy_id": account.fy_id,
            "display_name": "",
            "hsm_key": hex::encode(crate::random::bytes(16)),
            "appType": 100,
        }));
        self.sessions.insert(
            token.clone(),
            Session {
                app_id: account.app_id.clone(),
                fy_id: account.fy_id.clone(),
                expires_at,
                revoked: false,
                refresh_token,
            },
        );
        token
    }

    /// The session of an access token.
    pub(crate) fn session(&self, token: &str, now: SystemTime) -> Lookup<Session> {
        match self.sessions.get(token) {
            None => Lookup::Unknown,
            Some(session) if session.revoked => Lookup::Revoked,
            Some(session) if has_passed(session.expires_at, now) => Lookup::Expired,
            Some(session) => Lookup::Live(session.clone()),
        }
    }

    /// The (app id, fy id) of a refresh token.
    pub(crate) fn refresh_grant(&self, token: &str, now: SystemTime) -> Lookup<(String, String)> {
        match self.refresh_grants.get(token) {
            None => Lookup::Unknown,
            Some(grant) if grant.revoked => Lookup::Revoked,
            Some(grant) if has_passed(grant.expires_at, now) => Lookup::Expired,
            Some(grant) => Lookup::Live((grant.app_id.clone(), grant.fy_id.clone())),
        }
    }

    /// The legacy refresh: a new access token for the refresh token's user; the access token it
    /// handed out last is revoked when `revoke` is set. `None` when the refresh token is not live
    /// or its account is gone.
    pub(crate) fn refresh(
        &mut self,
        refresh_token: &str,
        ttl: Duration,
        now: SystemTime,
        revoke: bool,
    ) -> Option<String> {
        let grant = self.refresh_grants.get(refresh_token)?.clone();
        let account = self.accounts.get(&grant.app_id)?.clone();
        if revoke {
            if let Some(old) = self.sessions.get_mut(&grant.access_token) {
                old.revoked = true;
            }
        }
        let access = self.access_token(&account, ttl, now, Some(refresh_token.to_owned()));
        if let Some(grant) = self.refresh_grants.get_mut(refresh_token) {
            grant.access_token = access.clone();
        }
        Some(access)
    }

    /// Logout: revokes the access token and the refresh token of its login.
    pub(crate) fn log_out(&mut self, token: &str) {
        let Some(session) = self.sessions.get_mut(token) else {
            return;
        };
        session.revoked = true;
        if let Some(refresh) = session.refresh_token.clone() {
            if let Some(grant) = self.refresh_grants.get_mut(&refresh) {
                grant.revoked = true;
            }
        }
    }

    /// Makes every access token of `fy_id` expire now (refresh tokens stay valid).
    pub(crate) fn expire_sessions(&mut self, fy_id: &str, now: SystemTime) {
        let now = unix_secs(now);
        for session in self.sessions.values_mut().filter(|s| s.fy_id == fy_id) {
            session.expires_at = session.expires_at.min(now);
        }
    }

    /// Drops codes and tokens expired more than a day ago.
    fn forget_old(&mut self, now: SystemTime) {
        let horizon = unix_secs(now).saturating_sub(FORGET_AFTER.as_secs());
        self.codes.retain(|_, g| g.expires_at > horizon);
        self.sessions.retain(|_, s| s.expires_at > horizon);
        self.refresh_grants.retain(|_, g| g.expires_at > horizon);
    }

    /// A JWT of `claims`, HS256 under the simulator's key.
    fn jwt(&self, claims: &serde_json::Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = match Hmac::<Sha256>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(input.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            // HMAC takes keys of any length.
            Err(_) => crate::random::bytes(32),
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// The IST calendar day of a moment, as days since the epoch.
pub(crate) fn ist_day(unix: u64) -> i64 {
    i64::try_from((unix + IST_OFFSET) / 86_400).unwrap_or(i64::MAX)
}

/// The first 06:00 IST after `unix` (seconds): when Fyers' access tokens were seen to expire
/// (PROTOCOLS.md §6.6).
pub(crate) fn next_six_ist(unix: u64) -> u64 {
    let local = unix + IST_OFFSET;
    let six = local - local % 86_400 + 6 * 3600;
    let six = if six <= local { six + 86_400 } else { six };
    six - IST_OFFSET
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_expire_at_the_next_six_ist() {
        // 2026-11-23T12:00:00Z is 17:30 IST: the next 06:00 IST is 2026-11-24T00:30:00Z.
        let noon = 1_795_435_200;
        assert_eq!(next_six_ist(noon), noon + 12 * 3600 + 1800);
        // 00:50 IST (19:20 UTC the day before): the same morning.
        let early = noon + 7 * 3600 + 1200;
        assert_eq!(next_six_ist(early), noon + 12 * 3600 + 1800);
        assert_eq!(ist_day(noon), ist_day(noon + 6 * 3600 + 1799));
        assert_ne!(ist_day(noon), ist_day(noon + 6 * 3600 + 1800));
    }

    #[test]
    fn codes_are_single_use_and_expire() {
        let mut state = FyersState::default();
        state.add_account(FyersAccount::demo());
        let now = SystemTime::now();
        let code = state.mint_code("FYDEMOAPP1-100", now);
        assert_eq!(code.split('.').count(), 3);
        assert_eq!(
            state.code(&code, now),
            Lookup::Live("FYDEMOAPP1-100".into())
        );
        state.use_code(&code);
        assert_eq!(state.code(&code, now), Lookup::Revoked);
        let other = state.mint_code("FYDEMOAPP1-100", now);
        state.expire_codes(now);
        assert_eq!(state.code(&other, now), Lookup::Expired);
        assert_eq!(state.code("nope", now), Lookup::Unknown);
    }

    #[test]
    fn logout_revokes_the_token_and_its_refresh_token() {
        let mut state = FyersState::default();
        let account = FyersAccount::demo();
        state.add_account(account.clone());
        let now = SystemTime::now();
        let (access, refresh) = state.open_session(&account, Duration::from_secs(3600), now);
        assert!(matches!(state.session(&access, now), Lookup::Live(_)));
        let fresh = state
            .refresh(&refresh, Duration::from_secs(3600), now, true)
            .unwrap();
        assert_eq!(state.session(&access, now).clone(), Lookup::Revoked);
        state.log_out(&fresh);
        assert!(matches!(state.session(&fresh, now), Lookup::Revoked));
        assert_eq!(state.refresh_grant(&refresh, now), Lookup::Revoked);
    }
}
