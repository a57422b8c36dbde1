//! The soak run (`make soak`): many threads on long-lived sessions of every
//! broker family (Angel One, Zebu and Tradesmart on Noren, Zerodha, Upstox,
//! Fyers, Dhan), through the C ABI as a host calls it, against brokersim in
//! a child process that expires access tokens every few seconds, injects
//! faults into the reads, and sessions freed while calls run.
//!
//! ```sh
//! make soak                         # 10 minutes
//! SOAK_SECONDS=60 make soak         # or: cargo run --release --example soak -- 60
//! cargo run --release --example soak -- 60 --in-process   # brokersim in this process
//! ```
//!
//! It prints the calls, the failures by family, status and cause (an
//! injected fault, a freed session, a forced expiry where there is no
//! refresh, or nothing), the refreshes each forced expiry cost each
//! refreshing session (the goal is exactly one) and the new logins it cost
//! the others, and the resident memory and open descriptors of this process
//! (the library and the host's threads) and of brokersim's, once warm and at
//! the end. It exits 1 on any unexplained failure, or an expiry that cost
//! other than one refresh (or one new login, with at most one refused
//! refresh attempt).

mod abi;
mod control;
mod faults;
mod report;
mod roster;
mod run;
mod session;
mod tally;
mod util;

use control::Brokersim;
use report::{Memory, Report};
use run::{Shared, THREADS_PER_SESSION};
use session::Live;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == control::CHILD_ARG) {
        control::serve_child();
        return;
    }
    let in_process = args.iter().any(|a| a == "--in-process");
    let seconds: u64 = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .or_else(|| std::env::var("SOAK_SECONDS").ok())
        .map(|s| s.parse().expect("seconds: a whole number"))
        .unwrap_or(600);
    let pass = soak(Duration::from_secs(seconds), in_process);
    std::process::exit(if pass { 0 } else { 1 });
}

/// Runs the soak for `duration` and reports; whether it passed.
fn soak(duration: Duration, in_process: bool) -> bool {
    let before = util::memory("self");
    let sessions: Arc<Mutex<HashMap<String, Arc<Live>>>> = Arc::default();
    let by_key = Arc::clone(&sessions);
    let sim = Arc::new(Brokersim::start(
        in_process,
        Arc::new(move |key, status| {
            if let Some(session) = by_key.lock().unwrap().get(key) {
                session.count_refresh(status);
            }
        }),
    ));
    let live: Vec<Arc<Live>> = roster::specs(&sim.startup)
        .into_iter()
        .map(|spec| Arc::new(Live::open(&sim, spec)))
        .collect();
    for session in &live {
        let key = session.refresh_key.clone();
        sessions.lock().unwrap().insert(key, Arc::clone(session));
    }
    let shared = Shared {
        sim: Arc::clone(&sim),
        tally: Arc::default(),
        injected: Arc::default(),
        stop: Arc::new(AtomicBool::new(false)),
        freed: Arc::default(),
    };
    println!(
        "soak: {} s, {} sessions x {THREADS_PER_SESSION} threads, plus sessions freed while in use; brokersim {}",
        duration.as_secs(),
        live.len(),
        where_sim_runs(&sim),
    );
    let threads = spawn_all(&shared, &live);
    let mut memory = Memory::new(&sim, before);
    let elapsed = wait(&shared, &sim, duration, &mut memory);
    shared.stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("a soak thread panicked");
    }
    sim.clear_faults();
    memory.sample("end");
    let pass = Report {
        elapsed,
        sim_runs: where_sim_runs(&sim),
        tally: &shared.tally.lock().unwrap(),
        injected: &mut shared.injected.lock().unwrap(),
        sessions: &live,
        freed: shared.freed.load(Ordering::Relaxed),
    }
    .print();
    for session in &live {
        session.handle.free();
    }
    memory.sample("every session freed");
    one_more_call(&sim);
    memory.sample("one call later");
    util::return_free_heap();
    memory.sample("malloc_trim(0)");
    memory.print();
    drop(shared);
    if let Ok(sim) = Arc::try_unwrap(sim) {
        sim.stop();
    }
    println!("result: {}", if pass { "PASS" } else { "FAIL" });
    pass
}

/// One login and read on a fresh session, then frees it: the library's
/// shared runtime runs only inside calls, so the connections of sessions
/// freed earlier close only when some call drives it again.
fn one_more_call(sim: &Brokersim) {
    let spec = roster::churn(&sim.startup);
    let handle = abi::Handle::new(&spec.config);
    session::login(sim, &spec, handle);
    handle.read(1);
    handle.free();
    thread::sleep(Duration::from_secs(1));
}

/// Where brokersim runs, for the report.
fn where_sim_runs(sim: &Brokersim) -> String {
    match sim.pid() {
        Some(pid) => format!("in a child process (pid {pid})"),
        None => "in this process".to_owned(),
    }
}

/// Every soak thread: readers and an expirer per session, the fault
/// injector, the churn.
fn spawn_all(shared: &Shared, live: &[Arc<Live>]) -> Vec<thread::JoinHandle<()>> {
    let mut threads = Vec::new();
    for session in live {
        for t in 0..THREADS_PER_SESSION {
            threads.push(run::spawn_reader(shared, Arc::clone(session), t));
        }
        threads.push(run::spawn_expirer(shared, Arc::clone(session)));
    }
    threads.push(run::spawn_fault_injector(shared, live.to_vec()));
    threads.push(run::spawn_churn(shared, roster::churn(&shared.sim.startup)));
    threads
}

/// Lets the soak run for `duration`: samples memory once warm, clears
/// brokersim's log every second and prints progress every minute.
fn wait(shared: &Shared, sim: &Brokersim, duration: Duration, memory: &mut Memory) -> Duration {
    let started = Instant::now();
    // "Start" is once warm: sessions, clients, pools and threads all up.
    let warm = Duration::from_secs(10).min(duration / 4);
    util::nap(&AtomicBool::new(false), warm);
    memory.sample("warm (start)");
    while started.elapsed() < duration {
        thread::sleep(Duration::from_secs(1).min(duration.saturating_sub(started.elapsed())));
        sim.clear_log();
        let elapsed = started.elapsed().as_secs();
        if elapsed > 0 && elapsed.is_multiple_of(60) {
            let calls = shared.tally.lock().unwrap().calls;
            println!("  {elapsed:>4} s: {calls} calls, {}", memory.now());
        }
    }
    started.elapsed()
}
