//! Upstox (PROTOCOLS.md §5) over plain sockets: the authorization dialog, the token exchange's
//! checks, the Api-Version and Bearer checks, funds v3/v2 and the funds window, logout's
//! revocation, extended tokens, rate limits, and the startup line.

use crate::common::{Client, RawResponse, sim_without_limits};
use brokersim::{Sim, SimOptions, UpstoxAccount};
use serde_json::Value;

const DIALOG: &str = "/upstox/v2/login/authorization/dialog";
const TOKEN: &str = "/upstox/v2/login/authorization/token";
const PROFILE: &str = "/upstox/v2/user/profile";
const FUNDS_V3: &str = "/upstox/v3/user/get-funds-and-margin";
const FUNDS_V2: &str = "/upstox/v2/user/get-funds-and-margin";
const LOGOUT: &str = "/upstox/v2/logout";

fn send(
    sim: &Sim,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> RawResponse {
    let headers: Vec<(String, String)> = headers
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    Client::connect(sim)
        .exchange(method, target, &headers, body)
        .expect("a reply")
}

/// The error code of an Upstox error reply, checking both spellings agree.
fn error_code(response: &RawResponse) -> String {
    let body = response.json();
    assert_eq!(body["status"], "error", "{}", response.text());
    let error = &body["errors"][0];
    assert_eq!(error["error_code"], error["errorCode"]);
    error["error_code"].as_str().unwrap().to_string()
}

fn redirect_uri(sim: &Sim) -> String {
    format!("{}/upstox/callback", sim.base_url())
}

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn exchange_form(sim: &Sim, code: &str, secret: &str) -> String {
    let demo = UpstoxAccount::demo();
    format!(
        "code={code}&client_id={}&client_secret={}&redirect_uri={}&grant_type=authorization_code",
        demo.api_key,
        enc(secret),
        enc(&redirect_uri(sim))
    )
}

fn exchange(sim: &Sim, form: &str) -> RawResponse {
    send(
        sim,
        "POST",
        TOKEN,
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "application/json"),
            ("Api-Version", "2.0"),
        ],
        form,
    )
}

