//! Angel One login and the checks every request goes through.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::common::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use brokersim::AngelAccount;
use serde_json::{Value, json};

fn demo() -> AngelAccount {
    AngelAccount::demo()
}

fn jwt_claims(jwt: &str) -> Value {
    let payload = jwt.split('.').nth(1).expect("payload segment");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64url")).expect("json")
}

#[test]
fn login_with_computed_totp_returns_tokens_and_echoes_state() {
    let sim = sim_without_limits();
    let mut body = login_body(&demo());
    body["state"] = json!("xyz");
    let response = angel_post(&sim, LOGIN, "demo-api-key", None, &body);
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .is_some_and(|v| v.starts_with("application/json"))
    );
    let body = response.json();
    assert_eq!(body["status"], true);
    assert_eq!(body["message"], "SUCCESS");
    assert_eq!(body["errorcode"], "");
    let data = &body["data"];
    assert_eq!(data["state"], "xyz");
    for field in ["jwtToken", "refreshToken", "feedToken"] {
        assert_eq!(
            data[field].as_str().map(|t| t.split('.').count()),
            Some(3),
            "{field}"
        );
    }
    let jwt = data["jwtToken"].as_str().expect("jwt");
    assert!(!jwt.starts_with("Bearer"));
    let claims = jwt_claims(jwt);
    assert_eq!(claims["sub"], "D12345");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let exp = claims["exp"].as_u64().expect("exp");
    assert!(exp.abs_diff(now + 8 * 3600) <= 2, "exp {exp} now {now}");
}

#[test]
fn state_defaults_to_empty_and_each_login_is_a_new_session() {
    let sim = sim_without_limits();
    let first = login(&sim, &demo());
    let response = angel_post(&sim, LOGIN, "demo-api-key", None, &login_body(&demo()));
    assert_eq!(response.json()["data"]["state"], "");
    let second = response.json()["data"]["jwtToken"]
        .as_str()
        .map(str::to_owned);
    assert_ne!(second.as_deref(), Some(first.jwt.as_str()));
    // The earlier session stays valid.
    let profile = angel_get(&sim, PROFILE, "demo-api-key", Some(&first.jwt));
    assert_eq!(profile.json()["status"], true);
}

#[test]
fn wrong_totp_is_ab1050() {
    let sim = sim_without_limits();
    let mut body = login_body(&demo());
    body["totp"] = json!(wrong_totp(&demo().totp_secret));
    let response = angel_post(&sim, LOGIN, "demo-api-key", None, &body);
    assert_service_error(&response, "AB1050");
    assert_eq!(response.json()["message"], "Invalid totp");
}

#[test]
fn wrong_pin_or_unknown_client_is_ab1007() {
    let sim = sim_without_limits();
    let mut body = login_body(&demo());
    body["password"] = json!("9999");
    assert_service_error(
        &angel_post(&sim, LOGIN, "demo-api-key", None, &body),
        "AB1007",
    );
    let mut body = login_body(&demo());
    body["clientcode"] = json!("NOSUCH");
    let response = angel_post(&sim, LOGIN, "demo-api-key", None, &body);
    assert_service_error(&response, "AB1007");
    assert_eq!(response.json()["message"], "AMX Error");
}

#[test]
fn unknown_api_key_or_another_clients_key_is_ab1034() {
    let sim = sim_without_limits();
    let body = login_body(&demo());
    assert_service_error(
        &angel_post(&sim, LOGIN, "no-such-key", None, &body),
        "AB1034",
    );
    sim.add_angel_account(AngelAccount {
        api_key: "other-key".into(),
        client_code: "O1".into(),
        ..demo()
    });
    assert_service_error(&angel_post(&sim, LOGIN, "other-key", None, &body), "AB1034");
}

#[test]
fn added_account_can_log_in() {
    let sim = sim_without_limits();
    let account = AngelAccount {
        api_key: "k2".into(),
        client_code: "A2".into(),
        pin: "4321".into(),
        totp_secret: "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into(),
        ..demo()
    };
    sim.add_angel_account(account.clone());
    let tokens = login(&sim, &account);
    let profile = angel_get(&sim, PROFILE, "k2", Some(&tokens.jwt)).json();
    assert_eq!(profile["data"]["clientcode"], "A2");
    // A demo-key request with A2's token belongs to another app.
    assert_gateway_error(
        &angel_get(&sim, PROFILE, "demo-api-key", Some(&tokens.jwt)),
        "AG8001",
    );
}

#[test]
fn missing_or_malformed_headers_are_400() {
    let sim = sim_without_limits();
    let body = login_body(&demo()).to_string();
    for dropped in [
        "Content-Type",
        "Accept",
        "X-SourceID",
        "X-MACAddress",
        "X-PrivateKey",
        "X-UserType",
    ] {
        let headers: Vec<_> = angel_headers("demo-api-key", None)
            .into_iter()
            .filter(|(name, _)| name != dropped)
            .collect();
        let response = call(&sim, "POST", LOGIN, &headers, &body);
        assert_eq!(response.status, 400, "without {dropped}");
        assert_eq!(response.json()["message"], "Bad Request");
    }
    let mut headers = angel_headers("demo-api-key", None);
    headers.retain(|(name, _)| name != "Accept");
    headers.push(("Accept".into(), "*/*".into()));
    assert_eq!(call(&sim, "POST", LOGIN, &headers, &body).status, 400);
}

#[test]
fn header_names_are_case_insensitive() {
    let sim = sim_without_limits();
    let headers: Vec<_> = angel_headers("demo-api-key", None)
        .into_iter()
        .map(|(name, value)| (name.to_ascii_uppercase(), value))
        .collect();
    let response = call(
        &sim,
        "POST",
        LOGIN,
        &headers,
        &login_body(&demo()).to_string(),
    );
    assert_eq!(response.json()["status"], true);
}

#[test]
fn lower_case_user_type_is_ab1005() {
    let sim = sim_without_limits();
    let mut headers = angel_headers("demo-api-key", None);
    for (name, value) in &mut headers {
        if name == "X-UserType" {
            *value = "user".into();
        }
    }
    let response = call(
        &sim,
        "POST",
        LOGIN,
        &headers,
        &login_body(&demo()).to_string(),
    );
    assert_service_error(&response, "AB1005");
    assert_eq!(response.json()["message"], "User Type Must Be USER");
}

#[test]
fn malformed_login_bodies_are_400() {
    let sim = sim_without_limits();
    let headers = angel_headers("demo-api-key", None);
    for body in [
        "",
        "not json",
        "[]",
        r#"{"clientcode":"D12345","password":"1234"}"#,
        r#"{"clientcode":"D12345","password":1234,"totp":"123456"}"#,
    ] {
        assert_eq!(
            call(&sim, "POST", LOGIN, &headers, body).status,
            400,
            "{body}"
        );
    }
}

#[test]
fn unknown_path_is_404_and_wrong_method_is_405() {
    let sim = sim_without_limits();
    let headers = angel_headers("demo-api-key", None);
    let response = call(&sim, "GET", "/rest/nothing/here", &headers, "");
    assert_eq!(response.status, 404);
    assert!(response.text().contains("404"));
    assert_eq!(call(&sim, "GET", "/elsewhere", &headers, "").status, 404);
    let response = call(&sim, "GET", LOGIN, &headers, "");
    assert_eq!(response.status, 405);
    assert_eq!(response.header("allow"), Some("POST"));
}
