//! Zerodha Kite Connect end to end through the C ABI against brokersim:
//! every operation, what went over the wire, every error class of
//! PROTOCOLS.md §4.6, the money edge cases, renewal with and without a
//! refresh token, and bad config and credentials.

use crate::support::*;
use brokerlink::Status;
use brokersim::{Fault, FaultTimes, Sim, SimOptions, ZerodhaAccount};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const SESSION: &str = "/session/token";
const RENEW: &str = "/session/refresh_token";
const PROFILE: &str = "/user/profile";
const MARGINS: &str = "/user/margins";

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// `a=1&b=2` as a JSON object (the values are plain in these tests).
fn form(text: &str) -> Value {
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

fn credentials(request_token: &str) -> String {
    format!(r#"{{"request_token":"{request_token}"}}"#)
}

/// An approved-platform app (it gets a refresh token), registered on `sim`.
fn approved(sim: &Sim) -> ZerodhaAccount {
    let account = ZerodhaAccount {
        api_key: "platform-key".into(),
        api_secret: "platform-secret".into(),
        user_id: "ZP0001".into(),
        refresh_tokens: true,
        ..ZerodhaAccount::demo()
    };
    sim.add_zerodha_account(account.clone());
    account
}

/// A logged-in session of the approved app, plus extra config keys.
fn approved_session(sim: &Sim, extra: &str) -> Handle {
    let account = approved(sim);
    let config = zerodha_config(sim, extra)
        .replace("zerodha-api-key", &account.api_key)
        .replace("zerodha-api-secret", &account.api_secret);
    let handle = Handle::new(&config);
    let token = sim.zerodha_request_token(&account.api_key).unwrap();
    handle.login(&credentials(&token)).ok();
    handle
}

fn inject_reply(sim: &Sim, path: &str, status: u16, body: &str) {
    sim.inject(
        path,
        Fault::Reply {
            status,
            content_type: "application/json".into(),
            body: body.into(),
        },
        FaultTimes::Next(1),
    );
}

fn kite_error(error_type: &str, message: &str) -> String {
    json!({"status": "error", "message": message, "data": null, "error_type": error_type})
        .to_string()
}

#[test]
fn login_profile_funds_logout() {
    let sim = sim();
    let handle = Handle::new(&zerodha_config(&sim, ""));
    let login = handle.login(&credentials(&zerodha_request_token(&sim)));
    let info = login.ok();
    assert_eq!(info["broker"], "zerodha");
    assert_eq!(info["user_id"], "ZD1234");
    // Kite's tokens expire at 06:00 IST, 00:30 UTC (§4.7).
    let expires = info["access_expires_at"].as_str().unwrap();
    assert!(expires.ends_with("T00:30:00Z"), "{expires}");

    let profile = handle.profile();
    let p = profile.ok();
    assert_eq!(p["broker"], "zerodha");
    assert_eq!(p["user_id"], "ZD1234");
    assert_eq!(p["name"], "Kite Demo");
    assert_eq!(p["email"], "kite.demo@example.com");
    assert_eq!(p["mobile"], "");
    assert_eq!(p["exchanges"][0], "NSE");
    assert_eq!(p["products"], json!(["CNC", "NRML", "MIS", "BO", "CO"]));
    assert_eq!(p["raw"]["broker"], "ZERODHA");
    assert!(p["raw"]["avatar_url"].is_null());

    let funds = handle.rms();
    funds.ok();
    // Equity of §4.4's mock: floats with binary noise, printed exact to the paise.
    for field in [
        r#""available_cash":245431.6"#,
        r#""net":99725.05,"#,
        r#""used_margin":145706.55"#,
        r#""collateral":0,"#,
        r#""payin":0,"#,
        r#""payout":0,"#,
        r#""m2m_realized":761.7"#,
        r#""m2m_unrealized":0,"#,
    ] {
        assert!(funds.text.contains(field), "{field} in {}", funds.text);
    }
    assert!(funds.json["raw"]["commodity"].is_object(), "raw keeps both");

    let logout = handle.logout();
    assert_eq!(logout.ok()["logged_out"], true);
    assert_eq!(logout.json["user_id"], "ZD1234");
    handle.rms().err(s(Status::NotLoggedIn));
}

#[test]
fn every_request_is_as_the_protocol_says() {
    let sim = sim();
    let demo = ZerodhaAccount::demo();
    let handle = Handle::new(&zerodha_config(&sim, ""));
    let token = zerodha_request_token(&sim);
    handle.login(&credentials(&token)).ok();
    handle.profile().ok();
    handle.rms().ok();
    let state = handle.export().ok()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    handle.logout().ok();

    let exchange = &sim.requests_to(SESSION)[0];
    assert_eq!(exchange.method, "POST");
    assert_eq!(exchange.header("x-kite-version"), Some("3"));
    assert_eq!(
        exchange.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(exchange.header("authorization"), None);
    assert_eq!(exchange.query, None);
    assert_eq!(
        form(&exchange.body),
        json!({
            "api_key": demo.api_key,
            "request_token": token,
            "checksum": sha256_hex(&format!("{}{token}{}", demo.api_key, demo.api_secret)),
        })
    );
    assert!(
        !exchange.body.contains(&demo.api_secret),
        "the secret never travels"
    );

    let authorization = format!("token {}:{state}", demo.api_key);
    for path in [PROFILE, MARGINS] {
        let read = &sim.requests_to(path)[0];
        assert_eq!(read.method, "GET");
        assert_eq!(read.header("x-kite-version"), Some("3"));
        assert_eq!(read.header("authorization"), Some(authorization.as_str()));
        assert_eq!((read.query.as_deref(), read.body.as_str()), (None, ""));
    }
    let logout = sim.requests_to(SESSION).pop().unwrap();
    assert_eq!(logout.method, "DELETE");
    assert_eq!(logout.header("x-kite-version"), Some("3"));
    assert_eq!(logout.header("authorization"), Some(authorization.as_str()));
    assert_eq!(
        form(logout.query.as_deref().unwrap()),
        json!({"api_key": demo.api_key, "access_token": state})
    );
    assert_eq!(logout.status, 200);
    assert_eq!(
        sim.requests_to(SESSION).len(),
        2,
        "no refresh-token drop without one"
    );
}

#[test]
fn the_login_url_leads_through_the_simulated_browser_to_a_session() {
    let sim = sim();
    let handle = Handle::new(&zerodha_config(&sim, ""));
    let url = handle.login_url().ok()["url"].as_str().unwrap().to_string();
    assert_eq!(
        url,
        format!("{}?v=3&api_key=zerodha-api-key", sim.zerodha_login_url())
    );
    let redirect = brokersim::browse(&url).unwrap();
    assert!(
        redirect.contains("status=success&request_token="),
        "{redirect}"
    );
    handle
        .login(&json!({ "redirect_url": redirect }).to_string())
        .ok();
    handle.rms().ok();
    // The real login page by default.
    let real = Handle::new(r#"{"broker":"zerodha","api_key":"abc","api_secret":"s"}"#);
    assert_eq!(
        real.login_url().ok()["url"],
        "https://kite.zerodha.com/connect/login?v=3&api_key=abc"
    );
}

#[test]
fn redirects_that_did_not_succeed_are_auth_and_send_nothing() {
    let sim = sim();
    let handle = Handle::new(&zerodha_config(&sim, ""));
    let token = zerodha_request_token(&sim);
    for (redirect, says) in [
        (
            format!("https://my.app/cb?action=login&status=cancelled&request_token={token}"),
            "status",
        ),
        (
            "https://my.app/cb?action=login&type=login&status=success".to_string(),
            "request_token",
        ),
    ] {
        let reply = handle.login(&json!({ "redirect_url": redirect }).to_string());
        let message = reply.err(s(Status::Auth))["message"].as_str().unwrap();
        assert!(message.contains(says), "{message}");
        assert!(!reply.text.contains(&token));
    }
    assert!(sim.requests_to(SESSION).is_empty());
}

#[test]
fn refused_request_tokens_are_auth_with_the_error_type() {
    let sim = sim();
    let handle = Handle::new(&zerodha_config(&sim, ""));
    let token = zerodha_request_token(&sim);
    handle.login(&credentials(&token)).ok();
    // Used once already.
    let used = handle.login(&credentials(&token));
    let e = used.err(s(Status::Auth));
    assert_eq!(e["broker_code"], "TokenException");
    assert_eq!(e["broker_message"], "Token is invalid or has expired.");
    assert_eq!(e["http_status"], 403);
    assert_eq!(e["retryable"], false);
    assert!(e["message"].as_str().unwrap().contains("single-use"));
    // The failed login kept the session.
    handle.profile().ok();
    // Expired before use.
    let stale = zerodha_request_token(&sim);
    sim.expire_zerodha_request_tokens();
    handle.login(&credentials(&stale)).err(s(Status::Auth));
    // A wrong api_secret makes a checksum Kite refuses.
    let wrong = Handle::new(&zerodha_config(&sim, "").replace("zerodha-api-secret", "nope"));
    let e = wrong.login(&credentials(&zerodha_request_token(&sim)));
    let e = e.err(s(Status::Auth));
    assert_eq!(e["broker_message"], "Invalid `checksum`.");
    assert!(e["message"].as_str().unwrap().contains("api_secret"));
    // An unknown api_key.
    let unknown = Handle::new(&zerodha_config(&sim, "").replace("zerodha-api-key", "nobody"));
    let e = unknown.login(&credentials(&zerodha_request_token(&sim)));
    assert!(
        e.err(s(Status::Auth))["message"]
            .as_str()
            .unwrap()
            .contains("api_key")
    );
}

#[test]
fn an_ended_session_is_session_expired_and_logout_still_succeeds() {
    let sim = sim();
    let handle = zerodha_session(&sim);
    sim.expire_zerodha_sessions("ZD1234");
    let e = handle.rms();
    let e = e.err(s(Status::SessionExpired));
    assert_eq!(e["broker_code"], "TokenException");
    assert_eq!(
        e["broker_message"],
        "Incorrect `api_key` or `access_token`."
    );
    // No refresh token: nothing was tried but the read itself.
    assert!(sim.requests_to(RENEW).is_empty());
    assert_eq!(sim.requests_to(MARGINS).len(), 1);
    handle.profile().err(s(Status::SessionExpired));
    assert_eq!(handle.logout().ok()["logged_out"], true);
    handle.profile().err(s(Status::NotLoggedIn));
}

#[test]
fn logout_revokes_the_token_at_kite() {
    let sim = sim();
    let handle = zerodha_session(&sim);
    let state = handle.export().text;
    handle.logout().ok();
    let again = Handle::new(&zerodha_config(&sim, ""));
    again.import(&state).ok();
    again.profile().err(s(Status::SessionExpired));
}

#[test]
fn logout_failing_on_the_network_keeps_the_session() {
    let sim = sim();
    let handle = zerodha_session(&sim);
    sim.inject(SESSION, Fault::Reset, FaultTimes::Next(1));
    handle.logout().err(s(Status::Network));
    handle.profile().ok();
    handle.logout().ok();
}

#[test]
fn without_a_refresh_token_refresh_is_unsupported_and_says_log_in_daily() {
    let sim = sim();
    let handle = zerodha_session(&sim);
    let reply = handle.refresh();
    let message = reply.err(s(Status::Unsupported))["message"]
        .as_str()
        .unwrap();
    assert!(message.contains("browser login"), "{message}");
    assert!(message.contains("each day"), "{message}");
    assert!(sim.requests_to(RENEW).is_empty());
    handle.rms().ok();
}

#[test]
fn with_a_refresh_token_refresh_renews_and_reads_renew_by_themselves() {
    let sim = sim();
    let account = approved(&sim);
    let handle = approved_session(&sim, "");
    let before = handle.export().ok()["refresh_token"].clone();
    assert!(before.as_str().is_some_and(|t| t.len() == 32));
    let refreshed = handle.refresh();
    let r = refreshed.ok();
    assert_eq!(r["user_id"], "ZP0001");
    assert!(
        r["access_expires_at"]
            .as_str()
            .unwrap()
            .ends_with("T00:30:00Z")
    );
    let renew = &sim.requests_to(RENEW)[0];
    assert_eq!(renew.header("x-kite-version"), Some("3"));
    assert_eq!(
        renew.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let refresh_token = before.as_str().unwrap();
    assert_eq!(
        form(&renew.body),
        json!({
            "api_key": account.api_key,
            "refresh_token": refresh_token,
            "checksum": sha256_hex(&format!("{}{refresh_token}{}", account.api_key, account.api_secret)),
        })
    );
    handle.rms().ok();
    // An expired session is renewed by the read itself, once.
    sim.expire_zerodha_sessions("ZP0001");
    handle.rms().ok();
    assert_eq!(sim.requests_to(RENEW).len(), 2);
    // A refused refresh token means a new login.
    sim.expire_zerodha_sessions("ZP0001");
    sim.expire_zerodha_refresh_tokens("ZP0001");
    let e = handle.refresh();
    let e = e.err(s(Status::SessionExpired));
    assert_eq!(e["broker_code"], "TokenException");
    handle.rms().err(s(Status::SessionExpired));
}

#[test]
fn logout_drops_the_refresh_token_too() {
    let sim = sim();
    let handle = approved_session(&sim, "");
    let refresh_token = handle.export().ok()["refresh_token"]
        .as_str()
        .unwrap()
        .to_string();
    handle.logout().ok();
    let deletes: Vec<_> = sim
        .requests_to(SESSION)
        .into_iter()
        .filter(|r| r.method == "DELETE")
        .collect();
    assert_eq!(deletes.len(), 2);
    let first = form(deletes[0].query.as_deref().unwrap());
    assert_eq!(first["refresh_token"], refresh_token.as_str());
    assert!(form(deletes[1].query.as_deref().unwrap())["access_token"].is_string());
    assert!(deletes.iter().all(|r| r.status == 200));
}

#[test]
fn every_error_type_of_protocols_4_6() {
    let sim = sim();
    let handle = zerodha_session_with(&sim, RAW);
    for (error_type, http, status, retryable) in [
        ("TokenException", 403, Status::SessionExpired, false),
        ("PermissionException", 403, Status::Auth, false),
        ("PermissionError", 403, Status::Auth, false),
        ("UserException", 403, Status::Broker, false),
        ("TwoFAException", 403, Status::Auth, false),
        ("InputException", 400, Status::InvalidArgument, false),
        ("OrderException", 400, Status::Broker, false),
        ("MarginException", 400, Status::Broker, false),
        ("HoldingException", 400, Status::Broker, false),
        ("NetworkException", 503, Status::Broker, true),
        ("NetworkException", 429, Status::RateLimited, true),
        ("DataException", 502, Status::Broker, true),
        ("GeneralException", 500, Status::Broker, false),
        ("BrandNewException", 500, Status::Broker, false),
    ] {
        inject_reply(
            &sim,
            MARGINS,
            http,
            &kite_error(error_type, "what Kite said"),
        );
        let reply = handle.rms();
        let e = reply.err(s(status));
        assert_eq!(e["broker_code"], error_type);
        assert_eq!(e["broker_message"], "what Kite said");
        assert_eq!(e["http_status"], http);
        assert_eq!(e["retryable"], retryable, "{error_type}");
    }
    // Classed by error_type whatever the HTTP status.
    inject_reply(
        &sim,
        PROFILE,
        200,
        &kite_error("NetworkException", "Too many requests"),
    );
    handle.profile().err(s(Status::RateLimited));
    inject_reply(&sim, PROFILE, 200, &kite_error("TokenException", "x"));
    handle.profile().err(s(Status::SessionExpired));
    // At login a TokenException is AUTH; at renewal SESSION_EXPIRED.
    inject_reply(&sim, SESSION, 403, &kite_error("TokenException", "x"));
    handle
        .login(&credentials(&zerodha_request_token(&sim)))
        .err(s(Status::Auth));
    handle.profile().ok();
}

#[test]
fn replies_without_kites_envelope_are_classed_by_http_status() {
    let sim = sim();
    let handle = zerodha_session_with(&sim, RAW);
    let cases: [(u16, &str, &str, Status); 8] = [
        (429, "text/plain", "Too many requests", Status::RateLimited),
        (403, "application/json", "{}", Status::SessionExpired),
        (401, "text/plain", "Unauthorized", Status::SessionExpired),
        (400, "text/plain", "Bad Request", Status::InvalidArgument),
        (502, "text/html", "<html>Bad Gateway</html>", Status::Broker),
        (500, "text/plain", "", Status::Protocol),
        (200, "text/plain", "OK", Status::Protocol),
        (
            200,
            "application/json",
            r#"{"status":"ok"}"#,
            Status::Protocol,
        ),
    ];
    for (http, content_type, body, status) in cases {
        sim.inject(
            MARGINS,
            Fault::Reply {
                status: http,
                content_type: content_type.into(),
                body: body.into(),
            },
            FaultTimes::Next(1),
        );
        let reply = handle.rms();
        reply.err(s(status));
        assert_eq!(reply.json["http_status"], http, "{body}");
    }
    for fault in [Fault::RateLimitText, Fault::HtmlFirewall] {
        sim.inject(MARGINS, fault, FaultTimes::Next(1));
        assert!(handle.rms().json["retryable"] == true);
    }
    sim.inject(MARGINS, Fault::TruncatedJson, FaultTimes::Next(1));
    handle.rms().err(s(Status::Protocol));
}

#[test]
fn retryable_classes_are_retried_for_reads_only() {
    let sim = sim();
    let handle = zerodha_session_with(&sim, r#""rate_limits":"off""#);
    inject_reply(&sim, MARGINS, 503, &kite_error("NetworkException", "down"));
    handle.rms().ok();
    assert_eq!(sim.requests_to(MARGINS).len(), 2);
    inject_reply(&sim, PROFILE, 502, &kite_error("DataException", "odd"));
    handle.profile().ok();
    // Not retried: a class that will not change.
    inject_reply(&sim, PROFILE, 403, &kite_error("PermissionException", "no"));
    handle.profile().err(s(Status::Auth));
    assert_eq!(sim.requests_to(PROFILE).len(), 3);
    // Logout is never retried.
    inject_reply(&sim, SESSION, 503, &kite_error("NetworkException", "down"));
    handle.logout().err(s(Status::Broker));
    assert_eq!(
        sim.requests_to(SESSION)
            .iter()
            .filter(|r| r.method == "DELETE")
            .count(),
        1
    );
}

#[test]
fn money_edge_cases() {
    let sim = sim();
    let handle = zerodha_session_with(&sim, RAW);
    sim.set_zerodha_margins(
        "ZD1234",
        serde_json::from_str(
            r#"{"equity":{"enabled":true,"net":-0,"available":{"cash":1500000000000000.005,
                "collateral":"5000.00","intraday_payin":null},
                "utilised":{"debits":96426.32999999999,"payout":-0,"m2m_realised":-1053.755,
                "m2m_unrealised":"12.345"}}}"#,
        )
        .unwrap(),
    );
    let funds = handle.rms();
    funds.ok();
    for field in [
        r#""net":0,"#,
        r#""available_cash":1500000000000000.01"#,
        r#""collateral":5000.00"#,
        r#""payin":0,"#,
        r#""used_margin":96426.33"#,
        r#""payout":0,"#,
        r#""m2m_realized":-1053.76"#,
        r#""m2m_unrealized":12.35"#,
    ] {
        assert!(funds.text.contains(field), "{field} in {}", funds.text);
    }
    // raw keeps Kite's own digits.
    assert!(funds.text.contains("96426.32999999999"), "{}", funds.text);

    sim.set_zerodha_margins("ZD1234", json!({"equity": {"available": {"cash": "lots"}}}));
    let e = handle.rms();
    let message = e.err(s(Status::Protocol))["message"].as_str().unwrap();
    assert!(message.contains("equity.available.cash"), "{message}");
    sim.set_zerodha_margins("ZD1234", json!({"equity": {"net": "1e40"}}));
    handle.rms().err(s(Status::Protocol));
    sim.set_zerodha_margins("ZD1234", json!({"mcx": {}}));
    handle.rms().err(s(Status::Protocol));
}

#[test]
fn funds_segment_chooses_or_sums_the_segments() {
    let sim = sim();
    let commodity = zerodha_session_with(&sim, r#""funds_segment":"commodity""#).rms();
    assert!(
        commodity.text.contains(r#""available_cash":97297.5"#),
        "{}",
        commodity.text
    );
    assert!(commodity.text.contains(r#""payout":0"#), "-0 prints as 0");
    let both = zerodha_session_with(&sim, r#""funds_segment":"both""#).rms();
    for field in [
        r#""available_cash":342729.1"#,
        r#""net":196151.38"#,
        r#""used_margin":146577.72"#,
        r#""m2m_realized":761.7"#,
    ] {
        assert!(both.text.contains(field), "{field} in {}", both.text);
    }
    // A disabled equity segment: the default takes commodity.
    let mut margins = ZerodhaAccount::demo().margins;
    margins["equity"]["enabled"] = json!(false);
    sim.set_zerodha_margins("ZD1234", margins);
    let fallback = zerodha_session(&sim).rms();
    assert!(fallback.text.contains(r#""available_cash":97297.5"#));
}

#[test]
fn bad_config_is_refused_naming_the_key() {
    let sim = sim();
    let base = zerodha_config(&sim, "");
    for (config, key) in [
        (
            base.replace(r#""api_key":"zerodha-api-key","#, ""),
            "api_key",
        ),
        (
            base.replace(r#""api_secret":"zerodha-api-secret","#, ""),
            "api_secret",
        ),
        (
            base.replace(r#""api_secret":"zerodha-api-secret""#, r#""api_secret":"""#),
            "api_secret",
        ),
        (
            zerodha_config(&sim, r#""funds_segment":"fno""#),
            "funds_segment",
        ),
        (
            zerodha_config(&sim, "").replace(
                &sim.zerodha_login_url(),
                "http://kite.example.com/connect/login",
            ),
            "oauth_url",
        ),
        (zerodha_config(&sim, r#""client_code":"X""#), "client_code"),
        (zerodha_config(&sim, r#""preset":"zebu""#), "preset"),
    ] {
        let (reply, handle) = new_session(&config);
        assert!(handle.is_none());
        let message = reply.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains(key), "{key}: {message}");
        assert!(!reply.text.contains("zerodha-api-secret"));
    }
}

#[test]
fn bad_credentials_are_refused_without_a_request() {
    let sim = sim();
    let handle = Handle::new(&zerodha_config(&sim, ""));
    for (credentials, says) in [
        ("{}", "request_token"),
        (r#"{"request_token":""}"#, "request_token"),
        (r#"{"request_token":5}"#, "request_token"),
        (r#"{"code":"abc"}"#, "request_token"),
        (r#"{"pin":"1234","totp":"123456"}"#, "request_token"),
        (
            r#"{"request_token":"a","redirect_url":"https://x/?request_token=b"}"#,
            "not both",
        ),
        (r#"{"request_token":"a","state":"b"}"#, "state"),
        (r#"{"redirect_url":"not a url"}"#, "redirect_url"),
    ] {
        let reply = handle.login(credentials);
        let message = reply.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap();
        assert!(message.contains(says), "{credentials}: {message}");
    }
    assert!(sim.requests().is_empty());
}

#[test]
fn reads_are_paced_within_kites_ten_a_second() {
    let sim = Sim::start_with(SimOptions::default()).expect("brokersim starts");
    let handle = zerodha_session_with(&sim, r#""timeout_ms":10000,"max_retries":0"#);
    for i in 0..12 {
        if i % 2 == 0 {
            handle.profile().ok();
        } else {
            handle.rms().ok();
        }
    }
    assert!(sim.requests().iter().all(|r| r.status != 429));
}

#[test]
fn errors_and_log_lines_never_contain_secrets() {
    let sim = sim();
    let account = approved(&sim);
    let dir = std::env::temp_dir().join(format!("brokerlink-zerodha-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("log.txt");
    let config = zerodha_config(
        &sim,
        &format!(r#""log_level":"debug","log_file":"{}""#, log.display()),
    )
    .replace("zerodha-api-key", &account.api_key)
    .replace("zerodha-api-secret", &account.api_secret);
    let (created, handle) = new_session(&config);
    let handle = handle.unwrap();
    let token = sim.zerodha_request_token(&account.api_key).unwrap();
    let mut texts = vec![
        created.text,
        handle.login_url().text,
        handle.login(&credentials(&token)).text,
        handle.login(&credentials(&token)).text,
    ];
    texts.extend([
        handle.profile().text,
        handle.rms().text,
        handle.refresh().text,
    ]);
    sim.expire_zerodha_sessions("ZP0001");
    sim.expire_zerodha_refresh_tokens("ZP0001");
    texts.extend([
        handle.rms().text,
        handle.refresh().text,
        handle.logout().text,
    ]);
    let bad = format!(r#"{{"redirect_url":"https://x/?status=no&request_token={token}"}}"#);
    texts.push(handle.login(&bad).text);
    texts.push(std::fs::read_to_string(&log).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
    let mut secrets = vec![account.api_secret.clone(), token.clone()];
    for request in sim.requests() {
        if let Some(auth) = request.header("authorization") {
            secrets.push(auth.rsplit(':').next().unwrap().to_string());
        }
        for value in form(&request.body).as_object().unwrap().values() {
            secrets.push(value.as_str().unwrap().to_string());
        }
    }
    secrets.retain(|s| s.len() >= 16 && s != &account.api_key);
    assert!(secrets.len() >= 6, "{secrets:?}");
    for text in &texts {
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "a secret in {text}");
        }
    }
    // The login URL carries the api_key, as Kite's page requires; nothing else does.
    assert!(texts[1].contains(&account.api_key));
    assert!(texts[2..].iter().all(|t| !t.contains(&account.api_key)));
}
