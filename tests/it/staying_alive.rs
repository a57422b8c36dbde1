//! Sessions that stay alive: automatic refresh, single-flight refresh under
//! concurrency, retries of reads, client-side pacing, and faults that must
//! end within the timeout and leave the session working.

use crate::support::angel_paths::{LOGIN, LOGOUT, PROFILE, REFRESH, RMS};
use crate::support::*;
use brokerlink::Status;
use brokersim::{Fault, FaultTimes, Sim, SimOptions};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

/// No broker-side rate limits, no client pacing: for tests about other things.
const UNPACED: &str = r#""rate_limits":"off""#;

#[test]
fn an_expired_session_is_refreshed_and_the_read_repeated() {
    let sim = sim();
    let handle = angel_session_with(&sim, UNPACED);
    sim.expire_angel_sessions("D12345");
    sim.clear_log();
    handle.rms().ok();
    let log: Vec<String> = sim
        .requests()
        .iter()
        .map(|r| format!("{} {}", r.path, r.status))
        .collect();
    assert_eq!(
        log,
        [
            format!("{RMS} 200"),
            format!("{REFRESH} 200"),
            format!("{RMS} 200")
        ]
    );
    let first: serde_json::Value =
        serde_json::from_str(&sim.requests_to(RMS)[0].body).unwrap_or_default();
    assert!(first.is_null(), "getRMS carries no body");
}

#[test]
fn a_token_about_to_expire_is_refreshed_before_the_read() {
    // The JWT's exp claim says 30 s: inside the 60 s refresh-ahead margin.
    let sim = Sim::start_with(SimOptions {
        rate_limits: false,
        token_ttl: Duration::from_secs(30),
        ..SimOptions::default()
    })
    .unwrap();
    let handle = angel_session_with(&sim, UNPACED);
    sim.clear_log();
    handle.rms().ok();
    let paths: Vec<String> = sim.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(paths, [REFRESH, RMS]);
}

