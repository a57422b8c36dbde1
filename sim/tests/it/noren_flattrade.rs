//! Flattrade: its login page, its token service and jKey sessions on PiConnectAPI.

use crate::common::noren::*;
use crate::common::*;
use brokersim::{Sim, SimOptions};
use serde_json::json;

#[test]
fn login_page_redirects_with_code_and_client() {
    let sim = sim_without_limits();
    let oauth_url = sim.noren_oauth_url("flattrade");
    assert_eq!(
        oauth_url,
        format!("{}/noren/flattrade/auth/", sim.base_url())
    );
    let redirect = get_url(&sim, &format!("{oauth_url}?app_key=flattrade-api-key"));
    assert_eq!(redirect.status, 302);
    let location = redirect.header("location").expect("Location").to_owned();
    let prefix = format!("{}/noren/callback?code=", sim.base_url());
    let rest_of = location.strip_prefix(&prefix).expect("callback");
    let (code, client) = rest_of.split_once("&client=").expect("client");
    assert_eq!(client, "NFLA01");

    let page = get_url(&sim, &location);
    assert!(page.text().contains(code) && page.text().contains("NFLA01"));

    let body = api_token(&sim, &api_token_body(code).to_string()).json();
    assert_eq!(
        body,
        json!({"token": body["token"], "client": "NFLA01", "status": "Ok", "emsg": ""}),
        "the documented shape (PROTOCOLS.md §2.4)"
    );
    assert_eq!(body["token"].as_str().map(str::len), Some(64));

    let unknown = get_url(&sim, &format!("{oauth_url}?app_key=nope"));
    assert_eq!(unknown.status, 400);
    // The OAuth page's parameter is not Flattrade's.
    assert_eq!(
        get_url(&sim, &format!("{oauth_url}?client_id=flattrade-client")).status,
        400
    );
}

#[test]
fn api_token_failures_say_status_not_ok_with_an_empty_emsg() {
    let sim = sim_without_limits();
    let failure = json!({"status": "Not_Ok", "emsg": ""});
    let code = code_for(&sim, "flattrade");

    let mut wrong_secret = api_token_body(&code);
    wrong_secret["api_secret"] = json!(sha256_hex("nope"));
    // GenAcsTok's order (client_id + secret + code) is not Flattrade's.
    let account = demo("flattrade");
    let mut wrong_order = api_token_body(&code);
    wrong_order["api_secret"] = json!(sha256_hex(&format!(
        "{}{}{code}",
        account.api_key, account.secret
    )));
    let mut wrong_key = api_token_body(&code);
    wrong_key["api_key"] = json!("kambala-api-key");
    for body in [
        wrong_secret,
        wrong_order,
        wrong_key,
        api_token_body("unknown-code"),
    ] {
        let response = api_token(&sim, &body.to_string());
        assert_eq!(response.status, 200, "{body}");
        assert_eq!(response.json(), failure);
    }

    // The failures did not use the code up; success does.
    assert_eq!(
        api_token(&sim, &api_token_body(&code).to_string()).json()["status"],
        "Ok"
    );
    assert_eq!(
        api_token(&sim, &api_token_body(&code).to_string()).json(),
        failure
    );

    let code = code_for(&sim, "flattrade");
    sim.expire_noren_codes();
    assert_eq!(
        api_token(&sim, &api_token_body(&code).to_string()).json(),
        failure
    );

    let jdata = format!("jData={}", api_token_body(&code_for(&sim, "flattrade")));
    for body in ["", "{", "[]", r#"{"api_key":"x"}"#, jdata.as_str()] {
        let response = api_token(&sim, body);
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.json(), failure);
    }
}

#[test]
fn pi_connect_calls_take_the_token_as_jkey() {
    let sim = sim_without_limits();
    let token = flattrade_login(&sim);
    let base = sim.noren_base_url("flattrade");
    assert!(base.ends_with("/noren/flattrade/PiConnectAPI"));

    let details = user_details(&sim, "flattrade", &base, Auth::JKey(&token)).json();
    assert_eq!(details["stat"], "Ok", "{details}");
    assert_eq!(details["uid"], "NFLA01");

    let limits = json!({"uid": "NFLA01", "actid": "NFLA01"});
    let funds = rest(&sim, &base, "Limits", &limits, Auth::JKey(&token)).json();
    assert_eq!(funds["unmtom"], "410.10");

    for auth in [
        Auth::Bearer(&token),
        Auth::Both(&token),
        Auth::None,
        Auth::JKey(""),
    ] {
        let response = user_details(&sim, "flattrade", &base, auth);
        assert_not_ok(&response, 200, INVALID_SESSION);
    }
    // The OAuth presets' GenAcsTok is not Flattrade's login.
    assert_eq!(
        rest(&sim, &base, "GenAcsTok", &json!({}), Auth::None).status,
        404
    );

    let logout = json!({"ordersource": "API", "uid": "NFLA01"});
    assert_eq!(
        rest(&sim, &base, "Logout", &logout, Auth::JKey(&token)).json()["stat"],
        "Ok"
    );
    let after = user_details(&sim, "flattrade", &base, Auth::JKey(&token));
    assert_not_ok(&after, 200, INVALID_SESSION);
}

#[test]
fn api_token_can_answer_with_stat_as_some_replies_do() {
    let sim = Sim::start_with(SimOptions {
        flattrade_says_stat: true,
        ..SimOptions::default()
    })
    .expect("start sim");
    let body = api_token(
        &sim,
        &api_token_body(&code_for(&sim, "flattrade")).to_string(),
    )
    .json();
    assert_eq!(
        body,
        json!({"stat": "Ok", "token": body["token"], "client": "NFLA01"})
    );
}

#[test]
fn api_token_refuses_an_unregistered_ip_with_an_empty_emsg() {
    let sim = Sim::start_with(SimOptions {
        allowed_ips: [(
            "flattrade-api-key".to_string(),
            vec!["10.1.2.3".parse().unwrap()],
        )]
        .into(),
        ..SimOptions::default()
    })
    .expect("start sim");
    let response = api_token(
        &sim,
        &api_token_body(&code_for(&sim, "flattrade")).to_string(),
    );
    assert_eq!(response.json(), json!({"status": "Not_Ok", "emsg": ""}));
}
