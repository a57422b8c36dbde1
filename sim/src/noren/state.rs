//! Noren's server-side state: accounts, authorization codes, sessions and Zebu's refresh tokens.
//!
//! A token is valid exactly when its session is in the table, belongs to the base it is used on
//! and has not expired; revoking removes it. Codes are single-use: using one removes it.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use crate::noren::account::NorenAccount;
use crate::noren::preset::{Base, Preset};
use crate::noren::wire::{random_code, random_token};

/// Sessions and refresh tokens expired this long are forgotten.
const FORGET_EXPIRED_AFTER: Duration = Duration::from_secs(3600);
/// The expiry of a lifetime too long to represent is this far away.
const CENTURY: Duration = Duration::from_secs(100 * 365 * 86_400);

/// An authorization code handed out by a login page, not yet used.
#[derive(Clone, Debug)]
pub(crate) struct CodeGrant {
    /// The preset whose login page issued it; only that preset accepts it.
    pub(crate) preset: Preset,
    /// The user it logs in.
    pub(crate) user_id: String,
    /// When it stops being accepted.
    expires_at: SystemTime,
}

/// One session: what a login (or Zebu's RefreshToken) hands out.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    /// The preset it belongs to.
    pub(crate) preset: Preset,
    /// The base its calls must use (which also fixes Bearer or jKey).
    pub(crate) base: Base,
    /// The user it belongs to.
    pub(crate) user_id: String,
    /// When it expires.
    pub(crate) expires_at: SystemTime,
    /// The refresh token of the login it came from (Zebu), which Logout revokes too.
    refresh_token: Option<String>,
}

/// A Zebu refresh token.
#[derive(Clone, Debug)]
struct RefreshGrant {
    /// The preset it belongs to.
    preset: Preset,
    /// The user it belongs to.
    user_id: String,
    /// The access token it last handed out (revoked by the next refresh).
    access_token: String,
    /// When it expires.
    expires_at: SystemTime,
}

/// All Noren state of one simulator.
#[derive(Default)]
pub(crate) struct NorenState {
    /// Registered accounts by preset and user id.
    accounts: BTreeMap<(Preset, String), NorenAccount>,
    /// Unused codes.
    codes: HashMap<String, CodeGrant>,
    /// Live (and recently expired) sessions by access token, susertoken or Flattrade token.
    sessions: HashMap<String, Session>,
    /// Zebu refresh tokens.
    refresh_grants: HashMap<String, RefreshGrant>,
}

impl NorenState {
    /// Registers `account` under `preset`, replacing the account with the same user id.
    pub(crate) fn add_account(&mut self, preset: Preset, account: NorenAccount) {
        self.accounts
            .insert((preset, account.user_id.clone()), account);
    }

    /// The accounts of `preset`, ordered by user id.
    pub(crate) fn accounts_of(&self, preset: Preset) -> impl Iterator<Item = &NorenAccount> {
        self.accounts
            .iter()
            .filter(move |((p, _), _)| *p == preset)
            .map(|(_, account)| account)
    }

    /// The account of `user_id` at `preset`.
    pub(crate) fn account(&self, preset: Preset, user_id: &str) -> Option<&NorenAccount> {
        self.accounts.get(&(preset, user_id.to_owned()))
    }

    /// The account of `user_id` at `preset`, for changing it.
    pub(crate) fn account_mut(
        &mut self,
        preset: Preset,
        user_id: &str,
    ) -> Option<&mut NorenAccount> {
        self.accounts.get_mut(&(preset, user_id.to_owned()))
    }

    /// The account whose app is `app`: its Flattrade API key at Flattrade, its OAuth client id
    /// elsewhere.
    pub(crate) fn account_by_app(&self, preset: Preset, app: &str) -> Option<&NorenAccount> {
        self.accounts_of(preset).find(|account| match preset {
            Preset::Flattrade => account.api_key == app,
            _ => account.client_id == app,
        })
    }

