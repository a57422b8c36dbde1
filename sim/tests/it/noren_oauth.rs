//! Noren OAuth logins: the authorize page, GenAcsTok per preset and Zebu's RefreshToken.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::noren::*;
use crate::common::*;
use brokersim::{Sim, SimOptions};
use serde_json::json;

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// The HTTP status every preset answers a failed login with.
fn failure_status(preset: &str) -> u16 {
    if preset == "shoonya" { 400 } else { 200 }
}

#[test]
fn authorize_page_redirects_with_a_code_that_gen_acs_tok_accepts() {
    let sim = sim_without_limits();
    for preset in OAUTH_PRESETS {
        let account = demo(preset);
        let url = format!(
            "{}?client_id={}",
            sim.noren_oauth_url(preset),
            account.client_id
        );
        assert!(url.contains(&format!("/noren/{preset}/OAuthlogin/authorize/oauth?")));
        let redirect = get_url(&sim, &url);
        assert_eq!(redirect.status, 302, "{preset}");
        let location = redirect.header("location").expect("Location").to_owned();
        let callback = format!("{}/noren/callback?code=", sim.base_url());
        let code = location
            .strip_prefix(&callback)
            .expect("redirect to the callback");
        assert_eq!(code.len(), 36, "{code}");

        let page = get_url(&sim, &location);
        assert_eq!(page.status, 200);
        assert!(page.text().contains(code));

        let body = gen_acs_tok(&sim, preset, code).json();
        assert!(body["access_token"].is_string(), "{preset}: {body}");
    }
}

#[test]
fn unknown_client_id_gets_a_400_page() {
    let sim = sim_without_limits();
    let oauth_url = sim.noren_oauth_url("zebu");
    for query in ["?client_id=nobody", "", "?client_id=kambala-client"] {
        let page = get_url(&sim, &format!("{oauth_url}{query}"));
        assert_eq!(page.status, 400, "{query}");
        assert!(
            page.header("content-type")
                .is_some_and(|t| t.starts_with("text/html"))
        );
    }
    assert_eq!(sim.noren_authorize("zebu", "kambala-client"), None);
    assert_eq!(sim.noren_authorize("nope", "zebu-client"), None);
}

#[test]
fn kambala_answers_like_its_sample_without_stat() {
    let sim = sim_without_limits();
    let body = oauth_login_reply(&sim, "kambala");
    let mut keys: Vec<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "USERID",
            "access_token",
            "actid",
            "expires_in",
            "refresh_token",
            "scope",
            "susertoken",
            "uname"
        ]
    );
    assert_eq!(body["USERID"], "NKAM01");
    assert_eq!(body["actid"], "NKAM01");
    assert_eq!(body["scope"], "0");
    assert_eq!(body["uname"], "Demo Kambala Trader");
    let expires: u64 = body["expires_in"]
        .as_str()
        .expect("string")
        .parse()
        .expect("epoch");
    assert!(expires.abs_diff(now_secs() + 8 * 3600) <= 2, "{expires}");
    assert_eq!(body["access_token"].as_str().map(str::len), Some(64));
}

#[test]
fn shoonya_zebu_and_tradesmart_reply_fields() {
    let sim = sim_without_limits();
    let shoonya = oauth_login_reply(&sim, "shoonya");
    assert_eq!(shoonya["stat"], "Ok");
    assert_eq!(shoonya["uid"], "NSHO01");
    assert_eq!(shoonya["actid"], "NSHO01");
    assert_eq!(shoonya["uname"], "Demo Shoonya Trader");
    assert_eq!(shoonya["email"], "nsho01@example.com");
    assert!(shoonya["exarr"].is_array() && shoonya["prarr"].is_array());
    assert!(shoonya["brkname"].is_string() && shoonya["lastaccesstime"].is_string());
    assert!(shoonya.get("refresh_token").is_none() && shoonya.get("expires_in").is_none());
    assert_request_time(&shoonya["request_time"]);

    let zebu = oauth_login_reply(&sim, "zebu");
    assert_eq!(zebu["stat"], "Ok");
    assert_eq!(zebu["expires_in"], "3600");
    assert_eq!(
        (&zebu["uid"], &zebu["actid"]),
        (&json!("NZEB01"), &json!("NZEB01"))
    );
    assert!(zebu["refresh_token"].is_string());
    assert_request_time(&zebu["request_time"]);

    let tradesmart = oauth_login_reply(&sim, "tradesmart");
    assert_eq!(tradesmart["stat"], "Ok");
    assert_eq!(tradesmart["USERID"], "NTRA01");
    assert_eq!(tradesmart["actid"], "NTRA01");
    assert_eq!(tradesmart["uname"], "Demo Tradesmart Trader");
    assert_request_time(&tradesmart["request_time"]);
}