/// Logs the demo user in through the token exchange: the flat reply.
fn login(sim: &Sim) -> Value {
    let code = sim.upstox_authorize("upstox-api-key").unwrap();
    let reply = exchange(sim, &exchange_form(sim, &code, "upstox-api-secret"));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn get(sim: &Sim, path: &str, token: &str, version: Option<&str>) -> RawResponse {
    let bearer = format!("Bearer {token}");
    let mut headers = vec![
        ("Accept", "application/json"),
        ("Authorization", bearer.as_str()),
    ];
    if let Some(version) = version {
        headers.push(("Api-Version", version));
    }
    send(sim, "GET", path, &headers, "")
}

#[test]
fn the_dialog_redirects_with_a_code_and_the_state() {
    let sim = sim_without_limits();
    let query = format!(
        "?response_type=code&client_id=upstox-api-key&redirect_uri={}&state=XX%2056",
        enc(&redirect_uri(&sim))
    );
    let reply = send(&sim, "GET", &format!("{DIALOG}{query}"), &[], "");
    assert_eq!(reply.status, 302);
    let location = reply.header("location").unwrap().to_string();
    let prefix = format!("{}?code=", redirect_uri(&sim));
    assert!(location.starts_with(&prefix), "{location}");
    assert!(location.ends_with("&state=XX%2056"), "{location}");
    // The code works once.
    let code = &location[prefix.len()..location.find("&state").unwrap()];
    let form = exchange_form(&sim, code, "upstox-api-secret");
    assert_eq!(exchange(&sim, &form).status, 200);
    let again = exchange(&sim, &form);
    assert_eq!(
        (again.status, error_code(&again).as_str()),
        (400, "UDAPI100057")
    );
    // Without a state, none comes back.
    let bare = format!(
        "{DIALOG}?response_type=code&client_id=upstox-api-key&redirect_uri={}",
        enc(&redirect_uri(&sim))
    );
    let location = send(&sim, "GET", &bare, &[], "")
        .header("location")
        .unwrap()
        .to_string();
    assert!(!location.contains("state="), "{location}");
    // The callback page shows the code.
    let page = send(&sim, "GET", &location.replace(&sim.base_url(), ""), &[], "");
    assert_eq!(page.status, 200);
    assert!(page.text().contains("code:"));
}

#[test]
fn the_dialog_refuses_a_wrong_app_or_redirect() {
    let sim = sim_without_limits();
    let good = enc(&redirect_uri(&sim));
    for (query, code) in [
        (
            format!("response_type=code&client_id=nobody&redirect_uri={good}"),
            "UDAPI100068",
        ),
        (
            "response_type=code&client_id=upstox-api-key&redirect_uri=http%3A%2F%2Fevil%2Fcb"
                .to_string(),
            "UDAPI100068",
        ),
        (
            format!("response_type=token&client_id=upstox-api-key&redirect_uri={good}"),
            "UDAPI100038",
        ),
    ] {
        let reply = send(&sim, "GET", &format!("{DIALOG}?{query}"), &[], "");
        assert_eq!(reply.status, 400, "{query}");
        assert_eq!(error_code(&reply), code, "{query}");
    }
}

#[test]
fn the_token_exchange_checks_everything() {
    let sim = sim_without_limits();
    let code = || sim.upstox_authorize("upstox-api-key").unwrap();
    // The flat reply: profile keys and both tokens, no envelope.
    let reply = login(&sim);
    assert!(reply.get("status").is_none());
    assert_eq!(reply["user_id"], "UP1234");
    assert_eq!(reply["broker"], "UPSTOX");
    assert!(reply["access_token"].as_str().unwrap().split('.').count() == 3);
    assert!(reply["extended_token"].is_string());
    assert!(reply.get("ddpi").is_none());

    // A wrong secret is refused, and uses the code up.
    let c = code();
    let refused = exchange(&sim, &exchange_form(&sim, &c, "wrong"));
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (401, "UDAPI100069")
    );
    let used = exchange(&sim, &exchange_form(&sim, &c, "upstox-api-secret"));
    assert_eq!(error_code(&used), "UDAPI100057");
    // Another redirect URI.
    let form = exchange_form(&sim, &code(), "upstox-api-secret").replace("callback", "other");
    assert_eq!(error_code(&exchange(&sim, &form)), "UDAPI100057");
    // An expired code.
    let c = code();
    sim.expire_upstox_codes();
    assert_eq!(
        error_code(&exchange(
            &sim,
            &exchange_form(&sim, &c, "upstox-api-secret")
        )),
        "UDAPI100057"
    );
    // Missing fields, a wrong grant type, a JSON body, no Api-Version.
    let form = exchange_form(&sim, &code(), "upstox-api-secret");
    let missing = form.replace("&grant_type=authorization_code", "");
    assert_eq!(error_code(&exchange(&sim, &missing)), "UDAPI100036");
    let grant = form.replace("authorization_code", "password");
    assert_eq!(error_code(&exchange(&sim, &grant)), "UDAPI100038");
    let json = send(
        &sim,
        "POST",
        TOKEN,
        &[("Content-Type", "application/json"), ("Api-Version", "2.0")],
        "{}",
    );
    assert_eq!(error_code(&json), "UDAPI100038");
    let unversioned = send(
        &sim,
        "POST",
        TOKEN,
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &form,
    );
    assert_eq!(
        (unversioned.status, error_code(&unversioned).as_str()),
        (400, "UDAPI100015")
    );
}