    /// Issues a fresh code for `user_id` at `preset`, valid for `ttl`.
    pub(crate) fn mint_code(
        &mut self,
        preset: Preset,
        user_id: &str,
        ttl: Duration,
        now: SystemTime,
    ) -> String {
        self.codes.retain(|_, grant| grant.expires_at > now);
        let code = random_code();
        let grant = CodeGrant {
            preset,
            user_id: user_id.to_owned(),
            expires_at: expiry(now, ttl),
        };
        self.codes.insert(code.clone(), grant);
        code
    }

    /// The grant of an unused, unexpired code issued by `preset`'s login page.
    pub(crate) fn live_code(
        &self,
        code: &str,
        preset: Preset,
        now: SystemTime,
    ) -> Option<&CodeGrant> {
        self.codes
            .get(code)
            .filter(|grant| grant.preset == preset && grant.expires_at > now)
    }

    /// Uses up a code.
    pub(crate) fn consume_code(&mut self, code: &str) {
        self.codes.remove(code);
    }

    /// Makes every unused code expire now.
    pub(crate) fn expire_codes(&mut self) {
        self.codes.clear();
    }

    /// Starts a session on `base` of `preset` for `user_id` and returns its token.
    pub(crate) fn open_session(
        &mut self,
        preset: Preset,
        base: Base,
        user_id: &str,
        ttl: Duration,
        now: SystemTime,
    ) -> String {
        self.forget_long_expired(now);
        let token = random_token();
        let session = Session {
            preset,
            base,
            user_id: user_id.to_owned(),
            expires_at: expiry(now, ttl),
            refresh_token: None,
        };
        self.sessions.insert(token.clone(), session);
        token
    }

    /// The session of a token, expired or not.
    pub(crate) fn session(&self, token: &str) -> Option<&Session> {
        self.sessions.get(token)
    }

    /// Issues a refresh token tied to the session of `access_token`, valid for `ttl`.
    pub(crate) fn issue_refresh_token(
        &mut self,
        access_token: &str,
        ttl: Duration,
        now: SystemTime,
    ) -> Option<String> {
        let session = self.sessions.get_mut(access_token)?;
        let refresh_token = random_token();
        session.refresh_token = Some(refresh_token.clone());
        let grant = RefreshGrant {
            preset: session.preset,
            user_id: session.user_id.clone(),
            access_token: access_token.to_owned(),
            expires_at: expiry(now, ttl),
        };
        self.refresh_grants.insert(refresh_token.clone(), grant);
        Some(refresh_token)
    }

    /// Trades a live refresh token for a new session on `base` of `preset` (the session it last
    /// handed out is revoked when `revoke` says so, else it stays valid until it expires; the
    /// refresh token stays valid). Returns the new access token.
    pub(crate) fn refresh(
        &mut self,
        refresh_token: &str,
        preset: Preset,
        base: Base,
        ttl: Duration,
        now: SystemTime,
        revoke: bool,
    ) -> Option<String> {
        let grant = self
            .refresh_grants
            .get(refresh_token)
            .filter(|grant| grant.preset == preset && grant.expires_at > now)?;
        let (user_id, old_access) = (grant.user_id.clone(), grant.access_token.clone());
        if revoke {
            self.sessions.remove(&old_access);
        }
        let access_token = self.open_session(preset, base, &user_id, ttl, now);
        if let Some(session) = self.sessions.get_mut(&access_token) {
            session.refresh_token = Some(refresh_token.to_owned());
        }
        if let Some(grant) = self.refresh_grants.get_mut(refresh_token) {
            grant.access_token.clone_from(&access_token);
        }
        Some(access_token)
    }

    /// Logout: ends the session of `token` and the refresh token of its login.
    pub(crate) fn log_out(&mut self, token: &str) {
        if let Some(session) = self.sessions.remove(token) {
            if let Some(refresh_token) = session.refresh_token {
                self.refresh_grants.remove(&refresh_token);
            }
        }
    }

    /// Makes every session of `user_id` at `preset` expire now (refresh tokens stay valid).
    pub(crate) fn expire_sessions(&mut self, preset: Preset, user_id: &str, now: SystemTime) {
        for session in self.sessions.values_mut() {
            if session.preset == preset && session.user_id == user_id {
                session.expires_at = session.expires_at.min(now);
            }
        }
    }

