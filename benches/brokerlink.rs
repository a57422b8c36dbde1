//! brokerlink's benchmarks, against brokersim on loopback. Every figure is
//! a median over repeated runs, next to a baseline measured in the same run.
//! `make bench` (= `cargo bench --bench brokerlink`) writes BENCHMARKS.md.
//!
//! Set BENCH_QUICK=1 for a short run (fewer calls and repeats).

use brokerlink::ffi::*;
use brokersim::{Fault, FaultTimes, Sim, SimOptions};
use std::ffi::{CStr, CString, c_char};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const RMS_PATH: &str = "/rest/secure/angelbroking/user/v1/getRMS";

struct Settings {
    calls: usize,
    repeats: usize,
    concurrency_calls: usize,
    footprint_calls: usize,
}

fn settings() -> Settings {
    if std::env::var_os("BENCH_QUICK").is_some() {
        Settings {
            calls: 1_000,
            repeats: 3,
            concurrency_calls: 400,
            footprint_calls: 10_000,
        }
    } else {
        Settings {
            calls: 10_000,
            repeats: 5,
            concurrency_calls: 2_000,
            footprint_calls: 100_000,
        }
    }
}

fn main() {
    if let Ok(base_url) = std::env::var("BROKERLINK_BENCH_FOOTPRINT_CHILD") {
        footprint_child(&base_url);
        return;
    }
    let settings = settings();
    let mut report = String::new();
    header(&mut report, &settings);
    let sim = Sim::start_with(SimOptions {
        rate_limits: false,
        ..SimOptions::default()
    })
    .expect("brokersim starts");
    call_overhead(&sim, &settings, &mut report);
    concurrency(&sim, &settings, &mut report);
    footprint(&sim, &settings, &mut report);
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/BENCHMARKS.md");
    std::fs::write(path, &report).expect("write BENCHMARKS.md");
    println!("{report}");
    println!("written to {path}");
}

// ---- a session through the C ABI ----

struct Session(*mut BrokerSession);

impl Session {
    fn angel(base_url: &str) -> Session {
        let config = CString::new(format!(
            r#"{{"broker":"angelone","api_key":"demo-api-key","client_code":"D12345","base_url":"{base_url}","rate_limits":"off","timeout_ms":30000}}"#
        ))
        .unwrap();
        let mut session = std::ptr::null_mut();
        let mut out = std::ptr::null_mut();
        assert_eq!(
            unsafe { broker_new(config.as_ptr(), &mut session, &mut out) },
            0
        );
        unsafe { broker_string_free(out) };
        let credentials =
            CString::new(r#"{"pin":"1234","totp_secret":"JBSWY3DPEHPK3PXP"}"#).unwrap();
        let status = unsafe { broker_login(session, credentials.as_ptr(), &mut out) };
        assert_eq!(status, 0, "login: {}", take(out));
        Session(session)
    }

    /// One funds read; the JSON is freed as a host would.
    fn rms(&self) {
        let mut out: *mut c_char = std::ptr::null_mut();
        let status = unsafe { broker_get_rms(self.0, &mut out) };
        assert_eq!(status, 0, "rms: {}", take(out));
        unsafe { broker_string_free(out) };
    }

    fn access_token(&self) -> String {
        let mut out = std::ptr::null_mut();
        assert_eq!(unsafe { broker_session_export(self.0, &mut out) }, 0);
        let state: serde_json::Value = serde_json::from_str(&take(out)).unwrap();
        state["access_token"].as_str().unwrap().to_string()
    }
}

// The handle is an id; sharing it between threads is what hosts do.
unsafe impl Send for Session {}
unsafe impl Sync for Session {}

impl Drop for Session {
    fn drop(&mut self) {
        broker_free(self.0);
    }
}

fn take(out: *mut c_char) -> String {
    let text = unsafe { CStr::from_ptr(out) }
        .to_string_lossy()
        .into_owned();
    unsafe { broker_string_free(out) };
    text
}

// ---- statistics and the report ----

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    if values.len() % 2 == 0 {
        (values[mid - 1] + values[mid]) / 2.0
    } else {
        values[mid]
    }
}

