//! Section 4, cold start: from process start to the first funds reply, over
//! HTTPS (brokersim with TLS, its CA given as `ca_file`) and, in the same
//! run, over plain HTTP with and without the platform's trust store loaded:
//! the difference is what TLS costs a cold start.
//!
//! The bench re-runs itself as the child. The parent times spawn → the
//! child's line on stdout, which the child prints once the first funds
//! reply is in; the child times its own phases from `main`. After the first
//! reply the child makes [`LATER_SESSIONS`] more sessions with the same
//! config: what the second and later `broker_new` cost once the process
//! has made one (the TLS configuration is meant to be built once per CA set).

use crate::Settings;
use crate::goals::Goals;
use crate::median;
use crate::session::{Session, angel_config};
use brokersim::{Sim, SimOptions, SimTls};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write as _};
use std::process::{Command, Stdio};
use std::time::Instant;

/// Set in the child: the base URL of the simulator to call.
pub const CHILD: &str = "BROKERLINK_BENCH_COLD_START_CHILD";
/// Set in the child when the simulator serves HTTPS: its CA file.
const CHILD_CA_FILE: &str = "BROKERLINK_BENCH_COLD_START_CA_FILE";
/// How many more sessions the child makes after the first, timing each `broker_new`.
const LATER_SESSIONS: usize = 20;

/// One cold start, in milliseconds.
#[derive(Clone, Copy)]
struct Run {
    /// Spawn → the child's line (the parent's clock).
    total: f64,
    /// Spawn → `main`: exec, loading, the Rust runtime (total minus the child's own time).
    before_main: f64,
    /// `broker_new`: config, HTTP client (and TLS client) set-up.
    new: f64,
    /// `broker_login`: connect (with the TLS handshake), log in.
    login: f64,
    /// The first `broker_get_rms`, on the connection the login opened.
    funds: f64,
    /// The median `broker_new` of the [`LATER_SESSIONS`] made after the first reply.
    later_new: f64,
}

/// The three kinds of cold start, alternated.
#[derive(Clone, Copy)]
enum Kind {
    /// `brokersim --tls`, its CA as `ca_file`: what a user's program does.
    Https,
    /// Plain HTTP: no handshake, but `broker_new` still loads the platform's trust store.
    Http,
    /// Plain HTTP with SSL_CERT_FILE naming one certificate, so that no trust store is
    /// loaded: no TLS work at all, the baseline.
    HttpNoTrustStore,
}

pub fn cold_start(settings: &Settings, report: &mut String, goals: &mut Goals) {
    let https = Sim::start_with(SimOptions {
        tls: Some(SimTls::Valid),
        rate_limits: false,
        ..SimOptions::default()
    })
    .expect("brokersim starts with TLS");
    let http = Sim::start_with(SimOptions {
        rate_limits: false,
        ..SimOptions::default()
    })
    .expect("brokersim starts");
    let ca_file = https.ca_file().expect("an HTTPS sim has a CA file");
    let ca_file = ca_file.to_str().expect("the CA file's path is UTF-8");
    let run = |kind| match kind {
        Kind::Https => run_child(&https.angel_base_url(), Some(ca_file), None),
        Kind::Http => run_child(&http.angel_base_url(), None, None),
        Kind::HttpNoTrustStore => run_child(&http.angel_base_url(), None, Some(ca_file)),
    };
    let kinds = [Kind::Https, Kind::Http, Kind::HttpNoTrustStore];
    // One warm-up each (page cache, the sims' first connections), then
    // alternate so that every kind sees the same machine.
    for &kind in &kinds {
        run(kind);
    }
    let mut runs: [Vec<Run>; 3] = Default::default();
    for _ in 0..settings.cold_starts {
        for (index, &kind) in kinds.iter().enumerate() {
            runs[index].push(run(kind));
        }
    }

    let _ = writeln!(
        report,
        "## 4. Cold start: process start to the first funds reply\n"
    );
    let _ = writeln!(
        report,
        "A new process (this bench re-run as a child, brokerlink linked in) makes a session, logs in and reads funds once; median of {} cold starts of each kind, alternating. The total is the parent's clock from spawn to the child's line on stdout, printed once the reply is in; the rows under it are the child's own clock (before `main` is the total minus the child's time from `main`), and medians do not add up exactly. HTTPS is `brokersim --tls` with its CA as `ca_file` (rustls with ring, TLS 1.3). TLS's share is HTTPS minus the last column, where the process does no TLS work at all: plain HTTP, and `SSL_CERT_FILE` names a one-certificate file so that `broker_new` cannot load the platform's trust store (the middle column shows what loading it costs a plain-HTTP session, if it does).\n",
        settings.cold_starts
    );
    let _ = writeln!(
        report,
        "| ms, median | HTTPS | plain HTTP | plain HTTP, no trust store loaded | TLS's share | ratio HTTPS / no TLS |\n|---|---|---|---|---|---|"
    );
    let rows: [(&str, Field); 5] = [
        ("process start → first funds reply", |r| r.total),
        ("before `main` (exec, loading, runtime)", |r| r.before_main),
        ("`broker_new` (config, HTTP client, trust store)", |r| r.new),
        ("`broker_login` (connect, TLS handshake, login)", |r| {
            r.login
        }),
        ("first `broker_get_rms`", |r| r.funds),
    ];
    for (index, (name, field)) in rows.into_iter().enumerate() {
        let [a, b, c] = [0, 1, 2].map(|kind| median(runs[kind].iter().map(field).collect()));
        let share = if index == 0 {
            format!(
                "**{:.2}** ({:.0}% of the HTTPS total)",
                a - c,
                (a - c) / a * 100.0
            )
        } else {
            format!("{:.2}", a - c)
        };
        let bold = if index == 0 { "**" } else { "" };
        let _ = writeln!(
            report,
            "| {name} | {bold}{a:.2}{bold} | {b:.2} | {c:.2} | {share} | {:.2}x |",
            a / c
        );
    }
    let _ = writeln!(report);
    later_sessions(&runs, report, goals);
}

