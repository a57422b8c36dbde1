//! A minimal HTTP/1.1 client over `std::net::TcpStream` and Angel One helpers for the tests.
//!
//! Each integration test file uses a different subset of these helpers.
#![allow(dead_code)]

pub mod noren;

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use brokersim::{AngelAccount, Sim, SimOptions};
use serde_json::Value;
use totp_rs::{Algorithm, Secret, TOTP};

pub const LOGIN: &str = "/rest/auth/angelbroking/user/v1/loginByPassword";
pub const GENERATE_TOKENS: &str = "/rest/auth/angelbroking/jwt/v1/generateTokens";
pub const PROFILE: &str = "/rest/secure/angelbroking/user/v1/getProfile";
pub const RMS: &str = "/rest/secure/angelbroking/user/v1/getRMS";
pub const LOGOUT: &str = "/rest/secure/angelbroking/user/v1/logout";

/// How long the client waits for any read before failing the test.
pub const READ_TIMEOUT: Duration = Duration::from_secs(10);

/// A response as read off the wire.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first value of a header (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body as JSON; panics with the body when it is not JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }
}

/// One keep-alive connection to the simulator.
pub struct Client {
    pub stream: TcpStream,
    buffer: Vec<u8>,
}

impl Client {
    /// Connects to the simulator.
    pub fn connect(sim: &Sim) -> Client {
        let addr = sim.base_url().trim_start_matches("http://").to_owned();
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(READ_TIMEOUT))
            .expect("timeout");
        Client {
            stream,
            buffer: Vec::new(),
        }
    }

    /// Sends raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// Sends a request with a `Content-Length` body and the given headers (and `Host`).
    pub fn send(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: &str,
    ) -> io::Result<()> {
        let mut head = format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if method != "GET" || !body.is_empty() {
            head.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        head.push_str(body);
        self.send_raw(head.as_bytes())
    }

    /// Reads the head of one response (status and headers).
    pub fn read_head(&mut self) -> io::Result<(u16, Vec<(String, String)>)> {
        loop {
            let mut slots = [httparse::EMPTY_HEADER; 64];
            let mut parsed = httparse::Response::new(&mut slots);
            if let httparse::Status::Complete(len) = parsed
                .parse(&self.buffer)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?
            {
                let status = parsed.code.unwrap_or(0);
                let headers = parsed
                    .headers
                    .iter()
                    .map(|h| {
                        let value = String::from_utf8_lossy(h.value).into_owned();
                        (h.name.to_ascii_lowercase(), value)
                    })
                    .collect();
                self.buffer.drain(..len);
                return Ok((status, headers));
            }
            self.fill()?;
        }
    }

    /// Reads one whole response (its body by `Content-Length`).
    pub fn read_response(&mut self) -> io::Result<RawResponse> {
        let (status, headers) = self.read_head()?;
        let length: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        while self.buffer.len() < length {
            self.fill()?;
        }
        let body = self.buffer.drain(..length).collect();
        Ok(RawResponse {
            status,
            headers,
            body,
        })
    }

    /// Sends a request and reads its response.
    pub fn exchange(
        &mut self,
        method: &str,
        target: &str,
        headers: &[(String, String)],
        body: &str,
    ) -> io::Result<RawResponse> {
        self.send(method, target, headers, body)?;
        self.read_response()
    }

    /// Reads more bytes into the buffer; end of stream is an `UnexpectedEof` error.
    pub fn fill(&mut self) -> io::Result<()> {
        let mut chunk = [0u8; 4096];
        let n = self.stream.read(&mut chunk)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.buffer.extend_from_slice(&chunk[..n]);
        Ok(())
    }
}

/// A simulator with the demo account and no rate limits.
pub fn sim_without_limits() -> Sim {
    Sim::start_with(SimOptions {
        rate_limits: false,
        ..SimOptions::default()
    })
    .expect("start sim")
}

