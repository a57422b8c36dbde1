//! Bearer sessions on the OAuth bases: UserDetails, Limits, Logout and the session check.

use std::time::Duration;

use crate::common::noren::*;
use crate::common::*;
use brokersim::{Sim, SimOptions};
use serde_json::json;

fn limits_data(preset: &str) -> serde_json::Value {
    let account = demo(preset);
    json!({"uid": account.user_id, "actid": account.account_id})
}

#[test]
fn user_details_has_the_documented_fields() {
    let sim = sim_without_limits();
    for preset in OAUTH_PRESETS {
        let token = oauth_login(&sim, preset);
        let base = sim.noren_base_url(preset);
        let response = user_details(&sim, preset, &base, Auth::Bearer(&token));
        assert_eq!(response.status, 200);
        let body = response.json();
        let account = demo(preset);
        assert_eq!(body["stat"], "Ok", "{body}");
        assert_eq!(body["uid"], account.user_id);
        assert_eq!(body["actid"], account.account_id);
        assert_eq!(body["uname"], account.name);
        assert_eq!(body["email"], account.email);
        assert_eq!(body["m_num"], account.mobile);
        for field in ["brkname", "brnchid", "uprev"] {
            assert!(body[field].is_string(), "{field}");
        }
        for field in ["access_type", "exarr", "orarr", "prarr"] {
            assert!(body[field].is_array(), "{field}");
        }
        assert_eq!(
            body["prarr"][0],
            json!({"prd": "C", "s_prdt_ali": "CNC", "exch": ["NSE", "BSE"]})
        );
        assert_request_time(&body["request_time"]);
    }
}

#[test]
fn limits_returns_the_account_fields_verbatim() {
    let sim = sim_without_limits();
    for preset in OAUTH_PRESETS {
        let token = oauth_login(&sim, preset);
        let base = sim.noren_base_url(preset);
        let mut data = limits_data(preset);
        data["prd"] = json!("C");
        data["seg"] = json!("CM");
        data["exch"] = json!("NSE");
        let response = rest(&sim, &base, "Limits", &data, Auth::Bearer(&token));
        assert!(response.text().contains(r#""cash":"1500000000000000.00""#));
        let body = response.json();
        assert_eq!(body["stat"], "Ok");
        assert_eq!(body["actid"], demo(preset).account_id);
        assert_request_time(&body["request_time"]);
        for (field, value) in demo(preset).limits.as_object().expect("object") {
            assert_eq!(&body[field], value, "{preset} {field}");
        }
        let (mtom, other) = if preset == "zebu" || preset == "tradesmart" {
            ("urmtom", "unmtom")
        } else {
            ("unmtom", "urmtom")
        };
        assert_eq!(body[mtom], "410.10");
        assert!(body.get(other).is_none());
    }
}

#[test]
fn set_noren_limits_replaces_the_figures() {
    let sim = sim_without_limits();
    sim.set_noren_limits("kambala", "NKAM01", json!({"cash": "0.01", "payin": "7"}));
    sim.set_noren_limits("kambala", "NOBODY", json!({"cash": "1"}));
    sim.set_noren_limits("nope", "NKAM01", json!({"cash": "1"}));
    let token = oauth_login(&sim, "kambala");
    let base = sim.noren_base_url("kambala");
    let body = rest(
        &sim,
        &base,
        "Limits",
        &limits_data("kambala"),
        Auth::Bearer(&token),
    )
    .json();
    assert_eq!(body["cash"], "0.01");
    assert_eq!(body["payin"], "7");
    assert!(body.get("marginused").is_none());
}

#[test]
fn logout_ends_the_session() {
    let sim = sim_without_limits();
    for preset in OAUTH_PRESETS {
        let token = oauth_login(&sim, preset);
        let base = sim.noren_base_url(preset);
        let data = json!({"ordersource": "API", "uid": demo(preset).user_id});
        let response = rest(&sim, &base, "Logout", &data, Auth::Bearer(&token));
        assert_eq!(response.status, 200);
        let body = response.json();
        assert_eq!(body["stat"], "Ok");
        assert_request_time(&body["request_time"]);
        let after = user_details(&sim, preset, &base, Auth::Bearer(&token));
        assert_not_ok(&after, 200, INVALID_SESSION);
    }
}

#[test]
fn bearer_bases_refuse_jkey_missing_and_foreign_tokens() {
    let sim = sim_without_limits();
    let token = oauth_login(&sim, "kambala");
    let base = sim.noren_base_url("kambala");
    for auth in [
        Auth::JKey(&token),
        Auth::Both(&token),
        Auth::None,
        Auth::Bearer("nope"),
    ] {
        let response = user_details(&sim, "kambala", &base, auth);
        assert_not_ok(&response, 200, INVALID_SESSION);
        assert_request_time(&response.json()["request_time"]);
    }
    // A token works on its own preset's base only.
    let zebu = sim.noren_base_url("zebu");
    assert_not_ok(
        &user_details(&sim, "zebu", &zebu, Auth::Bearer(&token)),
        200,
        INVALID_SESSION,
    );
    assert_not_ok(
        &user_details(&sim, "kambala", &zebu, Auth::Bearer(&token)),
        200,
        INVALID_SESSION,
    );
    // The session is still fine.
    assert_eq!(
        user_details(&sim, "kambala", &base, Auth::Bearer(&token)).json()["stat"],
        "Ok"
    );
}

#[test]
fn another_uid_or_actid_is_an_invalid_session() {
    let sim = sim_without_limits();
    let token = oauth_login(&sim, "tradesmart");
    let base = sim.noren_base_url("tradesmart");
    let auth = Auth::Bearer(&token);
    let details = rest(&sim, &base, "UserDetails", &json!({"uid": "NKAM01"}), auth);
    assert_not_ok(&details, 200, INVALID_SESSION);
    let limits = rest(
        &sim,
        &base,
        "Limits",
        &json!({"uid": "NTRA01", "actid": "X"}),
        auth,
    );
    assert_not_ok(&limits, 200, INVALID_SESSION);
    let logout = rest(&sim, &base, "Logout", &json!({"uid": "X"}), auth);
    assert_not_ok(&logout, 200, INVALID_SESSION);
    // Missing fields are a 400 naming them.
    let missing = rest(&sim, &base, "Limits", &json!({"uid": "NTRA01"}), auth);
    assert_eq!(missing.status, 400);
    assert!(
        missing.json()["emsg"]
            .as_str()
            .is_some_and(|e| e.contains("actid"))
    );
}

#[test]
fn sessions_expire_on_demand_and_after_the_token_ttl() {
    let sim = sim_without_limits();
    let token = oauth_login(&sim, "shoonya");
    let other = oauth_login(&sim, "kambala");
    let base = sim.noren_base_url("shoonya");
    sim.expire_noren_sessions("shoonya", "NSHO01");
    assert_not_ok(
        &user_details(&sim, "shoonya", &base, Auth::Bearer(&token)),
        200,
        INVALID_SESSION,
    );
    let kambala = sim.noren_base_url("kambala");
    assert_eq!(
        user_details(&sim, "kambala", &kambala, Auth::Bearer(&other)).json()["stat"],
        "Ok"
    );

    let short = Sim::start_with(SimOptions {
        token_ttl: Duration::ZERO,
        ..SimOptions::default()
    })
    .expect("start");
    let token = oauth_login(&short, "zebu");
    let base = short.noren_base_url("zebu");
    assert_not_ok(
        &user_details(&short, "zebu", &base, Auth::Bearer(&token)),
        200,
        INVALID_SESSION,
    );
}
