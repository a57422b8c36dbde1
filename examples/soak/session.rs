//! A long-lived session in the soak: its handle, its refreshes and new
//! logins, and what the expirer and readers know of its forced expiries.

use crate::abi::{Handle, is_expired, is_paced};
use crate::control::Brokersim;
use crate::roster::{Heal, Spec};
use crate::tally::{Cause, Tally};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

/// One long-lived session.
pub struct Live {
    pub spec: Spec,
    pub handle: Handle,
    /// How brokersim's refresh events name it.
    pub refresh_key: String,
    /// Refreshes brokersim answered with 200.
    pub refreshes: AtomicU64,
    /// Refreshes brokersim refused.
    pub refused: AtomicU64,
    /// New logins after a forced expiry.
    pub logins: AtomicU64,
    pub expiries: AtomicU64,
    /// Per forced expiry: how many refreshes ([`Heal::Refresh`]) or new
    /// logins ([`Heal::NewLogin`]) it cost, counted.
    pub cost: Mutex<BTreeMap<u64, u64>>,
    /// Per forced expiry of a [`Heal::NewLogin`] session: refreshes refused.
    pub refused_cost: Mutex<BTreeMap<u64, u64>>,
    /// An expiry was forced and no new login has replaced it.
    expired: AtomicBool,
    /// When the last new login finished (calls that began before may still
    /// see the expiry).
    relogged: Mutex<Instant>,
    relogin: Mutex<()>,
}

/// The credentials for a login of `spec`: a fresh code from brokersim when
/// the family logs in with one, and the fixed ones (PIN, TOTP secret).
fn credentials(sim: &Brokersim, spec: &Spec) -> String {
    let mut credentials = spec.fixed.clone();
    if let Some(key) = spec.code_key {
        credentials[key] = sim.authorize(spec.family, &spec.app).into();
    }
    credentials.to_string()
}

/// Logs `handle` in as `spec` says.
pub fn login(sim: &Brokersim, spec: &Spec, handle: Handle) -> (i32, String) {
    handle.login(&credentials(sim, spec))
}

impl Live {
    /// Opens the session and logs it in; panics when that fails.
    pub fn open(sim: &Brokersim, spec: Spec) -> Live {
        let handle = Handle::new(&spec.config);
        let (status, text) = login(sim, &spec, handle);
        assert_eq!(status, 0, "{} login: {text}", spec.name());
        let refresh_key = spec.refresh_key.clone().unwrap_or_else(|| {
            let state = handle.export();
            state["refresh_token"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        });
        Live {
            spec,
            handle,
            refresh_key,
            refreshes: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            logins: AtomicU64::new(0),
            expiries: AtomicU64::new(0),
            cost: Mutex::default(),
            refused_cost: Mutex::default(),
            expired: AtomicBool::new(false),
            relogged: Mutex::new(Instant::now()),
            relogin: Mutex::new(()),
        }
    }

    /// Counts a refresh brokersim answered with `status`.
    pub fn count_refresh(&self, status: u16) {
        let counter = if status == 200 {
            &self.refreshes
        } else {
            &self.refused
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// What a forced expiry costs: refreshes or new logins, by [`Heal`].
    pub fn healed(&self) -> u64 {
        match self.spec.heal {
            Heal::Refresh => self.refreshes.load(Ordering::Relaxed),
            Heal::NewLogin => self.logins.load(Ordering::Relaxed),
        }
    }

    /// Forces an expiry at brokersim (noting it first for a session that
    /// needs a new login, so that its readers know the failure they see).
    pub fn expire(&self, sim: &Brokersim) {
        if self.spec.heal == Heal::NewLogin {
            self.expired.store(true, Ordering::SeqCst);
        }
        // Counted first: a call that read the count before it may not see
        // this expiry as one during the call (an undercount, never more).
        self.expiries.fetch_add(1, Ordering::SeqCst);
        sim.expire(self.spec.family, &self.spec.user);
    }

    /// Records what one forced expiry cost.
    pub fn record(&self, cost: u64, refused: u64) {
        *self.cost.lock().unwrap().entry(cost).or_default() += 1;
        if self.spec.heal == Heal::NewLogin {
            *self
                .refused_cost
                .lock()
                .unwrap()
                .entry(refused)
                .or_default() += 1;
        }
    }

    /// Why a read that began at `began` and ended with `status` failed: a
    /// forced expiry no new login had replaced, the library's pacing, or
    /// else a fault.
    /// `expiries_before`: this session's forced expiries when the call began.
    pub fn cause(&self, status: i32, text: &str, began: Instant, expiries_before: u64) -> Cause {
        let unreplaced =
            self.expired.load(Ordering::SeqCst) || began <= *self.relogged.lock().unwrap();
        let expiries_during = self.expiries.load(Ordering::SeqCst) - expiries_before;
        if is_expired(status) && self.spec.heal == Heal::NewLogin && unreplaced {
            Cause::Expiry
        } else if is_expired(status) && self.spec.heal == Heal::Refresh && expiries_during >= 2 {
            Cause::TwoExpiries
        } else if is_paced(status, text) {
            Cause::Pacing
        } else {
            Cause::Fault
        }
    }

    /// A new login after a forced expiry (one per expiry, whichever reader
    /// comes first). A failed one is counted (no fault reaches a login) and
    /// tried again by the next reader that sees the expiry.
    pub fn relogin(&self, sim: &Brokersim, tally: &Mutex<Tally>) {
        let _one = self.relogin.lock().unwrap();
        if !self.expired.load(Ordering::SeqCst) {
            return;
        }
        let (status, text) = login(sim, &self.spec, self.handle);
        let what = format!("{} login again", self.spec.name());
        let family = self.spec.family;
        tally
            .lock()
            .unwrap()
            .add(family, status, Cause::Nothing, &what, &text);
        if status == 0 {
            *self.relogged.lock().unwrap() = Instant::now();
            self.expired.store(false, Ordering::SeqCst);
            self.logins.fetch_add(1, Ordering::Relaxed);
        }
    }
}