/// [`sim_without_limits`] with Shoonya's QuickAuth still open, for the password-login tests
/// (Shoonya closed it to API users on 2026-04-01).
pub fn sim_with_quickauth() -> Sim {
    Sim::start_with(SimOptions {
        rate_limits: false,
        shoonya_quickauth_open: true,
        ..SimOptions::default()
    })
    .expect("start sim")
}

/// The headers every Angel One call needs, for `api_key`, plus a Bearer token when given.
pub fn angel_headers(api_key: &str, jwt: Option<&str>) -> Vec<(String, String)> {
    let mut headers: Vec<(String, String)> = [
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
        ("X-UserType", "USER"),
        ("X-SourceID", "WEB"),
        ("X-ClientLocalIP", "192.168.1.20"),
        ("X-ClientPublicIP", "203.0.113.7"),
        ("X-MACAddress", "aa:bb:cc:dd:ee:ff"),
        ("X-PrivateKey", api_key),
    ]
    .iter()
    .map(|(n, v)| (n.to_string(), v.to_string()))
    .collect();
    if let Some(jwt) = jwt {
        headers.push(("Authorization".into(), format!("Bearer {jwt}")));
    }
    headers
}

/// Sends one request on a fresh connection and reads the response.
pub fn call(
    sim: &Sim,
    method: &str,
    target: &str,
    headers: &[(String, String)],
    body: &str,
) -> RawResponse {
    Client::connect(sim)
        .exchange(method, target, headers, body)
        .expect("exchange")
}

/// An Angel One GET with the standard headers.
pub fn angel_get(sim: &Sim, path: &str, api_key: &str, jwt: Option<&str>) -> RawResponse {
    call(sim, "GET", path, &angel_headers(api_key, jwt), "")
}

/// An Angel One POST with the standard headers.
pub fn angel_post(
    sim: &Sim,
    path: &str,
    api_key: &str,
    jwt: Option<&str>,
    body: &Value,
) -> RawResponse {
    call(
        sim,
        "POST",
        path,
        &angel_headers(api_key, jwt),
        &body.to_string(),
    )
}

/// The generator for a base32 secret.
fn totp(secret: &str) -> TOTP {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .expect("base32");
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, bytes)
}

/// The current TOTP code.
pub fn totp_now(secret: &str) -> String {
    totp(secret).generate_current().expect("clock")
}

/// A six-digit code that is not valid now (nor one step either side).
pub fn wrong_totp(secret: &str) -> String {
    let generator = totp(secret);
    ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|code| !generator.check_current(code).unwrap_or(true))
        .expect("some code is wrong")
        .to_owned()
}

/// The login body for an account, with its current TOTP.
pub fn login_body(account: &AngelAccount) -> Value {
    serde_json::json!({
        "clientcode": account.client_code,
        "password": account.pin,
        "totp": totp_now(&account.totp_secret)
    })
}

/// Tokens from a successful login.
pub struct Tokens {
    pub jwt: String,
    pub refresh: String,
}

/// Logs in to `account` and returns its tokens; panics on failure.
pub fn login(sim: &Sim, account: &AngelAccount) -> Tokens {
    let response = angel_post(sim, LOGIN, &account.api_key, None, &login_body(account));
    let body = response.json();
    assert_eq!(body["status"], true, "login failed: {body}");
    Tokens {
        jwt: body["data"]["jwtToken"].as_str().expect("jwt").to_owned(),
        refresh: body["data"]["refreshToken"]
            .as_str()
            .expect("refresh")
            .to_owned(),
    }
}

/// Asserts a service-envelope failure with `code`.
pub fn assert_service_error(response: &RawResponse, code: &str) {
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["status"], false, "{body}");
    assert_eq!(body["errorcode"], code, "{body}");
    assert!(body["data"].is_null(), "{body}");
}

/// Asserts a gateway-envelope failure with `code`.
pub fn assert_gateway_error(response: &RawResponse, code: &str) {
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["errorCode"], code, "{body}");
    assert_eq!(body["data"], "", "{body}");
}