/// The second and later `broker_new` in one process against the first, over
/// HTTPS (`ca_file`) and plain HTTP: runs[0] and runs[1].
fn later_sessions(runs: &[Vec<Run>; 3], report: &mut String, goals: &mut Goals) {
    let medians = |field: Field| [0, 1].map(|kind| median(runs[kind].iter().map(field).collect()));
    let (first, later) = (medians(|r| r.new), medians(|r| r.later_new));
    let share = [0, 1].map(|kind| later[kind] / first[kind] * 100.0);
    let _ = writeln!(
        report,
        "### The second and later `broker_new` in the same process\n\nAfter its first funds reply, each child above makes {LATER_SESSIONS} more sessions with the same config, keeping them all, and takes the median of their `broker_new`; below, the median of those over the cold starts. The TLS client configuration is meant to be built once per process per distinct CA set and shared.\n"
    );
    let _ = writeln!(
        report,
        "| `broker_new`, ms (median) | HTTPS (`ca_file`) | plain HTTP |\n|---|---|---|"
    );
    let _ = writeln!(report, "| the first | {:.3} | {:.3} |", first[0], first[1]);
    let _ = writeln!(
        report,
        "| the second and later | {:.3} | {:.3} |",
        later[0], later[1]
    );
    let _ = writeln!(
        report,
        "| **later ÷ first** | **{:.0}%** | **{:.0}%** |\n",
        share[0], share[1]
    );
    goals.record(
        "Second and later `broker_new`: at most 10% of the first",
        format!(
            "{:.0}% over HTTPS (`ca_file`), {:.0}% over plain HTTP (section 4)",
            share[0], share[1]
        ),
        share.iter().all(|&percent| percent <= 10.0),
    );
}

/// Reads one phase of a [`Run`].
type Field = fn(&Run) -> f64;

/// Spawns one child and times it; the child's phases from its line.
/// `ca_file` goes into the child's config; `only_root` replaces the platform's trust store
/// (SSL_CERT_FILE, with SSL_CERT_DIR unset).
fn run_child(base_url: &str, ca_file: Option<&str>, only_root: Option<&str>) -> Run {
    let exe = std::env::current_exe().unwrap();
    let mut command = Command::new(exe);
    command
        .env(CHILD, base_url)
        .env_remove(crate::footprint::CHILD)
        .stdout(Stdio::piped());
    match ca_file {
        Some(path) => command.env(CHILD_CA_FILE, path),
        None => command.env_remove(CHILD_CA_FILE),
    };
    if let Some(path) = only_root {
        command
            .env("SSL_CERT_FILE", path)
            .env_remove("SSL_CERT_DIR");
    }
    let started = Instant::now();
    let mut child = command.spawn().expect("the cold start child runs");
    let mut line = String::new();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    let total = started.elapsed().as_secs_f64() * 1e3;
    stdout.read_line(&mut line).unwrap();
    assert!(
        child.wait().unwrap().success(),
        "the cold start child failed"
    );
    let field = |name: &str| -> f64 {
        line.split_whitespace()
            .find_map(|part| part.strip_prefix(name))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("no {name} in the child's line {line:?}"))
            / 1e3
    };
    Run {
        total,
        before_main: total - field("main_to_funds_us="),
        new: field("new_us="),
        login: field("login_us="),
        funds: field("funds_us="),
        later_new: field("later_new_us="),
    }
}

/// In the child: from `main`, one session to the first funds reply.
pub fn child(base_url: &str) {
    let entered = Instant::now();
    let ca_file = std::env::var(CHILD_CA_FILE).ok();
    let config = angel_config(base_url, ca_file.as_deref());
    let session = Session::new(&config);
    let created = Instant::now();
    session.login_angel();
    let logged_in = Instant::now();
    session.rms();
    let funds = Instant::now();
    let us = |from: Instant, to: Instant| (to - from).as_micros();
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "first_funds main_to_funds_us={} new_us={} login_us={} funds_us={}",
        us(entered, funds),
        us(entered, created),
        us(created, logged_in),
        us(logged_in, funds)
    )
    .and_then(|()| stdout.flush())
    .expect("write to the parent");
    // A second line, after the parent's clock has stopped at the first.
    writeln!(stdout, "later_new_us={}", later_new_us(&config)).expect("write to the parent");
}

/// In the child: the median µs of [`LATER_SESSIONS`] more `broker_new` with
/// `config`, every session kept until all are made, as a host keeps them.
fn later_new_us(config: &str) -> f64 {
    let mut sessions = Vec::with_capacity(LATER_SESSIONS);
    let times = (0..LATER_SESSIONS)
        .map(|_| {
            let started = Instant::now();
            sessions.push(Session::new(config));
            started.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    median(times)
}
