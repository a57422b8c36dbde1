//! Every kind of injected fault, observed from the client's side.

use std::io::{ErrorKind, Read};
use std::time::{Duration, Instant};

use crate::common::*;
use brokersim::{AngelAccount, Fault, FaultTimes, Sim};

const KEY: &str = "demo-api-key";

/// Sends a getRMS request (with a valid session) on a new connection, without reading.
fn send_rms(sim: &Sim, jwt: &str) -> Client {
    let mut client = Client::connect(sim);
    client
        .send("GET", RMS, &angel_headers(KEY, Some(jwt)), "")
        .expect("send");
    client
}

fn logged_in_sim() -> (Sim, String) {
    let sim = sim_without_limits();
    let jwt = login(&sim, &AngelAccount::demo()).jwt;
    (sim, jwt)
}

fn last_status(sim: &Sim) -> Option<u16> {
    sim.requests_to(RMS).last().map(|r| r.status)
}

#[test]
fn canned_reply() {
    let (sim, jwt) = logged_in_sim();
    let fault = Fault::Reply {
        status: 502,
        content_type: "text/html".into(),
        body: "<h1>Bad Gateway</h1>".into(),
    };
    sim.inject(RMS, fault, FaultTimes::Next(1));
    let response = send_rms(&sim, &jwt).read_response().expect("response");
    assert_eq!(response.status, 502);
    assert_eq!(response.header("content-type"), Some("text/html"));
    assert_eq!(response.text(), "<h1>Bad Gateway</h1>");
    assert_eq!(last_status(&sim), Some(502));
    // Used up: the next request is served normally.
    assert_eq!(angel_get(&sim, RMS, KEY, Some(&jwt)).json()["status"], true);
}

#[test]
fn rate_limit_text_firewall_page_and_empty_body() {
    let (sim, jwt) = logged_in_sim();
    sim.inject(RMS, Fault::RateLimitText, FaultTimes::Next(1));
    sim.inject(RMS, Fault::HtmlFirewall, FaultTimes::Next(1));
    sim.inject(RMS, Fault::EmptyBody, FaultTimes::Next(1));

    let limited = angel_get(&sim, RMS, KEY, Some(&jwt));
    assert_eq!(limited.status, 403);
    assert_eq!(limited.header("content-type"), Some("text/plain"));
    assert_eq!(
        limited.text(),
        "Access denied because of exceeding access rate"
    );

    let firewall = angel_get(&sim, RMS, KEY, Some(&jwt));
    assert_eq!(firewall.status, 200);
    assert_eq!(firewall.header("content-type"), Some("text/html"));
    assert!(firewall.text().contains("Request Rejected"));

    let empty = angel_get(&sim, RMS, KEY, Some(&jwt));
    assert_eq!(empty.status, 200);
    assert_eq!(empty.header("content-length"), Some("0"));
    assert!(empty.body.is_empty());
}

#[test]
fn delay_then_normal_reply() {
    let (sim, jwt) = logged_in_sim();
    sim.inject(
        RMS,
        Fault::Delay(Duration::from_millis(300)),
        FaultTimes::Next(1),
    );
    let started = Instant::now();
    let response = angel_get(&sim, RMS, KEY, Some(&jwt));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(response.json()["status"], true);
}

#[test]
fn truncated_json_cuts_the_real_reply_in_half() {
    let (sim, jwt) = logged_in_sim();
    let full = angel_get(&sim, RMS, KEY, Some(&jwt)).body;
    sim.inject(RMS, Fault::TruncatedJson, FaultTimes::Next(1));
    let response = angel_get(&sim, RMS, KEY, Some(&jwt));
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.body.len(), full.len() / 2);
    assert!(full.starts_with(&response.body));
    assert!(serde_json::from_slice::<serde_json::Value>(&response.body).is_err());
}

#[test]
fn endless_body_trickles_forever() {
    let (sim, jwt) = logged_in_sim();
    sim.inject(RMS, Fault::EndlessBody, FaultTimes::Next(1));
    let mut client = send_rms(&sim, &jwt);
    let (status, headers) = client.read_head().expect("head");
    assert_eq!(status, 200);
    let length: u64 = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .expect("content-length");
    assert!(length > 1_000_000_000);
    let mut byte = [0u8; 1];
    for _ in 0..2 {
        assert_eq!(client.stream.read(&mut byte).expect("a byte"), 1);
    }
    assert_eq!(last_status(&sim), Some(200));
}

#[test]
fn reset_closes_with_rst() {
    let (sim, jwt) = logged_in_sim();
    sim.inject(RMS, Fault::Reset, FaultTimes::Next(1));
    let mut client = send_rms(&sim, &jwt);
    let mut buffer = [0u8; 16];
    let error = client.stream.read(&mut buffer).expect_err("reset");
    assert_eq!(error.kind(), ErrorKind::ConnectionReset);
    assert_eq!(last_status(&sim), Some(0));
}

#[test]
fn hang_answers_nothing_until_the_sim_stops() {
    let (sim, jwt) = logged_in_sim();
    sim.inject(RMS, Fault::Hang, FaultTimes::Next(1));
    let mut client = send_rms(&sim, &jwt);
    client
        .stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let mut buffer = [0u8; 16];
    let error = client.stream.read(&mut buffer).expect_err("no answer");
    assert!(matches!(
        error.kind(),
        ErrorKind::WouldBlock | ErrorKind::TimedOut
    ));
    assert_eq!(last_status(&sim), Some(0));

    client
        .stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .expect("timeout");
    let started = Instant::now();
    drop(sim);
    let closed = client.stream.read(&mut buffer);
    assert!(matches!(closed, Ok(0) | Err(_)), "{closed:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[test]
fn faults_apply_before_any_check_and_any_path_matches_everything() {
    let sim = sim_without_limits();
    sim.inject("*", Fault::EmptyBody, FaultTimes::Next(2));
    let bare = call(&sim, "GET", "/no/such/path", &[], "");
    assert_eq!((bare.status, bare.body.len()), (200, 0));
    let bare = call(&sim, "GET", RMS, &[], "");
    assert_eq!((bare.status, bare.body.len()), (200, 0));
    assert_eq!(call(&sim, "GET", RMS, &[], "").status, 400);
}

#[test]
fn fractions_last_until_cleared() {
    let sim = sim_without_limits();
    sim.inject(RMS, Fault::RateLimitText, FaultTimes::Fraction(1.0));
    for _ in 0..3 {
        assert_eq!(call(&sim, "GET", RMS, &[], "").status, 403);
    }
    sim.clear_faults();
    assert_eq!(call(&sim, "GET", RMS, &[], "").status, 400);
}
