//! Upstox's server-side state: accounts, authorization codes, tokens, rate-limit history and the
//! funds window switch.
//!
//! A token is valid exactly when it is in the table and has not expired; logging out removes it.
//! Codes are single-use: any exchange that names one uses it up, whether it succeeds or not
//! (PROTOCOLS.md §5.1).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant, SystemTime};

use time::macros::offset;
use time::{OffsetDateTime, Time};

use crate::jwt::TokenIssuer;
use crate::time::{has_passed, unix_secs, unix_secs_after};
use crate::upstox::account::UpstoxAccount;

/// How long a code from the authorization dialog stays usable (sim choice: the lifetime is not
/// documented).
pub(crate) const CODE_TTL: Duration = Duration::from_secs(300);
/// How long an extended token lasts: a year (PROTOCOLS.md §5.7).
const EXTENDED_TTL: Duration = Duration::from_secs(365 * 86_400);
/// The rate-limit windows of the standard APIs, per user and API (PROTOCOLS.md §5.7).
const WINDOWS: [(Duration, usize); 3] = [
    (Duration::from_secs(1), 50),
    (Duration::from_secs(60), 500),
    (Duration::from_secs(1800), 2000),
];

/// A code the authorization dialog handed out, not yet used.
struct CodeGrant {
    /// The app it was issued for.
    api_key: String,
    /// When it stops being accepted.
    expires_at: SystemTime,
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenKind {
    /// The daily access token.
    Access,
    /// The year-long read-only extended token.
    Extended,
}

/// A token the token exchange handed out.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    /// Its user.
    pub(crate) user_id: String,
    /// Access or extended.
    pub(crate) kind: TokenKind,
    /// When it expires, unix seconds.
    expires_at: u64,
}

/// All Upstox state of one simulator.
pub(crate) struct UpstoxState {
    /// Registered accounts by user id.
    accounts: BTreeMap<String, UpstoxAccount>,
    /// Unused codes.
    codes: HashMap<String, CodeGrant>,
    /// Tokens by their text.
    sessions: HashMap<String, Session>,
    /// Accepted requests per (user, endpoint path), for the rate limits.
    history: HashMap<(String, &'static str), VecDeque<Instant>>,
    /// Whether the funds endpoints answer UDAPI100072, as between 00:00 and 05:30 IST.
    pub(crate) funds_closed: bool,
    /// Whether logout revokes the token it was called with.
    pub(crate) revoke_on_logout: bool,
    /// Signs the tokens.
    issuer: TokenIssuer,
}

impl Default for UpstoxState {
    fn default() -> UpstoxState {
        UpstoxState {
            accounts: BTreeMap::new(),
            codes: HashMap::new(),
            sessions: HashMap::new(),
            history: HashMap::new(),
            funds_closed: false,
            revoke_on_logout: true,
            issuer: TokenIssuer::new(),
        }
    }
}

impl UpstoxState {
    /// Registers `account`, replacing the one with the same user id.
    pub(crate) fn add_account(&mut self, account: UpstoxAccount) {
        self.accounts.insert(account.user_id.clone(), account);
    }

    /// The registered accounts, by user id.
    pub(crate) fn accounts(&self) -> impl Iterator<Item = &UpstoxAccount> {
        self.accounts.values()
    }

    /// The account of `user_id`.
    pub(crate) fn account(&self, user_id: &str) -> Option<&UpstoxAccount> {
        self.accounts.get(user_id)
    }

    /// The account of `user_id`, to change.
    pub(crate) fn account_mut(&mut self, user_id: &str) -> Option<&mut UpstoxAccount> {
        self.accounts.get_mut(user_id)
    }

    /// The account whose app has this API key (client id).
    pub(crate) fn account_by_key(&self, api_key: &str) -> Option<&UpstoxAccount> {
        self.accounts.values().find(|a| a.api_key == api_key)
    }

    /// A fresh code for the app `api_key`.
    pub(crate) fn mint_code(&mut self, api_key: &str, now: SystemTime) -> String {
        let code = random_code();
        self.codes.insert(
            code.clone(),
            CodeGrant {
                api_key: api_key.to_owned(),
                expires_at: now + CODE_TTL,
            },
        );
        code
    }

    /// Uses `code` up and says whether it was a live code of the app `api_key`.
    pub(crate) fn take_code(&mut self, code: &str, api_key: &str, now: SystemTime) -> bool {
        self.codes
            .remove(code)
            .is_some_and(|grant| grant.api_key == api_key && now < grant.expires_at)
    }

    /// Makes every unused code expire now.
    pub(crate) fn expire_codes(&mut self, now: SystemTime) {
        for grant in self.codes.values_mut() {
            grant.expires_at = now;
        }
    }

