//! The soak's threads: readers on every long-lived session, an expirer per
//! session, the fault injector and the churn of sessions freed in use.

use crate::abi::{Handle, is_invalid_handle};
use crate::control::Brokersim;
use crate::faults::FaultKind;
use crate::roster::Spec;
use crate::session::{Live, login};
use crate::tally::{Cause, Injected, Tally};
use crate::util::{jitter, nap, random};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Threads on each long-lived session.
pub const THREADS_PER_SESSION: usize = 4;
/// Readers on each churned session.
const CHURN_READERS: usize = 3;
/// How long the expirer waits for an expiry to be healed.
const HEAL_WITHIN: Duration = Duration::from_secs(60);

/// What every soak thread shares.
#[derive(Clone)]
pub struct Shared {
    pub sim: Arc<Brokersim>,
    pub tally: Arc<Mutex<Tally>>,
    pub injected: Arc<Mutex<Injected>>,
    pub stop: Arc<AtomicBool>,
    /// Churned sessions freed while their readers ran.
    pub freed: Arc<AtomicU64>,
}

impl Shared {
    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}

/// Reads from `session` until the end: profile and funds, each failure
/// booked with its cause; a forced expiry gets its new login.
pub fn spawn_reader(shared: &Shared, session: Arc<Live>, t: usize) -> JoinHandle<()> {
    let shared = shared.clone();
    thread::spawn(move || {
        let (family, name) = (session.spec.family, session.spec.name());
        let mut i = t;
        while !shared.stopped() {
            i += 1;
            let began = Instant::now();
            let expiries = session.expiries.load(Ordering::SeqCst);
            let (status, text) = session.handle.read(i);
            let cause = session.cause(status, &text, began, expiries);
            shared
                .tally
                .lock()
                .unwrap()
                .add(family, status, cause, &name, &text);
            match cause {
                Cause::Expiry => session.relogin(&shared.sim, &shared.tally),
                // A host told to retry later does not retry at once.
                Cause::Pacing => nap(&shared.stop, Duration::from_secs(1)),
                _ => {}
            }
        }
    })
}

/// Forces the session's access token to expire every few seconds, waits
/// for the refresh or the new login, then a quiet while, and records what
/// the expiry cost.
pub fn spawn_expirer(shared: &Shared, session: Arc<Live>) -> JoinHandle<()> {
    let shared = shared.clone();
    thread::spawn(move || {
        nap(&shared.stop, jitter(2000, 3000));
        while !shared.stopped() {
            let before = session.healed();
            let refused = session.refused.load(Ordering::Relaxed);
            session.expire(&shared.sim);
            let until = Instant::now() + HEAL_WITHIN;
            while session.healed() == before && Instant::now() < until && !shared.stopped() {
                thread::sleep(Duration::from_millis(10));
            }
            nap(&shared.stop, jitter(2000, 4000));
            if shared.stopped() && session.healed() == before {
                break; // cut short by the end of the run: not counted
            }
            let refused = session.refused.load(Ordering::Relaxed) - refused;
            session.record(session.healed() - before, refused);
        }
    })
}

/// Every 0.5–1.5 s, a fault for the next read or few of some session's
/// broker: latency, resets, HTML pages, truncated and empty bodies,
/// rate-limit replies, 502 pages.
pub fn spawn_fault_injector(shared: &Shared, targets: Vec<Arc<Live>>) -> JoinHandle<()> {
    let shared = shared.clone();
    thread::spawn(move || {
        while !shared.stopped() {
            nap(&shared.stop, jitter(500, 1000));
            let spec = &targets[random(targets.len() as u64) as usize].spec;
            let path = &spec.reads[random(2) as usize];
            let (kind, times) = FaultKind::random();
            shared.sim.inject(path, kind, times);
            shared
                .injected
                .lock()
                .unwrap()
                .add(spec.family, kind, times);
        }
    })
}

/// Sessions freed while calls run: a new session of `spec` every few
/// seconds, readers on it, `broker_free` under them.
pub fn spawn_churn(shared: &Shared, spec: Spec) -> JoinHandle<()> {
    let shared = shared.clone();
    thread::spawn(move || {
        let spec = Arc::new(spec);
        while !shared.stopped() {
            let handle = Handle::new(&spec.config);
            let (status, text) = login(&shared.sim, &spec, handle);
            // Faults go to reads only: nothing explains a failed login.
            let what = format!("churn {} login", spec.name());
            shared
                .tally
                .lock()
                .unwrap()
                .add(spec.family, status, Cause::Nothing, &what, &text);
            let freed = Arc::new(AtomicBool::new(false));
            let readers: Vec<_> = (0..CHURN_READERS)
                .map(|t| spawn_churn_reader(&shared, &spec, handle, &freed, t))
                .collect();
            nap(&shared.stop, jitter(2000, 4000));
            freed.store(true, Ordering::SeqCst);
            handle.free();
            for r in readers {
                r.join().expect("a churn reader panicked");
            }
            shared.freed.fetch_add(1, Ordering::Relaxed);
        }
    })
}

/// Reads from a churned session until it is freed.
fn spawn_churn_reader(
    shared: &Shared,
    spec: &Arc<Spec>,
    handle: Handle,
    freed: &Arc<AtomicBool>,
    t: usize,
) -> JoinHandle<()> {
    let (shared, spec, freed) = (shared.clone(), Arc::clone(spec), Arc::clone(freed));
    thread::spawn(move || {
        let mut i = t;
        loop {
            i += 1;
            let (status, text) = handle.read(i);
            let invalid = is_invalid_handle(status);
            let cause = match (invalid, freed.load(Ordering::SeqCst)) {
                (true, true) => Cause::Freed,
                (true, false) => Cause::Nothing,
                _ => Cause::Fault,
            };
            let what = format!("churn {}", spec.name());
            shared
                .tally
                .lock()
                .unwrap()
                .add(spec.family, status, cause, &what, &text);
            if invalid {
                return;
            }
        }
    })
}