#[test]
fn reads_check_the_version_and_the_token() {
    let sim = sim_without_limits();
    let token = login(&sim)["access_token"].as_str().unwrap().to_string();
    let profile = get(&sim, PROFILE, &token, Some("2.0"));
    assert_eq!(profile.status, 200);
    assert_eq!(profile.json()["status"], "success");
    assert_eq!(profile.json()["data"]["user_name"], "Demo Upstox Trader");
    // v2 calls need Api-Version 2.0; v3 funds take 3.0 or none (the SDK sends none).
    for (path, version, ok) in [
        (PROFILE, None, false),
        (PROFILE, Some("3.0"), false),
        (FUNDS_V2, None, false),
        (FUNDS_V2, Some("2.0"), true),
        (FUNDS_V3, None, true),
        (FUNDS_V3, Some("3.0"), true),
        (FUNDS_V3, Some("2.0"), false),
    ] {
        let reply = get(&sim, path, &token, version);
        if ok {
            assert_eq!(reply.status, 200, "{path} {version:?}");
        } else {
            assert_eq!(
                (reply.status, error_code(&reply).as_str()),
                (400, "UDAPI100015"),
                "{path} {version:?}"
            );
        }
    }
    for bad in ["", "not-a-token"] {
        let reply = get(&sim, PROFILE, bad, Some("2.0"));
        assert_eq!(
            (reply.status, error_code(&reply).as_str()),
            (401, "UDAPI100050")
        );
    }
    sim.expire_upstox_sessions("UP1234");
    let expired = get(&sim, PROFILE, &token, Some("2.0"));
    assert_eq!(error_code(&expired), "UDAPI100050");
}

#[test]
fn funds_v3_v2_segments_and_the_window() {
    let sim = sim_without_limits();
    let token = login(&sim)["access_token"].as_str().unwrap().to_string();
    let v3 = get(&sim, FUNDS_V3, &token, Some("3.0")).json();
    assert_eq!(
        v3["data"]["available_to_trade"]["total"].to_string(),
        "5379.03"
    );
    let v2 = get(&sim, FUNDS_V2, &token, Some("2.0")).json();
    assert_eq!(
        v2["data"]["equity"]["available_margin"].to_string(),
        "15507.46"
    );
    assert!(v2["data"]["commodity"].is_object());
    let sec = get(
        &sim,
        &format!("{FUNDS_V2}?segment=SEC"),
        &token,
        Some("2.0"),
    )
    .json();
    assert!(sec["data"]["equity"].is_object() && sec["data"].get("commodity").is_none());
    let com = get(
        &sim,
        &format!("{FUNDS_V2}?segment=COM"),
        &token,
        Some("2.0"),
    )
    .json();
    assert!(com["data"]["commodity"].is_object() && com["data"].get("equity").is_none());
    let bad = get(&sim, &format!("{FUNDS_V2}?segment=FX"), &token, Some("2.0"));
    assert_eq!(error_code(&bad), "UDAPI100038");
    sim.set_upstox_funds("UP1234", Some(serde_json::json!({"x": 1})), None);
    assert_eq!(get(&sim, FUNDS_V3, &token, None).json()["data"]["x"], 1);

    sim.set_upstox_funds_closed(true);
    for (path, version) in [(FUNDS_V3, "3.0"), (FUNDS_V2, "2.0")] {
        let closed = get(&sim, path, &token, Some(version));
        assert_eq!(
            (closed.status, error_code(&closed).as_str()),
            (423, "UDAPI100072")
        );
    }
    assert_eq!(get(&sim, PROFILE, &token, Some("2.0")).status, 200);
    sim.set_upstox_funds_closed(false);
    assert_eq!(get(&sim, FUNDS_V3, &token, Some("3.0")).status, 200);
}

