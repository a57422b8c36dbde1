//! The soak run (`make soak`): many threads on several sessions of every
//! broker family, through the C ABI as a host calls it, against an
//! in-process brokersim that expires access tokens every few seconds,
//! injects faults into the reads and has sessions freed while calls run.
//!
//! ```sh
//! make soak                         # 10 minutes
//! SOAK_SECONDS=60 make soak         # or: cargo run --release --example soak -- 60
//! ```
//!
//! It prints the calls, the failures by status and whether each was
//! expected from what was injected, the refreshes each forced expiry cost
//! each session (the goal is exactly one), and the resident memory and open
//! file descriptors once warm and at the end. It exits 1 on any failure
//! nothing injected explains, or an expiry that cost more than one refresh.

use brokerlink::ffi::*;
use brokersim::{AngelAccount, Fault, FaultTimes, NorenAccount, Sim, SimOptions};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::ffi::{CStr, CString, c_char};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Reads per second a paced Noren session allows itself (Noren brokers
/// publish no limits; this keeps the soak's CPU use modest).
const NOREN_PACING: &str = r#""rate_limits":{"funds":{"per_second":8},"profile":{"per_second":8}}"#;
/// Every session's timeout: far above the injected latency.
const TIMEOUT_MS: u32 = 20_000;
/// Threads on each long-lived session.
const THREADS_PER_SESSION: usize = 4;

fn main() {
    let seconds: u64 = std::env::args()
        .nth(1)
        .or_else(|| std::env::var("SOAK_SECONDS").ok())
        .map(|s| s.parse().expect("seconds: a whole number"))
        .unwrap_or(600);
    let before = (rss_kib(), open_fds());
    let report = Soak::new().run(Duration::from_secs(seconds), before);
    std::process::exit(if report { 0 } else { 1 });
}

// ---- The C ABI, as a host calls it ----------------------------------------

/// A session handle: the registry id `broker_new` gave, shared by threads.
#[derive(Clone, Copy)]
struct Handle(usize);

fn take(status: i32, out: *mut c_char) -> (i32, String) {
    let text = if out.is_null() {
        String::new()
    } else {
        let text = unsafe { CStr::from_ptr(out) }
            .to_string_lossy()
            .into_owned();
        unsafe { broker_string_free(out) };
        text
    };
    (status, text)
}

impl Handle {
    fn new(config: &str) -> Handle {
        let config = CString::new(config).unwrap();
        let mut session = std::ptr::null_mut();
        let mut out = std::ptr::null_mut();
        let status = unsafe { broker_new(config.as_ptr(), &mut session, &mut out) };
        let (status, text) = take(status, out);
        assert_eq!(status, 0, "broker_new: {text}");
        Handle(session as usize)
    }

    fn ptr(self) -> *mut BrokerSession {
        self.0 as *mut BrokerSession
    }

    fn login(self, credentials: &str) -> (i32, String) {
        let credentials = CString::new(credentials).unwrap();
        let mut out = std::ptr::null_mut();
        let status = unsafe { broker_login(self.ptr(), credentials.as_ptr(), &mut out) };
        take(status, out)
    }

    fn call(
        self,
        f: unsafe extern "C" fn(*mut BrokerSession, *mut *mut c_char) -> i32,
    ) -> (i32, String) {
        let mut out = std::ptr::null_mut();
        let status = unsafe { f(self.ptr(), &mut out) };
        take(status, out)
    }

    fn free(self) {
        broker_free(self.ptr());
    }
}

// ---- What runs ---------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Angel One: refresh by generateTokens.
    Angel,
    /// Zebu: refresh by RefreshToken.
    Zebu,
    /// Tradesmart: no refresh; an expiry means a new login.
    Tradesmart,
}

