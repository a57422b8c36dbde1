//! What the soak counts: calls, failures by family, status and cause, and
//! the faults injected, which bound how many failures a fault explains.

use crate::faults::FaultKind;
use crate::roster::Family;
use std::collections::BTreeMap;

/// Why a call may fail.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Cause {
    /// The session was freed under it (`INVALID_HANDLE`).
    Freed,
    /// An expiry forced on a session that cannot refresh, before the new login.
    Expiry,
    /// The library's own pacing refused it without calling the broker (the
    /// readers ask faster than the broker's hourly budget allows).
    Pacing,
    /// A refreshing session's call that lived through two forced expiries:
    /// its one refresh answered the first, and the tokens it made were
    /// expired by the second before their repeat was answered. The library
    /// repeats once per refresh it needed, then reports the expiry.
    TwoExpiries,
    /// Only a fault injected into the reads can explain it.
    Fault,
    /// Nothing injected explains it (a login: faults go to reads only).
    Nothing,
}

/// Calls, and failures by family, status and cause.
#[derive(Default)]
pub struct Tally {
    pub calls: u64,
    pub ok: u64,
    pub failures: BTreeMap<(Family, String, Cause), u64>,
    /// The first failure of each kind a fault or nothing is to explain.
    pub samples: BTreeMap<(Family, String, Cause), String>,
}

impl Tally {
    /// Counts one call of a session of `family`.
    pub fn add(&mut self, family: Family, status: i32, cause: Cause, what: &str, text: &str) {
        self.calls += 1;
        if status == 0 {
            self.ok += 1;
            return;
        }
        let status = crate::abi::status_name(status);
        let key = (family, status, cause);
        if cause >= Cause::Fault && !self.samples.contains_key(&key) {
            let text: String = text.chars().take(300).collect();
            self.samples.insert(key.clone(), format!("{what}: {text}"));
        }
        *self.failures.entry(key).or_default() += 1;
    }
}

/// The requests injected with a fault.
#[derive(Default)]
pub struct Injected {
    /// By fault.
    pub by_fault: BTreeMap<&'static str, u64>,
    /// By family and a status the fault may end a read in: how many failed
    /// reads of that family and status faults can explain at most.
    pub budget: BTreeMap<(Family, &'static str), u64>,
}

impl Injected {
    /// Books `times` requests of `family` injected with `kind`.
    pub fn add(&mut self, family: Family, kind: FaultKind, times: u32) {
        *self.by_fault.entry(kind.name()).or_default() += u64::from(times);
        for status in kind.ends_in(family) {
            *self.budget.entry((family, status)).or_default() += u64::from(times);
        }
    }

    /// How many of `count` failures of `family` with `status` the faults
    /// explain (using up that much of the budget), and the budget it had.
    pub fn explain(&mut self, family: Family, status: &str, count: u64) -> (u64, u64) {
        let Some(budget) = self
            .budget
            .iter_mut()
            .find(|((f, s), _)| *f == family && *s == status)
            .map(|(_, b)| b)
        else {
            return (0, 0);
        };
        let had = *budget;
        let explained = count.min(had);
        *budget -= explained;
        (explained, had)
    }
}
