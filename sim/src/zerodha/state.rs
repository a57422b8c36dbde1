//! Kite's server-side state: accounts, request tokens (single-use, short-lived), sessions (one
//! access token each), refresh tokens of approved apps, and rate-limit history.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use crate::rate_limit::RateLimiter;
use crate::time::{has_passed, unix_secs, unix_secs_after};
use crate::zerodha::account::ZerodhaAccount;
use crate::zerodha::wire::random_token;

/// Entries expired this long are forgotten (until then they still answer "expired").
const FORGET_AFTER: Duration = Duration::from_secs(3600);

/// A token handed out for a user, valid until `expires_at` (unix seconds).
#[derive(Clone, Debug)]
pub(crate) struct Grant {
    /// The account's user id.
    pub(crate) user_id: String,
    /// When it stops working.
    pub(crate) expires_at: u64,
}

/// A refresh token, and the access token it handed out last.
#[derive(Clone, Debug)]
struct RefreshGrant {
    grant: Grant,
    last_access: String,
}

/// All Kite state of one simulator.
#[derive(Default)]
pub(crate) struct ZerodhaState {
    /// Registered accounts by user id.
    accounts: BTreeMap<String, ZerodhaAccount>,
    /// Unused request tokens.
    request_tokens: HashMap<String, Grant>,
    /// Live (or recently expired) sessions by access token.
    sessions: HashMap<String, Grant>,
    /// Refresh tokens of approved apps.
    refresh_tokens: HashMap<String, RefreshGrant>,
    /// Accepted requests per api_key.
    pub(crate) limiter: RateLimiter,
}

impl ZerodhaState {
    /// Registers `account`, replacing the account with the same user id.
    pub(crate) fn add_account(&mut self, account: ZerodhaAccount) {
        self.accounts.insert(account.user_id.clone(), account);
    }

    /// All accounts, by user id.
    pub(crate) fn accounts(&self) -> impl Iterator<Item = &ZerodhaAccount> {
        self.accounts.values()
    }

    /// The account of `user_id`.
    pub(crate) fn account(&self, user_id: &str) -> Option<&ZerodhaAccount> {
        self.accounts.get(user_id)
    }

    /// The account of `user_id`, for changing it.
    pub(crate) fn account_mut(&mut self, user_id: &str) -> Option<&mut ZerodhaAccount> {
        self.accounts.get_mut(user_id)
    }

    /// The account whose app has `api_key`.
    pub(crate) fn account_by_key(&self, api_key: &str) -> Option<&ZerodhaAccount> {
        self.accounts.values().find(|a| a.api_key == api_key)
    }

    /// A fresh request token for `user_id`, valid for `ttl`.
    pub(crate) fn mint_request_token(
        &mut self,
        user_id: &str,
        ttl: Duration,
        now: SystemTime,
    ) -> String {
        self.forget_old(now);
        let token = random_token();
        let grant = Grant {
            user_id: user_id.to_owned(),
            expires_at: unix_secs_after(now, ttl),
        };
        self.request_tokens.insert(token.clone(), grant);
        token
    }

    /// Whether `token` is a live request token of `user_id` (or the account's reusable one).
    pub(crate) fn request_token_is_live(
        &self,
        token: &str,
        user_id: &str,
        now: SystemTime,
    ) -> bool {
        let reusable = self
            .account(user_id)
            .and_then(|a| a.reusable_request_token.as_deref())
            .is_some_and(|t| t == token);
        reusable
            || self
                .request_tokens
                .get(token)
                .is_some_and(|g| g.user_id == user_id && !has_passed(g.expires_at, now))
    }

    /// Uses a request token up (a reusable one stays).
    pub(crate) fn consume_request_token(&mut self, token: &str) {
        self.request_tokens.remove(token);
    }

    /// Makes every unused request token expire now.
    pub(crate) fn expire_request_tokens(&mut self, now: SystemTime) {
        let now = unix_secs(now);
        for grant in self.request_tokens.values_mut() {
            grant.expires_at = grant.expires_at.min(now);
        }
    }

    /// Opens a session for `user_id`: a new access token valid for `ttl`.
    pub(crate) fn open_session(&mut self, user_id: &str, ttl: Duration, now: SystemTime) -> String {
        self.forget_old(now);
        let token = random_token();
        let grant = Grant {
            user_id: user_id.to_owned(),
            expires_at: unix_secs_after(now, ttl),
        };
        self.sessions.insert(token.clone(), grant);
        token
    }

    /// The user of a live access token.
    pub(crate) fn session_user(&self, access_token: &str, now: SystemTime) -> Option<&str> {
        self.sessions
            .get(access_token)
            .filter(|g| !has_passed(g.expires_at, now))
            .map(|g| g.user_id.as_str())
    }