    /// Issues an access token for `user_id`, valid until the next 03:30 IST (PROTOCOLS.md
    /// §5.7), and an extended token valid for a year.
    pub(crate) fn open_session(&mut self, user_id: &str, now: SystemTime) -> (String, String) {
        let access = self.issue(user_id, TokenKind::Access, next_0330_ist(now), now);
        let extended = self.issue(
            user_id,
            TokenKind::Extended,
            unix_secs_after(now, EXTENDED_TTL),
            now,
        );
        (access, extended)
    }

    /// Issues a token of `kind` for `user_id` expiring at `expires_at` (unix seconds).
    pub(crate) fn issue(
        &mut self,
        user_id: &str,
        kind: TokenKind,
        expires_at: u64,
        now: SystemTime,
    ) -> String {
        self.forget_expired(now);
        let token = self.issuer.issue(user_id, unix_secs(now), expires_at);
        self.sessions.insert(
            token.clone(),
            Session {
                user_id: user_id.to_owned(),
                kind,
                expires_at,
            },
        );
        token
    }

    /// The live session of `token`.
    pub(crate) fn session(&self, token: &str, now: SystemTime) -> Option<&Session> {
        self.sessions
            .get(token)
            .filter(|session| !has_passed(session.expires_at, now))
    }

    /// Logs `token` out.
    pub(crate) fn revoke(&mut self, token: &str) {
        self.sessions.remove(token);
    }

    /// Makes every token of `user_id` expire now.
    pub(crate) fn expire_sessions(&mut self, user_id: &str, now: SystemTime) {
        let now = unix_secs(now);
        for session in self.sessions.values_mut() {
            if session.user_id == user_id {
                session.expires_at = session.expires_at.min(now);
            }
        }
    }

    /// Counts a request of `user_id` to `endpoint` and says whether it is within the three
    /// windows; refused requests are not counted.
    pub(crate) fn within_limits(&mut self, user_id: &str, endpoint: &'static str) -> bool {
        let now = Instant::now();
        let accepted = self
            .history
            .entry((user_id.to_owned(), endpoint))
            .or_default();
        let widest = WINDOWS[WINDOWS.len() - 1].0;
        while accepted
            .front()
            .is_some_and(|at| now.duration_since(*at) >= widest)
        {
            accepted.pop_front();
        }
        let within = WINDOWS.iter().all(|(window, max)| {
            accepted
                .iter()
                .rev()
                .take_while(|at| now.duration_since(**at) < *window)
                .count()
                < *max
        });
        if within {
            accepted.push_back(now);
        }
        within
    }

    /// Drops tokens that expired more than a day ago.
    fn forget_expired(&mut self, now: SystemTime) {
        let horizon = unix_secs(now).saturating_sub(86_400);
        self.sessions
            .retain(|_, session| session.expires_at > horizon);
    }
}

/// The next 03:30 IST after `now`, unix seconds: when an access token expires.
pub(crate) fn next_0330_ist(now: SystemTime) -> u64 {
    let local = OffsetDateTime::from(now).to_offset(offset!(+5:30));
    let today = local.replace_time(Time::from_hms(3, 30, 0).unwrap_or(Time::MIDNIGHT));
    let end = if today <= local {
        today + time::Duration::days(1)
    } else {
        today
    };
    u64::try_from(end.unix_timestamp()).unwrap_or(0)
}

/// A random authorization code, six characters like the documentation's `mk404x`.
fn random_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    crate::random::bytes(6)
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn access_tokens_end_at_the_next_0330_ist() {
        // 2026-11-23T12:00:00Z is 17:30 IST: 03:30 IST the next day is 22:00 UTC.
        let evening = UNIX_EPOCH + Duration::from_secs(1_795_435_200);
        assert_eq!(next_0330_ist(evening), 1_795_435_200 + 10 * 3600);
        // 02:30 IST (21:00 UTC the day before) expires at 03:30 IST the same day.
        let night = UNIX_EPOCH + Duration::from_secs(1_795_435_200 + 9 * 3600);
        assert_eq!(next_0330_ist(night), 1_795_435_200 + 10 * 3600);
    }

    #[test]
    fn codes_are_single_use_even_when_refused() {
        let mut state = UpstoxState::default();
        let now = SystemTime::now();
        let code = state.mint_code("key", now);
        assert!(!state.take_code(&code, "other-key", now));
        assert!(!state.take_code(&code, "key", now));
        let code = state.mint_code("key", now);
        assert!(state.take_code(&code, "key", now));
    }

    #[test]
    fn the_standard_band_allows_fifty_a_second() {
        let mut state = UpstoxState::default();
        assert!((0..50).all(|_| state.within_limits("U", "/p")));
        assert!(!state.within_limits("U", "/p"));
        assert!(state.within_limits("U", "/other"));
        assert!(state.within_limits("V", "/p"));
    }
}
