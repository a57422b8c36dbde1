//! The HTTP server itself: keep-alive, limits, malformed requests, the log, the startup line and
//! shutdown.

use std::io::Read;
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use crate::common::*;
use brokersim::{AngelAccount, Sim, SimOptions};
use serde_json::Value;

const KEY: &str = "demo-api-key";

#[test]
fn keep_alive_serves_several_requests_on_one_connection() {
    let sim = sim_without_limits();
    let mut client = Client::connect(&sim);
    let headers = angel_headers(KEY, None);
    let body = login_body(&AngelAccount::demo()).to_string();
    let login = client
        .exchange("POST", LOGIN, &headers, &body)
        .expect("login");
    let jwt = login.json()["data"]["jwtToken"]
        .as_str()
        .expect("jwt")
        .to_owned();
    let headers = angel_headers(KEY, Some(&jwt));
    for path in [PROFILE, RMS] {
        let response = client.exchange("GET", path, &headers, "").expect("reply");
        assert_eq!(response.json()["status"], true);
        assert_eq!(response.header("connection"), None);
    }
}

#[test]
fn pipelined_requests_are_answered_in_order() {
    let sim = sim_without_limits();
    let mut client = Client::connect(&sim);
    client
        .send_raw(b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n")
        .expect("send");
    assert_eq!(client.read_response().expect("first").status, 404);
    assert_eq!(client.read_response().expect("second").status, 404);
    let paths: Vec<String> = sim.requests().into_iter().map(|r| r.path).collect();
    assert_eq!(paths, ["/a", "/b"]);
}

#[test]
fn connection_close_is_honoured() {
    let sim = sim_without_limits();
    let mut client = Client::connect(&sim);
    let headers = vec![("Connection".to_owned(), "close".to_owned())];
    let response = client.exchange("GET", "/x", &headers, "").expect("reply");
    assert_eq!(response.header("connection"), Some("close"));
    let mut rest = Vec::new();
    assert_eq!(client.stream.read_to_end(&mut rest).expect("eof"), 0);
}

#[test]
fn oversized_malformed_and_chunked_requests_are_refused() {
    let sim = sim_without_limits();
    let mut client = Client::connect(&sim);
    client
        .send_raw(b"POST /big HTTP/1.1\r\nContent-Length: 2000000\r\n\r\n")
        .expect("send");
    assert_eq!(client.read_response().expect("413").status, 413);
    assert_eq!(sim.requests_to("/big").last().map(|r| r.status), Some(413));

    let mut client = Client::connect(&sim);
    let huge = format!("GET / HTTP/1.1\r\nX-Big: {}\r\n\r\n", "a".repeat(70 * 1024));
    // The server may answer before it has read everything; ignore write errors.
    let _ = client.send_raw(huge.as_bytes());
    assert_eq!(client.read_response().expect("431").status, 431);

    let mut client = Client::connect(&sim);
    client.send_raw(b"\x00\x01garbage\r\n\r\n").expect("send");
    assert_eq!(client.read_response().expect("400").status, 400);

    let mut client = Client::connect(&sim);
    client
        .send_raw(b"POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        .expect("send");
    assert_eq!(client.read_response().expect("411").status, 411);

    let mut client = Client::connect(&sim);
    client
        .send_raw(b"POST /c HTTP/1.1\r\nContent-Length: nope\r\n\r\n")
        .expect("send");
    assert_eq!(client.read_response().expect("400").status, 400);
}

#[test]
fn expect_100_continue_is_answered() {
    let sim = sim_without_limits();
    let mut client = Client::connect(&sim);
    client
        .send_raw(b"POST /e HTTP/1.1\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n")
        .expect("send");
    assert_eq!(client.read_head().expect("100").0, 100);
    client.send_raw(b"{}").expect("body");
    assert_eq!(client.read_response().expect("reply").status, 404);
    assert_eq!(sim.requests_to("/e")[0].body, "{}");
}

#[test]
fn the_log_records_method_path_query_headers_body_and_status() {
    let sim = sim_without_limits();
    let headers = angel_headers(KEY, None);
    let body = login_body(&AngelAccount::demo()).to_string();
    call(&sim, "POST", LOGIN, &headers, &body);
    call(&sim, "GET", "/q?a=1&b=2", &[], "");
    let log = sim.requests();
    assert_eq!(log.len(), 2);
    let login = &log[0];
    assert_eq!(
        (login.method.as_str(), login.path.as_str()),
        ("POST", LOGIN)
    );
    assert_eq!(login.query, None);
    assert_eq!(login.body, body);
    assert_eq!(login.status, 200);
    assert!(
        login
            .headers
            .iter()
            .any(|(n, v)| n == "x-usertype" && v == "USER")
    );
    assert!(
        login
            .headers
            .iter()
            .all(|(n, _)| *n == n.to_ascii_lowercase())
    );
    assert_eq!(login.header("X-PrivateKey"), Some(KEY));
    assert_eq!(log[1].query.as_deref(), Some("a=1&b=2"));
    assert_eq!(log[1].status, 404);
    assert_eq!(sim.requests_to(LOGIN).len(), 1);
    sim.clear_log();
    assert!(sim.requests().is_empty());
}

#[test]
fn the_request_listener_sees_each_answer() {
    let sim = sim_without_limits();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    sim.set_request_listener(move |request| {
        if let Ok(mut seen) = sink.lock() {
            seen.push((request.path.clone(), request.status));
        }
    });
    call(&sim, "GET", "/nope", &[], "");
    let seen = seen.lock().map(|s| s.clone()).unwrap_or_default();
    assert_eq!(seen, [("/nope".to_owned(), 404)]);
}

#[test]
fn startup_line_is_json_with_urls_and_accounts() {
    let sim = Sim::start().expect("start");
    let line = sim.startup_line();
    assert!(!line.contains('\n'));
    assert!(line.starts_with(r#"{"brokersim":""#), "{line}");
    let value: Value = serde_json::from_str(&line).expect("json");
    assert_eq!(value["brokersim"], env!("CARGO_PKG_VERSION"));
    assert_eq!(value["base_url"], sim.base_url());
    assert_eq!(value["angelone"]["base_url"], sim.angel_base_url());
    let account = &value["angelone"]["accounts"][0];
    assert_eq!(account["api_key"], "demo-api-key");
    assert_eq!(account["client_code"], "D12345");
    assert_eq!(account["pin"], "1234");
    assert_eq!(account["totp_secret"], "JBSWY3DPEHPK3PXP");
}

#[test]
fn no_demo_accounts_when_turned_off() {
    let sim = Sim::start_with(SimOptions {
        demo_accounts: false,
        ..SimOptions::default()
    })
    .expect("start");
    let value: Value = serde_json::from_str(&sim.startup_line()).expect("json");
    assert_eq!(value["angelone"]["accounts"], serde_json::json!([]));
    let body = login_body(&AngelAccount::demo());
    assert_service_error(&angel_post(&sim, LOGIN, KEY, None, &body), "AB1034");
}

#[test]
fn base_url_is_loopback_http_without_trailing_slash() {
    let sim = Sim::start().expect("start");
    let url = sim.base_url();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.ends_with('/'));
}

#[test]
fn dropping_the_sim_stops_the_server() {
    let sim = Sim::start().expect("start");
    let addr = sim.base_url().trim_start_matches("http://").to_owned();
    let mut idle = Client::connect(&sim);
    drop(sim);
    assert!(TcpStream::connect(&addr).is_err());
    let mut rest = Vec::new();
    assert!(matches!(idle.stream.read_to_end(&mut rest), Ok(0) | Err(_)));
}

#[test]
fn sim_can_be_shared_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Sim>();
    assert_send_sync::<brokersim::Fault>();
    assert_send_sync::<brokersim::LoggedRequest>();
}
