//! Noren's wire rules, shared machinery on Noren paths (faults, log) and the startup line.

use crate::common::noren::*;
use crate::common::*;
use brokersim::{Fault, FaultTimes, Sim, SimOptions};
use serde_json::{Value, json};

#[test]
fn double_slashes_unknown_endpoints_and_wrong_methods() {
    let sim = sim_without_limits();
    let base = sim.noren_base_url("kambala");
    let token = oauth_login(&sim, "kambala");
    let data = json!({"uid": "NKAM01"});
    let body = format!("jData={data}");
    let double = post_raw(&sim, &format!("{base}//UserDetails"), &body, Some(&token));
    assert_eq!(double.status, 404);
    assert_eq!(
        post_raw(&sim, &format!("{base}/UserDetails/"), &body, Some(&token)).status,
        404
    );
    assert_eq!(
        post_raw(&sim, &format!("{base}/Nope"), &body, Some(&token)).status,
        404
    );
    assert_eq!(
        call(&sim, "GET", "/noren/nope/NorenWClientAPI/Limits", &[], "").status,
        404
    );

    let get = call(
        &sim,
        "GET",
        &path_of(&sim, &format!("{base}/UserDetails")),
        &[],
        "",
    );
    assert_eq!(get.status, 405);
    assert_eq!(get.header("allow"), Some("POST"));
    let post_page = post_raw(&sim, &sim.noren_oauth_url("kambala"), "", None);
    assert_eq!(post_page.status, 405);
}

#[test]
fn body_must_be_raw_jdata_with_a_json_object() {
    let sim = sim_without_limits();
    let base = sim.noren_base_url("zebu");
    let url = format!("{base}/UserDetails");
    let expected = json!({"stat": "Not_Ok", "emsg": "Invalid Input : jData is not valid JSON"});
    for body in [
        "jData=%7B%22uid%22%3A%22NZEB01%22%7D",
        r#"{"uid":"NZEB01"}"#,
        "",
        "jData=",
        "jData=[]",
        "uid=NZEB01",
    ] {
        let response = post_raw(&sim, &url, body, None);
        assert_eq!(response.status, 400, "{body}");
        assert_eq!(response.json(), expected, "{body}");
    }
}

