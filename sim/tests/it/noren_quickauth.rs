//! Shoonya's password login (QuickAuth) on the legacy NorenWClientTP base, and its jKey sessions.

use crate::common::noren::*;
use crate::common::*;
use brokersim::{NorenAccount, PasswordState, Sim};
use serde_json::{Value, json};

fn legacy(sim: &Sim) -> String {
    sim.noren_legacy_base_url("shoonya")
}

#[test]
fn quick_auth_opens_a_jkey_session() {
    let sim = sim_with_quickauth();
    assert!(legacy(&sim).ends_with("/noren/shoonya/NorenWClientTP"));
    let response = quick_auth(&sim, &quick_auth_data(&demo("shoonya")));
    assert_eq!(response.status, 200);
    let body = response.json();
    assert_eq!(body["stat"], "Ok");
    for field in [
        "susertoken",
        "uname",
        "actid",
        "email",
        "brkname",
        "lastaccesstime",
    ] {
        assert!(body[field].is_string(), "{field}: {body}");
    }
    assert!(body["exarr"].is_array() && body["prarr"].is_array());
    assert_eq!(body["actid"], "NSHO01");
    assert_request_time(&body["request_time"]);

    let token = body["susertoken"].as_str().expect("token");
    let details = user_details(&sim, "shoonya", &legacy(&sim), Auth::JKey(token));
    assert_eq!(details.json()["stat"], "Ok", "{}", details.text());
    // The jKey session works on the legacy base only, and only as a jKey.
    let oauth_base = sim.noren_base_url("shoonya");
    for (base, auth) in [
        (oauth_base.as_str(), Auth::Bearer(token)),
        (oauth_base.as_str(), Auth::JKey(token)),
        (legacy(&sim).as_str(), Auth::Bearer(token)),
        (legacy(&sim).as_str(), Auth::Both(token)),
        (legacy(&sim).as_str(), Auth::None),
    ] {
        assert_not_ok(
            &user_details(&sim, "shoonya", base, auth),
            200,
            INVALID_SESSION,
        );
    }
}

/// QuickAuth with one field of the demo account's data replaced.
fn quick_auth_with(sim: &Sim, field: &str, value: Value) -> crate::common::RawResponse {
    let mut data = quick_auth_data(&demo("shoonya"));
    data[field] = value;
    quick_auth(sim, &data)
}

#[test]
fn each_wrong_credential_has_its_message_and_http_400() {
    let sim = sim_with_quickauth();
    let account = demo("shoonya");
    let cases = [
        ("uid", json!("NOBODY"), "Invalid Input : Wrong Password"),
        (
            "pwd",
            json!(sha256_hex("wrong")),
            "Invalid Input : Wrong Password",
        ),
        (
            "pwd",
            json!(account.password),
            "Invalid Input : Wrong Password",
        ),
        (
            "vc",
            json!("OTHER_U"),
            "Invalid Input :  Invalid Vendor code",
        ),
        (
            "appkey",
            json!(sha256_hex("NSHO01|wrong")),
            "Invalid Input :  Invalid Vendor code",
        ),
        (
            "factor2",
            json!(wrong_totp(&account.totp_secret)),
            "Invalid Input : Invalid OTP",
        ),
    ];
    for (field, value, emsg) in cases {
        let response = quick_auth_with(&sim, field, value);
        assert_not_ok(&response, 400, emsg);
        assert_request_time(&response.json()["request_time"]);
    }
}

#[test]
fn checks_run_in_the_documented_order() {
    let sim = sim_with_quickauth();
    let account = demo("shoonya");
    let mut data = quick_auth_data(&account);
    data["vc"] = json!("OTHER_U");
    data["factor2"] = json!(wrong_totp(&account.totp_secret));
    assert_not_ok(
        &quick_auth(&sim, &data),
        400,
        "Invalid Input :  Invalid Vendor code",
    );
    data["pwd"] = json!("x");
    assert_not_ok(
        &quick_auth(&sim, &data),
        400,
        "Invalid Input : Wrong Password",
    );
}

