//! Noren helpers for the tests: URLs, jData bodies, checksums and the three logins.

use brokersim::{NorenAccount, Sim};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{RawResponse, call, totp_now};

/// Every preset.
pub const PRESETS: [&str; 5] = ["kambala", "shoonya", "zebu", "tradesmart", "flattrade"];
/// The presets that log in with OAuth (GenAcsTok).
pub const OAUTH_PRESETS: [&str; 4] = ["kambala", "shoonya", "zebu", "tradesmart"];
/// The emsg of every refused session.
pub const INVALID_SESSION: &str = "Session Expired :  Invalid Session Key";
/// GenAcsTok's checksum failure.
pub const INVALID_VERIFIER: &str = "Invalid Input : INVALID_VERIFIER";

/// How a request proves its session.
#[derive(Clone, Copy, Debug)]
pub enum Auth<'a> {
    /// No token at all.
    None,
    /// `Authorization: Bearer <token>`.
    Bearer(&'a str),
    /// `&jKey=<token>` after the jData.
    JKey(&'a str),
    /// Both (a client bug).
    Both(&'a str),
}

/// Lowercase hex SHA-256.
pub fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// The demo account of a preset.
pub fn demo(preset: &str) -> NorenAccount {
    NorenAccount::demo(preset)
}

/// The path part of one of the sim's absolute URLs.
pub fn path_of(sim: &Sim, url: &str) -> String {
    url.strip_prefix(&sim.base_url())
        .unwrap_or_else(|| panic!("{url} is not under {}", sim.base_url()))
        .to_owned()
}

/// GETs one of the sim's absolute URLs (with query).
pub fn get_url(sim: &Sim, url: &str) -> RawResponse {
    call(sim, "GET", &path_of(sim, url), &[], "")
}

/// POSTs a raw body to `<base_url>/<endpoint>` with an optional Bearer token.
pub fn post_raw(sim: &Sim, url: &str, body: &str, bearer: Option<&str>) -> RawResponse {
    let mut headers = vec![("Content-Type".to_owned(), "text/plain".to_owned())];
    if let Some(token) = bearer {
        headers.push(("Authorization".to_owned(), format!("Bearer {token}")));
    }
    call(sim, "POST", &path_of(sim, url), &headers, body)
}

/// POSTs `jData=<data>` (plus the session's token) to `<base_url>/<endpoint>`.
pub fn rest(sim: &Sim, base_url: &str, endpoint: &str, data: &Value, auth: Auth) -> RawResponse {
    let url = format!("{base_url}/{endpoint}");
    let mut body = format!("jData={data}");
    let (bearer, jkey) = match auth {
        Auth::None => (None, None),
        Auth::Bearer(token) => (Some(token), None),
        Auth::JKey(token) => (None, Some(token)),
        Auth::Both(token) => (Some(token), Some(token)),
    };
    if let Some(jkey) = jkey {
        body.push_str(&format!("&jKey={jkey}"));
    }
    post_raw(sim, &url, &body, bearer)
}

/// GenAcsTok's checksum for `account` and `code`.
pub fn checksum(account: &NorenAccount, code: &str) -> String {
    sha256_hex(&format!("{}{}{code}", account.client_id, account.secret))
}

/// A fresh code for the demo account of `preset`.
pub fn code_for(sim: &Sim, preset: &str) -> String {
    let account = demo(preset);
    let app = if preset == "flattrade" {
        account.api_key
    } else {
        account.client_id
    };
    sim.noren_authorize(preset, &app).expect("code")
}

/// GenAcsTok with a correct checksum and `uid` for the demo account of `preset`.
pub fn gen_acs_tok(sim: &Sim, preset: &str, code: &str) -> RawResponse {
    let account = demo(preset);
    let data = json!({"code": code, "checksum": checksum(&account, code), "uid": account.user_id});
    rest(
        sim,
        &sim.noren_base_url(preset),
        "GenAcsTok",
        &data,
        Auth::None,
    )
}

/// Logs the demo account of an OAuth preset in and returns the whole reply.
pub fn oauth_login_reply(sim: &Sim, preset: &str) -> Value {
    let response = gen_acs_tok(sim, preset, &code_for(sim, preset));
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert!(body["access_token"].is_string(), "{body}");
    body
}

/// Logs the demo account of an OAuth preset in and returns its access token.
pub fn oauth_login(sim: &Sim, preset: &str) -> String {
    oauth_login_reply(sim, preset)["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

/// A correct QuickAuth jData for `account`.
pub fn quick_auth_data(account: &NorenAccount) -> Value {
    json!({
        "apkversion": "1.0.0",
        "uid": account.user_id,
        "pwd": sha256_hex(&account.password),
        "factor2": totp_now(&account.totp_secret),
        "vc": account.vendor_code,
        "appkey": sha256_hex(&format!("{}|{}", account.user_id, account.api_secret)),
        "imei": "abc1234",
        "source": "API"
    })
}

/// QuickAuth on Shoonya's legacy base.
pub fn quick_auth(sim: &Sim, data: &Value) -> RawResponse {
    rest(
        sim,
        &sim.noren_legacy_base_url("shoonya"),
        "QuickAuth",
        data,
        Auth::None,
    )
}

/// Logs Shoonya's demo account in with QuickAuth and returns its susertoken.
pub fn quick_auth_login(sim: &Sim) -> String {
    let body = quick_auth(sim, &quick_auth_data(&demo("shoonya"))).json();
    assert_eq!(body["stat"], "Ok", "{body}");
    body["susertoken"].as_str().expect("susertoken").to_owned()
}

/// The apitoken body for Flattrade's demo account and `code`.
pub fn api_token_body(code: &str) -> Value {
    let account = demo("flattrade");
    let secret = sha256_hex(&format!("{}{code}{}", account.api_key, account.secret));
    json!({"api_key": account.api_key, "request_code": code, "api_secret": secret})
}

/// POSTs a JSON body to Flattrade's token service.
pub fn api_token(sim: &Sim, body: &str) -> RawResponse {
    let headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
    call(
        sim,
        "POST",
        &path_of(sim, &sim.flattrade_token_url()),
        &headers,
        body,
    )
}

/// Logs Flattrade's demo account in and returns its token.
pub fn flattrade_login(sim: &Sim) -> String {
    let body = api_token(
        sim,
        &api_token_body(&code_for(sim, "flattrade")).to_string(),
    )
    .json();
    assert_eq!(body["status"], "Ok", "{body}");
    body["token"].as_str().expect("token").to_owned()
}

/// UserDetails for the demo account of `preset` on `base_url`.
pub fn user_details(sim: &Sim, preset: &str, base_url: &str, auth: Auth) -> RawResponse {
    let data = json!({"uid": demo(preset).user_id});
    rest(sim, base_url, "UserDetails", &data, auth)
}

/// Asserts a Not_Ok reply with this HTTP status and emsg.
pub fn assert_not_ok(response: &RawResponse, status: u16, emsg: &str) {
    let body = response.json();
    assert_eq!(response.status, status, "{body}");
    assert_eq!(body["stat"], "Not_Ok", "{body}");
    assert_eq!(body["emsg"], emsg, "{body}");
}

/// Asserts that `text` is an IST `request_time`, `HH:MM:SS DD-MM-YYYY`.
pub fn assert_request_time(value: &Value) {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("request_time {value}"));
    let shape: String = text
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    assert_eq!(shape, "99:99:99 99-99-9999", "{text}");
}