/// Median microseconds per call of `run(calls)` over the repeats.
fn per_call_us(settings: &Settings, mut run: impl FnMut(usize)) -> f64 {
    run(settings.calls / 10); // warm-up: connections, caches
    let samples = (0..settings.repeats)
        .map(|_| {
            let started = Instant::now();
            run(settings.calls);
            started.elapsed().as_secs_f64() * 1e6 / settings.calls as f64
        })
        .collect();
    median(samples)
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
    let _ = writeln!(report, "# brokerlink benchmarks\n");
    let _ = writeln!(
        report,
        "Produced by `make bench` (`cargo bench --bench brokerlink`), release build, against brokersim on 127.0.0.1."
    );
    let _ = writeln!(
        report,
        "Machine: {cpu}, {cores} cores, {memory} GiB; {}. Each figure is the median of {} runs; ratios compare figures from the same run.\n",
        rustc_version(),
        settings.repeats
    );
}

fn rustc_version() -> String {
    std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "rustc unknown".into())
}

// ---- 1. call overhead ----

/// The exact request brokerlink sends for getRMS.
fn rms_headers(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Content-Type", "application/json".into()),
        ("Accept", "application/json".into()),
        ("X-UserType", "USER".into()),
        ("X-SourceID", "WEB".into()),
        ("X-ClientLocalIP", "127.0.0.1".into()),
        ("X-ClientPublicIP", "127.0.0.1".into()),
        ("X-MACAddress", "00:00:00:00:00:00".into()),
        ("X-PrivateKey", "demo-api-key".into()),
        ("Authorization", format!("Bearer {token}")),
    ]
}

fn call_overhead(sim: &Sim, settings: &Settings, report: &mut String) {
    let session = Session::angel(&sim.angel_base_url());
    let token = session.access_token();
    let url = format!("{}{RMS_PATH}", sim.angel_base_url());

    let brokerlink = per_call_us(settings, |n| (0..n).for_each(|_| session.rms()));

    let client = reqwest::blocking::Client::builder().build().unwrap();
    let headers = rms_headers(&token);
    let bare = per_call_us(settings, |n| {
        for _ in 0..n {
            let mut request = client.get(&url);
            for (name, value) in &headers {
                request = request.header(*name, value);
            }
            let body = request.send().unwrap().bytes().unwrap();
            let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(parsed["status"], true);
        }
    });

    let address = sim
        .angel_base_url()
        .trim_start_matches("http://")
        .to_string();
    let mut raw_request = format!("GET {RMS_PATH} HTTP/1.1\r\nHost: {address}\r\n");
    for (name, value) in &headers {
        let _ = write!(raw_request, "{name}: {value}\r\n");
    }
    raw_request.push_str("\r\n");
    let mut stream = BufReader::new(TcpStream::connect(&address).unwrap());
    stream.get_ref().set_nodelay(true).unwrap();
    let floor = per_call_us(settings, |n| {
        (0..n).for_each(|_| raw_exchange(&mut stream, raw_request.as_bytes()))
    });

    let _ = writeln!(
        report,
        "## 1. Call overhead: `broker_get_rms` on one logged-in session\n"
    );
    let _ = writeln!(
        report,
        "{} calls per run. The bare reqwest client sends the same request with the same headers on a kept-alive connection and parses the JSON reply; the raw socket writes the request bytes and reads the reply (the floor).\n",
        settings.calls
    );
    let _ = writeln!(
        report,
        "| client | µs per call | calls per second | ratio to bare reqwest |\n|---|---|---|---|"
    );
    for (name, us) in [
        ("brokerlink (C ABI)", brokerlink),
        ("bare reqwest blocking", bare),
        ("raw TcpStream (floor)", floor),
    ] {
        let _ = writeln!(
            report,
            "| {name} | {us:.1} | {:.0} | {:.2}x |",
            1e6 / us,
            us / bare
        );
    }
    let _ = writeln!(report);
}

/// One request/reply on a kept-alive connection, reading exactly Content-Length.
fn raw_exchange(stream: &mut BufReader<TcpStream>, request: &[u8]) {
    stream.get_mut().write_all(request).unwrap();
    let mut length = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        stream.read_line(&mut line).unwrap();
        if line == "\r\n" {
            break;
        }
        if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).unwrap();
}

// ---- 2. concurrency ----

fn concurrency(sim: &Sim, settings: &Settings, report: &mut String) {
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

// ---- 3. footprint ----

fn footprint(sim: &Sim, settings: &Settings, report: &mut String) {
    let release = concat!(env!("CARGO_MANIFEST_DIR"), "/target/release");
    let size = |name: &str| {
        std::fs::metadata(format!("{release}/{name}"))
            .map(|m| m.len() as f64 / 1_048_576.0)
            .ok()
    };
    let exe = std::env::current_exe().unwrap();
    let output = std::process::Command::new(exe)
        .env("BROKERLINK_BENCH_FOOTPRINT_CHILD", sim.angel_base_url())
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
fn footprint_child(base_url: &str) {
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
