//! Upstox end to end through the C ABI against brokersim (PROTOCOLS.md §5):
//! every operation, what went over the wire, the OAuth state, v3 and v2
//! funds, the access-token login, every error class, money edge cases, bad
//! config and credentials.

use crate::support::*;
use brokerlink::Status;
use brokersim::{Fault, FaultTimes, Sim, UpstoxAccount};
use serde_json::{Value, json};

const TOKEN: &str = "/upstox/v2/login/authorization/token";
const PROFILE: &str = "/upstox/v2/user/profile";
const FUNDS_V3: &str = "/upstox/v3/user/get-funds-and-margin";
const FUNDS_V2: &str = "/upstox/v2/user/get-funds-and-margin";
const LOGOUT: &str = "/upstox/v2/logout";

fn demo() -> UpstoxAccount {
    UpstoxAccount::demo()
}

fn redirect_uri(sim: &Sim) -> String {
    format!("{}{}", sim.base_url(), demo().redirect_uri)
}

/// The pairs of a form body, decoded.
fn form(body: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The access token a session holds, from its exported state.
fn access_token(handle: &Handle) -> String {
    let state: Value = serde_json::from_str(&handle.export().ok().to_string()).unwrap();
    state["access_token"].as_str().unwrap().to_string()
}

/// The `state` query parameter of a login URL.
fn state_of(url: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .expect("a state parameter")
}

/// Replaces (or adds) a query parameter of a URL.
fn with_param(url: &str, name: &str, value: Option<&str>) -> String {
    let mut parsed = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    {
        let mut query = parsed.query_pairs_mut();
        query.clear();
        for (k, v) in &pairs {
            query.append_pair(k, v);
        }
        if let Some(value) = value {
            query.append_pair(name, value);
        }
    }
    parsed.into()
}

fn redirect_login(handle: &Handle, redirect: &str) -> Reply {
    handle.login(&json!({ "redirect_url": redirect }).to_string())
}

#[test]
fn login_profile_funds_logout() {
    let sim = sim();
    let handle = Handle::new(&upstox_config(&sim, ""));
    let login = handle.login(&format!(r#"{{"code":"{}"}}"#, upstox_code(&sim)));
    let info = login.ok();
    assert_eq!(info["broker"], "upstox");
    assert_eq!(info["user_id"], "UP1234");
    assert!(info["access_expires_at"].is_string());

    let profile = handle.profile();
    let p = profile.ok();
    assert_eq!(p["broker"], "upstox");
    assert_eq!(p["user_id"], "UP1234");
    assert_eq!(p["name"], "Demo Upstox Trader");
    assert_eq!(p["email"], "up1234@example.com");
    assert_eq!(p["mobile"], "");
    assert_eq!(
        p["exchanges"],
        json!(["NSE", "NFO", "BSE", "CDS", "BFO", "BCD"])
    );
    assert_eq!(p["products"], json!(["D", "CO", "I"]));
    assert_eq!(p["raw"]["ddpi"], false);
    assert_eq!(p["raw"]["user_type"], "individual");

    let funds = handle.rms();
    funds.ok();
    for field in [
        r#""broker":"upstox""#,
        r#""available_cash":5117.34"#,
        r#""net":5379.03"#,
        r#""used_margin":1.8"#,
        r#""collateral":263.49"#,
        r#""payin":110.0"#,
        r#""payout":130.0"#,
        r#""m2m_realized":0.0"#,
        r#""m2m_unrealized":0.0"#,
    ] {
        assert!(funds.text.contains(field), "{field} in {}", funds.text);
    }
    for field in ["m2m_realized", "m2m_unrealized", "payout"] {
        let text = funds.json[field].to_string();
        assert!(!text.starts_with('-'), "{field}: {text}");
    }
    assert_eq!(
        funds.json["raw"]["available_to_trade"]["total"].to_string(),
        "5379.03"
    );

    let state = handle.export().ok().to_string();
    let out = handle.logout();
    assert_eq!(out.ok()["logged_out"], true);
    assert_eq!(out.json["user_id"], "UP1234");
    handle.rms().err(s(Status::NotLoggedIn));
    // The broker revoked the token: a session resumed from it is refused.
    let resumed = Handle::new(&upstox_config(&sim, RAW));
    resumed.import(&state).ok();
    let refused = resumed.profile();
    let e = refused.err(s(Status::SessionExpired));
    assert_eq!(e["broker_code"], "UDAPI100050");
    assert_eq!(e["http_status"], 401);
}

#[test]
fn every_request_is_exactly_as_the_protocol_says() {
    let sim = sim();
    let handle = Handle::new(&upstox_config(&sim, ""));
    let code = upstox_code(&sim);
    handle.login(&format!(r#"{{"code":"{code}"}}"#)).ok();
    let token = access_token(&handle);
    handle.profile().ok();
    handle.rms().ok();
    handle.logout().ok();

    let exchange = &sim.requests_to(TOKEN)[0];
    assert_eq!(exchange.method, "POST");
    assert_eq!(
        exchange.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(exchange.header("accept"), Some("application/json"));
    assert_eq!(exchange.header("api-version"), Some("2.0"));
    assert_eq!(exchange.header("authorization"), None);
    assert_eq!(exchange.query, None);
    let demo = demo();
    assert_eq!(
        form(&exchange.body),
        [
            ("code", code.as_str()),
            ("client_id", demo.api_key.as_str()),
            ("client_secret", demo.api_secret.as_str()),
            ("redirect_uri", redirect_uri(&sim).as_str()),
            ("grant_type", "authorization_code"),
        ]
        .map(|(k, v)| (k.to_string(), v.to_string()))
    );
    let bearer = format!("Bearer {token}");
    for (path, method, version) in [
        (PROFILE, "GET", "2.0"),
        (FUNDS_V3, "GET", "3.0"),
        (LOGOUT, "DELETE", "2.0"),
    ] {
        let request = &sim.requests_to(path)[0];
        assert_eq!(request.method, method, "{path}");
        assert_eq!(
            request.header("authorization"),
            Some(bearer.as_str()),
            "{path}"
        );
        assert_eq!(request.header("api-version"), Some(version), "{path}");
        assert_eq!(request.header("accept"), Some("application/json"), "{path}");
        assert_eq!(request.query, None, "{path}");
        assert_eq!(request.body, "", "{path}");
    }
    assert!(sim.requests_to(FUNDS_V2).is_empty());
}

#[test]
fn the_login_url_carries_the_app_and_a_fresh_state_per_session() {
    let sim = sim();
    let first = Handle::new(&upstox_config(&sim, ""));
    let url = first.login_url().ok()["url"].as_str().unwrap().to_string();
    let parsed = url::Url::parse(&url).unwrap();
    assert_eq!(
        format!(
            "{}://{}{}",
            parsed.scheme(),
            parsed.authority(),
            parsed.path()
        ),
        sim.upstox_oauth_url()
    );
    let query: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| (k.into(), v.into()))
        .collect();
    let names: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["response_type", "client_id", "redirect_uri", "state"]
    );
    assert_eq!(query[0].1, "code");
    assert_eq!(query[1].1, demo().api_key);
    assert_eq!(query[2].1, redirect_uri(&sim));
    let state = state_of(&url);
    assert!(
        state.len() == 32 && state.bytes().all(|b| b.is_ascii_hexdigit()),
        "{state}"
    );
    // The same session keeps its state; another session has its own.
    assert_eq!(
        state_of(first.login_url().ok()["url"].as_str().unwrap()),
        state
    );
    let second = Handle::new(&upstox_config(&sim, ""));
    assert_ne!(
        state_of(second.login_url().ok()["url"].as_str().unwrap()),
        state
    );
    // The real dialog by default.
    let real = Handle::new(
        r#"{"broker":"upstox","api_key":"KEY","redirect_uri":"https://my.app/cb?x=1"}"#,
    );
    let url = real.login_url().ok()["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with("https://api.upstox.com/v2/login/authorization/dialog?response_type=code&client_id=KEY&redirect_uri=https%3A%2F%2Fmy.app%2Fcb%3Fx%3D1&state="),
        "{url}"
    );
}

#[test]
fn the_browser_login_checks_the_state() {
    let sim = sim();
    let handle = Handle::new(&upstox_config(&sim, ""));
    let url = handle.login_url().ok()["url"].as_str().unwrap().to_string();
    let state = state_of(&url);

    // A redirect with another state, or none, is refused before any exchange.
    let landed = brokersim::browse(&url).unwrap();
    assert_eq!(state_of(&landed), state);
    for forged in [
        with_param(&landed, "state", Some("0123456789abcdef0123456789abcdef")),
        with_param(&landed, "state", None),
    ] {
        let refused = redirect_login(&handle, &forged);
        let e = refused.err(s(Status::Auth));
        assert!(
            e["message"].as_str().unwrap().contains("state"),
            "{}",
            refused.text
        );
    }
    // Another session's redirect is not this one's.
    let other = Handle::new(&upstox_config(&sim, ""));
    let other_url = other.login_url().ok()["url"].as_str().unwrap().to_string();
    redirect_login(&handle, &brokersim::browse(&other_url).unwrap()).err(s(Status::Auth));
    assert!(
        sim.requests_to(TOKEN).is_empty(),
        "no exchange for a forged redirect"
    );

    // A redirect without a code: the login did not complete.
    let no_code = with_param(&landed, "code", None);
    redirect_login(&handle, &no_code).err(s(Status::Auth));

    // The genuine redirect logs in.
    let fresh = brokersim::browse(&url).unwrap();
    assert_eq!(redirect_login(&handle, &fresh).ok()["user_id"], "UP1234");
    handle.rms().ok();
    assert_eq!(sim.requests_to(TOKEN).len(), 1);
}

#[test]
fn codes_are_single_use_and_the_app_must_match() {
    let sim = sim();
    let handle = Handle::new(&upstox_config(&sim, RAW));
    let code = upstox_code(&sim);
    handle.login(&format!(r#"{{"code":"{code}"}}"#)).ok();
    let again = handle.login(&format!(r#"{{"code":"{code}"}}"#));
    assert_eq!(again.err(s(Status::Auth))["broker_code"], "UDAPI100057");
    // The failed login left the session logged in.
    handle.profile().ok();

    // A wrong secret: UDAPI100069; the code is used up all the same.
    let wrong_secret =
        Handle::new(&upstox_config(&sim, "").replace(&demo().api_secret, "not-the-secret"));
    let code = upstox_code(&sim);
    let refused = wrong_secret.login(&format!(r#"{{"code":"{code}"}}"#));
    let e = refused.err(s(Status::Auth));
    assert_eq!(e["broker_code"], "UDAPI100069");
    assert!(!refused.text.contains("not-the-secret"));
    wrong_secret.profile().err(s(Status::NotLoggedIn));
    let right = Handle::new(&upstox_config(&sim, ""));
    let used = right.login(&format!(r#"{{"code":"{code}"}}"#));
    assert_eq!(used.err(s(Status::Auth))["broker_code"], "UDAPI100057");

    // A redirect URI other than the app's.
    let elsewhere = Handle::new(&upstox_config(&sim, "").replace("/upstox/callback", "/elsewhere"));
    let refused = elsewhere.login(&format!(r#"{{"code":"{}"}}"#, upstox_code(&sim)));
    assert_eq!(refused.err(s(Status::Auth))["broker_code"], "UDAPI100057");

    // An expired code.
    let code = upstox_code(&sim);
    sim.expire_upstox_codes();
    let late = right.login(&format!(r#"{{"code":"{code}"}}"#));
    assert_eq!(late.err(s(Status::Auth))["http_status"], 400);
}

#[test]
fn v2_funds_when_pinned() {
    let sim = sim();
    let handle = upstox_session_with(&sim, r#""funds_version":"v2""#);
    let funds = handle.rms();
    funds.ok();
    for field in [
        r#""available_cash":15507.46"#,
        r#""net":15507.46"#,
        r#""used_margin":0.8"#,
        r#""collateral":0"#,
        r#""payin":200.0"#,
        r#""payout":0"#,
    ] {
        assert!(funds.text.contains(field), "{field} in {}", funds.text);
    }
    assert_eq!(funds.json["raw"]["commodity"]["available_margin"], 0);
    assert!(sim.requests_to(FUNDS_V3).is_empty());
    let request = &sim.requests_to(FUNDS_V2)[0];
    assert_eq!(request.header("api-version"), Some("2.0"));
    assert_eq!(request.query, None);
}

#[test]
fn auto_falls_back_to_v2_when_v3_is_not_there() {
    for (status, body) in [
        (404, "<html><title>404 Not Found</title></html>".to_string()),
        (
            404,
            r#"{"status":"error","errors":[{"errorCode":"UDAPI10000","message":"This request is not supported by Upstox API"}]}"#.to_string(),
        ),
        (
            400,
            r#"{"status":"error","errors":[{"error_code":"UDAPI10000","message":"not supported"}]}"#.to_string(),
        ),
    ] {
        let sim = sim();
        let handle = upstox_session(&sim);
        sim.inject(
            FUNDS_V3,
            Fault::Reply {
                status,
                content_type: "application/json".into(),
                body,
            },
            FaultTimes::Next(1),
        );
        let funds = handle.rms();
        assert!(funds.text.contains(r#""available_cash":15507.46"#), "{}", funds.text);
        // The session remembers: the next read goes straight to v2.
        handle.rms().ok();
        assert_eq!(sim.requests_to(FUNDS_V3).len(), 1, "{status}");
        assert_eq!(sim.requests_to(FUNDS_V2).len(), 2, "{status}");
    }
}

#[test]
fn pinned_v3_does_not_fall_back() {
    let sim = sim();
    let handle = upstox_session_with(&sim, &format!(r#""funds_version":"v3",{RAW}"#));
    sim.inject(
        FUNDS_V3,
        Fault::Reply {
            status: 404,
            content_type: "application/json".into(),
            body: r#"{"status":"error","errors":[{"error_code":"UDAPI10000","message":"x"}]}"#
                .into(),
        },
        FaultTimes::Next(1),
    );
    let e = handle.rms();
    assert_eq!(e.err(s(Status::Unsupported))["broker_code"], "UDAPI10000");
    assert!(sim.requests_to(FUNDS_V2).is_empty());
    handle.rms().ok();
}

#[test]
fn other_v3_errors_do_not_fall_back() {
    let sim = sim();
    let handle = upstox_session_with(&sim, RAW);
    sim.set_upstox_funds_closed(true);
    let closed = handle.rms();
    let e = closed.err(s(Status::Broker));
    assert_eq!(e["broker_code"], "UDAPI100072");
    assert_eq!(e["http_status"], 423);
    assert!(
        e["message"].as_str().unwrap().contains("05:30 IST"),
        "{}",
        closed.text
    );
    assert!(sim.requests_to(FUNDS_V2).is_empty());
    let v2 = upstox_session_with(&sim, &format!(r#""funds_version":"v2",{RAW}"#));
    assert_eq!(
        v2.rms().err(s(Status::Broker))["broker_code"],
        "UDAPI100072"
    );
    sim.set_upstox_funds_closed(false);
    handle.rms().ok();
    v2.rms().ok();
}

#[test]
fn an_access_token_the_user_holds_starts_a_session() {
    let sim = sim();
    let token = access_token(&upstox_session(&sim));
    sim.clear_log();
    let handle = Handle::new(&upstox_config(&sim, RAW));
    let login = handle.login(&json!({ "access_token": token }).to_string());
    assert_eq!(login.ok()["user_id"], "UP1234");
    assert!(login.json["access_expires_at"].is_string());
    // No exchange: one profile read checks the token.
    assert!(sim.requests_to(TOKEN).is_empty());
    let check = &sim.requests_to(PROFILE)[0];
    assert_eq!(
        check.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    handle.rms().ok();
    handle.logout().ok();

    // A refused token is SESSION_EXPIRED, and leaves the session logged out.
    let again = Handle::new(&upstox_config(&sim, RAW));
    let refused = again.login(&json!({ "access_token": token }).to_string());
    assert_eq!(
        refused.err(s(Status::SessionExpired))["broker_code"],
        "UDAPI100050"
    );
    again.profile().err(s(Status::NotLoggedIn));

    // It needs no app secret nor redirect URI.
    let token = access_token(&upstox_session(&sim));
    let bare = Handle::new(&format!(
        r#"{{"broker":"upstox","api_key":"k","base_url":"{}"}}"#,
        sim.upstox_base_url()
    ));
    bare.login(&json!({ "access_token": format!("Bearer {token}") }).to_string())
        .ok();
    bare.profile().ok();
}

#[test]
fn an_extended_token_reads_but_cannot_log_out() {
    let sim = sim();
    let token = sim.upstox_extended_token("UP1234").unwrap();
    let handle = Handle::new(&upstox_config(&sim, RAW));
    handle
        .login(&json!({ "access_token": token }).to_string())
        .ok();
    handle.profile().ok();
    handle.rms().ok();
    let out = handle.logout();
    assert_eq!(
        out.err(s(Status::Unsupported))["broker_code"],
        "UDAPI100067"
    );
    // The session keeps its token.
    handle.rms().ok();
}

#[test]
fn refresh_is_unsupported_with_a_daily_login() {
    let sim = sim();
    let handle = upstox_session(&sim);
    let refused = handle.refresh();
    let e = refused.err(s(Status::Unsupported));
    assert!(
        e["message"].as_str().unwrap().contains("browser"),
        "{}",
        refused.text
    );
    // An expired session is not refreshed behind the user's back.
    sim.expire_upstox_sessions("UP1234");
    let expired = handle.rms();
    let e = expired.err(s(Status::SessionExpired));
    assert_eq!(e["broker_code"], "UDAPI100050");
    assert_eq!(e["broker_message"], "Invalid token used to access API");
    assert_eq!(e["http_status"], 401);
    assert_eq!(e["retryable"], false);
    assert!(sim.requests_to(TOKEN).len() == 1);
}

#[test]
fn the_expiry_is_the_tokens_and_falls_at_0330_ist() {
    let sim = sim();
    let handle = Handle::new(&upstox_config(&sim, ""));
    let login = handle.login(&format!(r#"{{"code":"{}"}}"#, upstox_code(&sim)));
    let state: Value = serde_json::from_str(&handle.export().ok().to_string()).unwrap();
    let expires = state["access_expires_at"].as_i64().unwrap();
    // 03:30 IST is 22:00 UTC.
    assert_eq!(expires.rem_euclid(86_400), 22 * 3600);
    let text = login.ok()["access_expires_at"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(text.ends_with("T22:00:00Z"), "{text}");
}

/// Every error class of §5.6 that a reply can carry, as the broker sends it.
#[test]
fn every_error_class_reaches_the_caller() {
    let envelope = |code: &str| {
        format!(
            r#"{{"status":"error","errors":[{{"error_code":"{code}","message":"m","errorCode":"{code}"}}]}}"#
        )
    };
    let cases: Vec<(&str, u16, String, Status)> = vec![
        (
            PROFILE,
            401,
            envelope("UDAPI100050"),
            Status::SessionExpired,
        ),
        (PROFILE, 401, envelope("UDAPI100016"), Status::Auth),
        (PROFILE, 400, envelope("UDAPI100073"), Status::Auth),
        (PROFILE, 403, envelope("UDAPI100067"), Status::Unsupported),
        (PROFILE, 429, envelope("UDAPI10005"), Status::RateLimited),
        (
            PROFILE,
            400,
            envelope("UDAPI100015"),
            Status::InvalidArgument,
        ),
        (
            PROFILE,
            400,
            envelope("UDAPI100036"),
            Status::InvalidArgument,
        ),
        (
            PROFILE,
            400,
            envelope("UDAPI100038"),
            Status::InvalidArgument,
        ),
        (PROFILE, 404, envelope("UDAPI10000"), Status::Unsupported),
        (PROFILE, 400, envelope("UDAPI100058"), Status::Broker),
        (PROFILE, 500, envelope("UDAPI100500"), Status::Broker),
        (PROFILE, 400, envelope("UDAPI123456"), Status::Broker),
        (FUNDS_V3, 423, envelope("UDAPI100072"), Status::Broker),
        (
            PROFILE,
            429,
            "Too Many Requests".to_string(),
            Status::RateLimited,
        ),
        (PROFILE, 401, String::new(), Status::SessionExpired),
        (PROFILE, 400, "{}".to_string(), Status::InvalidArgument),
        (
            PROFILE,
            503,
            "Service Unavailable".to_string(),
            Status::Broker,
        ),
        (
            PROFILE,
            200,
            r#"{"status":"success"}"#.to_string(),
            Status::Protocol,
        ),
        (PROFILE, 200, r#"{"ok":true}"#.to_string(), Status::Protocol),
        (
            FUNDS_V3,
            200,
            r#"{"status":"success","data":[]}"#.to_string(),
            Status::Protocol,
        ),
    ];
    let sim = sim();
    let handle = upstox_session_with(&sim, RAW);
    for (path, status, body, want) in cases {
        sim.inject(
            path,
            Fault::Reply {
                status,
                content_type: "application/json".into(),
                body: body.clone(),
            },
            FaultTimes::Next(1),
        );
        let reply = if path == PROFILE {
            handle.profile()
        } else {
            handle.rms()
        };
        let e = reply.err(s(want));
        if !body.contains("\"success\"") {
            assert_eq!(e["http_status"], status, "{body}");
        }
        if body.contains("UDAPI") {
            let code = body
                .split("\"error_code\":\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            assert_eq!(e["broker_code"], code);
            assert_eq!(e["broker_message"], "m");
        }
    }
    // The login's own classes: a bare 401 is AUTH there.
    sim.inject(
        TOKEN,
        Fault::Reply {
            status: 401,
            content_type: "text/plain".into(),
            body: "Unauthorized".into(),
        },
        FaultTimes::Next(1),
    );
    let login = Handle::new(&upstox_config(&sim, RAW));
    login
        .login(&format!(r#"{{"code":"{}"}}"#, upstox_code(&sim)))
        .err(s(Status::Auth));
    for (status, body) in [(200, "{}"), (200, r#"{"status":"success","data":{}}"#)] {
        sim.inject(
            TOKEN,
            Fault::Reply {
                status,
                content_type: "application/json".into(),
                body: body.into(),
            },
            FaultTimes::Next(1),
        );
        login
            .login(&format!(r#"{{"code":"{}"}}"#, upstox_code(&sim)))
            .err(s(Status::Protocol));
    }
}

#[test]
fn transient_failures_are_retried_and_firewall_pages_classified() {
    let sim = sim();
    let handle = upstox_session(&sim);
    sim.inject(
        PROFILE,
        Fault::Reply {
            status: 500,
            content_type: "application/json".into(),
            body: r#"{"status":"error","errors":[{"error_code":"UDAPI100500","message":"Something went wrong"}]}"#.into(),
        },
        FaultTimes::Next(1),
    );
    handle.profile().ok();
    assert_eq!(sim.requests_to(PROFILE).len(), 2);
    sim.inject(FUNDS_V3, Fault::TruncatedJson, FaultTimes::Next(1));
    let raw = upstox_session_with(&sim, RAW);
    raw.rms().err(s(Status::Protocol));
    sim.inject(FUNDS_V3, Fault::HtmlFirewall, FaultTimes::Next(1));
    raw.rms().err(s(Status::Broker));
}

#[test]
fn brokersim_rate_limit_is_rate_limited() {
    let sim = sim_with_rate_limits();
    let handle = upstox_session_with(&sim, RAW);
    let mut limited = None;
    for _ in 0..60 {
        let reply = handle.profile();
        if reply.status != 0 {
            limited = Some(reply);
            break;
        }
    }
    let limited = limited.expect("brokersim limits 50 a second");
    let e = limited.err(s(Status::RateLimited));
    assert_eq!(e["broker_code"], "UDAPI10005");
    assert_eq!(e["http_status"], 429);
    assert_eq!(e["retryable"], true);
}

#[test]
fn money_edge_cases() {
    let sim = sim();
    let v3 = serde_json::from_str::<Value>(
        r#"{"available_to_trade":{"total":"1500000000000000.005",
             "cash_available_to_trade":{"total":"12554.549999999999272",
               "cash":{"added_today":null,"withdrawn_today":-0.0},
               "margin_used":{"total":"-3.50","loss":{"realised":-150.25,"unrealised":"410.1"}}},
             "pledge_available_to_trade":{"margin_from_pledge":{"total":-0.0},
               "margin_used":{"total":1}}}}"#,
    )
    .unwrap();
    sim.set_upstox_funds("UP1234", Some(v3), None);
    let handle = upstox_session_with(&sim, RAW);
    let funds = handle.rms();
    funds.ok();
    for field in [
        r#""available_cash":12554.55"#,
        r#""net":1500000000000000.01"#,
        r#""used_margin":-2.50"#,
        r#""collateral":0.0"#,
        r#""payin":0"#,
        r#""payout":0.0"#,
        r#""m2m_realized":150.25"#,
        r#""m2m_unrealized":-410.1"#,
    ] {
        assert!(funds.text.contains(field), "{field} in {}", funds.text);
    }
    // The raw payload keeps the broker's text.
    assert!(
        funds.text.contains("12554.549999999999272"),
        "{}",
        funds.text
    );

    for (bad, field) in [
        (
            json!({"available_to_trade": {"total": "lots"}}),
            "available_to_trade.total",
        ),
        (
            json!({"available_to_trade": {"total": true}}),
            "available_to_trade.total",
        ),
        (
            serde_json::from_str(r#"{"available_to_trade":{"total":1e40}}"#).unwrap(),
            "available_to_trade.total",
        ),
    ] {
        sim.set_upstox_funds("UP1234", Some(bad), None);
        let reply = handle.rms();
        let e = reply.err(s(Status::Protocol));
        assert!(
            e["message"].as_str().unwrap().contains(field),
            "{}",
            reply.text
        );
    }
    sim.set_upstox_funds(
        "UP1234",
        None,
        Some(json!({"equity": {"available_margin": "7.005", "used_margin": -1.2, "payin_amount": null}})),
    );
    let v2 = upstox_session_with(&sim, &format!(r#""funds_version":"v2",{RAW}"#));
    let funds = v2.rms();
    funds.ok();
    for field in [
        r#""available_cash":7.01"#,
        r#""used_margin":-1.2"#,
        r#""payin":0"#,
    ] {
        assert!(funds.text.contains(field), "{field} in {}", funds.text);
    }
}

#[test]
fn bad_config_is_refused_by_name() {
    let sim = sim();
    let base = sim.upstox_base_url();
    for (config, key) in [
        (r#"{"broker":"upstox"}"#.to_string(), "api_key"),
        (r#"{"broker":"upstox","api_key":""}"#.to_string(), "api_key"),
        (
            r#"{"broker":"upstox","api_key":"k","funds_version":"v4"}"#.to_string(),
            "funds_version",
        ),
        (
            r#"{"broker":"upstox","api_key":"k","redirect_uri":"not a url"}"#.to_string(),
            "redirect_uri",
        ),
        (
            r#"{"broker":"upstox","api_key":"k","oauth_url":"http://example.com/x"}"#.to_string(),
            "oauth_url",
        ),
        (
            r#"{"broker":"upstox","api_key":"k","client_id":"c"}"#.to_string(),
            "client_id",
        ),
        (
            r#"{"broker":"upstox","api_key":"k","api_secret":5}"#.to_string(),
            "api_secret",
        ),
        (
            format!(r#"{{"broker":"upstox","api_key":"k","base_url":"{base}","preset":"x"}}"#),
            "preset",
        ),
    ] {
        let (reply, handle) = new_session(&config);
        assert!(handle.is_none());
        let e = reply.err(s(Status::InvalidArgument));
        assert!(
            e["message"].as_str().unwrap().contains(key),
            "{key}: {}",
            reply.text
        );
    }
    // What a browser login needs is asked for when it is used.
    let bare = Handle::new(&format!(
        r#"{{"broker":"upstox","api_key":"k","base_url":"{base}"}}"#
    ));
    let url = bare.login_url();
    assert!(
        url.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .contains("redirect_uri")
    );
    let code = bare.login(r#"{"code":"abc"}"#);
    assert!(
        code.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .contains("redirect_uri")
    );
    let no_secret = Handle::new(&format!(
        r#"{{"broker":"upstox","api_key":"k","redirect_uri":"https://my.app/cb","base_url":"{base}"}}"#
    ));
    let refused = no_secret.login(r#"{"code":"abc"}"#);
    assert!(
        refused.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .contains("api_secret")
    );
    assert!(sim.requests().is_empty(), "nothing reached the broker");
}

#[test]
fn bad_credentials_are_refused_by_name() {
    let sim = sim();
    let handle = Handle::new(&upstox_config(&sim, ""));
    for (credentials, key) in [
        (r#"{}"#, "code"),
        (r#"{"code":""}"#, "code"),
        (
            r#"{"code":"a","redirect_url":"http://x/?code=b"}"#,
            "redirect_url",
        ),
        (r#"{"code":"a","access_token":"t"}"#, "access_token"),
        (r#"{"redirect_url":"not a url"}"#, "redirect_url"),
        (r#"{"pin":"1234","totp":"123456"}"#, "code"),
        (r#"{"code":"a","state":"s"}"#, "state"),
        (r#"{"access_token":""}"#, "access_token"),
    ] {
        let reply = handle.login(credentials);
        let e = reply.err(s(Status::InvalidArgument));
        assert!(
            e["message"].as_str().unwrap().contains(key),
            "{credentials}: {}",
            reply.text
        );
    }
    assert!(sim.requests().is_empty());
}

#[test]
fn no_secret_reaches_an_error_a_result_or_the_log() {
    let sim = sim();
    let log = std::env::temp_dir().join(format!("brokerlink-upstox-{}.log", std::process::id()));
    let _ = std::fs::remove_file(&log);
    let extra = format!(
        r#""log_level":"debug","log_file":"{}","max_retries":0"#,
        log.display()
    );
    let handle = Handle::new(&upstox_config(&sim, &extra));
    let url = handle.login_url().ok()["url"].as_str().unwrap().to_string();
    let landed = brokersim::browse(&url).unwrap();
    let mut texts = vec![redirect_login(&handle, &landed).text];
    texts.push(redirect_login(&handle, &landed).text); // the used code, refused
    texts.push(handle.profile().text);
    texts.push(handle.rms().text);
    let token = access_token(&handle);
    sim.expire_upstox_sessions("UP1234");
    texts.push(handle.rms().text);
    texts.push(handle.logout().text);
    texts.push(std::fs::read_to_string(&log).unwrap());
    let _ = std::fs::remove_file(&log);
    let code = url::Url::parse(&landed)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    for text in texts {
        for secret in [demo().api_secret, token.clone(), code.clone()] {
            assert!(!text.contains(&secret), "a secret leaked: {text}");
        }
    }
}
