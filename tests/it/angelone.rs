//! Angel One SmartAPI end to end through the C ABI against brokersim: every
//! operation, what went over the wire, and every error class.

use crate::support::angel_paths::{LOGIN, LOGOUT, PROFILE, REFRESH, RMS};
use crate::support::*;
use brokerlink::Status;
use brokersim::{AngelAccount, Fault, FaultTimes};
use serde_json::json;
use std::time::{Duration, Instant};

#[test]
fn full_flow_login_profile_rms_refresh_logout() {
    let sim = sim();
    let handle = Handle::new(&angel_config(&sim, ""));
    let login = handle.login(&angel_credentials());
    let info = login.ok();
    assert_eq!(info["broker"], "angelone");
    assert_eq!(info["user_id"], "D12345");
    assert!(info["logged_in_at"].as_str().unwrap().ends_with('Z'));
    assert!(
        info["access_expires_at"].as_str().is_some(),
        "expiry read from the JWT exp claim"
    );
    for key in ["jwtToken", "refreshToken", "feedToken", "token"] {
        assert!(!login.text.contains(key), "login result leaks {key}");
    }

    let profile = handle.profile();
    let p = profile.ok();
    assert_eq!(p["user_id"], "D12345");
    assert_eq!(p["name"], "Demo Trader");
    assert_eq!(p["email"], "demo@example.com");
    assert_eq!(p["mobile"], "9999999999");
    assert!(
        p["exchanges"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "nse_cm")
    );
    assert!(p["products"].as_array().unwrap().iter().any(|e| e == "CNC"));
    assert_eq!(p["raw"]["clientcode"], "D12345");

    let rms = handle.rms();
    let f = rms.ok();
    assert_eq!(f["broker"], "angelone");
    // Exact digits, never through a float; rounded to the paise beyond two decimals.
    assert!(
        rms.text.contains("\"available_cash\":12554.55"),
        "{}",
        rms.text
    );
    assert!(rms.text.contains("\"net\":19948.77"), "{}", rms.text);
    assert!(
        rms.text.contains("\"m2m_unrealized\":-1053.75"),
        "{}",
        rms.text
    );
    assert!(rms.text.contains("\"used_margin\":7393.23"), "{}", rms.text);
    assert_eq!(f["raw"]["availablecash"], "12554.549999999999272");

    let refreshed = handle.refresh();
    assert_eq!(refreshed.ok()["user_id"], "D12345");
    handle.rms().ok();
    let logout = handle.logout();
    assert_eq!(logout.ok()["logged_out"], true);
    assert_eq!(logout.ok()["revoked_at_broker"], true);
    handle.rms().err(s(Status::NotLoggedIn));
    // The handle stays usable for a new login.
    handle.login(&angel_credentials()).ok();
    handle.rms().ok();
}

#[test]
fn every_request_carries_the_required_headers() {
    let sim = sim();
    let handle = Handle::new(&angel_config(
        &sim,
        r#""local_ip":"192.168.1.20","public_ip":"203.0.113.9","mac_address":"02:11:22:33:44:55""#,
    ));
    handle.login(&angel_credentials()).ok();
    handle.profile().ok();
    handle.rms().ok();
    handle.refresh().ok();
    handle.logout().ok();
    let log = sim.requests();
    assert_eq!(log.len(), 5);
    for request in &log {
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
                .unwrap_or("")
        };
        assert_eq!(
            header("content-type"),
            "application/json",
            "{}",
            request.path
        );
        assert_eq!(header("accept"), "application/json");
        assert_eq!(header("x-usertype"), "USER");
        assert_eq!(header("x-sourceid"), "WEB");
        assert_eq!(header("x-clientlocalip"), "192.168.1.20");
        assert_eq!(header("x-clientpublicip"), "203.0.113.9");
        assert_eq!(header("x-macaddress"), "02:11:22:33:44:55");
        assert_eq!(header("x-privatekey"), AngelAccount::demo().api_key);
        let bearer = header("authorization");
        if request.path == LOGIN {
            assert_eq!(bearer, "");
        } else {
            assert!(
                bearer.starts_with("Bearer ey"),
                "{}: {bearer}",
                request.path
            );
        }
    }
    let profile = &sim.requests_to(PROFILE)[0];
    assert_eq!(profile.method, "GET");
    assert_eq!(profile.query, None, "getProfile must be a clean GET");
    let login: serde_json::Value = serde_json::from_str(&sim.requests_to(LOGIN)[0].body).unwrap();
    assert_eq!(login["clientcode"], "D12345");
    assert_eq!(login["password"], "1234");
    assert_eq!(login["totp"].as_str().unwrap().len(), 6);
    let logout: serde_json::Value = serde_json::from_str(&sim.requests_to(LOGOUT)[0].body).unwrap();
    assert_eq!(logout, json!({"clientcode": "D12345"}));
    let refresh: serde_json::Value =
        serde_json::from_str(&sim.requests_to(REFRESH)[0].body).unwrap();
    assert!(
        refresh["refreshToken"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );
}

