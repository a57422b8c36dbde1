//! Fyers API v3: the login page, the token exchange and its checks, the `app_id:token`
//! Authorization, profile, funds, logout, the legacy refresh and the limits.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::*;
use base64::Engine;
use brokersim::{FyersAccount, FyersLimits, Sim, SimOptions};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn app_id_hash(account: &FyersAccount) -> String {
    hex::encode(Sha256::digest(
        format!("{}:{}", account.app_id, account.app_secret).as_bytes(),
    ))
}

fn path(sim: &Sim, endpoint: &str) -> String {
    let base = sim.fyers_base_url();
    format!("{}{endpoint}", base.strip_prefix(&sim.base_url()).unwrap())
}

fn json_headers() -> Vec<(String, String)> {
    vec![("Content-Type".into(), "application/json".into())]
}

/// POSTs `/validate-authcode` with the demo app's hash.
fn exchange(sim: &Sim, code: &str) -> RawResponse {
    let demo = FyersAccount::demo();
    let body =
        json!({"grant_type": "authorization_code", "appIdHash": app_id_hash(&demo), "code": code});
    call(
        sim,
        "POST",
        &path(sim, "/validate-authcode"),
        &json_headers(),
        &body.to_string(),
    )
}

/// A fresh access token of the demo account.
fn login(sim: &Sim) -> String {
    let code = sim.fyers_authorize("FYDEMOAPP1-100").expect("demo app");
    let reply = exchange(sim, &code).json();
    assert_eq!(reply["s"], "ok", "{reply}");
    reply["access_token"].as_str().unwrap().to_owned()
}

/// An authenticated call with `Authorization: <authorization>`.
fn authed(sim: &Sim, method: &str, endpoint: &str, authorization: &str, body: &str) -> RawResponse {
    let mut headers = json_headers();
    headers.push(("Authorization".into(), authorization.into()));
    headers.push(("version".into(), "3".into()));
    call(sim, method, &path(sim, endpoint), &headers, body)
}

fn get(sim: &Sim, endpoint: &str, token: &str) -> RawResponse {
    authed(sim, "GET", endpoint, &format!("FYDEMOAPP1-100:{token}"), "")
}

