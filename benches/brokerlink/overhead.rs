//! Section 1, call overhead: `broker_get_rms` against bare reqwest clients
//! sending the same request (the blocking one, and the async one driven on
//! the caller's thread as the library drives it), and a raw socket (the
//! floor), idle and beside a busy process; brokerlink's ratio to the floor
//! is the goal's figure, and bare async reqwest's ratio is the least that
//! any library built on it could reach.

use crate::goals::Goals;
use crate::load::CpuLoad;
use crate::session::Session;
use crate::{Settings, median};
use brokersim::Sim;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Instant;

const RMS_PATH: &str = "/rest/secure/angelbroking/user/v1/getRMS";

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

pub fn call_overhead(sim: &Sim, settings: &Settings, report: &mut String, goals: &mut Goals) {
    let session = Session::angel(&sim.angel_base_url());
    let token = session.access_token();
    let url = format!("{}{RMS_PATH}", sim.angel_base_url());

    let client = bare_client();
    let async_client = bare_async_client();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let headers = rms_headers(&token);
    let mut brokerlink = |n: usize| (0..n).for_each(|_| session.rms());
    let mut bare = |n: usize| {
        for _ in 0..n {
            let mut request = client.get(&url);
            for (name, value) in &headers {
                request = request.header(*name, value);
            }
            let body = request.send().unwrap().bytes().unwrap();
            let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(parsed["status"], true);
        }
    };

    let mut bare_async = |n: usize| {
        runtime.block_on(async {
            for _ in 0..n {
                let mut request = async_client.get(&url);
                for (name, value) in &headers {
                    request = request.header(*name, value);
                }
                let body = request.send().await.unwrap().bytes().await.unwrap();
                let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(parsed["status"], true);
            }
        })
    };

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
    let mut floor =
        |n: usize| (0..n).for_each(|_| raw_exchange(&mut stream, raw_request.as_bytes()));

    let idle = interleaved_us(
        settings,
        [&mut brokerlink, &mut bare, &mut bare_async, &mut floor],
    );
    let loaded = {
        let _load = CpuLoad::start();
        interleaved_us(
            settings,
            [&mut brokerlink, &mut bare, &mut bare_async, &mut floor],
        )
    };
    write_section(settings, report, idle, loaded);

    let [idle_ratio, loaded_ratio] = [idle, loaded].map(|[ours, _, _, floor]| ours / floor);
    let [reqwest_idle, reqwest_loaded] =
        [idle, loaded].map(|[_, _, bare_async, floor]| bare_async / floor);
    goals.record(
        "Per call: at most 1.2x the raw-socket floor, idle and under load",
        format!(
            "{idle_ratio:.2}x idle, {loaded_ratio:.2}x under load; bare async reqwest alone \
             {reqwest_idle:.2}x and {reqwest_loaded:.2}x (section 1)"
        ),
        idle_ratio <= 1.2 && loaded_ratio <= 1.2,
    );
}

/// The section's table: µs per call of [brokerlink, bare blocking reqwest,
/// bare async reqwest, the floor], idle and beside a busy process.
fn write_section(settings: &Settings, report: &mut String, idle: [f64; 4], loaded: [f64; 4]) {
    let _ = writeln!(
        report,
        "## 1. Call overhead: `broker_get_rms` on one logged-in session\n"
    );
    let _ = writeln!(
        report,
        "{} calls per run, the four clients taking turns run by run. The bare reqwest clients send the same request with the same headers on a kept-alive connection and parse the JSON reply: the blocking one (a runtime thread of its own), and the async one driven by `block_on` on a current-thread runtime, as brokerlink drives it, which is the least any library built on reqwest could spend. The raw socket writes the request bytes and reads the reply (the floor). Under load, the same runs again with one busy-looping process beside them (it takes one CPU; see `benches/brokerlink/load.rs`), the ratios from that run alone.\n",
        settings.calls
    );
    let _ = writeln!(
        report,
        "| client | µs per call, idle | calls per second | **ratio to the floor** | ratio to bare blocking reqwest | ratio to bare async reqwest | µs per call, under load | **ratio to the floor, under load** |\n|---|---|---|---|---|---|---|---|"
    );
    let names = [
        "brokerlink (C ABI)",
        "bare reqwest blocking",
        "bare reqwest async, `block_on` on the caller's thread",
        "raw TcpStream (the floor)",
    ];
    for (index, name) in names.into_iter().enumerate() {
        let (us, loaded_us) = (idle[index], loaded[index]);
        let _ = writeln!(
            report,
            "| {name} | {us:.1} | {:.0} | {:.2}x | {:.2}x | {:.2}x | {loaded_us:.1} | {:.2}x |",
            1e6 / us,
            us / idle[3],
            us / idle[1],
            us / idle[2],
            loaded_us / loaded[3]
        );
    }
    let _ = writeln!(report);
}

/// The bare reqwest blocking client. It only speaks plain HTTP here, but
/// reqwest builds its TLS side anyway: given a ring-based configuration
/// with no roots, so that nothing is installed process-wide for the library.
fn bare_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .tls_backend_preconfigured(empty_tls())
        .build()
        .expect("the bare reqwest client builds")
}

/// A ring-based TLS configuration with no roots (the bare clients only
/// speak plain HTTP here).
fn empty_tls() -> rustls::ClientConfig {
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default TLS versions")
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth()
}

/// The bare async client, configured as [`bare_client`] is.
fn bare_async_client() -> reqwest::Client {
    reqwest::Client::builder()
        .tls_backend_preconfigured(empty_tls())
        .build()
        .expect("the bare async reqwest client builds")
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

/// Median microseconds per call of each `run(calls)` over the repeats, the
/// runs taking turns so that all see the same machine.
fn interleaved_us<const N: usize>(
    settings: &Settings,
    mut runs: [&mut dyn FnMut(usize); N],
) -> [f64; N] {
    let mut samples: [Vec<f64>; N] = std::array::from_fn(|_| Vec::new());
    for run in runs.iter_mut() {
        run(settings.calls / 10); // warm-up: connections, caches
    }
    for _ in 0..settings.repeats {
        for (run, samples) in runs.iter_mut().zip(samples.iter_mut()) {
            let started = Instant::now();
            run(settings.calls);
            samples.push(started.elapsed().as_secs_f64() * 1e6 / settings.calls as f64);
        }
    }
    samples.map(median)
}
