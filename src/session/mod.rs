//! [`Session`]: one account's login state and the operations on it.
//!
//! The tokens sit behind a mutex that is held only to read or swap an `Arc`,
//! never across network I/O, so one session serves many threads at once. A
//! failed login or refresh leaves the previous tokens as they were. Reads
//! refresh an expiring or expired session by themselves (`refresh.rs`),
//! wait their turn under the broker's rate limits (`crate::pacing`) and are
//! retried with backoff on transient failures, all within one timeout.

pub(crate) mod file;
mod refresh;
pub(crate) mod state;

use crate::brokers::{self, Broker, Tokens};
use crate::config::Policy;
use crate::error::{Error, Result, Status};
use crate::http::{Call, Transport};
use crate::log::{Level, Logger};
use crate::model::{
    Funds, Imported, LoggedOut, LoginInfo, LoginUrl, Profile, Refreshed, SessionStatus,
};
use crate::operation::Operation;
use crate::pacing::Pacer;
use crate::time::{next_day_end, rfc3339_utc, unix_now};
use file::SessionFile;
use refresh::RefreshGate;
use serde_json::Value;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

/// A broker session: config, HTTP client, pacing and the current tokens.
pub struct Session {
    broker: Box<dyn Broker>,
    http: Transport,
    policy: Policy,
    pacer: Pacer,
    log: Logger,
    tokens: Mutex<Option<Arc<Tokens>>>,
    /// The tokens the broker last accepted for a read.
    worked: Mutex<Weak<Tokens>>,
    refresh: RefreshGate,
    /// The session file shared with other processes (`session_file`).
    file: Option<SessionFile>,
    /// Whether `new` resumed the session from the session file.
    resumed: bool,
}

impl Session {
    /// A session from `broker_new`'s config JSON: logged out, or resumed
    /// from the config's `session_file` when that holds an unexpired session
    /// of the same broker, base URL and account. A session file that is
    /// corrupt, unreadable or another account's is an error naming it.
    pub fn new(config_json: &str) -> Result<Session> {
        let (config, broker) = brokers::configure(config_json)?;
        let http = Transport::new(config.timeout, &config.transport)?;
        let log = Logger::open(
            config.transport.log_level,
            config.transport.log_file.as_deref(),
        )?;
        let limits = config.policy.rate_limits.clone();
        let pacer = Pacer::new(|op| limits.limit(op, broker.rate_limit(op)));
        let file = config.session_file.map(|path| {
            let account = broker.describe()["user_id"].as_str().map(str::to_string);
            SessionFile::new(path, account, config.timeout)
        });
        let mut session = Session {
            broker,
            http,
            policy: config.policy,
            pacer,
            log,
            tokens: Mutex::new(None),
            worked: Mutex::new(Weak::new()),
            refresh: RefreshGate::default(),
            file,
            resumed: false,
        };
        session.resumed = session.resume_from_file()?;
        Ok(session)
    }

    /// What the session was configured with (no secrets); with a session
    /// file, its path and whether the session was resumed from it.
    pub fn describe(&self) -> Value {
        let mut description = self.broker.describe();
        if let (Some(path), Value::Object(map)) = (self.file_path(), &mut description) {
            map.insert("session_file".into(), Value::String(path));
            map.insert("resumed".into(), Value::Bool(self.resumed));
        }
        description
    }

    /// Whether the session is logged in, as whom and until when, after
    /// taking any change another process made to the session file. Makes no
    /// network call.
    pub fn status(&self) -> SessionStatus {
        self.follow_file();
        let tokens = self.lock().clone();
        SessionStatus {
            broker: self.broker.name(),
            logged_in: tokens
                .as_ref()
                .is_some_and(|t| !expires_within(t, Duration::ZERO)),
            user_id: tokens.as_ref().map(|t| t.user_id.clone()),
            access_expires_at: tokens.as_ref().and_then(|t| t.expires_at.map(rfc3339_utc)),
            session_file: self.file_path(),
        }
    }

