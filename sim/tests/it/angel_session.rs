//! Angel One tokens: profile, funds, expiry, refresh and logout.

use crate::common::*;
use brokersim::{AngelAccount, Sim, SimOptions};
use serde_json::json;

const KEY: &str = "demo-api-key";

fn demo() -> AngelAccount {
    AngelAccount::demo()
}

fn refresh(sim: &Sim, jwt: &str, refresh_token: &str) -> RawResponse {
    angel_post(
        sim,
        GENERATE_TOKENS,
        KEY,
        Some(jwt),
        &json!({"refreshToken": refresh_token}),
    )
}

#[test]
fn profile_and_rms_with_a_token() {
    let sim = sim_without_limits();
    let tokens = login(&sim, &demo());
    let profile = angel_get(&sim, PROFILE, KEY, Some(&tokens.jwt)).json();
    assert_eq!(profile["status"], true);
    let data = &profile["data"];
    assert_eq!(data["clientcode"], "D12345");
    assert_eq!(data["name"], "Demo Trader");
    assert_eq!(data["email"], "demo@example.com");
    assert_eq!(data["mobileno"], "9999999999");
    assert_eq!(data["exchanges"][0], "nse_cm");
    assert_eq!(data["products"].as_array().map(Vec::len), Some(6));
    assert_eq!(data["broker"], "");
    let rms = angel_get(&sim, RMS, KEY, Some(&tokens.jwt)).json();
    assert_eq!(rms["data"], demo().rms);
    assert_eq!(rms["data"]["availablecash"], "12554.549999999999272");
    assert!(rms["data"]["utilisedspan"].is_null());
}

#[test]
fn set_angel_rms_changes_the_funds() {
    let sim = sim_without_limits();
    let tokens = login(&sim, &demo());
    sim.set_angel_rms("D12345", json!({"net": "1.00"}));
    sim.set_angel_rms("NOSUCH", json!({}));
    let rms = angel_get(&sim, RMS, KEY, Some(&tokens.jwt)).json();
    assert_eq!(rms["data"], json!({"net": "1.00"}));
}

#[test]
fn a_query_string_on_get_profile_is_ignored_but_logged() {
    let sim = sim_without_limits();
    let tokens = login(&sim, &demo());
    let headers = angel_headers(KEY, Some(&tokens.jwt));
    let target = format!("{PROFILE}?{{%22refreshToken%22:%22x%22}}");
    let response = call(&sim, "GET", &target, &headers, "");
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["data"]["clientcode"], "D12345");
    let logged = sim.requests_to(PROFILE);
    assert_eq!(
        logged.last().unwrap().query.as_deref(),
        Some("{%22refreshToken%22:%22x%22}")
    );
}

#[test]
fn missing_bad_and_foreign_tokens() {
    let sim = sim_without_limits();
    let response = angel_get(&sim, PROFILE, KEY, None);
    assert_gateway_error(&response, "AG8003");
    assert_eq!(response.json()["message"], "Token missing");
    let response = angel_get(&sim, RMS, KEY, Some("not.a.token"));
    assert_gateway_error(&response, "AG8001");
    assert_eq!(response.json()["message"], "Invalid Token");
    let tokens = login(&sim, &demo());
    assert_gateway_error(
        &angel_get(&sim, RMS, "unregistered", Some(&tokens.jwt)),
        "AG8004",
    );
}

#[test]
fn expired_session_refreshes_and_old_tokens_are_revoked() {
    let sim = sim_without_limits();
    let old = login(&sim, &demo());
    sim.expire_angel_sessions("D12345");
    let response = angel_get(&sim, PROFILE, KEY, Some(&old.jwt));
    assert_gateway_error(&response, "AG8002");
    assert_eq!(response.json()["message"], "Token Expired");

    let renewed = refresh(&sim, &old.jwt, &old.refresh).json();
    assert_eq!(renewed["status"], true, "{renewed}");
    let new_jwt = renewed["data"]["jwtToken"].as_str().expect("jwt");
    let new_refresh = renewed["data"]["refreshToken"].as_str().expect("refresh");
    assert!(renewed["data"]["feedToken"].is_string());
    assert_eq!(
        angel_get(&sim, PROFILE, KEY, Some(new_jwt)).json()["status"],
        true
    );

    assert_gateway_error(&angel_get(&sim, PROFILE, KEY, Some(&old.jwt)), "AG8001");
    assert_gateway_error(&refresh(&sim, &old.jwt, &old.refresh), "AG8001");
    // The old refresh token does not belong to the new session either.
    assert_service_error(&refresh(&sim, new_jwt, &old.refresh), "AB8050");
    assert_eq!(refresh(&sim, new_jwt, new_refresh).json()["status"], true);
}

