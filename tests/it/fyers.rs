//! Fyers API v3 end to end through the C ABI against brokersim: every operation, what went
//! over the wire (the appIdHash, the `app_id:token` Authorization), the state and `s` checks of
//! a browser login, every error class of PROTOCOLS.md §6.5, the limits, money edge cases, and
//! bad config and credentials.

use crate::support::*;
use base64::Engine;
use brokerlink::Status;
use brokersim::{Fault, FaultTimes, FyersAccount, FyersLimits, Sim};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const APP_ID: &str = "FYDEMOAPP1-100";

fn path(sim: &Sim, endpoint: &str) -> String {
    format!(
        "{}{endpoint}",
        sim.fyers_base_url().strip_prefix(&sim.base_url()).unwrap()
    )
}

fn login_code(handle: &Handle, code: &str) -> Reply {
    handle.login(&json!({ "auth_code": code }).to_string())
}

fn login_redirect(handle: &Handle, redirect: &str) -> Reply {
    handle.login(&json!({ "redirect_url": redirect }).to_string())
}

/// Queues one canned JSON reply for `endpoint`.
fn inject_json(sim: &Sim, endpoint: &str, status: u16, body: &str) {
    sim.inject(
        &path(sim, endpoint),
        Fault::Reply {
            status,
            content_type: "application/json".into(),
            body: body.into(),
        },
        FaultTimes::Next(1),
    );
}

fn claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// What a browser does with the login page: GET it, return the redirect's address.
fn browse(url: &str) -> String {
    brokersim::browse(url).expect("the login page redirects")
}

#[test]
fn login_profile_funds_logout() {
    let sim = sim();
    let handle = Handle::new(&fyers_config(&sim, ""));
    handle.rms().err(s(Status::NotLoggedIn));
    let login = login_code(&handle, &fyers_code(&sim));
    let info = login.ok();
    assert_eq!(info["broker"], "fyers");
    assert_eq!(info["user_id"], "XD12345", "the access token's fy_id");
    assert!(info["access_expires_at"].is_string());

    let profile = handle.profile();
    let p = profile.ok();
    assert_eq!(p["broker"], "fyers");
    assert_eq!(p["user_id"], "XD12345");
    assert_eq!(p["name"], "DEMO FYERS TRADER");
    assert_eq!(
        p["email"], "dxxxxxxx@example.com",
        "masked, as Fyers sends it"
    );
    assert_eq!(p["mobile"], "98xxxxxx10");
    assert_eq!(p["exchanges"], json!([]));
    assert_eq!(p["products"], json!([]));
    assert_eq!(p["raw"]["PAN"], "DFxxxxxx4Z");

    let funds = handle.rms();
    funds.ok();
    for field in [
        // Clear Balance 21940.250000000004 + 749.5
        "\"available_cash\":22689.75",
        // Available Balance 26940.250000000004 + 749.5
        "\"net\":27689.75",
        "\"used_margin\":3460.7",
        "\"collateral\":5000",
        "\"payin\":1500.5",
        "\"payout\":0",
        "\"m2m_realized\":-120.35",
        "\"m2m_unrealized\":0",
        // raw keeps Fyers' own text, noise included.
        "\"equityAmount\":21940.250000000004",
    ] {
        assert!(funds.text.contains(field), "{field} in {}", funds.text);
    }

    let state = handle.export().ok().clone();
    let out = handle.logout();
    assert_eq!(out.ok()["logged_out"], true);
    assert_eq!(out.json["user_id"], "XD12345");
    handle.rms().err(s(Status::NotLoggedIn));
    // The token is revoked at Fyers: a copy of the session gets SESSION_EXPIRED.
    let copy = Handle::new(&fyers_config(&sim, ""));
    copy.import(&state.to_string()).ok();
    let e = copy.rms();
    assert_eq!(e.err(s(Status::SessionExpired))["broker_code"], "-17");
    // Logging out a session Fyers already ended counts as logged out.
    assert_eq!(copy.logout().ok()["logged_out"], true);
}