#[test]
fn zebu_expires_in_follows_a_shorter_token_ttl() {
    let sim = Sim::start_with(SimOptions {
        token_ttl: Duration::from_secs(60),
        ..SimOptions::default()
    })
    .expect("start");
    assert_eq!(oauth_login_reply(&sim, "zebu")["expires_in"], "60");
}

#[test]
fn bad_checksum_is_invalid_verifier_with_400_only_at_shoonya() {
    let sim = sim_without_limits();
    for preset in OAUTH_PRESETS {
        let account = demo(preset);
        let code = code_for(&sim, preset);
        let wrong = sha256_hex(&format!("{}{}{code}", account.client_id, "not-the-secret"));
        let data = json!({"code": code, "checksum": wrong, "uid": account.user_id});
        let response = rest(
            &sim,
            &sim.noren_base_url(preset),
            "GenAcsTok",
            &data,
            Auth::None,
        );
        assert_not_ok(&response, failure_status(preset), INVALID_VERIFIER);
        assert_eq!(response.json()["uid"], account.user_id);
        // Upper-case hex is not the documented checksum either.
        let upper = checksum(&account, &code).to_uppercase();
        let data = json!({"code": code, "checksum": upper});
        let response = rest(
            &sim,
            &sim.noren_base_url(preset),
            "GenAcsTok",
            &data,
            Auth::None,
        );
        assert_not_ok(&response, failure_status(preset), INVALID_VERIFIER);
        // A failed attempt does not use the code up.
        assert!(gen_acs_tok(&sim, preset, &code).json()["access_token"].is_string());
    }
}

#[test]
fn reused_unknown_and_expired_codes_are_refused() {
    let sim = sim_without_limits();
    for preset in OAUTH_PRESETS {
        let code_error = if preset == "zebu" {
            "Invalid authorization code"
        } else {
            INVALID_VERIFIER
        };
        let code = code_for(&sim, preset);
        assert!(gen_acs_tok(&sim, preset, &code).json()["access_token"].is_string());
        let reused = gen_acs_tok(&sim, preset, &code);
        assert_not_ok(&reused, failure_status(preset), code_error);
        let unknown = gen_acs_tok(&sim, preset, "4604773e-4ee3-4d48-a920-f31dd6fb4abf");
        assert_not_ok(&unknown, failure_status(preset), code_error);

        let code = code_for(&sim, preset);
        sim.expire_noren_codes();
        assert_not_ok(
            &gen_acs_tok(&sim, preset, &code),
            failure_status(preset),
            code_error,
        );
    }
}

#[test]
fn codes_expire_after_the_code_ttl_and_belong_to_one_preset() {
    let sim = Sim::start_with(SimOptions {
        noren_code_ttl: Duration::ZERO,
        ..SimOptions::default()
    })
    .expect("start");
    let code = code_for(&sim, "kambala");
    assert_not_ok(&gen_acs_tok(&sim, "kambala", &code), 200, INVALID_VERIFIER);

    let sim = sim_without_limits();
    let kambala_code = code_for(&sim, "kambala");
    let account = demo("tradesmart");
    let data = json!({"code": kambala_code, "checksum": checksum(&account, &kambala_code)});
    let base = sim.noren_base_url("tradesmart");
    assert_not_ok(
        &rest(&sim, &base, "GenAcsTok", &data, Auth::None),
        200,
        INVALID_VERIFIER,
    );
}

#[test]
fn uid_must_match_the_account_when_sent() {
    let sim = sim_without_limits();
    for preset in OAUTH_PRESETS {
        let account = demo(preset);
        let code = code_for(&sim, preset);
        let data = json!({"code": code, "checksum": checksum(&account, &code), "uid": "OTHER"});
        let base = sim.noren_base_url(preset);
        let response = rest(&sim, &base, "GenAcsTok", &data, Auth::None);
        assert_not_ok(&response, failure_status(preset), INVALID_VERIFIER);
        assert_eq!(response.json()["uid"], "OTHER");
        // Without uid the login works.
        let data = json!({"code": code, "checksum": checksum(&account, &code)});
        let body = rest(&sim, &base, "GenAcsTok", &data, Auth::None).json();
        assert!(body["access_token"].is_string(), "{preset}: {body}");
    }
}