    /// The browser address where the user logs in, for OAuth-style logins.
    /// Most brokers build it with no network call; one that must ask the
    /// broker first (Dhan's consent) makes that call here, logged as a login
    /// step.
    pub fn login_url(&self) -> Result<LoginUrl> {
        let call = self.call();
        let started = Instant::now();
        let url = self.broker.login_url(&call);
        if call.last_request().0 != "-" {
            self.log_request(Operation::Login, &call, url.as_ref().map(drop), started);
        }
        Ok(LoginUrl { url: url? })
    }

    /// Logs in with `broker_login`'s credentials JSON. Never retried: a
    /// repeated login can lock an account.
    pub fn login(&self, credentials_json: &str) -> Result<LoginInfo> {
        let credentials = brokers::parse_credentials(self.broker.as_ref(), credentials_json)?;
        let call = self.call();
        self.pacer.acquire(Operation::Login, call.deadline())?;
        let tokens = self.attempt(Operation::Login, &call, || {
            self.broker.login(&call, &credentials)
        })?;
        let tokens = self.with_day_end(tokens);
        // Saved first: a login whose save fails leaves the session as it was.
        self.save_to_file(&tokens, None)?;
        let info = LoginInfo {
            broker: self.broker.name(),
            user_id: tokens.user_id.clone(),
            logged_in_at: rfc3339_utc(unix_now()),
            access_expires_at: tokens.expires_at.map(rfc3339_utc),
        };
        *self.lock() = Some(Arc::new(tokens));
        Ok(info)
    }

    /// Trades the refresh token for new tokens, now.
    pub fn refresh(&self) -> Result<Refreshed> {
        self.follow_file();
        let call = self.call();
        let fresh = self.refreshed_after(&self.current()?, &call, true)?;
        Ok(Refreshed {
            broker: self.broker.name(),
            user_id: fresh.user_id.clone(),
            refreshed_at: rfc3339_utc(unix_now()),
            access_expires_at: fresh.expires_at.map(rfc3339_utc),
        })
    }

    /// Reads the profile.
    pub fn profile(&self) -> Result<Profile> {
        self.read(Operation::Profile, |call, tokens| {
            self.broker.profile(call, tokens)
        })
    }

    /// Reads funds and margins.
    pub fn funds(&self) -> Result<Funds> {
        self.read(Operation::Funds, |call, tokens| {
            self.broker.funds(call, tokens)
        })
    }

    /// Ends the session at the broker and forgets the tokens. A broker that
    /// says the session had already ended counts as success; any other
    /// failure keeps the tokens so the call can be tried again.
    pub fn logout(&self) -> Result<LoggedOut> {
        self.follow_file();
        let held = self.current()?;
        if !self.broker.revokes_at_logout() {
            // Nothing to call: forget the tokens, and say they still work at the broker.
            self.replace_if_current(&held, None);
            self.remove_file(&held.user_id);
            self.log.log(
                Level::Debug,
                format_args!(
                    "logout: {} has no logout endpoint; the tokens are forgotten here and stay valid at the broker until they expire",
                    self.broker.name()
                ),
            );
            return Ok(LoggedOut {
                broker: self.broker.name(),
                user_id: held.user_id.clone(),
                logged_out: true,
                revoked_at_broker: false,
            });
        }
        drop(held);
        let call = self.call();
        self.pacer.acquire(Operation::Logout, call.deadline())?;
        // The tokens current when the request leaves, after its turn.
        let current = self.current()?;
        match self.attempt(Operation::Logout, &call, || {
            self.broker.logout(&call, &current)
        }) {
            Ok(()) => {}
            Err(e) if e.status == Status::SessionExpired => {}
            Err(e) => return Err(e),
        }
        self.replace_if_current(&current, None);
        self.remove_file(&current.user_id);
        Ok(LoggedOut {
            broker: self.broker.name(),
            user_id: current.user_id.clone(),
            logged_out: true,
            revoked_at_broker: true,
        })
    }

    /// The tokens and what they belong to, as versioned JSON (a secret).
    pub fn export(&self) -> Result<String> {
        self.follow_file();
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
        self.save_to_file(&tokens, None)?;
        *self.lock() = Some(Arc::new(tokens));
        Ok(info)
    }