#[test]
fn password_states_refuse_login() {
    let sim = sim_with_quickauth();
    for (state, emsg) in [
        (PasswordState::Expired, "Invalid Input : Password Expired"),
        (PasswordState::MustChange, "Invalid Input : Change Password"),
    ] {
        sim.add_noren_account(NorenAccount {
            password_state: state,
            ..demo("shoonya")
        });
        assert_not_ok(
            &quick_auth(&sim, &quick_auth_data(&demo("shoonya"))),
            400,
            emsg,
        );
    }
    sim.add_noren_account(demo("shoonya"));
    quick_auth_login(&sim);
}

#[test]
fn imei_source_and_field_types_are_checked() {
    let sim = sim_with_quickauth();
    for (field, value) in [
        ("imei", json!("")),
        ("imei", Value::Null),
        ("source", json!("WEB")),
        ("factor2", json!(123456)),
        ("uid", Value::Null),
    ] {
        let response = quick_auth_with(&sim, field, value);
        assert_eq!(response.status, 400, "{field}");
        assert_eq!(response.json()["stat"], "Not_Ok");
        assert!(
            response.json()["emsg"]
                .as_str()
                .is_some_and(|e| e.contains(field))
        );
    }
    // An account that does not require an imei accepts none.
    sim.add_noren_account(NorenAccount {
        imei_required: false,
        ..demo("shoonya")
    });
    let mut data = quick_auth_data(&demo("shoonya"));
    data.as_object_mut().expect("object").remove("imei");
    assert_eq!(quick_auth(&sim, &data).json()["stat"], "Ok");
}

#[test]
fn quick_auth_exists_only_on_the_legacy_base() {
    let sim = sim_with_quickauth();
    let data = quick_auth_data(&demo("shoonya"));
    for preset in PRESETS {
        let response = rest(
            &sim,
            &sim.noren_base_url(preset),
            "QuickAuth",
            &data,
            Auth::None,
        );
        assert_eq!(response.status, 404, "{preset}");
    }
    let gen_acs_tok = rest(&sim, &legacy(&sim), "GenAcsTok", &json!({}), Auth::None);
    assert_eq!(gen_acs_tok.status, 404);
}

#[test]
fn jkey_sessions_expire_and_log_out() {
    let sim = sim_with_quickauth();
    let base = legacy(&sim);
    let token = quick_auth_login(&sim);
    let limits = json!({"uid": "NSHO01", "actid": "NSHO01"});
    let body = rest(&sim, &base, "Limits", &limits, Auth::JKey(&token)).json();
    assert_eq!(body["cash"], "1500000000000000.00");

    let logout = json!({"ordersource": "API", "uid": "NSHO01"});
    assert_eq!(
        rest(&sim, &base, "Logout", &logout, Auth::JKey(&token)).json()["stat"],
        "Ok"
    );
    let after = rest(&sim, &base, "Limits", &limits, Auth::JKey(&token));
    assert_not_ok(&after, 200, INVALID_SESSION);

    let token = quick_auth_login(&sim);
    sim.expire_noren_sessions("shoonya", "NSHO01");
    let expired = rest(&sim, &base, "Limits", &limits, Auth::JKey(&token));
    assert_not_ok(&expired, 200, INVALID_SESSION);
}

#[test]
fn shoonya_closed_quick_auth_to_api_users() {
    // The default, as the broker has it since 2026-04-01 (PROTOCOLS.md §2.3).
    let sim = sim_without_limits();
    let response = quick_auth(&sim, &quick_auth_data(&demo("shoonya")));
    assert_eq!(response.status, 502);
    assert!(
        response.text().contains("Bad Gateway"),
        "{}",
        response.text()
    );
    assert!(serde_json::from_slice::<serde_json::Value>(&response.body).is_err());
}

#[test]
fn a_user_not_enabled_for_the_api_is_refused_at_quick_auth() {
    let sim = sim_with_quickauth();
    sim.add_noren_account(NorenAccount {
        api_enabled: false,
        ..demo("shoonya")
    });
    let response = quick_auth(&sim, &quick_auth_data(&demo("shoonya")));
    assert_not_ok(&response, 400, "User Not enabled on : API");
}