/// The (HTTP status, code) of an error reply, checking its envelope.
fn refusal(response: &RawResponse) -> (u16, i64) {
    let body = response.json();
    assert_eq!(body["s"], "error", "{body}");
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    (response.status, body["code"].as_i64().unwrap())
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn the_login_page_redirects_with_status_code_and_state() {
    let sim = sim_without_limits();
    let demo = FyersAccount::demo();
    let redirect_uri = format!("{}/fyers/callback", sim.base_url());
    let url = format!(
        "{}?client_id={}&redirect_uri={}&response_type=code&state=s123",
        path(&sim, "/generate-authcode"),
        demo.app_id,
        redirect_uri.replace(':', "%3A").replace('/', "%2F")
    );
    let page = call(&sim, "GET", &url, &[], "");
    assert_eq!(page.status, 302, "{}", page.text());
    let location = page.header("location").unwrap().to_owned();
    let query = location
        .strip_prefix(&format!("{redirect_uri}?"))
        .expect("to the registered redirect URI");
    let params: Vec<(&str, &str)> = query
        .split('&')
        .map(|p| p.split_once('=').unwrap())
        .collect();
    let names: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
    assert_eq!(names, ["s", "code", "auth_code", "state"]);
    assert_eq!(params[0].1, "ok");
    assert_eq!(params[1].1, "200");
    assert_eq!(params[3].1, "s123");
    let code = params[2].1;
    assert_eq!(claims(code)["sub"], "auth_code");
    // The callback page shows it; the code exchanges once.
    let shown = call(&sim, "GET", &format!("/fyers/callback?{query}"), &[], "");
    assert!(shown.status == 200 && shown.text().contains(code));
    assert_eq!(exchange(&sim, code).json()["s"], "ok");
    assert_eq!(refusal(&exchange(&sim, code)), (401, -17));
}

#[test]
fn the_login_page_refuses_other_apps_uris_and_response_types() {
    let sim = sim_without_limits();
    let cb = format!("{}/fyers/callback", sim.base_url());
    for query in [
        format!("client_id=NOPE-100&redirect_uri={cb}&response_type=code"),
        "client_id=FYDEMOAPP1-100&redirect_uri=http://evil.example/cb&response_type=code".into(),
        format!("client_id=FYDEMOAPP1-100&redirect_uri={cb}&response_type=token"),
        String::new(),
    ] {
        let page = call(
            &sim,
            "GET",
            &format!("{}?{query}", path(&sim, "/generate-authcode")),
            &[],
            "",
        );
        assert_eq!(page.status, 400, "{query}");
        assert!(page.header("location").is_none());
    }
    assert_eq!(
        call(&sim, "POST", &path(&sim, "/generate-authcode"), &[], "").status,
        405
    );
    assert_eq!(call(&sim, "GET", "/fyers/callback", &[], "").status, 400);
}

#[test]
fn the_token_exchange_checks_grant_code_and_hash() {
    let sim = sim_without_limits();
    let demo = FyersAccount::demo();
    let hash = app_id_hash(&demo);
    let post = |body: &str| {
        call(
            &sim,
            "POST",
            &path(&sim, "/validate-authcode"),
            &json_headers(),
            body,
        )
    };
    let code = sim.fyers_authorize(&demo.app_id).unwrap();
    let cases = [
        (json!({"appIdHash": hash, "code": code}), (400, -441)),
        (
            json!({"grant_type": null, "appIdHash": hash, "code": code}),
            (400, -441),
        ),
        (
            json!({"grant_type": "authorization_code", "appIdHash": hash}),
            (400, -374),
        ),
        (
            json!({"grant_type": "authorization_code", "code": code}),
            (400, -371),
        ),
        (
            json!({"grant_type": "authorization_code", "appIdHash": hex::encode(Sha256::digest(format!("{}{}", demo.app_id, demo.app_secret))), "code": code}),
            (400, -371),
        ),
        (
            json!({"grant_type": "authorization_code", "appIdHash": hash, "code": "not-a-code"}),
            (401, -15),
        ),
    ];
    for (body, want) in cases {
        assert_eq!(refusal(&post(&body.to_string())), want, "{body}");
    }
    assert_eq!(refusal(&post("code=1")), (400, -50));
    // None of the refusals used the code up.
    let ok = exchange(&sim, &code).json();
    assert_eq!(ok["s"], "ok");
    assert_eq!(ok["code"], 200);
    assert_eq!(ok["message"], "");
    let access = ok["access_token"].as_str().unwrap();
    let claims = claims(access);
    assert_eq!(claims["fy_id"], "XD12345");
    assert_eq!(claims["iss"], "api.fyers.in");
    assert_eq!(claims["sub"], "access_token");
    assert!(ok["refresh_token"].is_string());
    let stale = sim.fyers_authorize(&demo.app_id).unwrap();
    sim.expire_fyers_codes();
    assert_eq!(refusal(&exchange(&sim, &stale)), (401, -8));
}

#[test]
fn tokens_expire_at_the_next_six_in_the_morning_ist_or_the_ttl() {
    let sim = sim_without_limits();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp = claims(&login(&sim))["exp"].as_u64().unwrap();
    assert!(exp > now && exp <= now + 8 * 3600, "{exp}");
    let ist = (exp + 19_800) % 86_400;
    assert!(ist == 6 * 3600 || exp >= now + 8 * 3600 - 5, "{ist}");
    let short = Sim::start_with(SimOptions {
        rate_limits: false,
        token_ttl: Duration::from_secs(60),
        ..SimOptions::default()
    })
    .unwrap();
    let exp = claims(&login(&short))["exp"].as_u64().unwrap();
    assert!(exp <= now + 70, "{exp}");
}

#[test]
fn profile_funds_and_logout_with_the_app_id_token_authorization() {
    let sim = sim_without_limits();
    let token = login(&sim);
    let profile = get(&sim, "/profile", &token).json();
    assert_eq!(profile["s"], "ok");
    assert_eq!(profile["data"]["fy_id"], "XD12345");
    assert_eq!(profile["data"]["mobile_number"], "98xxxxxx10");
    let funds = get(&sim, "/funds", &token);
    assert_eq!(funds.status, 200);
    assert!(
        funds.text().contains("21940.250000000004"),
        "{}",
        funds.text()
    );
    assert_eq!(funds.json()["fund_limit"].as_array().unwrap().len(), 10);
    // Every body the SDKs send to /logout: {} (C), null (Python), none (curl).
    for body in ["{}", "null", ""] {
        let token = login(&sim);
        let out = authed(
            &sim,
            "POST",
            "/logout",
            &format!("FYDEMOAPP1-100:{token}"),
            body,
        );
        let reply = out.json();
        assert_eq!(reply["s"], "ok", "{body}: {reply}");
        assert_eq!(reply["message"], "you are successfully logged out");
        assert_eq!(refusal(&get(&sim, "/funds", &token)), (401, -17));
        assert_eq!(refusal(&get(&sim, "/profile", &token)), (401, -17));
    }
    // The first session is still live: logout ends only its own token.
    assert_eq!(get(&sim, "/funds", &token).status, 200);
}

#[test]
fn authorization_must_be_app_id_colon_token() {
    let sim = sim_without_limits();
    let token = login(&sim);
    let profile =
        |authorization: &str| refusal(&authed(&sim, "GET", "/profile", authorization, ""));
    assert_eq!(profile(""), (401, -16));
    assert_eq!(profile(&token), (401, -16));
    assert_eq!(
        profile(&format!("Bearer FYDEMOAPP1-100:{token}")),
        (403, -352)
    );
    assert_eq!(profile(&format!("OTHERAPP01-100:{token}")), (403, -352));
    assert_eq!(profile("FYDEMOAPP1-100:garbage"), (401, -15));
    sim.expire_fyers_sessions("XD12345");
    assert_eq!(profile(&format!("FYDEMOAPP1-100:{token}")), (401, -8));
    assert_eq!(
        call(&sim, "POST", &path(&sim, "/funds"), &[], "").status,
        405
    );
    assert_eq!(
        call(&sim, "GET", &path(&sim, "/nothing"), &[], "").status,
        404
    );
}

#[test]
fn set_funds_replaces_the_rows() {
    let sim = sim_without_limits();
    let token = login(&sim);
    sim.set_fyers_funds("XD12345", json!([{"id": 3, "title": "Clear Balance", "equityAmount": "7.5", "commodityAmount": null}]));
    let funds = get(&sim, "/funds", &token).json();
    assert_eq!(funds["fund_limit"][0]["equityAmount"], "7.5");
}

#[test]
fn the_legacy_refresh_needs_the_hash_and_the_pin() {
    let sim = sim_without_limits();
    let demo = FyersAccount::demo();
    let code = sim.fyers_authorize(&demo.app_id).unwrap();
    let login = exchange(&sim, &code).json();
    let (access, refresh) = (
        login["access_token"].as_str().unwrap(),
        login["refresh_token"].as_str().unwrap(),
    );
    let post = |body: Value| {
        call(
            &sim,
            "POST",
            &path(&sim, "/validate-refresh-token"),
            &json_headers(),
            &body.to_string(),
        )
    };
    let body = |pin: &str| json!({"grant_type": "refresh_token", "appIdHash": app_id_hash(&demo), "refresh_token": refresh, "pin": pin});
    assert_eq!(refusal(&post(body("9999"))), (401, -16));
    let mut wrong_grant = body("1234");
    wrong_grant["grant_type"] = json!("authorization_code");
    assert_eq!(refusal(&post(wrong_grant)), (400, -441));
    let fresh = post(body("1234")).json();
    assert_eq!(fresh["s"], "ok");
    assert!(fresh.get("refresh_token").is_none());
    let fresh = fresh["access_token"].as_str().unwrap();
    assert_eq!(get(&sim, "/funds", fresh).status, 200);
    assert_eq!(
        refusal(&get(&sim, "/funds", access)),
        (401, -17),
        "the old token is revoked"
    );
    // Logout ends the refresh token too.
    authed(
        &sim,
        "POST",
        "/logout",
        &format!("FYDEMOAPP1-100:{fresh}"),
        "{}",
    );
    assert_eq!(refusal(&post(body("1234"))), (401, -17));
}

#[test]
fn a_reusable_code_logs_in_again_and_again() {
    let sim = sim_without_limits();
    let mut account = FyersAccount::demo();
    account.app_id = "FYTESTAPP1-100".into();
    account.fy_id = "XT00001".into();
    account.reusable_auth_code = Some("fixed-code".into());
    let hash = app_id_hash(&account);
    sim.add_fyers_account(account);
    for _ in 0..3 {
        let reply = call(
            &sim,
            "POST",
            &path(&sim, "/validate-authcode"),
            &json_headers(),
            &json!({"grant_type": "authorization_code", "appIdHash": hash, "code": "fixed-code"})
                .to_string(),
        );
        assert_eq!(reply.json()["s"], "ok");
    }
}

#[test]
fn limits_per_second_and_minute_then_a_block_for_the_day() {
    let sim = Sim::start().unwrap();
    sim.set_fyers_limits(FyersLimits {
        per_second: 2,
        ..FyersLimits::default()
    });
    let token = login(&sim);
    // Three calls inside one second: the third is refused. A loaded machine may spread them
    // over more than a second; then try again (each window starts afresh a second later).
    let refused = (0..5).find_map(|_| {
        std::thread::sleep(Duration::from_millis(1100));
        let started = std::time::Instant::now();
        let replies: Vec<RawResponse> = (0..3).map(|_| get(&sim, "/funds", &token)).collect();
        (started.elapsed() < Duration::from_millis(900)).then_some(replies)
    });
    let replies = refused.expect("three calls within a second");
    assert_eq!(replies[0].status, 200);
    assert_eq!(replies[1].status, 200);
    assert_eq!(refusal(&replies[2]), (429, -429));
    assert!(!replies[2].text().contains("day"));

    sim.set_fyers_limits(FyersLimits {
        per_second: 1000,
        per_minute: 2,
        per_day: 100_000,
        minute_breaches_allowed: 3,
    });
    std::thread::sleep(Duration::from_millis(1100));
    // The minute already holds the login and two calls: three breaches are refused for the
    // minute, the fourth blocks the user for the day.
    let statuses: Vec<u16> = (0..3).map(|_| get(&sim, "/funds", &token).status).collect();
    assert_eq!(statuses, [429, 429, 429]);
    let blocked = get(&sim, "/funds", &token);
    assert_eq!(refusal(&blocked), (429, -429));
    assert!(
        blocked.text().contains("rest of the day"),
        "{}",
        blocked.text()
    );
    // A new login of the same user is blocked as well.
    let code = sim.fyers_authorize("FYDEMOAPP1-100").unwrap();
    assert_eq!(refusal(&exchange(&sim, &code)), (429, -429));
}

#[test]
fn the_day_cap() {
    let sim = Sim::start().unwrap();
    sim.set_fyers_limits(FyersLimits {
        per_second: 1000,
        per_minute: 1000,
        per_day: 2,
        minute_breaches_allowed: 3,
    });
    let token = login(&sim);
    assert_eq!(get(&sim, "/funds", &token).status, 200);
    let capped = get(&sim, "/funds", &token);
    assert_eq!(refusal(&capped), (429, -429));
    assert!(capped.text().contains("per day"));
}

#[test]
fn startup_line_lists_the_fyers_demo_account() {
    let sim = sim_without_limits();
    let line: Value = serde_json::from_str(&sim.startup_line()).unwrap();
    let fyers = &line["fyers"];
    assert_eq!(fyers["base_url"], sim.fyers_base_url().as_str());
    assert_eq!(fyers["login_url"], sim.fyers_login_url().as_str());
    assert_eq!(
        fyers["accounts"][0],
        json!({
            "app_id": "FYDEMOAPP1-100",
            "app_secret": "FYDEMOSECRET",
            "redirect_uri": format!("{}/fyers/callback", sim.base_url()),
            "fy_id": "XD12345",
            "pin": "1234"
        })
    );
}