    /// Ends a session; whether it was one of `user_id`'s.
    pub(crate) fn revoke_session(&mut self, access_token: &str, user_id: &str) -> bool {
        let owned = self
            .sessions
            .get(access_token)
            .is_some_and(|g| g.user_id == user_id);
        if owned {
            self.sessions.remove(access_token);
        }
        owned
    }

    /// Makes every access token of `user_id` expire now.
    pub(crate) fn expire_sessions(&mut self, user_id: &str, now: SystemTime) {
        let now = unix_secs(now);
        for grant in self.sessions.values_mut().filter(|g| g.user_id == user_id) {
            grant.expires_at = grant.expires_at.min(now);
        }
    }

    /// A new refresh token for the session `access_token`, valid for `ttl`.
    pub(crate) fn issue_refresh_token(
        &mut self,
        user_id: &str,
        access_token: &str,
        ttl: Duration,
        now: SystemTime,
    ) -> String {
        let token = random_token();
        let grant = RefreshGrant {
            grant: Grant {
                user_id: user_id.to_owned(),
                expires_at: unix_secs_after(now, ttl),
            },
            last_access: access_token.to_owned(),
        };
        self.refresh_tokens.insert(token.clone(), grant);
        token
    }

    /// Renews with a live refresh token of `user_id`: a new access token valid for `ttl`; the one
    /// it handed out last is revoked when `revoke` says so. The refresh token stays.
    pub(crate) fn renew(
        &mut self,
        refresh_token: &str,
        user_id: &str,
        ttl: Duration,
        now: SystemTime,
        revoke: bool,
    ) -> Option<String> {
        let live = self
            .refresh_tokens
            .get(refresh_token)
            .filter(|r| r.grant.user_id == user_id && !has_passed(r.grant.expires_at, now))
            .map(|r| r.last_access.clone())?;
        if revoke {
            self.sessions.remove(&live);
        }
        let access = self.open_session(user_id, ttl, now);
        if let Some(grant) = self.refresh_tokens.get_mut(refresh_token) {
            grant.last_access.clone_from(&access);
        }
        Some(access)
    }

    /// Drops a refresh token; whether it was one of `user_id`'s.
    pub(crate) fn revoke_refresh_token(&mut self, refresh_token: &str, user_id: &str) -> bool {
        let owned = self
            .refresh_tokens
            .get(refresh_token)
            .is_some_and(|r| r.grant.user_id == user_id);
        if owned {
            self.refresh_tokens.remove(refresh_token);
        }
        owned
    }

    /// Makes every refresh token of `user_id` expire now.
    pub(crate) fn expire_refresh_tokens(&mut self, user_id: &str, now: SystemTime) {
        let now = unix_secs(now);
        for refresh in self.refresh_tokens.values_mut() {
            if refresh.grant.user_id == user_id {
                refresh.grant.expires_at = refresh.grant.expires_at.min(now);
            }
        }
    }

    /// Forgets tokens that expired more than [`FORGET_AFTER`] ago.
    fn forget_old(&mut self, now: SystemTime) {
        let horizon = unix_secs(now).saturating_sub(FORGET_AFTER.as_secs());
        self.request_tokens.retain(|_, g| g.expires_at > horizon);
        self.sessions.retain(|_, g| g.expires_at > horizon);
        self.refresh_tokens
            .retain(|_, r| r.grant.expires_at > horizon);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn request_tokens_are_single_use_and_short_lived() {
        let mut state = ZerodhaState::default();
        state.add_account(ZerodhaAccount::demo());
        let now = SystemTime::now();
        let token = state.mint_request_token("ZD1234", 2 * MINUTE, now);
        assert!(state.request_token_is_live(&token, "ZD1234", now));
        assert!(!state.request_token_is_live(&token, "OTHER", now));
        assert!(!state.request_token_is_live(&token, "ZD1234", now + 3 * MINUTE));
        state.consume_request_token(&token);
        assert!(!state.request_token_is_live(&token, "ZD1234", now));
    }

    #[test]
    fn renewal_revokes_the_access_token_it_replaces_when_asked() {
        let mut state = ZerodhaState::default();
        let now = SystemTime::now();
        let first = state.open_session("U", MINUTE, now);
        let refresh = state.issue_refresh_token("U", &first, MINUTE, now);
        let second = state.renew(&refresh, "U", MINUTE, now, true).unwrap();
        assert_eq!(state.session_user(&first, now), None);
        assert_eq!(state.session_user(&second, now), Some("U"));
        let third = state.renew(&refresh, "U", MINUTE, now, false).unwrap();
        assert_eq!(state.session_user(&second, now), Some("U"));
        assert_eq!(state.session_user(&third, now), Some("U"));
        assert!(state.renew(&refresh, "V", MINUTE, now, true).is_none());
        assert!(state.revoke_refresh_token(&refresh, "U"));
        assert!(state.renew(&refresh, "U", MINUTE, now, true).is_none());
    }
}