/// A long-lived session and what the soak knows about it.
struct Session {
    name: String,
    kind: Kind,
    handle: Handle,
    /// Angel One: the account's client code; Noren: the user id.
    user: String,
    /// Noren: the OAuth app's client id (for a new login's code).
    client_id: String,
    /// Successful refreshes brokersim answered for this session.
    refreshes: AtomicU64,
    /// Refreshes each forced expiry cost (refreshing sessions).
    per_expiry: Mutex<BTreeMap<u64, u64>>,
    /// Tradesmart: an expiry was forced and no new login has replaced it.
    expired: AtomicBool,
    /// Tradesmart: when the last new login finished (calls that began
    /// before may still see the expiry).
    relogged: Mutex<Instant>,
    relogin: Mutex<()>,
    expiries: AtomicU64,
}

/// Why a call may fail.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Cause {
    /// The session was freed under it (`INVALID_HANDLE`).
    Freed,
    /// An expiry forced on a broker without refresh, until a new login.
    Expiry,
    /// Only a fault injected into the reads can explain it.
    Fault,
    /// Nothing injected explains it (a login: faults go to reads only).
    Nothing,
}

/// Calls, and failures by status and what may explain them.
#[derive(Default)]
struct Tally {
    calls: u64,
    ok: u64,
    failures: BTreeMap<(String, Cause), u64>,
    samples: Vec<String>,
}

impl Tally {
    fn add(&mut self, status: i32, cause: Cause, what: &str, text: &str) {
        self.calls += 1;
        if status == 0 {
            self.ok += 1;
            return;
        }
        *self
            .failures
            .entry((status_name(status), cause))
            .or_default() += 1;
        if cause >= Cause::Fault && self.samples.len() < 50 {
            self.samples.push(format!("{what}: {text}"));
        }
    }
}

/// What was injected, by the status a call ends with when a fault is not
/// absorbed by its retries.
#[derive(Default)]
struct Injected {
    by_status: BTreeMap<&'static str, u64>,
    by_fault: BTreeMap<&'static str, u64>,
}

struct Soak {
    sim: Arc<Sim>,
    sessions: Vec<Arc<Session>>,
    tally: Arc<Mutex<Tally>>,
    injected: Arc<Mutex<Injected>>,
    stop: Arc<AtomicBool>,
    /// Zebu refresh tokens, to tell whose refresh brokersim answered.
    zebu_refresh_tokens: Arc<Mutex<HashMap<String, String>>>,
}

fn angel_account(n: usize) -> AngelAccount {
    AngelAccount {
        api_key: format!("soak-key-{n}"),
        client_code: format!("S{n:04}"),
        ..AngelAccount::demo()
    }
}

fn angel_credentials(account: &AngelAccount) -> String {
    format!(
        r#"{{"pin":"{}","totp_secret":"{}"}}"#,
        account.pin, account.totp_secret
    )
}

fn angel_config(sim: &Sim, account: &AngelAccount) -> String {
    format!(
        r#"{{"broker":"angelone","api_key":"{}","client_code":"{}","base_url":"{}","timeout_ms":{TIMEOUT_MS}}}"#,
        account.api_key,
        account.client_code,
        sim.angel_base_url()
    )
}

fn noren_config(sim: &Sim, preset: &str, account: &NorenAccount) -> String {
    format!(
        r#"{{"broker":"noren","preset":"{preset}","client_id":"{}","secret":"{}","base_url":"{}","oauth_url":"{}","timeout_ms":{TIMEOUT_MS},{NOREN_PACING}}}"#,
        account.client_id,
        account.secret,
        sim.noren_base_url(preset),
        sim.noren_oauth_url(preset),
    )
}

fn noren_path(sim: &Sim, preset: &str, endpoint: &str) -> String {
    let base = sim.noren_base_url(preset);
    let path = base.split_once("//").unwrap().1.split_once('/').unwrap().1;
    format!("/{path}/{endpoint}")
}