#[test]
fn missing_fields_are_400() {
    let sim = sim_without_limits();
    let base = sim.noren_base_url("kambala");
    for data in [
        json!({"code": "x"}),
        json!({"checksum": "x"}),
        json!({"code": 1, "checksum": "x"}),
    ] {
        let response = rest(&sim, &base, "GenAcsTok", &data, Auth::None);
        assert_eq!(response.status, 400, "{data}");
        assert_eq!(response.json()["stat"], "Not_Ok");
    }
}

#[test]
fn zebu_refresh_token_issues_a_new_access_token_and_revokes_the_old() {
    let sim = sim_without_limits();
    let login = oauth_login_reply(&sim, "zebu");
    let old = login["access_token"].as_str().expect("access").to_owned();
    let refresh = login["refresh_token"].as_str().expect("refresh").to_owned();
    let base = sim.noren_base_url("zebu");
    let data = json!({"refresh_token": refresh});

    let reply = rest(&sim, &base, "RefreshToken", &data, Auth::None);
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["stat"], "Ok");
    assert_eq!(body["expires_in"], "3600");
    assert!(body.get("refresh_token").is_none());
    assert_request_time(&body["request_time"]);
    let new = body["access_token"].as_str().expect("access").to_owned();
    assert_ne!(new, old);

    let details = |token: &str| user_details(&sim, "zebu", &base, Auth::Bearer(token));
    assert_eq!(details(&new).json()["stat"], "Ok");
    assert_not_ok(&details(&old), 200, INVALID_SESSION);

    // The refresh token stays valid, also after the session expired.
    sim.expire_noren_sessions("zebu", "NZEB01");
    assert_not_ok(&details(&new), 200, INVALID_SESSION);
    let again = rest(&sim, &base, "RefreshToken", &data, Auth::None).json();
    let newest = again["access_token"].as_str().expect("access").to_owned();
    assert_eq!(details(&newest).json()["stat"], "Ok");

    // Logout ends the login, refresh token included.
    let logout = json!({"ordersource": "API", "uid": "NZEB01"});
    let out = rest(&sim, &base, "Logout", &logout, Auth::Bearer(&newest));
    assert_eq!(out.json()["stat"], "Ok");
    let refused = rest(&sim, &base, "RefreshToken", &data, Auth::None);
    assert_not_ok(&refused, 200, "Invalid refresh token");
}

#[test]
fn zebu_refresh_without_revocation_keeps_the_old_access_token() {
    let sim = Sim::start_with(SimOptions {
        rate_limits: false,
        revoke_on_refresh: false,
        ..SimOptions::default()
    })
    .expect("sim");
    let login = oauth_login_reply(&sim, "zebu");
    let old = login["access_token"].as_str().expect("access").to_owned();
    let refresh = login["refresh_token"].as_str().expect("refresh").to_owned();
    let base = sim.noren_base_url("zebu");
    let reply = rest(
        &sim,
        &base,
        "RefreshToken",
        &json!({"refresh_token": refresh}),
        Auth::None,
    )
    .json();
    let new = reply["access_token"].as_str().expect("access").to_owned();
    let details = |token: &str| user_details(&sim, "zebu", &base, Auth::Bearer(token));
    assert_eq!(details(&new).json()["stat"], "Ok");
    assert_eq!(
        details(&old).json()["stat"],
        "Ok",
        "the old token still works"
    );
    // It expires like any other.
    sim.expire_noren_sessions("zebu", "NZEB01");
    assert_not_ok(&details(&old), 200, INVALID_SESSION);
}

#[test]
fn invalid_refresh_token_and_refresh_elsewhere() {
    let sim = sim_without_limits();
    let data = json!({"refresh_token": "nope"});
    let zebu = rest(
        &sim,
        &sim.noren_base_url("zebu"),
        "RefreshToken",
        &data,
        Auth::None,
    );
    assert_not_ok(&zebu, 200, "Invalid refresh token");
    assert_request_time(&zebu.json()["request_time"]);
    for preset in ["kambala", "shoonya", "tradesmart", "flattrade"] {
        let response = rest(
            &sim,
            &sim.noren_base_url(preset),
            "RefreshToken",
            &data,
            Auth::None,
        );
        assert_eq!(response.status, 404, "{preset}");
    }
    // Kambala's refresh_token is handed out but has nowhere to go.
    let kambala = oauth_login_reply(&sim, "kambala");
    assert!(kambala["refresh_token"].is_string());
}