    /// Runs one request-making step and logs it: operation, endpoint, HTTP
    /// status, outcome, duration and broker code.
    fn attempt<T>(
        &self,
        op: Operation,
        call: &Call<'_>,
        step: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        let started = Instant::now();
        let result = step();
        self.log_request(op, call, result.as_ref().map(drop), started);
        result
    }

    /// Logs the call's last request: operation, endpoint, HTTP status,
    /// outcome, duration and broker code.
    fn log_request(
        &self,
        op: Operation,
        call: &Call<'_>,
        outcome: std::result::Result<(), &Error>,
        started: Instant,
    ) {
        if self.log.enabled(Level::Error) {
            let (endpoint, http_status) = call.last_request();
            self.log.request(
                op.name(),
                &endpoint,
                http_status,
                outcome,
                started.elapsed(),
            );
        }
    }

    /// Runs a read: refreshes first when the token is about to expire,
    /// refreshes and repeats when the broker says it has expired, and
    /// retries transient failures with backoff, all before the deadline.
    ///
    /// Every attempt takes the session's tokens as they are when the request
    /// leaves, after any wait for pacing, for a refresh in flight or for a
    /// backoff. A `SESSION_EXPIRED` answered to tokens the session has since
    /// replaced (another thread refreshed while this request was on the
    /// wire) is not this call's refresh: it repeats with the current tokens.
    /// A refresh is this call's own when the tokens it sent are still the
    /// current ones; the tokens such a refresh produced get one repeat, and
    /// if the broker refuses them at once (no wait for pacing in between,
    /// never accepted in any call) the call fails rather than refreshing
    /// again. At most [`MAX_REFRESHES_PER_CALL`] refreshes and
    /// [`MAX_STALE_REPEATS`] repeats, all within the call's timeout.
    fn read<T>(&self, op: Operation, read: impl Fn(&Call<'_>, &Tokens) -> Result<T>) -> Result<T> {
        self.follow_file();
        let call = self.call();
        let tokens = self.current()?;
        if self.may_refresh(&tokens) && expires_within(&tokens, REFRESH_AHEAD) {
            match self.refreshed_after(&tokens, &call, false) {
                Ok(_) => {}
                // A failed early refresh is harmless while the token still works.
                Err(e) if expires_within(&tokens, Duration::ZERO) => return Err(e),
                Err(_) => {}
            }
        }
        drop(tokens);
        // The tokens this call's own refresh produced, if it made one.
        let mut own_refresh: Option<Arc<Tokens>> = None;
        let mut refreshes = 0;
        let mut stale_repeats = 0;
        let mut retries = 0;
        loop {
            let waited = self.pacer.acquire(op, call.deadline())?;
            let tokens = self.current()?;
            let error = match self.attempt(op, &call, || read(&call, &tokens)) {
                Ok(value) => {
                    self.mark_worked(&tokens);
                    return Ok(value);
                }
                Err(e) => e,
            };
            let expired = error.status == Status::SessionExpired;
            let replaced = expired && !self.is_current(&tokens);
            if replaced && stale_repeats < MAX_STALE_REPEATS {
                // Replaced while on the wire (another thread's refresh, a
                // login, an import): not this call's expiry.
                stale_repeats += 1;
                self.log.log(
                    Level::Debug,
                    format_args!(
                        "{}: the tokens were replaced while the request was on its way; repeating",
                        op.name()
                    ),
                );
            } else if expired && !replaced && self.may_refresh(&tokens) {
                // Still the session's tokens: this call's own expiry (a
                // refresh that replaces them meanwhile is joined, not repeated).
                // The tokens this call's refresh just produced, refused on
                // their first use without a wait in between and never
                // accepted by the broker: another refresh would not help.
                // After a wait for pacing, or once the broker has accepted
                // them, their expiry is a new one.
                let refused_fresh = own_refresh.as_ref().is_some_and(|fresh| {
                    Arc::ptr_eq(fresh, &tokens) && waited.is_zero() && !self.worked(fresh)
                });
                if refused_fresh || refreshes >= MAX_REFRESHES_PER_CALL {
                    return Err(error);
                }
                refreshes += 1;
                self.log.log(
                    Level::Debug,
                    format_args!("{}: the session expired; refreshing", op.name()),
                );
                own_refresh = Some(self.refreshed_after(&tokens, &call, false)?);
            } else if error.retryable && retries < self.policy.max_retries {
                retries += 1;
                let pause = backoff(retries, &error);
                if Instant::now() + pause >= call.deadline() {
                    return Err(error);
                }
                self.log.log(
                    Level::Debug,
                    format_args!(
                        "{}: retry {retries} in {} ms after {}",
                        op.name(),
                        pause.as_millis(),
                        error.status.name()
                    ),
                );
                std::thread::sleep(pause);
            } else {
                return Err(error);
            }
        }
    }

    /// Starts a call, keeping request details only when they will be logged.
    fn call(&self) -> Call<'_> {
        self.http.call(self.log.enabled(Level::Error))
    }