#[test]
fn each_request_is_exactly_as_the_protocol_says() {
    let sim = sim();
    let demo = FyersAccount::demo();
    let handle = Handle::new(&fyers_config(&sim, ""));
    let code = fyers_code(&sim);
    login_code(&handle, &code).ok();
    handle.profile().ok();
    handle.rms().ok();
    let token = handle.export().ok()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    handle.logout().ok();

    let exchange = &sim.requests_to(&path(&sim, "/validate-authcode"))[0];
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.header("authorization"), None);
    assert_eq!(exchange.header("version"), None);
    assert_eq!(exchange.header("content-type"), Some("application/json"));
    let body: Value = serde_json::from_str(&exchange.body).unwrap();
    // appIdHash = sha256("<app_id>:<app_secret>"), lowercase hex; the secret is never sent.
    let hash = hex::encode(Sha256::digest(
        format!("{}:{}", demo.app_id, demo.app_secret).as_bytes(),
    ));
    assert_eq!(
        body,
        json!({"grant_type": "authorization_code", "appIdHash": hash, "code": code})
    );
    assert!(!exchange.body.contains(&demo.app_secret));

    for (endpoint, method) in [("/profile", "GET"), ("/funds", "GET"), ("/logout", "POST")] {
        let request = &sim.requests_to(&path(&sim, endpoint))[0];
        assert_eq!(request.method, method, "{endpoint}");
        assert_eq!(
            request.header("authorization"),
            Some(format!("{APP_ID}:{token}").as_str()),
            "{endpoint}: app_id:token, no Bearer"
        );
        assert_eq!(request.header("version"), Some("3"), "{endpoint}");
        assert_eq!(
            request.header("content-type"),
            Some("application/json"),
            "{endpoint}"
        );
        assert_eq!(request.query, None, "{endpoint}");
        let want_body = if method == "POST" { "{}" } else { "" };
        assert_eq!(request.body, want_body, "{endpoint}");
    }
}

