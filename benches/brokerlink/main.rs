//! brokerlink's benchmarks, against brokersim on loopback. Every figure is
//! a median over repeated runs, next to a baseline measured in the same run.
//! `cargo bench --bench brokerlink` writes sections 1-4 of BENCHMARKS.md,
//! and the goals they measure to target/bench-goals.json; `make bench`
//! (scripts/bench.sh) runs it, then appends section 5, the official Python
//! SDKs, and the goals table (benches/sdk/compare.py).
//!
//! Set BENCH_QUICK=1 for a short run (fewer calls and repeats).

mod cold_start;
mod concurrency;
mod footprint;
mod goals;
mod load;
mod overhead;
mod session;

use brokersim::{Sim, SimOptions};
use std::fmt::Write as _;

/// What a child process of the bench runs, given the simulator's base URL.
type Child = fn(&str);

/// How much each section does; BENCH_QUICK=1 picks the short run.
pub struct Settings {
    quick: bool,
    calls: usize,
    repeats: usize,
    concurrency_calls: usize,
    footprint_calls: usize,
    cold_starts: usize,
}

fn settings() -> Settings {
    if std::env::var_os("BENCH_QUICK").is_some() {
        Settings {
            quick: true,
            calls: 1_000,
            repeats: 3,
            concurrency_calls: 400,
            footprint_calls: 10_000,
            cold_starts: 7,
        }
    } else {
        Settings {
            quick: false,
            calls: 10_000,
            repeats: 5,
            concurrency_calls: 2_000,
            footprint_calls: 100_000,
            cold_starts: 21,
        }
    }
}

fn main() {
    // The bench re-runs itself as a child for the footprint, the cold start
    // and the busy process of the runs under load.
    if std::env::var_os(load::CHILD).is_some() {
        load::child();
    }
    let children: [(&str, Child); 3] = [
        (footprint::CHILD, footprint::child),
        (footprint::SESSIONS_CHILD, footprint::sessions_child),
        (cold_start::CHILD, cold_start::child),
    ];
    for (variable, child) in children {
        if let Ok(base_url) = std::env::var(variable) {
            child(&base_url);
            return;
        }
    }
    let settings = settings();
    let mut report = String::new();
    let mut goals = goals::Goals::default();
    header(&mut report, &settings);
    let sim = Sim::start_with(SimOptions {
        rate_limits: false,
        ..SimOptions::default()
    })
    .expect("brokersim starts");
    overhead::call_overhead(&sim, &settings, &mut report, &mut goals);
    concurrency::concurrency(&sim, &settings, &mut report);
    footprint::footprint(&sim, &settings, &mut report, &mut goals);
    drop(sim);
    cold_start::cold_start(&settings, &mut report, &mut goals);
    goals.write();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/BENCHMARKS.md");
    std::fs::write(path, &report).expect("write BENCHMARKS.md");
    println!("{report}");
    println!("written to {path}");
}

// ---- statistics and the report ----

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    if values.len().is_multiple_of(2) {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

fn header(report: &mut String, settings: &Settings) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines().next().map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse::<u64>()
                    .unwrap_or(0)
                    / 1024
                    / 1024
            })
        })
        .unwrap_or(0);
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|release| {
            release.lines().find_map(|l| {
                l.strip_prefix("PRETTY_NAME=")
                    .map(|v| v.trim_matches('"').to_string())
            })
        })
        .unwrap_or_else(|| std::env::consts::OS.into());
    // Other work on the machine skews every figure; the reader should know.
    let busy = cpu_busy_percent().map_or_else(|| "unknown".into(), |p| format!("{p:.0}%"));
    let _ = writeln!(report, "# brokerlink benchmarks\n");
    // scripts/bench.sh names itself (`make bench`) and appends section 5.
    match std::env::var("BENCH_COMMAND") {
        Ok(command) => {
            let _ = writeln!(
                report,
                "Produced by `{command}`: sections 1-4 by `cargo bench --bench brokerlink`, section 5 and the goals (section 6) by `benches/sdk/compare.py`; release build, against brokersim on 127.0.0.1."
            );
        }
        Err(_) => {
            let _ = writeln!(
                report,
                "Produced by `{}cargo bench --bench brokerlink`, release build, against brokersim on 127.0.0.1 (`make bench` adds the official SDKs and the goals table).",
                if settings.quick { "BENCH_QUICK=1 " } else { "" }
            );
        }
    }
    let _ = writeln!(
        report,
        "Machine: {cpu}, {cores} cores, {memory} GiB, {os}, CPU {busy} busy with other work when the bench started; {}. Each figure is the median of {} runs unless its section says otherwise{}; ratios compare figures from the same run.\n",
        rustc_version(),
        settings.repeats,
        if settings.quick {
            " (a quick run: BENCH_QUICK=1)"
        } else {
            ""
        }
    );
}

/// How busy the CPUs are, sampled over a second from /proc/stat.
fn cpu_busy_percent() -> Option<f64> {
    let sample = || -> Option<(u64, u64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let times: Vec<u64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        // idle + iowait
        Some((
            times.iter().sum(),
            times.get(3)? + times.get(4).unwrap_or(&0),
        ))
    };
    let (total_0, idle_0) = sample()?;
    std::thread::sleep(std::time::Duration::from_secs(1));
    let (total_1, idle_1) = sample()?;
    let total = total_1.checked_sub(total_0)?.max(1) as f64;
    Some((1.0 - idle_1.saturating_sub(idle_0) as f64 / total) * 100.0)
}

fn rustc_version() -> String {
    std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "rustc unknown".into())
}