    /// Whether a read may refresh `tokens` by itself.
    fn may_refresh(&self, tokens: &Tokens) -> bool {
        self.policy.auto_refresh && self.broker.can_refresh_tokens(tokens)
    }

    /// Where the broker gave no expiry, assume the session ends at the
    /// configured day end (Angel One: midnight IST).
    fn with_day_end(&self, mut tokens: Tokens) -> Tokens {
        if tokens.expires_at.is_none() {
            tokens.expires_at = Some(next_day_end(unix_now(), self.policy.day_end_ist_minutes));
        }
        tokens
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

    /// Whether `tokens` are still the session's tokens.
    fn is_current(&self, tokens: &Arc<Tokens>) -> bool {
        self.lock().as_ref().is_some_and(|t| Arc::ptr_eq(t, tokens))
    }

    /// Notes that the broker accepted `tokens`.
    fn mark_worked(&self, tokens: &Arc<Tokens>) {
        let mut worked = self.worked.lock().unwrap_or_else(PoisonError::into_inner);
        if !Weak::ptr_eq(&worked, &Arc::downgrade(tokens)) {
            *worked = Arc::downgrade(tokens);
        }
    }

    /// Whether the broker has accepted `tokens` in some call.
    fn worked(&self, tokens: &Arc<Tokens>) -> bool {
        let worked = self.worked.lock().unwrap_or_else(PoisonError::into_inner);
        Weak::ptr_eq(&worked, &Arc::downgrade(tokens))
    }

    /// Swaps the tokens unless another thread already replaced `seen`.
    fn replace_if_current(&self, seen: &Arc<Tokens>, next: Option<Arc<Tokens>>) {
        let mut slot = self.lock();
        if slot.as_ref().is_some_and(|t| Arc::ptr_eq(t, seen)) {
            *slot = next;
        }
    }
}

/// How many times one read repeats because its tokens were replaced while
/// it was on the wire (each repeat also waits its turn in the pacer, and all
/// stay within the call's timeout).
const MAX_STALE_REPEATS: u32 = 8;

/// How many refreshes one read may need: a token that expires again while
/// the call waits its turn needs another, but never without end.
const MAX_REFRESHES_PER_CALL: u32 = 3;

/// How long before expiry a read refreshes the session by itself.
const REFRESH_AHEAD: Duration = Duration::from_secs(60);

fn expires_within(tokens: &Tokens, margin: Duration) -> bool {
    tokens
        .expires_at
        .is_some_and(|at| unix_now() + margin.as_secs() as i64 >= at)
}

/// Jittered exponential backoff: 200 ms, 400 ms, 800 ms… (capped at 5 s),
/// each scaled by a random factor in [0.5, 1); at least a second after a
/// rate-limit reply, since the brokers' windows are one second long.
fn backoff(retry: u32, error: &Error) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    let base = (200u64 << retry.saturating_sub(1).min(5)).min(5_000);
    let base = if error.status == Status::RateLimited {
        base.max(1_000)
    } else {
        base
    };
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u32(retry);
    let jitter = 500 + hasher.finish() % 500; // per mille
    Duration::from_millis(base * jitter / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_with_jitter_and_respects_rate_limit_windows() {
        let network = Error::new(Status::Network, "x");
        for retry in 1..=8 {
            let base = (200u64 << (retry - 1).min(5)).min(5_000);
            let pause = backoff(retry, &network).as_millis() as u64;
            assert!(
                (base / 2..base).contains(&pause),
                "retry {retry}: {pause} ms"
            );
        }
        let limited = Error::new(Status::RateLimited, "x");
        assert!(backoff(1, &limited) >= Duration::from_millis(500));
        assert!(backoff(1, &limited) < Duration::from_millis(1000));
    }

    /// A broker that refreshes only tokens that carry a refresh token, and
    /// whose session has always expired; it counts the refreshes asked of it.
    #[derive(Debug, Default)]
    struct RefreshOnlyWithToken {
        refreshes: Arc<std::sync::atomic::AtomicU32>,
    }

    impl Broker for RefreshOnlyWithToken {
        fn name(&self) -> &'static str {
            "fake"
        }
        fn describe(&self) -> Value {
            Value::Null
        }
        fn base_url(&self) -> &str {
            "http://127.0.0.1:9"
        }
        fn login_url(&self, _: &Call<'_>) -> Result<String> {
            Ok(String::new())
        }
        fn rate_limit(&self, _: Operation) -> crate::pacing::RateLimit {
            crate::pacing::RateLimit::NONE
        }
        fn can_refresh(&self) -> bool {
            true
        }
        fn can_refresh_tokens(&self, tokens: &Tokens) -> bool {
            tokens.refresh.is_some()
        }
        fn credentials(&self, _: &mut crate::config::Keys) -> Result<crate::config::Credentials> {
            Err(Error::invalid_argument("none"))
        }
        fn login(&self, _: &Call<'_>, _: &crate::config::Credentials) -> Result<Tokens> {
            Err(Error::invalid_argument("none"))
        }
        fn refresh(&self, _: &Call<'_>, _: &Tokens) -> Result<Tokens> {
            self.refreshes
                .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Err(Error::new(Status::Unsupported, "no refresh token"))
        }
        fn profile(&self, _: &Call<'_>, _: &Tokens) -> Result<Profile> {
            Err(Error::new(Status::SessionExpired, "expired"))
        }
        fn funds(&self, _: &Call<'_>, _: &Tokens) -> Result<Funds> {
            Err(Error::new(Status::SessionExpired, "expired"))
        }
        fn logout(&self, _: &Call<'_>, _: &Tokens) -> Result<()> {
            Ok(())
        }
    }

