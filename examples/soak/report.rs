//! The soak's report: calls, failures by family, status and cause, what
//! each forced expiry cost each session, and memory and descriptors.

use crate::control::Brokersim;
use crate::roster::Heal;
use crate::session::Live;
use crate::tally::{Cause, Injected, Tally};
use crate::util::{heap_in_use_kib, memory};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// RSS in KiB and open descriptors of one process.
type Figures = (u64, usize);

/// RSS (KiB) and open descriptors of the soak process and of brokersim's
/// child, at named moments.
pub struct Memory {
    sim_pid: Option<String>,
    /// When, the soak's figures and heap in use (KiB), brokersim's figures.
    samples: Vec<(&'static str, Figures, u64, Option<Figures>)>,
}

impl Memory {
    /// Starts with the soak's figures from before any session.
    pub fn new(sim: &Brokersim, before: (u64, usize)) -> Memory {
        Memory {
            sim_pid: sim.pid().map(|pid| pid.to_string()),
            samples: vec![("before sessions", before, heap_in_use_kib(), None)],
        }
    }

    /// Takes a sample now.
    pub fn sample(&mut self, when: &'static str) {
        let sim = self.sim_pid.as_deref().map(memory);
        self.samples
            .push((when, memory("self"), heap_in_use_kib(), sim));
    }

    /// The figures now, on one line.
    pub fn now(&self) -> String {
        let (rss, fds) = memory("self");
        let sim = match self.sim_pid.as_deref().map(memory) {
            Some((rss, fds)) => format!("; brokersim RSS {rss} KiB, {fds} fds"),
            None => String::new(),
        };
        format!("RSS {rss} KiB, {fds} fds{sim}")
    }

    /// Prints every sample, and the growth from warm to end.
    pub fn print(&self) {
        let holds = if self.sim_pid.is_some() {
            "the library and the host's threads"
        } else {
            "the library, the host's threads and brokersim"
        };
        println!("memory and descriptors (soak process: {holds}):");
        for (when, (rss, fds), heap, sim) in &self.samples {
            let sim = sim.map_or(String::new(), |(rss, fds)| {
                format!("   brokersim RSS {rss:>7} KiB  fds {fds}")
            });
            println!("  {when:<20} RSS {rss:>7} KiB  heap in use {heap:>7} KiB  fds {fds:>4}{sim}");
        }
        let at = |when: &str| self.samples.iter().find(|s| s.0 == when);
        if let (Some(warm), Some(end)) = (at("warm (start)"), at("end")) {
            let growth = end.1.0 as i64 - warm.1.0 as i64;
            let heap = end.2 as i64 - warm.2 as i64;
            let fds = end.1.1 as i64 - warm.1.1 as i64;
            println!(
                "  warm -> end: RSS {growth:+} KiB, heap in use {heap:+} KiB, fds {fds:+} (soak process)"
            );
        }
    }
}

/// Everything the report needs.
pub struct Report<'a> {
    pub elapsed: Duration,
    pub sim_runs: String,
    pub tally: &'a Tally,
    pub injected: &'a mut Injected,
    pub sessions: &'a [Arc<Live>],
    pub freed: u64,
}

/// How many expiries in `map` (cost: expiries) cost what `bad` says.
fn off_by(map: &BTreeMap<u64, u64>, bad: impl Fn(u64) -> bool) -> u64 {
    map.iter().filter(|(c, _)| bad(**c)).map(|(_, n)| n).sum()
}

/// `{1: 40, 2: 1}` as `40 x 1, 1 x 2`.
fn counts(map: &BTreeMap<u64, u64>) -> String {
    let shown: Vec<String> = map
        .iter()
        .map(|(cost, n)| format!("{n} x {cost}"))
        .collect();
    shown.join(", ")
}