#[test]
fn refresh_checks_the_refresh_token() {
    let sim = sim_without_limits();
    let tokens = login(&sim, &demo());
    let other = login(&sim, &demo());
    assert_service_error(&refresh(&sim, &tokens.jwt, &other.refresh), "AB8050");
    assert_service_error(&refresh(&sim, &tokens.jwt, "garbage"), "AB8050");
    let response = angel_post(&sim, GENERATE_TOKENS, KEY, Some(&tokens.jwt), &json!({}));
    assert_eq!(response.status, 400);
    assert_gateway_error(
        &angel_post(
            &sim,
            GENERATE_TOKENS,
            KEY,
            None,
            &json!({"refreshToken": tokens.refresh}),
        ),
        "AG8003",
    );
    sim.expire_angel_refresh_tokens("D12345");
    let response = refresh(&sim, &tokens.jwt, &tokens.refresh);
    assert_service_error(&response, "AB8051");
    assert_eq!(response.json()["message"], "Refresh Token Expired");
    // The jwt itself is still valid.
    assert_eq!(
        angel_get(&sim, RMS, KEY, Some(&tokens.jwt)).json()["status"],
        true
    );
}

#[test]
fn without_revoke_on_refresh_old_tokens_keep_working() {
    let sim = Sim::start_with(SimOptions {
        rate_limits: false,
        revoke_on_refresh: false,
        ..SimOptions::default()
    })
    .expect("start");
    let old = login(&sim, &demo());
    assert_eq!(refresh(&sim, &old.jwt, &old.refresh).json()["status"], true);
    assert_eq!(
        angel_get(&sim, PROFILE, KEY, Some(&old.jwt)).json()["status"],
        true
    );
    assert_eq!(refresh(&sim, &old.jwt, &old.refresh).json()["status"], true);
}

#[test]
fn logout_revokes_the_session() {
    let sim = sim_without_limits();
    let tokens = login(&sim, &demo());
    let kept = login(&sim, &demo());
    let response = angel_post(
        &sim,
        LOGOUT,
        KEY,
        Some(&tokens.jwt),
        &json!({"clientcode": "OTHER"}),
    );
    assert_service_error(&response, "AB2000");
    assert_eq!(
        angel_post(&sim, LOGOUT, KEY, Some(&tokens.jwt), &json!({})).status,
        400
    );
    let response = angel_post(
        &sim,
        LOGOUT,
        KEY,
        Some(&tokens.jwt),
        &json!({"clientcode": "D12345"}),
    );
    let body = response.json();
    assert_eq!(body["status"], true);
    assert_eq!(body["data"], "");
    assert_gateway_error(&angel_get(&sim, PROFILE, KEY, Some(&tokens.jwt)), "AG8001");
    assert_gateway_error(&refresh(&sim, &tokens.jwt, &tokens.refresh), "AG8001");
    // Other sessions of the client are untouched.
    assert_eq!(
        angel_get(&sim, PROFILE, KEY, Some(&kept.jwt)).json()["status"],
        true
    );
}

#[test]
fn short_token_ttl_expires_on_its_own() {
    let sim = Sim::start_with(SimOptions {
        rate_limits: false,
        token_ttl: std::time::Duration::ZERO,
        ..SimOptions::default()
    })
    .expect("start");
    let tokens = login(&sim, &demo());
    assert_gateway_error(&angel_get(&sim, RMS, KEY, Some(&tokens.jwt)), "AG8002");
}