#[test]
fn a_totp_code_given_directly_works() {
    let sim = sim();
    let handle = Handle::new(&angel_config(&sim, ""));
    let code = totp_now(DEMO_TOTP_SECRET);
    handle
        .login(&format!(r#"{{"pin":"1234","totp":"{code}"}}"#))
        .ok();
    handle.rms().ok();
}

#[test]
fn wrong_pin_is_auth_with_broker_code() {
    let sim = sim();
    let handle = Handle::new(&angel_config(&sim, ""));
    let reply = handle.login(&format!(
        r#"{{"pin":"9999","totp_secret":"{DEMO_TOTP_SECRET}"}}"#
    ));
    let e = reply.err(s(Status::Auth));
    assert_eq!(e["broker_code"], "AB1007");
    assert!(e["message"].as_str().unwrap().contains("pin"));
    assert!(!reply.text.contains("9999"));
    handle.rms().err(s(Status::NotLoggedIn));
}

#[test]
fn wrong_totp_is_auth_with_broker_code() {
    let sim = sim();
    let handle = Handle::new(&angel_config(&sim, ""));
    // A valid code for a different secret is wrong for this account.
    let other = totp_now("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    let own = totp_now(DEMO_TOTP_SECRET);
    let wrong = if other == own {
        "000000".to_string()
    } else {
        other
    };
    let e = handle.login(&format!(r#"{{"pin":"1234","totp":"{wrong}"}}"#));
    let json = e.err(s(Status::Auth));
    assert_eq!(json["broker_code"], "AB1050");
    assert!(json["message"].as_str().unwrap().contains("TOTP"));
}

#[test]
fn unknown_api_key_is_auth() {
    let sim = sim();
    let config = angel_config(&sim, "").replace(&AngelAccount::demo().api_key, "not-a-key");
    let handle = Handle::new(&config);
    let e = handle.login(&angel_credentials());
    assert_eq!(e.err(s(Status::Auth))["broker_code"], "AB1034");
}

#[test]
fn a_failed_login_keeps_the_previous_session() {
    let sim = sim();
    let handle = angel_session(&sim);
    handle
        .login(r#"{"pin":"0000","totp":"000000"}"#)
        .err(s(Status::Auth));
    handle.rms().ok();
}

#[test]
fn expired_token_is_session_expired_and_refresh_revives_it() {
    let sim = sim();
    let handle = angel_session_with(&sim, RAW);
    sim.expire_angel_sessions("D12345");
    let e = handle.rms();
    let json = e.err(s(Status::SessionExpired));
    assert_eq!(json["broker_code"], "AG8002");
    handle.refresh().ok();
    handle.rms().ok();
    handle.profile().ok();
}

#[test]
fn refresh_with_a_dead_refresh_token_keeps_the_old_tokens() {
    let sim = sim();
    let handle = angel_session(&sim);
    sim.expire_angel_refresh_tokens("D12345");
    let e = handle.refresh();
    let json = e.err(s(Status::SessionExpired));
    assert_eq!(json["broker_code"], "AB8051");
    assert!(json["message"].as_str().unwrap().contains("log in again"));
    // The access token was not touched and still works.
    handle.rms().ok();
}

#[test]
fn logout_revokes_the_token_at_the_broker() {
    let sim = sim();
    let handle = angel_session(&sim);
    handle.logout().ok();
    let tokens_used = sim.requests_to(LOGOUT).len();
    assert_eq!(tokens_used, 1);
    handle.rms().err(s(Status::NotLoggedIn));
    // Logging out twice is a local NOT_LOGGED_IN, not a broker call.
    handle.logout().err(s(Status::NotLoggedIn));
    assert_eq!(sim.requests_to(LOGOUT).len(), 1);
}

#[test]
fn logout_of_an_already_expired_session_succeeds() {
    let sim = sim();
    let handle = angel_session(&sim);
    sim.inject(
        LOGOUT,
        Fault::Reply {
            status: 200,
            content_type: "application/json".into(),
            body: r#"{"success":false,"message":"Invalid Token","errorCode":"AG8001","data":""}"#
                .into(),
        },
        FaultTimes::Next(1),
    );
    handle.logout().ok();
    handle.rms().err(s(Status::NotLoggedIn));
}

#[test]
fn logout_that_fails_on_the_network_keeps_the_session() {
    let sim = sim();
    let handle = angel_session(&sim);
    sim.inject(LOGOUT, Fault::Reset, FaultTimes::Next(1));
    handle.logout().err(s(Status::Network));
    handle.rms().ok();
    handle.logout().ok();
}

#[test]
fn rate_limit_text_reply_is_rate_limited_and_retryable() {
    let sim = sim_with_rate_limits();
    let handle = angel_session_with(&sim, RAW);
    // getRMS allows 2 a second: without pacing, the third in a burst is refused by the broker.
    let replies: Vec<_> = (0..4).map(|_| handle.rms()).collect();
    let limited = replies
        .iter()
        .find(|r| r.status != 0)
        .expect("the simulator rate-limits getRMS");
    let json = limited.err(s(Status::RateLimited));
    assert_eq!(json["http_status"], 403);
    assert_eq!(json["retryable"], true);
    assert_eq!(
        json["broker_message"],
        "Access denied because of exceeding access rate"
    );
    std::thread::sleep(Duration::from_millis(1100));
    handle.rms().ok();
}

#[test]
fn injected_429_is_rate_limited() {
    let sim = sim();
    let handle = angel_session_with(&sim, RAW);
    sim.inject(
        RMS,
        Fault::Reply {
            status: 429,
            content_type: "text/plain".into(),
            body: "Too Many Requests".into(),
        },
        FaultTimes::Next(1),
    );
    handle.rms().err(s(Status::RateLimited));
    handle.rms().ok();
}

#[test]
fn html_firewall_page_is_a_retryable_broker_error() {
    let sim = sim();
    let handle = angel_session_with(&sim, RAW);
    sim.inject(RMS, Fault::HtmlFirewall, FaultTimes::Next(1));
    let e = handle.rms();
    let json = e.err(s(Status::Broker));
    assert!(json["message"].as_str().unwrap().contains("firewall"));
    assert_eq!(json["retryable"], true);
    handle.rms().ok();
}

#[test]
fn empty_reply_is_protocol_error() {
    let sim = sim();
    let handle = angel_session_with(&sim, RAW);
    sim.inject(PROFILE, Fault::EmptyBody, FaultTimes::Next(1));
    let e = handle.profile();
    assert!(
        e.err(s(Status::Protocol))["message"]
            .as_str()
            .unwrap()
            .contains("empty")
    );
    handle.profile().ok();
}

#[test]
fn truncated_json_is_protocol_error() {
    let sim = sim();
    let handle = angel_session_with(&sim, RAW);
    sim.inject(RMS, Fault::TruncatedJson, FaultTimes::Next(1));
    handle.rms().err(s(Status::Protocol));
    handle.rms().ok();
}

#[test]
fn http_400_for_bad_headers_is_a_broker_error_with_status() {
    let sim = sim();
    let handle = angel_session_with(&sim, RAW);
    sim.inject(
        RMS,
        Fault::Reply {
            status: 400,
            content_type: "text/plain".into(),
            body: "Bad Request".into(),
        },
        FaultTimes::Next(1),
    );
    assert_eq!(handle.rms().err(s(Status::Broker))["http_status"], 400);
}

#[test]
fn docs_style_replies_with_string_booleans_and_lists_are_read() {
    let sim = sim();
    let handle = angel_session_with(&sim, RAW);
    let docs_profile = r#"{"status":"true","message":"SUCCESS","errorcode":"","data":{"clientcode":"D12345","name":"Doc","email":"","mobileno":"","exchanges":"[ \"NSE\", \"BSE\", \"MCX\" ]","products":"[ \"DELIVERY\", \"INTRADAY\", \"MARGIN\"]","lastlogintime":"","brokerid":"B2C"}}"#;
    sim.inject(
        PROFILE,
        Fault::Reply {
            status: 200,
            content_type: "application/json".into(),
            body: docs_profile.into(),
        },
        FaultTimes::Next(1),
    );
    let reply = handle.profile();
    let p = reply.ok();
    assert_eq!(p["exchanges"], json!(["NSE", "BSE", "MCX"]));
    assert_eq!(p["products"], json!(["DELIVERY", "INTRADAY", "MARGIN"]));
    assert_eq!(p["raw"]["brokerid"], "B2C");
    let failure = r#"{"status":"false","message":"Something Went Wrong, Please Try After Sometime","errorcode":"AB1004","data":"null"}"#;
    sim.inject(
        RMS,
        Fault::Reply {
            status: 200,
            content_type: "application/json".into(),
            body: failure.into(),
        },
        FaultTimes::Next(1),
    );
    let e = handle.rms();
    let json = e.err(s(Status::Broker));
    assert_eq!(json["broker_code"], "AB1004");
    assert_eq!(json["retryable"], true);
}

#[test]
fn null_and_missing_rms_fields_are_zero_and_huge_values_exact() {
    let sim = sim();
    let mut rms = AngelAccount::demo().rms;
    rms["availablecash"] = json!(null);
    rms.as_object_mut().unwrap().remove("collateral");
    rms["net"] = json!("9999999999999");
    rms["m2mrealized"] = json!("");
    sim.set_angel_rms("D12345", rms);
    let handle = angel_session(&sim);
    let reply = handle.rms();
    reply.ok();
    for expected in [
        "\"available_cash\":0",
        "\"collateral\":0",
        "\"net\":9999999999999",
        "\"m2m_realized\":0",
    ] {
        assert!(
            reply.text.contains(expected),
            "{expected} in {}",
            reply.text
        );
    }
}

#[test]
fn garbage_in_an_rms_field_is_protocol_error_naming_the_field() {
    let sim = sim();
    let mut rms = AngelAccount::demo().rms;
    rms["net"] = json!("12,34");
    sim.set_angel_rms("D12345", rms);
    let handle = angel_session(&sim);
    let e = handle.rms();
    assert!(
        e.err(s(Status::Protocol))["message"]
            .as_str()
            .unwrap()
            .contains("\"net\"")
    );
}

#[test]
fn connection_refused_is_network_error() {
    let config = format!(
        r#"{{"broker":"angelone","api_key":"k","client_code":"C","base_url":"http://127.0.0.1:{}","timeout_ms":2000}}"#,
        closed_port()
    );
    let handle = Handle::new(&config);
    let e = handle.login(&angel_credentials());
    let json = e.err(s(Status::Network));
    assert_eq!(json["retryable"], true);
}

#[test]
fn a_server_that_never_answers_times_out_within_the_timeout() {
    let sim = sim();
    let handle = angel_session_with(&sim, RAW);
    sim.inject(RMS, Fault::Hang, FaultTimes::Next(1));
    let started = Instant::now();
    let e = handle.rms();
    let elapsed = started.elapsed();
    e.err(s(Status::Timeout));
    // The config's timeout is 3000 ms: the call must not hang past it (with slack for a loaded machine).
    assert!(
        elapsed < Duration::from_millis(3000 + 2000),
        "took {elapsed:?}"
    );
    handle.rms().ok();
}

#[test]
fn a_reset_connection_is_network_error_and_the_session_recovers() {
    let sim = sim();
    let handle = angel_session_with(&sim, RAW);
    sim.inject(PROFILE, Fault::Reset, FaultTimes::Next(1));
    handle.profile().err(s(Status::Network));
    handle.profile().ok();
}

#[test]
fn gateway_errors_for_a_bad_token_are_session_expired() {
    let sim = sim();
    let handle = angel_session_with(&sim, RAW);
    sim.inject(
        PROFILE,
        Fault::Reply {
            status: 401,
            content_type: "application/json".into(),
            body: r#"{"success":false,"message":"Invalid Token","errorCode":"AG8001","data":""}"#
                .into(),
        },
        FaultTimes::Next(1),
    );
    let e = handle.profile();
    let json = e.err(s(Status::SessionExpired));
    assert_eq!(
        (json["broker_code"].as_str(), json["http_status"].as_u64()),
        (Some("AG8001"), Some(401))
    );
}

#[test]
fn unregistered_ip_is_auth() {
    let sim = sim();
    let handle = angel_session_with(&sim, RAW);
    sim.inject(
        RMS,
        Fault::Reply {
            status: 200,
            content_type: "application/json".into(),
            body: r#"{"success":false,"message":"Unregistered IP","errorCode":"AG7002","data":""}"#
                .into(),
        },
        FaultTimes::Next(1),
    );
    let e = handle.rms();
    assert!(
        e.err(s(Status::Auth))["message"]
            .as_str()
            .unwrap()
            .contains("IP")
    );
}

#[test]
fn errors_and_results_never_contain_secrets() {
    let sim = sim();
    let account = AngelAccount {
        api_key: "key-7f3a9c".into(),
        client_code: "S777".into(),
        pin: "8642".into(),
        totp_secret: "KRUGS4ZANFZSAYJAONSWG4TFOQ".into(),
        ..AngelAccount::demo()
    };
    sim.add_angel_account(account.clone());
    let config = format!(
        r#"{{"broker":"angelone","api_key":"{}","client_code":"S777","base_url":"{}","timeout_ms":3000}}"#,
        account.api_key,
        sim.angel_base_url()
    );
    let credentials = format!(
        r#"{{"pin":"8642","totp_secret":"{}"}}"#,
        account.totp_secret
    );
    let (created, handle) = new_session(&config);
    let handle = handle.unwrap();
    let mut texts = vec![created.text, handle.login(&credentials).text];
    texts.extend([
        handle.profile().text,
        handle.rms().text,
        handle.refresh().text,
    ]);
    sim.expire_angel_sessions("S777");
    texts.push(handle.rms().text);
    texts.push(handle.login(r#"{"pin":"5319","totp":"135790"}"#).text);
    texts.push(handle.login(r#"{"pin":5319,"totp":"135790"}"#).text);
    texts.push(handle.login(r#"{"pin":"5319","totp":"13579x"}"#).text);
    texts.push(handle.logout().text);
    let tokens: Vec<String> = sim
        .requests()
        .iter()
        .flat_map(|r| {
            r.headers
                .iter()
                .filter(|(n, _)| n == "authorization")
                .map(|(_, v)| v.trim_start_matches("Bearer ").to_string())
        })
        .collect();
    assert!(tokens.len() >= 4);
    // The base URL's port is random and may hold a PIN's digits by chance
    // (port 35319 held "5319"): it is no secret, so it is left out.
    let base_url = sim.angel_base_url();
    for text in texts.iter().map(|t| t.replace(&base_url, "<base_url>")) {
        for secret in [
            "8642",
            "5319",
            "135790",
            "13579x",
            account.totp_secret.as_str(),
            account.api_key.as_str(),
        ] {
            assert!(!text.contains(secret), "secret {secret} in {text}");
        }
        for token in &tokens {
            assert!(!text.contains(token.as_str()), "token in {text}");
        }
    }
}