impl Report<'_> {
    /// Prints the report; whether the soak passed.
    pub fn print(mut self) -> bool {
        let tally = self.tally;
        println!();
        println!(
            "== soak report ({} s, brokersim {})",
            self.elapsed.as_secs(),
            self.sim_runs
        );
        println!(
            "calls: {} ({} ok, {} failed); sessions freed while in use: {}",
            tally.calls,
            tally.ok,
            tally.calls - tally.ok,
            self.freed
        );
        println!("faults injected (requests): {:?}", self.injected.by_fault);
        let unexplained = self.failures();
        let costly = self.refreshes() + self.new_logins();
        println!(
            "{unexplained} unexplained failures, {costly} expiries that did not cost exactly one refresh or new login"
        );
        unexplained == 0 && costly == 0
    }

    /// Prints the failures with their causes; how many are unexplained.
    fn failures(&mut self) -> u64 {
        println!("failures by family, status and cause:");
        if self.tally.failures.is_empty() {
            println!("  none");
        }
        let mut unexplained = 0;
        for ((family, status, cause), count) in &self.tally.failures {
            let (explained, why) = match cause {
                Cause::Freed => (
                    *count,
                    "expected: the session was freed under the call".into(),
                ),
                Cause::Expiry => (
                    *count,
                    "expected: forced expiry, before the new login".into(),
                ),
                Cause::Pacing => (
                    *count,
                    "expected: the library's own pacing, nothing sent".into(),
                ),
                Cause::TwoExpiries => (
                    *count,
                    "expected: two forced expiries during the one call".into(),
                ),
                Cause::Fault => {
                    let (explained, had) = self.injected.explain(*family, status, *count);
                    let why = format!(
                        "injected fault: {had} requests of {} had faults that may end in {status}",
                        family.name()
                    );
                    (explained, why)
                }
                Cause::Nothing => (0, "nothing injected explains it".to_owned()),
            };
            unexplained += count - explained;
            println!(
                "  {:<10} {status:<16} {count:>6}  unexplained {:>4}  ({why})",
                family.name(),
                count - explained
            );
            if count > &explained {
                let key = (*family, status.clone(), *cause);
                println!("      e.g. {}", self.tally.samples[&key]);
            }
        }
        unexplained
    }

    /// The sessions whose expiries `heal` heals.
    fn healing(&self, heal: Heal) -> impl Iterator<Item = &Arc<Live>> {
        self.sessions.iter().filter(move |s| s.spec.heal == heal)
    }

    /// Prints what each expiry cost the refreshing sessions; how many
    /// expiries did not cost exactly one refresh.
    fn refreshes(&self) -> u64 {
        println!("refreshes per forced expiry, per session (goal: exactly 1):");
        let mut off = 0;
        for session in self.healing(Heal::Refresh) {
            let cost = session.cost.lock().unwrap();
            off += off_by(&cost, |c| c != 1);
            println!(
                "  {:<22} {} expiries, {} refreshes ({} refused): {}",
                session.spec.name(),
                session.expiries.load(Ordering::Relaxed),
                session.refreshes.load(Ordering::Relaxed),
                session.refused.load(Ordering::Relaxed),
                counts(&cost)
            );
        }
        off
    }

    /// Prints what each expiry cost the sessions that cannot refresh; how
    /// many expiries did not cost exactly one new login, or cost more than
    /// one refused refresh attempt.
    fn new_logins(&self) -> u64 {
        println!(
            "expiries -> new logins, sessions without refresh (goal: exactly 1 login, at most 1 refused refresh):"
        );
        let mut off = 0;
        for session in self.healing(Heal::NewLogin) {
            let cost = session.cost.lock().unwrap();
            let refused = session.refused_cost.lock().unwrap();
            off += off_by(&cost, |c| c != 1);
            off += off_by(&refused, |c| c > 1);
            let renewed = session.refreshes.load(Ordering::Relaxed);
            let ahead = if renewed > 0 {
                format!("; {renewed} renewals ahead of expiry")
            } else {
                String::new()
            };
            println!(
                "  {:<22} {} expiries -> {} new logins: {}; refused refreshes per expiry: {}{ahead}",
                session.spec.name(),
                session.expiries.load(Ordering::Relaxed),
                session.logins.load(Ordering::Relaxed),
                counts(&cost),
                counts(&refused),
            );
        }
        off
    }
}