const ANGEL_REFRESH: &str = "/rest/auth/angelbroking/jwt/v1/generateTokens";
const ANGEL_READS: [&str; 2] = [
    "/rest/secure/angelbroking/user/v1/getProfile",
    "/rest/secure/angelbroking/user/v1/getRMS",
];

/// A small random number (xorshift on the clock: no dependency needed).
fn random(below: u64) -> u64 {
    thread_local!(static STATE: std::cell::Cell<u64> = std::cell::Cell::new(
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1
    ));
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        x % below.max(1)
    })
}

/// Sleeps up to `d`, returning early once `stop` is set.
fn nap(stop: &AtomicBool, d: Duration) {
    let until = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) && Instant::now() < until {
        thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
    }
}

impl Soak {
    fn new() -> Soak {
        let sim = Arc::new(
            Sim::start_with(SimOptions {
                rate_limits: true,
                revoke_on_refresh: true,
                ..SimOptions::default()
            })
            .expect("brokersim starts"),
        );
        let mut sessions = Vec::new();
        let zebu_refresh_tokens = Arc::new(Mutex::new(HashMap::new()));
        let new_session = |name: String, kind: Kind, handle: Handle, user: &str, client: &str| {
            Arc::new(Session {
                name,
                kind,
                handle,
                user: user.to_owned(),
                client_id: client.to_owned(),
                refreshes: AtomicU64::new(0),
                per_expiry: Mutex::new(BTreeMap::new()),
                expired: AtomicBool::new(false),
                relogged: Mutex::new(Instant::now()),
                relogin: Mutex::new(()),
                expiries: AtomicU64::new(0),
            })
        };
        // Two Angel One accounts (brokersim counts rate limits per client code).
        for n in 1..=2 {
            let account = angel_account(n);
            sim.add_angel_account(account.clone());
            let handle = Handle::new(&angel_config(&sim, &account));
            let (status, text) = handle.login(&angel_credentials(&account));
            assert_eq!(status, 0, "angel login: {text}");
            sessions.push(new_session(
                format!("angelone/{}", account.client_code),
                Kind::Angel,
                handle,
                &account.client_code,
                "",
            ));
        }
        // Two Zebu users, and the Tradesmart demo user (no refresh).
        let zebu2 = NorenAccount {
            user_id: "NZEB02".into(),
            account_id: "NZEB02".into(),
            client_id: "zebu-client-2".into(),
            vendor_code: "NZEB02_U".into(),
            ..NorenAccount::demo("zebu")
        };
        sim.add_noren_account(zebu2.clone());
        for (preset, account) in [
            ("zebu", NorenAccount::demo("zebu")),
            ("zebu", zebu2),
            ("tradesmart", NorenAccount::demo("tradesmart")),
        ] {
            let handle = Handle::new(&noren_config(&sim, preset, &account));
            let code = sim
                .noren_authorize(preset, &account.client_id)
                .expect("a login code");
            let (status, text) = handle.login(&format!(r#"{{"code":"{code}"}}"#));
            assert_eq!(status, 0, "{preset} login: {text}");
            let kind = if preset == "zebu" {
                Kind::Zebu
            } else {
                Kind::Tradesmart
            };
            let session = new_session(
                format!("{preset}/{}", account.user_id),
                kind,
                handle,
                &account.user_id,
                &account.client_id,
            );
            if kind == Kind::Zebu {
                remember_refresh_token(&zebu_refresh_tokens, &session);
            }
            sessions.push(session);
        }
        Soak {
            sim,
            sessions,
            tally: Arc::default(),
            injected: Arc::default(),
            stop: Arc::new(AtomicBool::new(false)),
            zebu_refresh_tokens,
        }
    }

    fn run(self, duration: Duration, (start_rss, start_fds): (u64, usize)) -> bool {
        println!(
            "soak: {} s, {} sessions x {THREADS_PER_SESSION} threads, plus sessions freed while in use",
            duration.as_secs(),
            self.sessions.len()
        );
        self.count_refreshes();
        let mut threads = Vec::new();
        for session in &self.sessions {
            for t in 0..THREADS_PER_SESSION {
                threads.push(self.spawn_reader(Arc::clone(session), t));
            }
            threads.push(self.spawn_expirer(Arc::clone(session)));
        }
        threads.push(self.spawn_fault_injector());
        threads.push(self.spawn_churn());
        let started = Instant::now();
        // "Start" is once warm: sessions, clients, pools and threads all up.
        let warm = Duration::from_secs(10).min(duration / 4);
        nap(&AtomicBool::new(false), warm);
        let warm_rss = rss_kib();
        let warm_fds = open_fds();
        while started.elapsed() < duration {
            thread::sleep(Duration::from_secs(1).min(duration.saturating_sub(started.elapsed())));
            self.sim.clear_log();
            let elapsed = started.elapsed().as_secs();
            if elapsed > 0 && elapsed.is_multiple_of(60) {
                let calls = self.tally.lock().unwrap().calls;
                println!(
                    "  {elapsed:>4} s: {calls} calls, RSS {} KiB, {} fds",
                    rss_kib(),
                    open_fds()
                );
            }
        }
        self.stop.store(true, Ordering::Relaxed);
        for t in threads {
            t.join().expect("a soak thread panicked");
        }
        self.sim.clear_faults();
        let end_rss = rss_kib();
        let end_fds = open_fds();
        let ok = self.report(
            started.elapsed(),
            [
                ("before sessions", start_rss, start_fds),
                ("warm (start)", warm_rss, warm_fds),
                ("end", end_rss, end_fds),
            ],
        );
        for session in &self.sessions {
            session.handle.free();
        }
        println!(
            "after freeing every session: RSS {} KiB, {} fds",
            rss_kib(),
            open_fds()
        );
        ok
    }

    /// Counts the successful refreshes brokersim answers, per session.
    fn count_refreshes(&self) {
        let sessions = self.sessions.clone();
        let zebu_tokens = Arc::clone(&self.zebu_refresh_tokens);
        let zebu_paths: Vec<String> = ["zebu"]
            .iter()
            .map(|p| noren_path(&self.sim, p, "RefreshToken"))
            .collect();
        self.sim.set_request_listener(move |request| {
            if request.status != 200 {
                return;
            }
            let whose = if request.path == ANGEL_REFRESH {
                request.header("x-privatekey").and_then(|key| {
                    let client = format!(
                        "S{:04}",
                        key.strip_prefix("soak-key-")?.parse::<u32>().ok()?
                    );
                    Some(client)
                })
            } else if zebu_paths.contains(&request.path) {
                let data = request.body.strip_prefix("jData=").unwrap_or("");
                serde_json::from_str::<Value>(data).ok().and_then(|data| {
                    let token = data["refresh_token"].as_str()?;
                    zebu_tokens.lock().unwrap().get(token).cloned()
                })
            } else {
                None
            };
            if let Some(user) = whose
                && let Some(s) = sessions.iter().find(|s| s.user == user)
            {
                s.refreshes.fetch_add(1, Ordering::Relaxed);
            }
        });
    }

    fn spawn_reader(&self, session: Arc<Session>, t: usize) -> thread::JoinHandle<()> {
        let (tally, stop, sim) = (
            Arc::clone(&self.tally),
            Arc::clone(&self.stop),
            Arc::clone(&self.sim),
        );
        thread::spawn(move || {
            let mut i = t;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let began = Instant::now();
                let (status, text) = if i.is_multiple_of(3) {
                    session.handle.call(broker_get_profile)
                } else {
                    session.handle.call(broker_get_rms)
                };
                let cause = if expiry_without_refresh(&session, status, began) {
                    Cause::Expiry
                } else {
                    Cause::Fault
                };
                tally
                    .lock()
                    .unwrap()
                    .add(status, cause, &session.name, &text);
                if cause == Cause::Expiry {
                    relogin(&sim, &session);
                }
            }
        })
    }

    /// Forces the session's access token to expire every 2–6 s; for a
    /// refreshing session, waits for its refresh and records how many
    /// refreshes the expiry cost.
    fn spawn_expirer(&self, session: Arc<Session>) -> thread::JoinHandle<()> {
        let (sim, stop) = (Arc::clone(&self.sim), Arc::clone(&self.stop));
        thread::spawn(move || {
            nap(&stop, Duration::from_millis(2000 + random(3000)));
            while !stop.load(Ordering::Relaxed) {
                let before = session.refreshes.load(Ordering::Relaxed);
                match session.kind {
                    Kind::Angel => sim.expire_angel_sessions(&session.user),
                    Kind::Zebu => sim.expire_noren_sessions("zebu", &session.user),
                    Kind::Tradesmart => {
                        session.expired.store(true, Ordering::Relaxed);
                        sim.expire_noren_sessions("tradesmart", &session.user);
                    }
                }
                session.expiries.fetch_add(1, Ordering::Relaxed);
                if session.kind == Kind::Tradesmart {
                    nap(&stop, Duration::from_millis(4000 + random(4000)));
                    continue;
                }
                // Wait for the refresh (the readers notice the expiry on
                // their next call), then a quiet while, then count.
                let until = Instant::now() + Duration::from_secs(60);
                while session.refreshes.load(Ordering::Relaxed) == before
                    && Instant::now() < until
                    && !stop.load(Ordering::Relaxed)
                {
                    thread::sleep(Duration::from_millis(10));
                }
                nap(&stop, Duration::from_millis(2000 + random(4000)));
                if stop.load(Ordering::Relaxed)
                    && session.refreshes.load(Ordering::Relaxed) == before
                {
                    break; // cut short by the end of the run: not counted
                }
                let cost = session.refreshes.load(Ordering::Relaxed) - before;
                *session.per_expiry.lock().unwrap().entry(cost).or_default() += 1;
            }
        })
    }

    /// Every 0.5–1.5 s, a fault for the next read or few of some session's
    /// broker: latency, resets, HTML pages, truncated and empty bodies,
    /// rate-limit replies.
    fn spawn_fault_injector(&self) -> thread::JoinHandle<()> {
        let (sim, stop, injected) = (
            Arc::clone(&self.sim),
            Arc::clone(&self.stop),
            Arc::clone(&self.injected),
        );
        let mut reads: Vec<String> = ANGEL_READS.iter().map(|s| s.to_string()).collect();
        for preset in ["zebu", "tradesmart"] {
            for endpoint in ["UserDetails", "Limits"] {
                reads.push(noren_path(&sim, preset, endpoint));
            }
        }
        thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                nap(&stop, Duration::from_millis(500 + random(1000)));
                let path = &reads[random(reads.len() as u64) as usize];
                // (fault, its name, how many requests, the status a call
                // ends with if its retries do not absorb it)
                let (fault, name, times, status) = match random(7) {
                    0 => (
                        Fault::Delay(Duration::from_millis(100 + random(1500))),
                        "latency",
                        1 + random(3) as u32,
                        "",
                    ),
                    1 => (Fault::Reset, "reset", 1 + random(3) as u32, "NETWORK"),
                    2 => (
                        Fault::HtmlFirewall,
                        "html page",
                        1 + random(3) as u32,
                        "BROKER",
                    ),
                    3 => (Fault::TruncatedJson, "truncated body", 1, "PROTOCOL"),
                    4 => (Fault::EmptyBody, "empty body", 1, "PROTOCOL"),
                    5 => (
                        Fault::RateLimitText,
                        "rate-limit reply",
                        1 + random(3) as u32,
                        "RATE_LIMITED",
                    ),
                    _ => (
                        Fault::Reply {
                            status: 502,
                            content_type: "text/html".into(),
                            body: "<html><body>502 Bad Gateway</body></html>".into(),
                        },
                        "502 page",
                        1 + random(3) as u32,
                        "BROKER",
                    ),
                };
                sim.inject(path, fault, FaultTimes::Next(times));
                let mut injected = injected.lock().unwrap();
                *injected.by_fault.entry(name).or_default() += u64::from(times);
                if !status.is_empty() {
                    *injected.by_status.entry(status).or_default() += u64::from(times);
                }
            }
        })
    }

    /// Sessions freed while calls run: a new Angel One session every few
    /// seconds, three threads reading from it, `broker_free` under them.
    fn spawn_churn(&self) -> thread::JoinHandle<()> {
        let (sim, stop, tally) = (
            Arc::clone(&self.sim),
            Arc::clone(&self.stop),
            Arc::clone(&self.tally),
        );
        let account = angel_account(3);
        sim.add_angel_account(account.clone());
        thread::spawn(move || {
            let mut freed_sessions = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let handle = Handle::new(&angel_config(&sim, &account));
                let (status, text) = handle.login(&angel_credentials(&account));
                // Faults go to reads only: nothing explains a failed login.
                tally
                    .lock()
                    .unwrap()
                    .add(status, Cause::Nothing, "churn login", &text);
                let freed = Arc::new(AtomicBool::new(false));
                let readers: Vec<_> = (0..3)
                    .map(|t| {
                        let (tally, freed) = (Arc::clone(&tally), Arc::clone(&freed));
                        thread::spawn(move || {
                            let mut i = t;
                            loop {
                                i += 1;
                                let (status, text) = if i % 2 == 0 {
                                    handle.call(broker_get_profile)
                                } else {
                                    handle.call(broker_get_rms)
                                };
                                let invalid = status == brokerlink::Status::InvalidHandle as i32;
                                let cause = if invalid && freed.load(Ordering::SeqCst) {
                                    Cause::Freed
                                } else if invalid {
                                    Cause::Nothing
                                } else {
                                    Cause::Fault
                                };
                                tally.lock().unwrap().add(status, cause, "churn", &text);
                                if invalid {
                                    return;
                                }
                            }
                        })
                    })
                    .collect();
                nap(&stop, Duration::from_millis(2000 + random(4000)));
                freed.store(true, Ordering::SeqCst);
                handle.free();
                for r in readers {
                    r.join().expect("a churn reader panicked");
                }
                freed_sessions += 1;
            }
            println!("sessions freed while in use: {freed_sessions}");
        })
    }

    fn report(&self, elapsed: Duration, memory: [(&str, u64, usize); 3]) -> bool {
        let tally = self.tally.lock().unwrap();
        let injected = self.injected.lock().unwrap();
        println!();
        println!("== soak report ({} s)", elapsed.as_secs());
        println!(
            "calls: {} ({} ok, {} failed)",
            tally.calls,
            tally.ok,
            tally.calls - tally.ok
        );
        println!("faults injected (requests): {:?}", injected.by_fault);
        // Failures a fault can explain: at most as many, per status, as
        // requests were injected with a fault that ends that way.
        let mut unexplained = 0;
        println!("failures by status:");
        if tally.failures.is_empty() {
            println!("  none");
        }
        let mut fault_budget = injected.by_status.clone();
        for ((status, cause), count) in &tally.failures {
            let (explained, why) = match cause {
                Cause::Freed => (
                    *count,
                    "expected: the session was freed under the call".to_owned(),
                ),
                Cause::Expiry => (
                    *count,
                    "expected: forced expiry at a broker without refresh".to_owned(),
                ),
                Cause::Fault => {
                    let budget = fault_budget.entry(status_static(status)).or_default();
                    let explained = (*count).min(*budget);
                    let why = format!(
                        "{explained} explained by the {budget} requests injected with faults that end in {status}"
                    );
                    *budget -= explained;
                    (explained, why)
                }
                Cause::Nothing => (0, "nothing injected explains it".to_owned()),
            };
            unexplained += count - explained;
            println!(
                "  {status:<16} {count:>6}  unexplained {:>4}  ({why})",
                count - explained
            );
        }
        println!("refreshes per forced expiry, per session (goal: exactly 1):");
        let mut double = 0;
        for session in &self.sessions {
            let expiries = session.expiries.load(Ordering::Relaxed);
            if session.kind == Kind::Tradesmart {
                println!(
                    "  {:<22} {expiries} expiries, no refresh at this broker: a new login each",
                    session.name
                );
                continue;
            }
            let per = session.per_expiry.lock().unwrap();
            let shown: Vec<String> = per
                .iter()
                .map(|(cost, n)| format!("{n} x {cost}"))
                .collect();
            double += per
                .iter()
                .filter(|(cost, _)| **cost > 1)
                .map(|(_, n)| n)
                .sum::<u64>();
            println!(
                "  {:<22} {expiries} expiries, {} refreshes: {}",
                session.name,
                session.refreshes.load(Ordering::Relaxed),
                shown.join(", ")
            );
        }
        println!("memory and descriptors:");
        for (when, rss, fds) in memory {
            println!("  {when:<16} RSS {rss:>7} KiB  open fds {fds}");
        }
        if unexplained > 0 {
            println!("unexplained failures, e.g.:");
            for sample in tally.samples.iter().take(5) {
                println!("  {sample}");
            }
        }
        let ok = unexplained == 0 && double == 0;
        println!(
            "result: {} ({unexplained} unexplained failures, {double} expiries with more than one refresh)",
            if ok { "PASS" } else { "FAIL" }
        );
        ok
    }
}