#[test]
fn the_login_url_and_the_browser_lead_to_a_session() {
    let sim = sim();
    let handle = Handle::new(&fyers_config(&sim, ""));
    let url = handle.login_url().ok()["url"].as_str().unwrap().to_owned();
    let prefix = format!(
        "{}?client_id={APP_ID}&redirect_uri={}&response_type=code&state=",
        sim.fyers_login_url(),
        format!("{}/fyers/callback", sim.base_url())
            .replace(':', "%3A")
            .replace('/', "%2F")
    );
    let state = url.strip_prefix(&prefix).unwrap_or_else(|| panic!("{url}"));
    assert!(state.len() == 32 && state.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(
        handle.login_url().ok()["url"],
        url.as_str(),
        "one state per session"
    );
    let other = Handle::new(&fyers_config(&sim, "")).login_url();
    assert_ne!(other.ok()["url"], url.as_str(), "a fresh state per session");

    let redirect = browse(&url);
    assert!(redirect.contains("s=ok&code=200&auth_code="), "{redirect}");
    assert!(redirect.ends_with(&format!("&state={state}")), "{redirect}");
    login_redirect(&handle, &redirect).ok();
    handle.rms().ok();

    // The real address by default; oauth_url overrides it.
    let real = Handle::new(
        r#"{"broker":"fyers","app_id":"XC4EOD67IM-100","app_secret":"x","redirect_uri":"https://example.com/cb"}"#,
    );
    let url = real.login_url().ok()["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("https://api-t1.fyers.in/api/v3/generate-authcode?client_id=XC4EOD67IM-100&redirect_uri=https%3A%2F%2Fexample.com%2Fcb&response_type=code&state="), "{url}");
    assert!(!real.login_url().text.contains("\"x\""));
    let custom = Handle::new(
        r#"{"broker":"fyers","app_id":"A-100","app_secret":"x","redirect_uri":"https://example.com/cb","oauth_url":"https://login.example.com/auth"}"#,
    );
    assert!(
        custom.login_url().ok()["url"]
            .as_str()
            .unwrap()
            .starts_with("https://login.example.com/auth?client_id=A-100&")
    );
}

#[test]
fn a_redirect_must_carry_this_sessions_state() {
    let sim = sim();
    let handle = Handle::new(&fyers_config(&sim, ""));
    let other = Handle::new(&fyers_config(&sim, ""));
    // A redirect from another session's login URL.
    let foreign = browse(other.login_url().ok()["url"].as_str().unwrap());
    let e = login_redirect(&handle, &foreign);
    assert!(
        e.err(s(Status::Auth))["message"]
            .as_str()
            .unwrap()
            .contains("state")
    );
    // No state at all.
    let bare = format!(
        "https://example.com/cb?s=ok&code=200&auth_code={}",
        fyers_code(&sim)
    );
    login_redirect(&handle, &bare).err(s(Status::Auth));
    assert!(
        sim.requests_to(&path(&sim, "/validate-authcode"))
            .is_empty(),
        "refused before any call to Fyers"
    );
    handle.rms().err(s(Status::NotLoggedIn));
    // The code in the refused redirect is still good with the right state.
    let state = handle.login_url().ok()["url"]
        .as_str()
        .unwrap()
        .rsplit_once("state=")
        .unwrap()
        .1
        .to_owned();
    login_redirect(&handle, &format!("{bare}&state={state}")).ok();
    // auth_code on its own skips the check.
    login_code(&other, &fyers_code(&sim)).ok();
}

#[test]
fn the_grant_is_auth_code_and_s_not_ok_is_auth() {
    let sim = sim();
    let handle = Handle::new(&fyers_config(&sim, ""));
    let state = handle.login_url().ok()["url"]
        .as_str()
        .unwrap()
        .rsplit_once("state=")
        .unwrap()
        .1
        .to_owned();
    // `code` is the status (200), never the grant.
    let only_code = format!(
        "https://example.com/cb?s=ok&code={}&state={state}",
        fyers_code(&sim)
    );
    let e = login_redirect(&handle, &only_code);
    assert!(
        e.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .contains("auth_code")
    );
    let failed = format!(
        "https://example.com/cb?s=error&code=-8&message=token%20is%20Expired&state={state}"
    );
    let e = login_redirect(&handle, &failed);
    let e = e.err(s(Status::Auth));
    assert_eq!(e["broker_code"], "-8");
    assert_eq!(e["broker_message"], "token is Expired");
    let with_code = format!(
        "https://example.com/cb?s=error&code=400&auth_code={}&state={state}",
        fyers_code(&sim)
    );
    login_redirect(&handle, &with_code).err(s(Status::Auth));
    assert!(
        sim.requests_to(&path(&sim, "/validate-authcode"))
            .is_empty()
    );
    // A pasted code with whitespace and escapes is cleaned as the official C SDK does.
    let code = fyers_code(&sim).replacen('.', "%2E", 1);
    login_code(&handle, &format!("  {code}\n")).ok();
}

#[test]
fn refused_codes_and_secrets_are_auth_with_the_broker_code() {
    let sim = sim();
    let code = fyers_code(&sim);
    let first = Handle::new(&fyers_config(&sim, ""));
    login_code(&first, &code).ok();
    let second = Handle::new(&fyers_config(&sim, ""));
    let reused = login_code(&second, &code);
    let e = reused.err(s(Status::Auth));
    assert_eq!(
        (e["broker_code"].as_str(), e["http_status"].as_i64()),
        (Some("-17"), Some(401))
    );
    let stale = fyers_code(&sim);
    sim.expire_fyers_codes();
    assert_eq!(
        login_code(&second, &stale).err(s(Status::Auth))["broker_code"],
        "-8"
    );
    assert_eq!(
        login_code(&second, "not-a-code").err(s(Status::Auth))["broker_code"],
        "-15"
    );
    let wrong = fyers_config(&sim, "").replace("FYDEMOSECRET", "WRONGSECRET9");
    let bad_secret = Handle::new(&wrong);
    let reply = login_code(&bad_secret, &fyers_code(&sim));
    assert_eq!(reply.err(s(Status::Auth))["broker_code"], "-371");
    assert!(!reply.text.contains("WRONGSECRET9"));
    assert!(
        reply.json["message"]
            .as_str()
            .unwrap()
            .contains("app_secret")
    );
    // A failed login leaves the previous session working.
    first.rms().ok();
    login_code(&first, "not-a-code").err(s(Status::Auth));
    first.rms().ok();
}

#[test]
fn every_error_class_of_protocols_6_5() {
    let sim = sim();
    let handle = fyers_session_with(&sim, RAW);
    let cases: &[(&str, u16, Status, bool)] = &[
        ("-8", 401, Status::SessionExpired, false),
        ("-15", 401, Status::SessionExpired, false),
        ("-16", 401, Status::SessionExpired, false),
        ("-17", 401, Status::SessionExpired, false),
        ("-352", 403, Status::Auth, false),
        ("-371", 400, Status::Auth, false),
        ("-374", 400, Status::Auth, false),
        ("-373", 403, Status::Auth, false),
        ("-157", 400, Status::Auth, false),
        ("-441", 400, Status::Broker, false),
        ("-429", 429, Status::RateLimited, false),
        ("-353", 429, Status::RateLimited, false),
        ("-50", 400, Status::Broker, false),
        ("-201", 500, Status::Broker, true),
        ("-202", 500, Status::Broker, true),
        ("-204", 500, Status::Broker, true),
        ("-205", 500, Status::Broker, true),
        ("-96", 500, Status::Broker, true),
        ("-99", 400, Status::Broker, false),
        ("-300", 400, Status::Broker, false),
        ("-51", 400, Status::Broker, false),
        ("-53", 400, Status::Broker, false),
        ("-777", 400, Status::Broker, false),
    ];
    for (code, http, status, retryable) in cases {
        inject_json(
            &sim,
            "/funds",
            *http,
            &format!(r#"{{"s":"error","code":{code},"message":"text of {code}"}}"#),
        );
        let reply = handle.rms();
        let e = reply.err(s(*status));
        assert_eq!(e["broker_code"], *code, "{code}");
        assert_eq!(e["broker_message"], format!("text of {code}"), "{code}");
        assert_eq!(e["http_status"], *http, "{code}");
        assert_eq!(e["retryable"], *retryable, "{code}");
    }
    // Classified by s/code whatever the HTTP status: an error sent with HTTP 200.
    inject_json(
        &sim,
        "/profile",
        200,
        r#"{"s":"error","code":-16,"message":"x"}"#,
    );
    handle.profile().err(s(Status::SessionExpired));
    // Replies that are not Fyers' JSON, by their HTTP status.
    for (http, body, status) in [
        (401, "Unauthorized", Status::SessionExpired),
        (403, "Forbidden", Status::Auth),
        (429, "Too Many Requests", Status::RateLimited),
        (503, "Service Unavailable", Status::Broker),
        (200, "", Status::Protocol),
        (
            200,
            "<html><body>maintenance</body></html>",
            Status::Protocol,
        ),
    ] {
        sim.inject(
            &path(&sim, "/funds"),
            Fault::Reply {
                status: http,
                content_type: "text/plain".into(),
                body: body.into(),
            },
            FaultTimes::Next(1),
        );
        let reply = handle.rms();
        assert_eq!(reply.err(s(status))["http_status"], http, "{http} {body}");
    }
    inject_json(&sim, "/funds", 200, r#"{"code":200,"message":""}"#);
    handle.rms().err(s(Status::Protocol));
    inject_json(&sim, "/funds", 200, r#"{"s":"ok","code":200,"message":""}"#);
    handle.rms().err(s(Status::Protocol));
    inject_json(
        &sim,
        "/profile",
        200,
        r#"{"s":"ok","code":200,"message":""}"#,
    );
    handle.profile().err(s(Status::Protocol));
    // At login the token errors are a refused code (AUTH).
    let fresh = Handle::new(&fyers_config(&sim, ""));
    inject_json(
        &sim,
        "/validate-authcode",
        400,
        r#"{"s":"error","code":-441,"message":"invalid grant type"}"#,
    );
    login_code(&fresh, &fyers_code(&sim)).err(s(Status::Broker));
    inject_json(
        &sim,
        "/validate-authcode",
        200,
        r#"{"s":"ok","code":200,"message":""}"#,
    );
    login_code(&fresh, &fyers_code(&sim)).err(s(Status::Protocol));
    // Retryable errors are retried by reads: the second answer is the real one.
    let retrying = fyers_session(&sim);
    inject_json(
        &sim,
        "/funds",
        500,
        r#"{"s":"error","code":-201,"message":"Connection error. Please try again"}"#,
    );
    retrying.rms().ok();
}

#[test]
fn an_expired_session_is_session_expired_and_not_refreshed() {
    let sim = sim();
    let handle = fyers_session(&sim);
    sim.expire_fyers_sessions("XD12345");
    let e = handle.rms();
    assert_eq!(e.err(s(Status::SessionExpired))["broker_code"], "-8");
    assert!(
        sim.requests_to(&path(&sim, "/validate-refresh-token"))
            .is_empty(),
        "no refresh by default"
    );
}

#[test]
fn refresh_is_unsupported_unless_the_legacy_opt_in() {
    let sim = sim();
    let handle = fyers_session(&sim);
    let e = handle.refresh();
    let message = e.err(s(Status::Unsupported))["message"].as_str().unwrap();
    assert!(
        message.contains("2FA") && message.contains("legacy_refresh"),
        "{message}"
    );
    handle.rms().ok();
    // "pin" is no credential without the opt-in.
    let pinned = Handle::new(&fyers_config(&sim, ""));
    let e = pinned.login(&json!({"auth_code": fyers_code(&sim), "pin": "1234"}).to_string());
    assert!(
        e.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .contains("pin")
    );
}

#[test]
fn the_legacy_refresh_sends_hash_refresh_token_and_pin() {
    let sim = sim();
    let extra = r#""legacy_refresh":true"#;
    let handle = Handle::new(&fyers_config(&sim, extra));
    let e = login_code(&handle, &fyers_code(&sim));
    assert!(
        e.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .contains("pin")
    );
    handle
        .login(&json!({"auth_code": fyers_code(&sim), "pin": "1234"}).to_string())
        .ok();
    let before = handle.export().ok().clone();
    let refreshed = handle.refresh();
    assert_eq!(refreshed.ok()["user_id"], "XD12345");
    let after = handle.export().ok().clone();
    assert_ne!(after["access_token"], before["access_token"]);
    assert_eq!(
        after["refresh_token"], before["refresh_token"],
        "no new refresh token"
    );
    let request = &sim.requests_to(&path(&sim, "/validate-refresh-token"))[0];
    assert_eq!(request.header("authorization"), None);
    let demo = FyersAccount::demo();
    let body: Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(
        body,
        json!({
            "grant_type": "refresh_token",
            "appIdHash": hex::encode(Sha256::digest(format!("{}:{}", demo.app_id, demo.app_secret).as_bytes())),
            "refresh_token": before["refresh_token"],
            "pin": "1234"
        })
    );
    handle.rms().ok();
    // An expired session refreshes by itself on the next read.
    sim.expire_fyers_sessions("XD12345");
    handle.rms().ok();
    assert_eq!(
        sim.requests_to(&path(&sim, "/validate-refresh-token"))
            .len(),
        2
    );
    // A wrong PIN: the refresh is refused and a new login is needed; the session stays.
    let wrong = Handle::new(&fyers_config(&sim, extra));
    wrong
        .login(&json!({"auth_code": fyers_code(&sim), "pin": "9999"}).to_string())
        .ok();
    let e = wrong.refresh();
    let e = e.err(s(Status::SessionExpired));
    assert_eq!(e["broker_code"], "-16");
    wrong.rms().ok();
    // A resumed session has no PIN.
    let resumed = Handle::new(&fyers_config(&sim, extra));
    resumed.import(&handle.export().ok().to_string()).ok();
    resumed.refresh().err(s(Status::SessionExpired));
}

#[test]
fn expiry_is_the_access_tokens_exp() {
    let sim = sim();
    let handle = fyers_session(&sim);
    let state = handle.export().ok().clone();
    let exp = claims(state["access_token"].as_str().unwrap())["exp"].as_i64();
    assert!(exp.is_some());
    assert_eq!(state["access_expires_at"].as_i64(), exp);
}

#[test]
fn calls_are_paced_within_fyers_limits() {
    let sim = sim_with_rate_limits();
    let paced = fyers_session_with(&sim, r#""timeout_ms":15000"#);
    // Eleven reads at once would break the 10/s limit: paced, they all pass.
    std::thread::scope(|scope| {
        let replies: Vec<_> = (0..11).map(|_| scope.spawn(|| paced.rms())).collect();
        for reply in replies {
            reply.join().unwrap().ok();
        }
    });
    assert!(
        sim.requests()
            .iter()
            .filter(|r| r.path.starts_with("/fyers/"))
            .all(|r| r.status == 200)
    );
}

#[test]
fn without_pacing_fyers_refuses_and_the_refusal_is_not_retried() {
    let sim = sim_with_rate_limits();
    let handle = fyers_session_with(&sim, r#""rate_limits":"off""#);
    let refused = std::thread::scope(|scope| {
        let replies: Vec<_> = (0..30).map(|_| scope.spawn(|| handle.rms())).collect();
        replies
            .into_iter()
            .map(|r| r.join().unwrap())
            .filter(|r| r.status != 0)
            .collect::<Vec<_>>()
    });
    assert!(!refused.is_empty(), "30 calls at once exceed 10 a second");
    for reply in &refused {
        let e = reply.err(s(Status::RateLimited));
        assert_eq!(e["broker_code"], "-429");
        assert_eq!(e["retryable"], false);
        assert!(e.get("reason").is_none());
    }
    // Each call went to Fyers once: a -429 is never retried (max_retries is the default 2).
    assert_eq!(sim.requests_to(&path(&sim, "/funds")).len(), 30);
}

#[test]
fn the_day_block_is_daily_limit_reached() {
    let sim = sim_with_rate_limits();
    sim.set_fyers_limits(FyersLimits {
        per_second: 1000,
        per_minute: 3,
        per_day: 100_000,
        minute_breaches_allowed: 1,
    });
    let handle = fyers_session_with(&sim, RAW);
    handle.rms().ok();
    handle.rms().ok();
    let minute = handle.rms();
    let e = minute.err(s(Status::RateLimited));
    assert!(e.get("reason").is_none(), "{}", minute.text);
    let blocked = handle.rms();
    let e = blocked.err(s(Status::RateLimited));
    assert_eq!(e["reason"], "daily_limit_reached");
    assert_eq!(e["retryable"], false);
    assert!(e["message"].as_str().unwrap().contains("tomorrow"));
    // The block holds for every call, a new login included.
    handle.profile().err(s(Status::RateLimited));
    let next = Handle::new(&fyers_config(&sim, RAW));
    assert_eq!(
        login_code(&next, &fyers_code(&sim)).err(s(Status::RateLimited))["reason"],
        "daily_limit_reached"
    );
}

#[test]
fn money_edge_cases() {
    let sim = sim();
    let handle = fyers_session_with(&sim, RAW);
    let funds = |rows: &str| {
        inject_json(
            &sim,
            "/funds",
            200,
            &format!(r#"{{"code":200,"message":"","s":"ok","fund_limit":{rows}}}"#),
        );
        handle.rms()
    };
    // Binary noise, strings, null, -0, both ledgers, huge values, rows found by id.
    let reply = funds(
        r#"[{"id":3,"title":"Clear Balance","equityAmount":58.150000000000006,"commodityAmount":"0.10"},
            {"id":10,"title":"Available Balance","equityAmount":1500000000000000.005,"commodityAmount":null},
            {"id":2,"title":"Utilized Amount","equityAmount":-0.0,"commodityAmount":-0},
            {"id":4,"title":"Realized Profit and Loss","equityAmount":"-0.004","commodityAmount":0},
            {"id":5,"title":"COLLATERALS ","equityAmount":"12000.755","commodityAmount":""},
            {"id":6,"title":"Funds moved in","equityAmount":1e2,"commodityAmount":0}]"#,
    );
    reply.ok();
    for field in [
        "\"available_cash\":58.25",
        "\"net\":1500000000000000.01",
        "\"used_margin\":0",
        "\"m2m_realized\":0",
        "\"collateral\":12000.76",
        "\"payin\":100",
    ] {
        assert!(reply.text.contains(field), "{field} in {}", reply.text);
    }
    // Not a number, too large: PROTOCOL naming the row and field.
    let bad = funds(
        r#"[{"id":3,"title":"Clear Balance","equityAmount":"12,000.00","commodityAmount":0}]"#,
    );
    let message = bad.err(s(Status::Protocol))["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("Clear Balance") && message.contains("equityAmount"),
        "{message}"
    );
    let huge =
        funds(r#"[{"id":10,"title":"Available Balance","equityAmount":1e40,"commodityAmount":0}]"#);
    huge.err(s(Status::Protocol));
    let empty = funds("[]");
    assert!(empty.ok()["available_cash"] == 0, "{}", empty.text);
    let not_a_list = funds("{}");
    not_a_list.err(s(Status::Protocol));
}

#[test]
fn bad_config_is_refused_by_name() {
    let sim = sim();
    let valid: Value = serde_json::from_str(&fyers_config(&sim, "")).unwrap();
    for (key, value, needle) in [
        ("app_id", Value::Null, "app_id"),
        ("app_secret", Value::Null, "app_secret"),
        ("redirect_uri", Value::Null, "redirect_uri"),
        ("redirect_uri", json!("/relative"), "redirect_uri"),
        ("app_id", json!(42), "app_id"),
        (
            "oauth_url",
            json!("http://login.example.com/auth"),
            "oauth_url",
        ),
        ("legacy_refresh", json!("yes"), "legacy_refresh"),
        ("token_expiry_ist", json!("6am"), "token_expiry_ist"),
        ("client_id", json!("x"), "client_id"),
        ("api_key", json!("x"), "api_key"),
    ] {
        let mut config = valid.clone();
        if value.is_null() {
            config.as_object_mut().unwrap().remove(key);
        } else {
            config[key] = value;
        }
        let (reply, handle) = new_session(&config.to_string());
        assert!(handle.is_none(), "{key}");
        let message = reply.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(needle), "{key}: {message}");
        assert!(!reply.text.contains("FYDEMOSECRET"), "{key}");
    }
    let mut ok = valid.clone();
    ok["token_expiry_ist"] = json!("06:30");
    ok["legacy_refresh"] = json!(false);
    new_session(&ok.to_string()).0.ok();
}

#[test]
fn bad_credentials_are_refused_by_name() {
    let sim = sim();
    let handle = Handle::new(&fyers_config(&sim, ""));
    for (credentials, needle) in [
        (json!({}), "auth_code"),
        (json!({"auth_code": ""}), "auth_code"),
        (json!({"auth_code": "   "}), "auth_code"),
        (json!({"auth_code": 7}), "auth_code"),
        (
            json!({"auth_code": "a", "redirect_url": "https://x/cb?auth_code=b"}),
            "not both",
        ),
        (json!({"redirect_url": "not a url"}), "redirect_url"),
        (json!({"code": "abc"}), "code"),
        (json!({"auth_code": "a", "totp": "123456"}), "totp"),
    ] {
        let reply = handle.login(&credentials.to_string());
        let message = reply.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(needle), "{credentials}: {message}");
    }
    assert!(
        sim.requests_to(&path(&sim, "/validate-authcode"))
            .is_empty()
    );
}

#[test]
fn the_secret_never_leaves_the_library() {
    let sim = sim();
    let handle = fyers_session(&sim);
    let mut seen = vec![
        handle.login_url().text,
        handle.profile().text,
        handle.rms().text,
        handle.refresh().text,
    ];
    inject_json(
        &sim,
        "/funds",
        400,
        r#"{"s":"error","code":-371,"message":"m"}"#,
    );
    seen.push(handle.rms().text);
    seen.push(handle.logout().text);
    for text in seen {
        assert!(!text.contains("FYDEMOSECRET"), "{text}");
    }
    for request in sim.requests() {
        assert!(
            !request.body.contains("FYDEMOSECRET")
                && !request.query.unwrap_or_default().contains("FYDEMOSECRET")
        );
        assert!(
            request
                .headers
                .iter()
                .all(|(_, v)| !v.contains("FYDEMOSECRET"))
        );
    }
}