    /// Drops sessions and refresh tokens expired for [`FORGET_EXPIRED_AFTER`] (recently expired
    /// tokens stay, though they answer the same as unknown ones).
    fn forget_long_expired(&mut self, now: SystemTime) {
        let horizon = now.checked_sub(FORGET_EXPIRED_AFTER).unwrap_or(now);
        self.sessions.retain(|_, s| s.expires_at > horizon);
        self.refresh_grants.retain(|_, g| g.expires_at > horizon);
    }
}

/// `now + ttl`, or a century from now when that cannot be represented.
fn expiry(now: SystemTime, ttl: Duration) -> SystemTime {
    now.checked_add(ttl)
        .or_else(|| now.checked_add(CENTURY))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn codes_are_per_preset_expire_and_are_single_use() {
        let mut state = NorenState::default();
        let now = SystemTime::now();
        let code = state.mint_code(Preset::Zebu, "U", HOUR, now);
        assert!(state.live_code(&code, Preset::Kambala, now).is_none());
        assert!(state.live_code(&code, Preset::Zebu, now + HOUR).is_none());
        assert_eq!(
            state
                .live_code(&code, Preset::Zebu, now)
                .map(|g| g.user_id.clone()),
            Some("U".to_owned())
        );
        state.consume_code(&code);
        assert!(state.live_code(&code, Preset::Zebu, now).is_none());
        let other = state.mint_code(Preset::Zebu, "U", HOUR, now);
        state.expire_codes();
        assert!(state.live_code(&other, Preset::Zebu, now).is_none());
    }

    #[test]
    fn refresh_revokes_the_last_access_token_and_logout_the_refresh_token() {
        let mut state = NorenState::default();
        let now = SystemTime::now();
        let first = state.open_session(Preset::Zebu, Base::OAuth, "U", HOUR, now);
        let refresh = state
            .issue_refresh_token(&first, HOUR, now)
            .expect("refresh");
        let second = state
            .refresh(&refresh, Preset::Zebu, Base::OAuth, HOUR, now, true)
            .expect("second");
        assert!(state.session(&first).is_none());
        let third = state
            .refresh(&refresh, Preset::Zebu, Base::OAuth, HOUR, now, true)
            .expect("third");
        assert!(state.session(&second).is_none());
        state.log_out(&third);
        assert!(state.session(&third).is_none());
        assert!(
            state
                .refresh(&refresh, Preset::Zebu, Base::OAuth, HOUR, now, true)
                .is_none()
        );
    }

    #[test]
    fn refresh_without_revocation_keeps_the_old_access_token() {
        let mut state = NorenState::default();
        let now = SystemTime::now();
        let first = state.open_session(Preset::Zebu, Base::OAuth, "U", HOUR, now);
        let refresh = state
            .issue_refresh_token(&first, HOUR, now)
            .expect("refresh");
        let second = state
            .refresh(&refresh, Preset::Zebu, Base::OAuth, HOUR, now, false)
            .expect("second");
        assert!(state.session(&first).is_some_and(|s| s.expires_at > now));
        assert!(state.session(&second).is_some());
    }

    #[test]
    fn expiring_sessions_touches_one_user_of_one_preset() {
        let mut state = NorenState::default();
        let now = SystemTime::now();
        let mine = state.open_session(Preset::Zebu, Base::OAuth, "U", HOUR, now);
        let other = state.open_session(Preset::Kambala, Base::OAuth, "U", HOUR, now);
        state.expire_sessions(Preset::Zebu, "U", now);
        assert!(state.session(&mine).is_some_and(|s| s.expires_at <= now));
        assert!(state.session(&other).is_some_and(|s| s.expires_at > now));
        // Three hours later the next login forgets the expired ones.
        state.open_session(Preset::Zebu, Base::OAuth, "V", HOUR, now + 3 * HOUR);
        assert!(state.session(&mine).is_none());
    }
}