    #[test]
    fn reads_refresh_by_themselves_only_tokens_the_broker_can_refresh() {
        let mut session = Session::new(
            r#"{"broker":"angelone","api_key":"k","client_code":"C1","local_ip":"127.0.0.1","mac_address":"00:00:00:00:00:00","log_level":"off"}"#,
        )
        .unwrap();
        let broker = RefreshOnlyWithToken::default();
        let refreshes = Arc::clone(&broker.refreshes);
        let refreshed = || refreshes.load(std::sync::atomic::Ordering::SeqCst) > 0;
        session.broker = Box::new(broker);
        let tokens = |refresh: Option<&str>| Tokens {
            access: crate::secret::Secret::new("a"),
            refresh: refresh.map(crate::secret::Secret::new),
            feed: None,
            user_id: "C1".into(),
            account_id: None,
            style: crate::brokers::TokenStyle::Bearer,
            // Expired: a read would refresh first if it may.
            expires_at: Some(unix_now() - 10),
        };
        *session.lock() = Some(Arc::new(tokens(None)));
        let error = session.funds().unwrap_err();
        assert_eq!(error.status, Status::SessionExpired, "{error:?}");
        assert!(!refreshed(), "no refresh was asked for");
        // An explicit refresh asks the broker, which says why it cannot.
        assert_eq!(session.refresh().unwrap_err().status, Status::Unsupported);
        assert!(refreshed());

        refreshes.store(0, std::sync::atomic::Ordering::SeqCst);
        *session.lock() = Some(Arc::new(tokens(Some("r"))));
        session.funds().unwrap_err();
        assert!(refreshed(), "tokens with a refresh token are refreshed");
    }
}
