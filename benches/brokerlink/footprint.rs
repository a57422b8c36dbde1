//! Section 3, footprint: library sizes, a host process's RSS over many
//! calls, and the RSS and time of [`SESSIONS`] idle sessions in one process
//! (each in a child process, so the simulator's memory does not count).

use crate::Settings;
use crate::goals::Goals;
use crate::session::{Session, angel_config};
use brokersim::Sim;
use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

/// Set in the child that makes many calls: the base URL of the simulator to call.
pub const CHILD: &str = "BROKERLINK_BENCH_FOOTPRINT_CHILD";
/// Set in the child that holds many sessions: the base URL of the simulator.
pub const SESSIONS_CHILD: &str = "BROKERLINK_BENCH_SESSIONS_CHILD";
/// How many sessions the many-sessions child holds.
const SESSIONS: usize = 1_000;
/// RSS growth that is the allocator's and the pages' granularity, not a leak.
const NOISE_KIB: f64 = 64.0;

pub fn footprint(sim: &Sim, settings: &Settings, report: &mut String, goals: &mut Goals) {
    let release = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release");
    let size = |name: &str| {
        std::fs::metadata(format!("{release}/{name}"))
            .map(|m| m.len() as f64 / 1_048_576.0)
            .ok()
    };
    let field = run_child(&[
        (CHILD, sim.angel_base_url()),
        (
            "BROKERLINK_BENCH_FOOTPRINT_CALLS",
            settings.footprint_calls.to_string(),
        ),
    ]);
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
        thousands(settings.footprint_calls),
        after_all / 1024.0,
        (after_all / after_1k - 1.0) * 100.0
    );
    let _ = writeln!(report, "| peak RSS | {:.1} MiB |", peak / 1024.0);
    // A leak of one byte per call would show; the allocator's and the
    // pages' granularity (a few pages either way) does not.
    let growth_kib = after_all - after_1k;
    let later_calls = settings.footprint_calls.saturating_sub(1_000) as f64;
    let allowed_kib = (later_calls / 1024.0).max(NOISE_KIB);
    goals.record(
        &format!(
            "No growth over {} calls",
            thousands(settings.footprint_calls)
        ),
        format!(
            "{growth_kib:+.0} KiB from call 1,000 to call {} (section 3; MET up to {allowed_kib:.0} KiB: one byte per call, at least {NOISE_KIB:.0} KiB)",
            thousands(settings.footprint_calls)
        ),
        growth_kib <= allowed_kib,
    );
    many_sessions(sim, report, goals);
    let _ = writeln!(
        report,
        "\nEach host process is a child of the bench, so the simulator's memory does not count.\n"
    );
}

/// The rows for [`SESSIONS`] idle sessions in one child process.
fn many_sessions(sim: &Sim, report: &mut String, goals: &mut Goals) {
    let field = run_child(&[(SESSIONS_CHILD, sim.angel_base_url())]);
    let per_session = |after: &str| (field(after) - field("rss_before_kib=")) / SESSIONS as f64;
    let (idle, used) = (
        per_session("rss_after_import_kib="),
        per_session("rss_after_read_kib="),
    );
    let create_ms = field("create_us=") / 1e3;
    let n = thousands(SESSIONS);
    let _ = writeln!(
        report,
        "| {n} sessions in one process: time to create them (`broker_new` + `broker_session_import` of a logged-in state) | {create_ms:.0} ms, {:.3} ms per session |",
        create_ms / SESSIONS as f64
    );
    let _ = writeln!(
        report,
        "| RSS per idle session: logged in by import, no call made yet | **{idle:.1} KiB** |"
    );
    let _ = writeln!(
        report,
        "| RSS per idle session after one funds read each (each keeps its connection) | {used:.1} KiB |"
    );
    goals.record(
        "RSS per idle session: at most 64 KiB",
        format!(
            "{idle:.1} KiB with {n} sessions logged in by import; {used:.1} KiB once each has read funds (section 3)"
        ),
        idle <= 64.0,
    );
}

/// Runs this bench as a child with `env` to the end; the value of each
/// `name=value` line it printed.
fn run_child(env: &[(&str, String)]) -> impl Fn(&str) -> f64 + use<> {
    let output = Command::new(std::env::current_exe().unwrap())
        .envs(env.iter().map(|(name, value)| (name, value)))
        .output()
        .expect("the footprint child runs");
    assert!(output.status.success(), "the footprint child failed");
    let child = String::from_utf8_lossy(&output.stdout).into_owned();
    move |name: &str| -> f64 {
        child
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(f64::NAN)
    }
}

/// 100000 as "100,000".
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
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

/// In a child process: [`SESSIONS`] sessions logged in from one exported
/// state (no network call), then one funds read each; RSS at each step.
pub fn sessions_child(base_url: &str) {
    let config = angel_config(base_url, None);
    // The first session, warm: the library, its threads and caches are up.
    let first = Session::angel(base_url);
    first.rms();
    let state = first.export();
    println!("rss_before_kib={}", proc_status_kib("VmRSS:"));
    let started = Instant::now();
    let sessions: Vec<Session> = (0..SESSIONS)
        .map(|_| {
            let session = Session::new(&config);
            session.import(&state);
            session
        })
        .collect();
    println!("create_us={}", started.elapsed().as_micros());
    println!("rss_after_import_kib={}", proc_status_kib("VmRSS:"));
    sessions.iter().for_each(Session::rms);
    println!("rss_after_read_kib={}", proc_status_kib("VmRSS:"));
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
