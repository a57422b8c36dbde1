//! Malformed and random requests never panic a simulator thread.
//!
//! This file holds a single test because it installs a process-wide panic hook.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::*;

/// A small deterministic generator (xorshift64*), so failures can be replayed.
struct Bytes(u64);

impl Bytes {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn take(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// Sends raw bytes on a new connection and reads whatever comes back until the server closes
/// the connection or stays quiet briefly.
fn poke(sim: &brokersim::Sim, bytes: &[u8]) {
    let addr = sim.base_url().trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("timeout");
    let _ = stream.write_all(bytes);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut sink = Vec::new();
    let _ = stream.read_to_end(&mut sink);
}

/// Noren's REST endpoints, pages and token service.
const NOREN_PATHS: [&str; 10] = [
    "/noren/kambala/NorenWClientAPI/GenAcsTok",
    "/noren/zebu/NorenWClientAPI/RefreshToken",
    "/noren/shoonya/NorenWClientTP/QuickAuth",
    "/noren/tradesmart/NorenWClientAPIv2/UserDetails",
    "/noren/shoonya/NorenWClientTP/Limits",
    "/noren/flattrade/PiConnectAPI/Logout",
    "/noren/flattrade/trade/apitoken",
    "/noren/zebu/OAuthlogin/authorize/oauth",
    "/noren/flattrade/auth/",
    "/noren/callback",
];

/// Random and hostile requests to every kind of Noren path.
fn poke_noren(sim: &brokersim::Sim, random: &mut Bytes) {
    let bearer = "Authorization: Bearer \u{1F600}\r\n";
    for path in NOREN_PATHS {
        let method = if path.contains("auth") || path.ends_with("callback") {
            "GET"
        } else {
            "POST"
        };
        for prefix in [&b""[..], b"jData=", b"jData={\"uid\":"] {
            for _ in 0..10 {
                let mut body = prefix.to_vec();
                let len = (random.next() % 200) as usize;
                body.extend(random.take(len));
                let mut request = format!(
                    "{method} {path} HTTP/1.1\r\n{bearer}Content-Length: {}\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                request.extend_from_slice(&body);
                poke(sim, &request);
            }
        }
        for (query, body) in [
            (
                "?client_id=%e2%82&app_key=%",
                "jData={\"code\":[],\"checksum\":{}}",
            ),
            (
                "?app_key=%%%&code=%ff%fe",
                "jData={\"uid\":\"\u{1F600}\",\"factor2\":\"\u{1F600}\"}",
            ),
            (
                "?code=\u{e9}&client=<x>",
                "jData={\"a\":\"\u{e9}\"}&jKey=\u{e9}&jKey=",
            ),
            ("?", &format!("jData={}", "[".repeat(10_000))),
            (
                "?client_id",
                r#"{"api_key":1,"request_code":null,"api_secret":[]}"#,
            ),
        ] {
            let request = format!(
                "{method} {path}{query} HTTP/1.1\r\n{bearer}Content-Length: {}\r\n\r\n{body}",
                body.len()
            );
            poke(sim, request.as_bytes());
        }
    }
}

#[test]
fn garbage_never_panics_and_the_sim_keeps_serving() {
    let panics = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&panics);
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        counter.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));

    let sim = sim_without_limits();
    let mut random = Bytes(0x9E37_79B9_7F4A_7C15);
    for _ in 0..100 {
        let len = (random.next() % 300) as usize;
        let garbage = random.take(len);
        poke(&sim, &garbage);
    }
    let angel = angel_headers("demo-api-key", Some("a.b.c"));
    let head: String = angel.iter().map(|(n, v)| format!("{n}: {v}\r\n")).collect();
    for path in [LOGIN, GENERATE_TOKENS, PROFILE, RMS, LOGOUT] {
        for _ in 0..20 {
            let len = (random.next() % 200) as usize;
            let body = random.take(len);
            let method = if path == PROFILE || path == RMS {
                "GET"
            } else {
                "POST"
            };
            let mut request =
                format!("{method} {path} HTTP/1.1\r\n{head}Content-Length: {len}\r\n\r\n")
                    .into_bytes();
            request.extend_from_slice(&body);
            poke(&sim, &request);
        }
        for body in [
            "{\"clientcode\":\"D12345\",\"password\":\"1234\",\"totp\":\"\u{1F600}\u{1F600}\"}",
            "{\"clientcode\":[],\"refreshToken\":{}}",
            "{\"clientcode\":\"D12345\",\"password\":\"1234\",\"totp\":\"12345678901234567890\"}",
            &"[".repeat(10_000),
        ] {
            let method = if path == PROFILE || path == RMS {
                "GET"
            } else {
                "POST"
            };
            let request = format!(
                "{method} {path}?x=%zz HTTP/1.1\r\n{head}Content-Length: {}\r\n\r\n{body}",
                body.len()
            );
            poke(&sim, request.as_bytes());
        }
    }
    poke_noren(&sim, &mut random);
    poke(
        &sim,
        b"GET / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    );
    poke(
        &sim,
        b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    );
    poke(&sim, b"GET / HTTP/1.0\r\n\r\n");
    poke(&sim, b"GET \xff\xfe HTTP/1.1\r\nX: \xff\r\n\r\n");

    let response = call(&sim, "GET", "/still-alive", &[], "");
    assert_eq!(response.status, 404);
    assert_eq!(
        panics.load(Ordering::SeqCst),
        0,
        "a simulator thread panicked"
    );
}
