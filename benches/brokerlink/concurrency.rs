//! Section 2, concurrency: threads sharing one session, at 5 ms simulated
//! latency.

use crate::session::Session;
use crate::{Settings, median};
use brokersim::{Fault, FaultTimes, Sim};
use std::fmt::Write as _;
use std::time::{Duration, Instant};

pub fn concurrency(sim: &Sim, settings: &Settings, report: &mut String) {
    let latency = Duration::from_millis(5);
    sim.inject("*", Fault::Delay(latency), FaultTimes::Fraction(1.0));
    let session = Session::angel(&sim.angel_base_url());
    let mut rows = Vec::new();
    for threads in [1usize, 2, 4, 8, 16] {
        let calls_per_thread = (settings.concurrency_calls / threads).max(20);
        let samples: Vec<f64> = (0..settings.repeats)
            .map(|_| {
                let started = Instant::now();
                std::thread::scope(|scope| {
                    for _ in 0..threads {
                        scope.spawn(|| (0..calls_per_thread).for_each(|_| session.rms()));
                    }
                });
                (threads * calls_per_thread) as f64 / started.elapsed().as_secs_f64()
            })
            .collect();
        rows.push((threads, median(samples)));
    }
    sim.clear_faults();
    let single = rows[0].1;
    let _ = writeln!(
        report,
        "## 2. Concurrency: threads sharing one session, 5 ms simulated broker latency\n"
    );
    let _ = writeln!(
        report,
        "| threads | calls per second | speed-up over 1 thread |\n|---|---|---|"
    );
    for (threads, rate) in &rows {
        let _ = writeln!(report, "| {threads} | {rate:.0} | {:.2}x |", rate / single);
    }
    let _ = writeln!(report);
}