#[test]
fn content_type_is_ignored_and_jkey_splits_at_the_last_occurrence() {
    let sim = sim_with_quickauth();
    let token = quick_auth_login(&sim);
    let base = sim.noren_legacy_base_url("shoonya");
    let body =
        format!(r#"jData={{"uid":"NSHO01","actid":"NSHO01","exch":"a%26jKey=b"}}&jKey={token}"#);
    let path = path_of(&sim, &format!("{base}/Limits"));
    for content_type in [
        "application/x-www-form-urlencoded",
        "application/json",
        "text/plain",
    ] {
        let headers = vec![("Content-Type".to_owned(), content_type.to_owned())];
        let response = call(&sim, "POST", &path, &headers, &body);
        assert_eq!(
            response.json()["stat"],
            "Ok",
            "{content_type}: {}",
            response.text()
        );
    }
    assert_eq!(call(&sim, "POST", &path, &[], &body).json()["stat"], "Ok");
}

#[test]
fn faults_apply_to_noren_paths_and_every_request_is_logged() {
    let sim = sim_without_limits();
    let token = oauth_login(&sim, "zebu");
    let base = sim.noren_base_url("zebu");
    let limits_path = "/noren/zebu/NorenWClientAPI/Limits";
    assert_eq!(path_of(&sim, &format!("{base}/Limits")), limits_path);
    sim.inject(limits_path, Fault::RateLimitText, FaultTimes::Next(1));
    sim.inject(limits_path, Fault::TruncatedJson, FaultTimes::Next(1));
    let data = json!({"uid": "NZEB01", "actid": "NZEB01"});

    let limited = rest(&sim, &base, "Limits", &data, Auth::Bearer(&token));
    assert_eq!(limited.status, 403);
    assert_eq!(
        limited.text(),
        "Access denied because of exceeding access rate"
    );
    let truncated = rest(&sim, &base, "Limits", &data, Auth::Bearer(&token));
    assert!(serde_json::from_slice::<Value>(&truncated.body).is_err());
    let normal = rest(&sim, &base, "Limits", &data, Auth::Bearer(&token));
    assert_eq!(normal.json()["stat"], "Ok");

    let logged = sim.requests_to(limits_path);
    assert_eq!(
        logged.iter().map(|r| r.status).collect::<Vec<_>>(),
        [403, 200, 200]
    );
    assert_eq!(logged[0].body, format!("jData={data}"));
    assert_eq!(
        logged[0].header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    assert_eq!(
        sim.requests_to("/noren/zebu/NorenWClientAPI/GenAcsTok")
            .len(),
        1
    );
}

#[test]
fn startup_line_lists_every_preset() {
    let sim = Sim::start().expect("start");
    let line: Value = serde_json::from_str(&sim.startup_line()).expect("json");
    assert_eq!(line["angelone"]["accounts"][0]["client_code"], "D12345");
    let noren = line["noren"].as_object().expect("noren");
    assert_eq!(noren.len(), 5);
    for preset in PRESETS {
        let entry = &noren[preset];
        assert_eq!(entry["base_url"], sim.noren_base_url(preset));
        assert_eq!(entry["oauth_url"], sim.noren_oauth_url(preset));
        assert_eq!(entry.get("legacy_base_url").is_some(), preset == "shoonya");
        assert_eq!(entry.get("token_url").is_some(), preset == "flattrade");
        let account = demo(preset);
        let expected = json!([{
            "user_id": account.user_id,
            "client_id": account.client_id,
            "secret": account.secret,
            "password": account.password,
            "totp_secret": account.totp_secret,
            "vendor_code": account.vendor_code,
            "api_secret": account.api_secret,
            "api_key": account.api_key
        }]);
        assert_eq!(entry["accounts"], expected, "{preset}");
    }
    assert_eq!(
        noren["shoonya"]["legacy_base_url"],
        sim.noren_legacy_base_url("shoonya")
    );
    assert_eq!(noren["flattrade"]["token_url"], sim.flattrade_token_url());
    assert_eq!(
        sim.noren_base_url("tradesmart"),
        format!("{}/noren/tradesmart/NorenWClientAPIv2", sim.base_url())
    );

    let bare = Sim::start_with(SimOptions {
        demo_accounts: false,
        ..SimOptions::default()
    })
    .expect("start");
    let line: Value = serde_json::from_str(&bare.startup_line()).expect("json");
    assert_eq!(line["noren"]["zebu"]["accounts"], json!([]));
    assert_eq!(bare.noren_authorize("zebu", "zebu-client"), None);
}

#[test]
fn added_accounts_get_an_absolute_redirect_and_replace_by_user_id() {
    let sim = sim_without_limits();
    let mut account = demo("kambala");
    account.user_id = "NKAM02".into();
    account.account_id = "NKAM02".into();
    account.client_id = "second-client".into();
    sim.add_noren_account(account.clone());
    let url = format!("{}?client_id=second-client", sim.noren_oauth_url("kambala"));
    let location = get_url(&sim, &url).header("location").map(str::to_owned);
    let callback = format!("{}/noren/callback?code=", sim.base_url());
    assert!(location.is_some_and(|l| l.starts_with(&callback)));

    account.redirect_url = "https://example.com/cb?app=1".into();
    sim.add_noren_account(account);
    let location = get_url(&sim, &url).header("location").map(str::to_owned);
    assert!(location.is_some_and(|l| l.starts_with("https://example.com/cb?app=1&code=")));
    let line: Value = serde_json::from_str(&sim.startup_line()).expect("json");
    assert_eq!(
        line["noren"]["kambala"]["accounts"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

#[test]
#[should_panic(expected = "only shoonya")]
fn legacy_base_url_is_shoonya_only() {
    let sim = sim_without_limits();
    let _ = sim.noren_legacy_base_url("zebu");
}

#[test]
fn callback_page_without_a_code_is_400() {
    let sim = sim_without_limits();
    assert_eq!(call(&sim, "GET", "/noren/callback", &[], "").status, 400);
    let page = call(&sim, "GET", "/noren/callback?code=%3Cb%3E", &[], "");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("&lt;b&gt;") && !page.text().contains("<b>"));
}