#[test]
fn logout_revokes_the_access_token_but_not_the_extended_one() {
    let sim = sim_without_limits();
    let tokens = login(&sim);
    let access = tokens["access_token"].as_str().unwrap();
    let extended = tokens["extended_token"].as_str().unwrap();
    // The SDK sends DELETE with a JSON body of {}.
    let bearer = format!("Bearer {access}");
    let out = send(
        &sim,
        "DELETE",
        LOGOUT,
        &[
            ("Authorization", bearer.as_str()),
            ("Api-Version", "2.0"),
            ("Content-Type", "application/json"),
        ],
        "{}",
    );
    assert_eq!(out.status, 200);
    assert_eq!(
        out.json(),
        serde_json::json!({"status": "success", "data": true})
    );
    assert_eq!(
        error_code(&get(&sim, PROFILE, access, Some("2.0"))),
        "UDAPI100050"
    );
    // The extended token still reads, and may not log out.
    assert_eq!(get(&sim, FUNDS_V3, extended, None).status, 200);
    let bearer = format!("Bearer {extended}");
    let refused = send(
        &sim,
        "DELETE",
        LOGOUT,
        &[("Authorization", bearer.as_str()), ("Api-Version", "2.0")],
        "",
    );
    assert_eq!(
        (refused.status, error_code(&refused).as_str()),
        (403, "UDAPI100067")
    );
    let minted = sim.upstox_extended_token("UP1234").unwrap();
    assert_eq!(get(&sim, PROFILE, &minted, Some("2.0")).status, 200);
    assert!(sim.upstox_extended_token("nobody").is_none());

    // With revocation at logout off, the token stays valid.
    sim.set_upstox_revoke_on_logout(false);
    let kept = sim.upstox_access_token("UP1234").unwrap();
    let bearer = format!("Bearer {kept}");
    let out = send(
        &sim,
        "DELETE",
        LOGOUT,
        &[("Authorization", bearer.as_str()), ("Api-Version", "2.0")],
        "",
    );
    assert_eq!(out.status, 200);
    assert_eq!(get(&sim, PROFILE, &kept, Some("2.0")).status, 200);
    assert!(sim.upstox_access_token("nobody").is_none());
}

#[test]
fn unknown_paths_and_methods() {
    let sim = sim_without_limits();
    let unknown = send(&sim, "GET", "/upstox/v2/user/holdings", &[], "");
    assert_eq!(
        (unknown.status, error_code(&unknown).as_str()),
        (404, "UDAPI10000")
    );
    let wrong = send(&sim, "GET", LOGOUT, &[], "");
    assert_eq!(wrong.status, 405);
    assert_eq!(wrong.header("allow"), Some("DELETE"));
}

#[test]
fn fifty_reads_a_second_per_user_and_api() {
    let sim = Sim::start_with(SimOptions::default()).unwrap();
    let token = login(&sim)["access_token"].as_str().unwrap().to_string();
    let mut client = Client::connect(&sim);
    let headers: Vec<(String, String)> = vec![
        ("Authorization".into(), format!("Bearer {token}")),
        ("Api-Version".into(), "2.0".into()),
    ];
    let mut statuses = Vec::new();
    for _ in 0..51 {
        statuses.push(client.exchange("GET", PROFILE, &headers, "").unwrap());
    }
    let limited = statuses.iter().filter(|r| r.status == 429).count();
    assert!(limited >= 1, "the 51st read within a second is refused");
    let first = statuses.iter().find(|r| r.status == 429).unwrap();
    assert_eq!(error_code(first), "UDAPI10005");
    // Another API has its own budget.
    let funds = client.exchange("GET", FUNDS_V3, &headers[..1], "").unwrap();
    assert_eq!(funds.status, 200);
}

#[test]
fn the_startup_line_lists_upstox() {
    let sim = sim_without_limits();
    let line: Value = serde_json::from_str(&sim.startup_line()).unwrap();
    let upstox = &line["upstox"];
    assert_eq!(upstox["base_url"], sim.upstox_base_url());
    assert_eq!(upstox["oauth_url"], sim.upstox_oauth_url());
    assert_eq!(
        upstox["accounts"][0],
        serde_json::json!({
            "user_id": "UP1234",
            "api_key": "upstox-api-key",
            "api_secret": "upstox-api-secret",
            "redirect_uri": redirect_uri(&sim)
        })
    );
    let browsed = brokersim::browse(&format!(
        "{}?response_type=code&client_id=upstox-api-key&redirect_uri={}&state=s",
        sim.upstox_oauth_url(),
        enc(&redirect_uri(&sim))
    ))
    .unwrap();
    assert!(
        browsed.contains("code=") && browsed.ends_with("&state=s"),
        "{browsed}"
    );
}
