//! Section 3, footprint: library sizes, and a host process's RSS over many
//! calls (a child process, so the simulator's memory does not count).

use crate::Settings;
use crate::session::Session;
use brokersim::Sim;
use std::fmt::Write as _;

/// Set in the child: the base URL of the simulator to call.
pub const CHILD: &str = "BROKERLINK_BENCH_FOOTPRINT_CHILD";

pub fn footprint(sim: &Sim, settings: &Settings, report: &mut String) {
    let release = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release");
    let size = |name: &str| {
        std::fs::metadata(format!("{release}/{name}"))
            .map(|m| m.len() as f64 / 1_048_576.0)
            .ok()
    };
    let exe = std::env::current_exe().unwrap();
    let output = std::process::Command::new(exe)
        .env(CHILD, sim.angel_base_url())
        .env(
            "BROKERLINK_BENCH_FOOTPRINT_CALLS",
            settings.footprint_calls.to_string(),
        )
        .output()
        .expect("the footprint child runs");
    let child = String::from_utf8_lossy(&output.stdout);
    let field = |name: &str| -> f64 {
        child
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(f64::NAN)
    };
    let _ = writeln!(report, "## 3. Footprint\n");
    let _ = writeln!(report, "| measure | value |\n|---|---|");
    for (name, file) in [
        ("cdylib, stripped (libbrokerlink.so)", "libbrokerlink.so"),
        ("staticlib (libbrokerlink.a)", "libbrokerlink.a"),
    ] {
        match size(file) {
            Some(mb) => {
                let _ = writeln!(report, "| {name} | {mb:.2} MB |");
            }
            None => {
                let _ = writeln!(report, "| {name} | not built |");
            }
        }
    }
    let (after_1k, after_all, peak) = (
        field("rss_after_1000_kib="),
        field("rss_after_all_kib="),
        field("peak_rss_kib="),
    );
    let _ = writeln!(
        report,
        "| RSS of a host process after 1,000 calls | {:.1} MiB |",
        after_1k / 1024.0
    );
    let _ = writeln!(
        report,
        "| RSS after {} calls | {:.1} MiB ({:+.1}% vs 1,000: growth would mean a leak) |",
        settings.footprint_calls,
        after_all / 1024.0,
        (after_all / after_1k - 1.0) * 100.0
    );
    let _ = writeln!(report, "| peak RSS | {:.1} MiB |", peak / 1024.0);
    let _ = writeln!(
        report,
        "\nThe host process is a child of the bench, so the simulator's memory does not count.\n"
    );
}

/// In a child process: one session, many calls, RSS read from /proc.
pub fn child(base_url: &str) {
    let calls: usize = std::env::var("BROKERLINK_BENCH_FOOTPRINT_CALLS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let session = Session::angel(base_url);
    (0..1_000).for_each(|_| session.rms());
    println!("rss_after_1000_kib={}", proc_status_kib("VmRSS:"));
    (1_000..calls).for_each(|_| session.rms());
    println!("rss_after_all_kib={}", proc_status_kib("VmRSS:"));
    println!("peak_rss_kib={}", proc_status_kib("VmHWM:"));
}

fn proc_status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