#[test]
fn auto_refresh_false_reports_the_expiry() {
    let sim = sim();
    let handle = angel_session_with(&sim, r#""auto_refresh":false"#);
    sim.expire_angel_sessions("D12345");
    handle.rms().err(s(Status::SessionExpired));
    assert!(sim.requests_to(REFRESH).is_empty());
}

#[test]
fn a_refresh_that_fails_keeps_the_tokens_says_log_in_and_is_not_repeated() {
    let sim = sim();
    let handle = angel_session_with(&sim, UNPACED);
    let before = handle.export().ok()["access_token"].clone();
    sim.expire_angel_sessions("D12345");
    sim.expire_angel_refresh_tokens("D12345");
    let reply = handle.rms();
    let e = reply.err(s(Status::SessionExpired));
    assert!(
        e["message"].as_str().unwrap().contains("log in again"),
        "{}",
        reply.text
    );
    assert_eq!(
        handle.export().ok()["access_token"],
        before,
        "the old tokens are untouched"
    );
    handle.profile().err(s(Status::SessionExpired));
    assert_eq!(
        sim.requests_to(REFRESH).len(),
        1,
        "a refused refresh is not asked again"
    );
    // An explicit refresh does ask again; a new login fixes everything.
    handle.refresh().err(s(Status::SessionExpired));
    assert_eq!(sim.requests_to(REFRESH).len(), 2);
    handle.login(&angel_credentials()).ok();
    handle.rms().ok();
}

#[test]
fn reads_are_retried_on_transient_failures() {
    let sim = sim();
    let handle = angel_session_with(&sim, UNPACED);
    sim.clear_log();
    sim.inject(RMS, Fault::Reset, FaultTimes::Next(1));
    handle.rms().ok();
    assert_eq!(sim.requests_to(RMS).len(), 2);
    sim.clear_log();
    let bad_gateway = Fault::Reply {
        status: 502,
        content_type: "text/html".into(),
        body: "<html>502</html>".into(),
    };
    sim.inject(PROFILE, bad_gateway.clone(), FaultTimes::Next(2));
    handle.profile().ok();
    assert_eq!(sim.requests_to(PROFILE).len(), 3);
    sim.clear_log();
    sim.inject(RMS, bad_gateway, FaultTimes::Next(3));
    let e = handle.rms();
    assert_eq!(e.err(s(Status::Broker))["http_status"], 502);
    assert_eq!(sim.requests_to(RMS).len(), 3, "max_retries defaults to 2");
    handle.rms().ok();
}

#[test]
fn a_rate_limit_reply_is_retried_after_the_window() {
    let sim = sim();
    let handle = angel_session_with(&sim, UNPACED);
    sim.inject(RMS, Fault::RateLimitText, FaultTimes::Next(1));
    handle.rms().ok();
    let times: Vec<SystemTime> = sim.requests_to(RMS).iter().map(|r| r.at).collect();
    let gap = times[1].duration_since(times[0]).unwrap();
    assert!(
        gap >= Duration::from_millis(500),
        "retried only {gap:?} after a rate-limit reply"
    );
}

#[test]
fn max_retries_zero_and_non_retryable_errors_are_not_retried() {
    let sim = sim();
    let handle = angel_session_with(&sim, r#""max_retries":0,"rate_limits":"off""#);
    sim.inject(RMS, Fault::Reset, FaultTimes::Next(1));
    handle.rms().err(s(Status::Network));
    assert_eq!(sim.requests_to(RMS).len(), 1);
    let retrying = angel_session_with(&sim, UNPACED);
    sim.clear_log();
    sim.inject(RMS, Fault::TruncatedJson, FaultTimes::Next(1));
    retrying.rms().err(s(Status::Protocol));
    assert_eq!(
        sim.requests_to(RMS).len(),
        1,
        "a garbled reply is not retried"
    );
}

#[test]
fn login_refresh_and_logout_are_never_retried() {
    let sim = sim();
    let handle = Handle::new(&angel_config(&sim, UNPACED));
    sim.inject(LOGIN, Fault::Reset, FaultTimes::Next(1));
    handle.login(&angel_credentials()).err(s(Status::Network));
    assert_eq!(sim.requests_to(LOGIN).len(), 1);
    handle.login(&angel_credentials()).ok();
    sim.inject(REFRESH, Fault::Reset, FaultTimes::Next(1));
    handle.refresh().err(s(Status::Network));
    assert_eq!(sim.requests_to(REFRESH).len(), 1);
    sim.inject(LOGOUT, Fault::Reset, FaultTimes::Next(1));
    handle.logout().err(s(Status::Network));
    assert_eq!(sim.requests_to(LOGOUT).len(), 1);
    handle.rms().ok();
}

#[test]
fn a_burst_is_paced_to_the_brokers_published_limits() {
    let sim = sim_with_rate_limits();
    let handle = angel_session(&sim);
    sim.clear_log();
    for _ in 0..5 {
        handle.rms().ok();
    }
    // The simulator enforces 2 getRMS a second: none was refused, and no
    // rolling second holds more than two.
    let times: Vec<SystemTime> = sim.requests_to(RMS).iter().map(|r| r.at).collect();
    assert_eq!(times.len(), 5);
    assert!(sim.requests_to(RMS).iter().all(|r| r.status == 200));
    for window in times.windows(3) {
        let spread = window[2].duration_since(window[0]).unwrap();
        assert!(
            spread >= Duration::from_millis(900),
            "3 calls within {spread:?}"
        );
    }
}

#[test]
fn a_turn_that_would_come_after_the_timeout_fails_fast() {
    let sim = sim();
    let handle = angel_session_with(
        &sim,
        r#""timeout_ms":800,"rate_limits":{"funds":{"per_second":1}}"#,
    );
    sim.clear_log();
    handle.rms().ok();
    let reply = handle.rms(); // its turn is a second away: past the 0.8 s timeout
    let e = reply.err(s(Status::RateLimited));
    assert!(
        e["message"].as_str().unwrap().contains("funds"),
        "{}",
        reply.text
    );
    assert_eq!(
        sim.requests_to(RMS).len(),
        1,
        "the refused call never reached the broker"
    );
    handle.profile().ok(); // other operations are paced on their own
}

#[test]
fn rate_limit_config_is_validated() {
    let sim = sim();
    for (bad, needle) in [
        (r#""rate_limits":"fast""#, "\"off\""),
        (r#""rate_limits":{"orders":{"per_second":1}}"#, "operation"),
        (r#""rate_limits":{"funds":2}"#, "per_second"),
        (r#""rate_limits":{"funds":{"per_minute":2}}"#, "per_minute"),
        (r#""max_retries":11"#, "max_retries"),
        (r#""auto_refresh":"yes""#, "auto_refresh"),
        (r#""day_end_ist":"25:00""#, "day_end_ist"),
    ] {
        let (reply, _) = new_session(&angel_config(&sim, bad));
        let message = reply.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(needle), "{bad}: {message}");
    }
}

/// Runs `call` and checks it failed with `status` before the 1 s timeout
/// plus a margin for a loaded machine, and that the session still works.
fn fails_within_timeout(sim: &Sim, fault: Fault, status: i32) {
    let handle = angel_session_with(sim, r#""timeout_ms":1000,"rate_limits":"off""#);
    sim.inject(RMS, fault.clone(), FaultTimes::Next(u32::MAX));
    let started = Instant::now();
    let reply = handle.rms();
    let elapsed = started.elapsed();
    sim.clear_faults();
    reply.err(status);
    assert!(
        elapsed < Duration::from_millis(1000 + 1500),
        "{fault:?} took {elapsed:?}"
    );
    handle.rms().ok();
}

#[test]
fn every_fault_ends_within_the_timeout_and_the_session_recovers() {
    let sim = sim();
    let timeout = s(Status::Timeout);
    fails_within_timeout(&sim, Fault::Hang, timeout);
    fails_within_timeout(&sim, Fault::EndlessBody, timeout);
    fails_within_timeout(&sim, Fault::Delay(Duration::from_secs(5)), timeout);
    fails_within_timeout(&sim, Fault::Reset, s(Status::Network));
    fails_within_timeout(&sim, Fault::HtmlFirewall, s(Status::Broker));
    fails_within_timeout(&sim, Fault::EmptyBody, s(Status::Protocol));
    fails_within_timeout(&sim, Fault::TruncatedJson, s(Status::Protocol));
    fails_within_timeout(&sim, Fault::RateLimitText, s(Status::RateLimited));
}

#[test]
fn a_reply_over_one_mebibyte_is_refused() {
    let sim = sim();
    let handle = angel_session_with(&sim, RAW);
    let huge = format!(
        r#"{{"status":true,"data":{{"pad":"{}"}}}}"#,
        "x".repeat(2 << 20)
    );
    sim.inject(
        RMS,
        Fault::Reply {
            status: 200,
            content_type: "application/json".into(),
            body: huge,
        },
        FaultTimes::Next(1),
    );
    let reply = handle.rms();
    assert!(
        reply.err(s(Status::Protocol))["message"]
            .as_str()
            .unwrap()
            .contains("1 MiB")
    );
    handle.rms().ok();
}

#[test]
fn a_flaky_broker_is_absorbed_by_retries() {
    let sim = sim();
    let handle = angel_session_with(&sim, r#""max_retries":6,"rate_limits":"off""#);
    // A few certain resets first, so the test never depends on the dice.
    sim.inject(RMS, Fault::Reset, FaultTimes::Next(2));
    sim.inject(RMS, Fault::Reset, FaultTimes::Fraction(0.1));
    for _ in 0..50 {
        handle.rms().ok();
    }
    sim.clear_faults();
    let resets = sim
        .requests_to(RMS)
        .iter()
        .filter(|r| r.status == 0)
        .count();
    assert!(resets > 0, "the fault fired");
}

/// Expires a session's access token at brokersim.
type Expire = Box<dyn Fn(&Sim) + Send + Sync>;

/// A broker family with refresh, for the stress tests.
#[derive(Clone, Copy)]
enum Family {
    AngelOne,
    Zebu,
}

/// 16 threads share one session while brokersim expires its access token
/// again and again: every call succeeds and each expiry costs exactly one
/// refresh. With `paced`, the client paces to limits (and, for Angel One,
/// brokersim enforces its published ones); with `revoke`, brokersim revokes
/// the replaced tokens on refresh (PROTOCOLS.md leaves both possible).
fn stress(family: Family, paced: bool, revoke: bool) {
    const THREADS: usize = 16;
    const EXPIRIES: usize = 3;
    // Paced, a call waits its turn: far fewer calls, a longer timeout.
    let calls = if paced { 3 } else { 300 };
    let sim = Arc::new(
        Sim::start_with(SimOptions {
            rate_limits: paced,
            revoke_on_refresh: revoke,
            ..SimOptions::default()
        })
        .unwrap(),
    );
    let (handle, refresh_path, expire): (Handle, String, Expire) = match family {
        Family::AngelOne => {
            let extra = if paced {
                r#""timeout_ms":60000"#
            } else {
                UNPACED
            };
            (
                angel_session_with(&sim, extra),
                REFRESH.to_owned(),
                Box::new(|sim: &Sim| sim.expire_angel_sessions("D12345")),
            )
        }
        Family::Zebu => {
            // Noren brokers publish no limits: pace to some of our own.
            let extra = if paced {
                r#""timeout_ms":60000,"rate_limits":{"funds":{"per_second":4},"profile":{"per_second":3}}"#
            } else {
                UNPACED
            };
            let base = sim.noren_base_url("zebu");
            let path = base.split_once("//").unwrap().1.split_once('/').unwrap().1;
            (
                noren_session_with(&sim, "zebu", extra),
                format!("/{path}/RefreshToken"),
                Box::new(|sim: &Sim| sim.expire_noren_sessions("zebu", "NZEB01")),
            )
        }
    };
    let handle = Arc::new(handle);
    let refresh_path = Arc::new(refresh_path);
    let done = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let expirer = {
        let (sim, done, stop) = (Arc::clone(&sim), Arc::clone(&done), Arc::clone(&stop));
        let refresh_path = Arc::clone(&refresh_path);
        std::thread::spawn(move || {
            let mut expired = 0;
            while expired < EXPIRIES && !stop.load(Ordering::Relaxed) {
                // Expire once the threads are well under way, then wait for
                // the library's refresh before the next expiry.
                if done.load(Ordering::Relaxed) < (expired + 1) * THREADS * calls / (EXPIRIES + 2) {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                let refreshes = sim.requests_to(&refresh_path).len();
                expire(&sim);
                expired += 1;
                while sim.requests_to(&refresh_path).len() == refreshes
                    && !stop.load(Ordering::Relaxed)
                {
                    std::thread::sleep(Duration::from_millis(2));
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            expired
        })
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (handle, done) = (Arc::clone(&handle), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                for i in 0..calls {
                    let reply = if (t + i) % 4 == 0 {
                        handle.profile()
                    } else {
                        handle.rms()
                    };
                    if reply.status != 0 {
                        failures.push(reply.text);
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    stop.store(true, Ordering::Relaxed);
    let expired = expirer.join().unwrap();
    assert!(
        failures.is_empty(),
        "{} calls failed, e.g. {}",
        failures.len(),
        failures[0]
    );
    assert_eq!(
        expired, EXPIRIES,
        "the expirer ran out of calls to interleave with"
    );
    let refreshes = sim.requests_to(&refresh_path);
    assert_eq!(refreshes.len(), EXPIRIES, "exactly one refresh per expiry");
    assert!(refreshes.iter().all(|r| r.status == 200));
}

#[test]
fn stress_angelone_unpaced_revoking() {
    stress(Family::AngelOne, false, true);
}

#[test]
fn stress_angelone_unpaced_keeping_old_tokens() {
    stress(Family::AngelOne, false, false);
}

#[test]
fn stress_angelone_paced_revoking() {
    stress(Family::AngelOne, true, true);
}

#[test]
fn stress_angelone_paced_keeping_old_tokens() {
    stress(Family::AngelOne, true, false);
}

#[test]
fn stress_zebu_unpaced_revoking() {
    stress(Family::Zebu, false, true);
}

#[test]
fn stress_zebu_unpaced_keeping_old_tokens() {
    stress(Family::Zebu, false, false);
}

#[test]
fn stress_zebu_paced_revoking() {
    stress(Family::Zebu, true, true);
}

#[test]
fn stress_zebu_paced_keeping_old_tokens() {
    stress(Family::Zebu, true, false);
}

#[test]
fn freeing_a_session_while_other_threads_use_it_is_clean() {
    let sim = Arc::new(sim());
    let handle = angel_session_with(&sim, UNPACED);
    let raw = handle.0 as usize;
    std::mem::forget(handle); // this test frees it by hand
    let calls = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let calls = Arc::clone(&calls);
            std::thread::spawn(move || {
                let h = Handle(raw as *mut brokerlink::ffi::BrokerSession);
                let mut statuses = Vec::new();
                loop {
                    let reply = if statuses.len() % 2 == 0 {
                        h.rms()
                    } else {
                        h.profile()
                    };
                    calls.fetch_add(1, Ordering::Relaxed);
                    statuses.push(reply.status);
                    if reply.status == s(Status::InvalidHandle) {
                        break;
                    }
                }
                std::mem::forget(h);
                statuses
            })
        })
        .collect();
    while calls.load(Ordering::Relaxed) < 200 {
        std::thread::sleep(Duration::from_millis(1));
    }
    brokerlink::ffi::broker_free(raw as *mut brokerlink::ffi::BrokerSession);
    for worker in workers {
        let statuses = worker.join().unwrap();
        // Every call before the free succeeded; after it, only INVALID_HANDLE.
        let first_invalid = statuses
            .iter()
            .position(|&st| st == s(Status::InvalidHandle))
            .unwrap();
        assert!(
            statuses[..first_invalid].iter().all(|&st| st == 0),
            "{statuses:?}"
        );
    }
    Handle(raw as *mut brokerlink::ffi::BrokerSession)
        .rms()
        .err(s(Status::InvalidHandle));
}

/// Issue 19: with the default pacing on, 8 threads reading funds and profile
/// on one session while the broker expires the access token twice, about
/// 1.3 s apart, and revokes the old tokens when it issues new ones. A call
/// that waited in the pacer while another thread refreshed must not send the
/// superseded token, nor spend its one refresh-and-repeat on it.
#[test]
fn two_expiries_under_default_pacing_with_revocation_fail_no_call() {
    const THREADS: usize = 8;
    const CALLS: usize = 3;
    let sim = Arc::new(
        Sim::start_with(SimOptions {
            rate_limits: true,
            revoke_on_refresh: true,
            ..SimOptions::default()
        })
        .unwrap(),
    );
    // The default pacing; a timeout long enough that no call's turn in the
    // pacer falls past it on a loaded machine.
    let handle = Arc::new(angel_session_with(&sim, r#""timeout_ms":20000"#));
    sim.clear_log();
    let started = Arc::new(AtomicUsize::new(0));
    let expirer = {
        let (sim, started) = (Arc::clone(&sim), Arc::clone(&started));
        std::thread::spawn(move || {
            // Once every thread is queued in the pacer, expire twice.
            while started.load(Ordering::Relaxed) < THREADS {
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(Duration::from_millis(400));
            sim.expire_angel_sessions("D12345");
            std::thread::sleep(Duration::from_millis(1300));
            sim.expire_angel_sessions("D12345");
        })
    };
    let workers: Vec<_> = (0..THREADS)
        .map(|t| {
            let (handle, started) = (Arc::clone(&handle), Arc::clone(&started));
            std::thread::spawn(move || {
                started.fetch_add(1, Ordering::Relaxed);
                (0..CALLS)
                    .map(|i| {
                        if (t + i) % 2 == 0 {
                            handle.rms()
                        } else {
                            handle.profile()
                        }
                    })
                    .filter(|reply| reply.status != 0)
                    .map(|reply| reply.text)
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let failures: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    expirer.join().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} calls failed: {:#?}",
        failures.len(),
        THREADS * CALLS,
        failures
    );
    let refreshes = sim.requests_to(REFRESH);
    assert_eq!(refreshes.len(), 2, "exactly one refresh per expiry");
}

/// Waits (bounded) until brokersim has logged `count` requests to `path`.
fn wait_for_requests(sim: &Sim, path: &str, count: usize) {
    let until = Instant::now() + Duration::from_secs(30);
    while sim.requests_to(path).len() < count {
        assert!(Instant::now() < until, "no request {count} to {path}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn an_expiry_answered_to_replaced_tokens_is_not_the_calls_own_refresh() {
    // The first getRMS waits in brokersim while another call refreshes (the
    // old token is revoked), so it is answered AG8001; its repeat, with the
    // current token, waits while the token expires again. That expiry is
    // this call's own: it refreshes once and succeeds.
    let sim = Arc::new(sim());
    let handle = Arc::new(angel_session_with(
        &sim,
        r#""rate_limits":"off","timeout_ms":15000"#,
    ));
    sim.clear_log();
    sim.inject(
        RMS,
        Fault::Delay(Duration::from_millis(1500)),
        FaultTimes::Next(2),
    );
    let reader = {
        let handle = Arc::clone(&handle);
        std::thread::spawn(move || handle.rms())
    };
    wait_for_requests(&sim, RMS, 1);
    sim.expire_angel_sessions("D12345");
    handle.profile().ok();
    assert_eq!(sim.requests_to(REFRESH).len(), 1);
    wait_for_requests(&sim, RMS, 2);
    sim.expire_angel_sessions("D12345");
    reader.join().unwrap().ok();
    assert_eq!(sim.requests_to(REFRESH).len(), 2, "one refresh per expiry");
    assert_eq!(sim.requests_to(RMS).len(), 3);
}

#[test]
fn fresh_tokens_the_broker_refuses_at_once_are_not_refreshed_again() {
    let sim = sim();
    let handle = angel_session_with(&sim, UNPACED);
    sim.clear_log();
    let expired = Fault::Reply {
        status: 200,
        content_type: "application/json".into(),
        body: r#"{"success":false,"message":"Token Expired","errorCode":"AG8002","data":""}"#
            .into(),
    };
    sim.inject(RMS, expired, FaultTimes::Next(u32::MAX));
    handle.rms().err(s(Status::SessionExpired));
    sim.clear_faults();
    assert_eq!(sim.requests_to(REFRESH).len(), 1, "one refresh");
    assert_eq!(sim.requests_to(RMS).len(), 2, "one repeat");
}

#[test]
fn a_read_that_waited_its_turn_sends_the_tokens_current_then() {
    let sim = Arc::new(sim());
    let handle = Arc::new(angel_session_with(
        &sim,
        r#""rate_limits":{"funds":{"per_second":1}}"#,
    ));
    handle.rms().ok();
    sim.clear_log();
    // This read waits about a second for its turn; meanwhile the session is
    // refreshed and brokersim revokes the token it had when it started.
    let reader = {
        let handle = Arc::clone(&handle);
        std::thread::spawn(move || handle.rms())
    };
    std::thread::sleep(Duration::from_millis(200));
    handle.refresh().ok();
    reader.join().unwrap().ok();
    let token = handle.export().ok()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let sent = sim.requests_to(RMS);
    assert_eq!(
        sent.len(),
        1,
        "one request: no repeat after a refused token"
    );
    assert!(
        sent[0].header("authorization") == Some(format!("Bearer {token}").as_str()),
        "the request carried the refreshed token"
    );
}

#[test]
fn without_auto_refresh_an_expiry_of_replaced_tokens_still_repeats() {
    // auto_refresh off: the session never refreshes by itself, but a read
    // answered for tokens the host already replaced (here by an explicit
    // refresh, which revokes the old ones) repeats with the current tokens.
    let sim = Arc::new(sim());
    let handle = Arc::new(angel_session_with(
        &sim,
        r#""rate_limits":"off","auto_refresh":false,"timeout_ms":15000"#,
    ));
    sim.clear_log();
    sim.inject(
        RMS,
        Fault::Delay(Duration::from_millis(1500)),
        FaultTimes::Next(1),
    );
    let reader = {
        let handle = Arc::clone(&handle);
        std::thread::spawn(move || handle.rms())
    };
    wait_for_requests(&sim, RMS, 1);
    handle.refresh().ok();
    reader.join().unwrap().ok();
    assert_eq!(sim.requests_to(RMS).len(), 2);
    // Tokens that are current and expired are reported, as before.
    sim.expire_angel_sessions("D12345");
    handle.rms().err(s(Status::SessionExpired));
}

#[test]
fn a_refresh_waiting_its_turn_while_a_login_replaces_the_tokens_is_not_sent() {
    let sim = Arc::new(sim());
    // Logins unpaced, so that the new login below never waits behind the
    // first one's second.
    let handle = Arc::new(angel_session_with(
        &sim,
        r#""rate_limits":{"refresh":{"per_second":1},"login":{"per_second":0}}"#,
    ));
    handle.refresh().ok();
    sim.clear_log();
    // Its turn is about a second away; a new login comes first.
    let refresher = {
        let handle = Arc::clone(&handle);
        std::thread::spawn(move || handle.refresh())
    };
    std::thread::sleep(Duration::from_millis(500));
    handle.login(&angel_credentials()).ok();
    refresher.join().unwrap().ok();
    assert_eq!(
        sim.requests_to(REFRESH).len(),
        0,
        "the login's tokens are newer: nothing to refresh"
    );
    handle.rms().ok();
}

#[test]
fn a_logout_that_waited_its_turn_ends_the_tokens_current_then() {
    let sim = Arc::new(sim());
    let handle = Arc::new(angel_session_with(
        &sim,
        r#""rate_limits":{"logout":{"per_second":1},"login":{"per_second":100}}"#,
    ));
    handle.logout().ok();
    handle.login(&angel_credentials()).ok();
    // This logout's turn is about a second away; the session is refreshed
    // first (brokersim revokes the old token).
    let logout = {
        let handle = Arc::clone(&handle);
        std::thread::spawn(move || handle.logout())
    };
    std::thread::sleep(Duration::from_millis(500));
    handle.refresh().ok();
    logout.join().unwrap().ok();
    handle.rms().err(s(Status::NotLoggedIn));
}