fn status_name(status: i32) -> String {
    unsafe { CStr::from_ptr(broker_status_name(status)) }
        .to_string_lossy()
        .into_owned()
}

/// Whether a failure is an expiry forced on a broker without refresh that no
/// new login had replaced when the call began.
fn expiry_without_refresh(session: &Session, status: i32, began: Instant) -> bool {
    status == brokerlink::Status::SessionExpired as i32
        && session.kind == Kind::Tradesmart
        && (session.expired.load(Ordering::Relaxed) || began <= *session.relogged.lock().unwrap())
}

/// The status names a fault may end in, as the injector books them.
fn status_static(status: &str) -> &'static str {
    ["NETWORK", "BROKER", "PROTOCOL", "RATE_LIMITED", "TIMEOUT"]
        .into_iter()
        .find(|s| *s == status)
        .unwrap_or("other")
}

/// A new login on a session whose broker cannot refresh (once per expiry).
fn relogin(sim: &Sim, session: &Session) {
    let _one = session.relogin.lock().unwrap();
    if !session.expired.load(Ordering::Relaxed) {
        return;
    }
    let code = sim
        .noren_authorize("tradesmart", &session.client_id)
        .expect("a login code");
    let (status, text) = session.handle.login(&format!(r#"{{"code":"{code}"}}"#));
    assert_eq!(status, 0, "tradesmart login again: {text}");
    *session.relogged.lock().unwrap() = Instant::now();
    session.expired.store(false, Ordering::Relaxed);
}

/// Remembers a Zebu session's refresh token (from its exported state) to
/// tell its refreshes apart; the token stays in this process.
fn remember_refresh_token(tokens: &Mutex<HashMap<String, String>>, session: &Session) {
    let (status, state) = session.handle.call(broker_session_export);
    assert_eq!(status, 0, "export failed");
    let state: Value = serde_json::from_str(&state).expect("state JSON");
    if let Some(token) = state["refresh_token"].as_str() {
        tokens
            .lock()
            .unwrap()
            .insert(token.to_owned(), session.user.clone());
    }
}

/// Resident memory, from /proc/self/status (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.split_whitespace().next()?.parse().ok())
        })
        .unwrap_or(0)
}

/// Open file descriptors, from /proc/self/fd (Linux).
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}
