//! Dhan (PROTOCOLS.md §7) over plain sockets: the auth host's three logins, the consent page,
//! single-use tokenIds, the daily consent cap, the API's token and header checks, RenewToken
//! killing the old token, the rate limit and the startup line.

use crate::common::{RawResponse, call, sim_without_limits, totp_now, wrong_totp};
use base64::Engine;
use brokersim::{DhanAccount, Fault, FaultTimes, Sim, SimOptions};
use serde_json::{Value, json};

fn path(sim: &Sim, base: &str, rest: &str) -> String {
    let base = base.strip_prefix(&sim.base_url()).unwrap();
    format!("{base}{rest}")
}

fn auth(sim: &Sim, rest: &str) -> String {
    path(sim, &sim.dhan_auth_url(), rest)
}

fn api(sim: &Sim, rest: &str) -> String {
    path(sim, &sim.dhan_base_url(), rest)
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn pin_totp_login(sim: &Sim, pin: &str, totp: &str) -> RawResponse {
    let demo = DhanAccount::demo();
    let target = auth(
        sim,
        &format!(
            "/app/generateAccessToken?dhanClientId={}&pin={pin}&totp={totp}",
            demo.client_id
        ),
    );
    call(sim, "POST", &target, &[], "")
}

fn token(sim: &Sim) -> String {
    let demo = DhanAccount::demo();
    let reply = pin_totp_login(sim, &demo.pin, &totp_now(&demo.totp_secret));
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["accessToken"].as_str().unwrap().to_owned()
}

fn app_headers(account: &DhanAccount) -> Vec<(String, String)> {
    headers(&[
        ("app_id", &account.app_id),
        ("app_secret", &account.app_secret),
    ])
}

fn get(sim: &Sim, rest: &str, token: &str, client: Option<(&str, &str)>) -> RawResponse {
    let mut h = headers(&[
        ("access-token", token),
        ("Content-Type", "application/json"),
        ("Accept", "application/json"),
    ]);
    if let Some((name, value)) = client {
        h.push((name.to_string(), value.to_string()));
    }
    call(sim, "GET", &api(sim, rest), &h, "")
}

fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

fn error_code(reply: &RawResponse) -> String {
    reply.json()["errorCode"].as_str().unwrap_or("").to_owned()
}

/// generate-consent, then the consent page: the redirect's tokenId.
fn consent_token_id(sim: &Sim) -> String {
    let demo = DhanAccount::demo();
    let consent = call(
        sim,
        "POST",
        &auth(
            sim,
            &format!("/app/generate-consent?client_id={}", demo.client_id),
        ),
        &app_headers(&demo),
        "",
    );
    assert_eq!(consent.status, 200, "{}", consent.text());
    let id = consent.json()["consentAppId"].as_str().unwrap().to_owned();
    let page = call(
        sim,
        "GET",
        &auth(sim, &format!("/login/consentApp-login?consentAppId={id}")),
        &[],
        "",
    );
    assert_eq!(page.status, 302, "{}", page.text());
    let location = page.header("location").unwrap().to_owned();
    let prefix = format!("{}/dhan/callback?tokenId=", sim.base_url());
    location.strip_prefix(&prefix).unwrap().to_owned()
}

#[test]
fn pin_and_totp_in_the_query_give_a_24_hour_self_token() {
    let sim = sim_without_limits();
    let demo = DhanAccount::demo();
    let reply = pin_totp_login(&sim, &demo.pin, &totp_now(&demo.totp_secret));
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["dhanClientId"], demo.client_id.as_str());
    assert_eq!(body["dhanClientName"], demo.name.as_str());
    assert_eq!(body["givenPowerOfAttorney"], true);
    assert!(body["expiryTime"].as_str().unwrap().ends_with(".000"));
    let c = claims(body["accessToken"].as_str().unwrap());
    assert_eq!(c["iss"], "dhan");
    assert_eq!(c["tokenConsumerType"], "SELF");
    assert_eq!(c["dhanClientId"], demo.client_id.as_str());
    assert_eq!(
        c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(),
        86_400
    );
}

#[test]
fn pin_totp_refusals() {
    let sim = sim_without_limits();
    let demo = DhanAccount::demo();
    let wrong_pin = pin_totp_login(&sim, "000000", &totp_now(&demo.totp_secret));
    assert_eq!(wrong_pin.status, 401);
    assert_eq!(
        wrong_pin.json(),
        json!({"status":"error","message":"Invalid Pin"})
    );
    let wrong_totp = pin_totp_login(&sim, &demo.pin, &wrong_totp(&demo.totp_secret));
    assert_eq!(
        (wrong_totp.status, wrong_totp.json()["message"].clone()),
        (401, json!("Invalid TOTP"))
    );
    let unknown = call(
        &sim,
        "POST",
        &auth(
            &sim,
            "/app/generateAccessToken?dhanClientId=999&pin=1&totp=1",
        ),
        &[],
        "",
    );
    assert_eq!(unknown.status, 400);
    let in_body = call(
        &sim,
        "POST",
        &auth(&sim, "/app/generateAccessToken"),
        &[],
        &format!(
            "dhanClientId={}&pin={}&totp={}",
            demo.client_id,
            demo.pin,
            totp_now(&demo.totp_secret)
        ),
    );
    assert_eq!(in_body.status, 400);
    let get = call(
        &sim,
        "GET",
        &auth(&sim, "/app/generateAccessToken"),
        &[],
        "",
    );
    assert_eq!(get.status, 405);
}

#[test]
fn the_consent_login_gives_an_app_token_for_a_single_use_token_id() {
    let sim = sim_without_limits();
    let demo = DhanAccount::demo();
    let token_id = consent_token_id(&sim);
    let consume = |method: &str, h: &[(String, String)]| {
        call(
            &sim,
            method,
            &auth(&sim, &format!("/app/consumeApp-consent?tokenId={token_id}")),
            h,
            "",
        )
    };
    let wrong_app = consume(
        "GET",
        &headers(&[("app_id", &demo.app_id), ("app_secret", "nope")]),
    );
    assert_eq!(wrong_app.status, 401);
    let reply = consume("GET", &app_headers(&demo));
    assert_eq!(reply.status, 200, "{}", reply.text());
    let body = reply.json();
    assert_eq!(body["dhanClientUcc"], demo.ucc.as_str());
    assert!(!body["expiryTime"].as_str().unwrap().contains('.'));
    let c = claims(body["accessToken"].as_str().unwrap());
    assert_eq!(
        (c["tokenConsumerType"].as_str(), c["app_id"].as_str()),
        (Some("APP"), Some(demo.app_id.as_str()))
    );
    // Single use.
    assert_eq!(consume("GET", &app_headers(&demo)).status, 400);
    // POST works as well (a user found the real server accepts it).
    let again = consent_token_id(&sim);
    let post = call(
        &sim,
        "POST",
        &auth(&sim, &format!("/app/consumeApp-consent?tokenId={again}")),
        &app_headers(&demo),
        "",
    );
    assert_eq!(post.status, 200);
    // Expired tokenIds are refused.
    let stale = consent_token_id(&sim);
    sim.expire_dhan_token_ids();
    let expired = call(
        &sim,
        "GET",
        &auth(&sim, &format!("/app/consumeApp-consent?tokenId={stale}")),
        &app_headers(&demo),
        "",
    );
    assert_eq!(expired.status, 400);
}

#[test]
fn a_consent_gives_one_token_id_and_needs_the_app_secret() {
    let sim = sim_without_limits();
    let demo = DhanAccount::demo();
    let target = auth(
        &sim,
        &format!("/app/generate-consent?client_id={}", demo.client_id),
    );
    let refused = call(
        &sim,
        "POST",
        &target,
        &headers(&[("app_id", &demo.app_id), ("app_secret", "wrong")]),
        "",
    );
    assert_eq!(refused.status, 401);
    assert_eq!(refused.json()["status"], "error");
    let consent = call(&sim, "POST", &target, &app_headers(&demo), "").json();
    assert_eq!(consent["consentAppStatus"], "GENERATED");
    assert_eq!(consent["status"], "success");
    let page = format!(
        "/login/consentApp-login?consentAppId={}",
        consent["consentAppId"].as_str().unwrap()
    );
    assert_eq!(call(&sim, "GET", &auth(&sim, &page), &[], "").status, 302);
    let second = call(&sim, "GET", &auth(&sim, &page), &[], "");
    assert_eq!(second.status, 400);
    assert!(second.header("location").is_none());
    // The demo's redirect page shows the tokenId.
    let callback = call(&sim, "GET", "/dhan/callback?tokenId=abc", &[], "");
    assert!(callback.text().contains("abc"));
}

#[test]
fn twenty_five_consents_a_day() {
    let sim = sim_without_limits();
    let demo = DhanAccount::demo();
    let target = auth(
        &sim,
        &format!("/app/generate-consent?client_id={}", demo.client_id),
    );
    for n in 1..=25 {
        let reply = call(&sim, "POST", &target, &app_headers(&demo), "");
        assert_eq!(reply.status, 200, "consent {n}");
    }
    let capped = call(&sim, "POST", &target, &app_headers(&demo), "");
    assert_eq!(capped.status, 429);
    assert!(
        capped.json()["message"]
            .as_str()
            .unwrap()
            .contains("25 consentAppId for the day")
    );
}

#[test]
fn profile_and_fund_limit_with_the_sample_fields() {
    let sim = sim_without_limits();
    let demo = DhanAccount::demo();
    let token = token(&sim);
    let profile = get(
        &sim,
        "/profile",
        &token,
        Some(("dhanClientId", &demo.client_id)),
    );
    assert_eq!(profile.status, 200);
    let p = profile.json();
    assert_eq!(p["dhanClientId"], demo.client_id.as_str());
    assert_eq!(p["activeSegment"], demo.active_segment.as_str());
    let validity = p["tokenValidity"].as_str().unwrap();
    assert_eq!(validity.len(), "30/03/2025 15:37".len(), "{validity}");
    let funds = get(
        &sim,
        "/fundlimit",
        &token,
        Some(("client-id", &demo.client_id)),
    );
    assert_eq!(funds.status, 200);
    // Floats keep their ".0", the misspellings are the wire's.
    let text = funds.text();
    assert!(text.contains("\"availabelBalance\":98440.0"), "{text}");
    assert!(text.contains("\"receiveableAmount\":0.0"), "{text}");
    assert!(text.contains("\"sodLimit\":113642"), "{text}");
    // The docs' curls send no client-id: accepted too.
    assert_eq!(get(&sim, "/fundlimit", &token, None).status, 200);
    sim.set_dhan_funds(
        &demo.client_id,
        json!({"availabelBalance": -3.402823669209385e38}),
    );
    let text = get(&sim, "/fundlimit", &token, None).text();
    assert!(text.contains("-3.402823669209385e"), "{text}");
}

#[test]
fn the_api_checks_the_token_and_the_client() {
    let sim = sim_without_limits();
    let demo = DhanAccount::demo();
    let token = token(&sim);
    let missing = call(&sim, "GET", &api(&sim, "/fundlimit"), &[], "");
    assert_eq!(
        (missing.status, error_code(&missing)),
        (401, "DH-901".into())
    );
    assert_eq!(
        missing.json()["errorType"],
        "Invalid_Authentication",
        "{}",
        missing.text()
    );
    let other = get(
        &sim,
        "/fundlimit",
        &token,
        Some(("client-id", "2000000002")),
    );
    assert_eq!((other.status, error_code(&other)), (401, "DH-901".into()));
    let bogus = get(&sim, "/profile", "not-a-token", None);
    assert_eq!(error_code(&bogus), "DH-901");
    let post = call(
        &sim,
        "POST",
        &api(&sim, "/fundlimit"),
        &headers(&[("access-token", &token)]),
        "{}",
    );
    assert_eq!((post.status, error_code(&post)), (400, "DH-905".into()));
    sim.expire_dhan_sessions(&demo.client_id);
    assert_eq!(error_code(&get(&sim, "/fundlimit", &token, None)), "DH-901");
    let mut closed = DhanAccount::demo();
    closed.client_id = "1000000002".into();
    closed.api_access = false;
    sim.add_dhan_account(closed.clone());
    let web = sim.dhan_web_token(&closed.client_id).unwrap();
    let no_access = get(&sim, "/fundlimit", &web, None);
    assert_eq!(
        (no_access.status, error_code(&no_access)),
        (403, "DH-902".into())
    );
    assert_eq!(sim.dhan_web_token("nobody"), None);
}

#[test]
fn renew_token_replaces_the_token_and_kills_the_old_one() {
    let sim = sim_without_limits();
    let demo = DhanAccount::demo();
    let old = token(&sim);
    let client = ("dhanClientId", demo.client_id.as_str());
    let missing_header = get(&sim, "/RenewToken", &old, None);
    assert_eq!(
        (missing_header.status, error_code(&missing_header)),
        (400, "DH-905".into())
    );
    let post = call(
        &sim,
        "POST",
        &api(&sim, "/RenewToken"),
        &headers(&[("access-token", &old), client]),
        "",
    );
    assert_eq!((post.status, error_code(&post)), (400, "DH-905".into()));
    let renewed = get(&sim, "/RenewToken", &old, Some(client));
    assert_eq!(renewed.status, 200, "{}", renewed.text());
    let fresh = renewed.json()["accessToken"].as_str().unwrap().to_owned();
    assert_ne!(fresh, old);
    assert_eq!(error_code(&get(&sim, "/fundlimit", &old, None)), "DH-901");
    assert_eq!(get(&sim, "/fundlimit", &fresh, None).status, 200);
    // Renewing the dead one fails; so does an expired one.
    assert_eq!(
        error_code(&get(&sim, "/RenewToken", &old, Some(client))),
        "DH-901"
    );
    sim.expire_dhan_sessions(&demo.client_id);
    assert_eq!(
        error_code(&get(&sim, "/RenewToken", &fresh, Some(client))),
        "DH-901"
    );
}

#[test]
fn renew_token_refuses_an_apps_consent_token() {
    let sim = sim_without_limits();
    let demo = DhanAccount::demo();
    let token_id = consent_token_id(&sim);
    let app_token = call(
        &sim,
        "GET",
        &auth(&sim, &format!("/app/consumeApp-consent?tokenId={token_id}")),
        &app_headers(&demo),
        "",
    )
    .json()["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let refused = get(
        &sim,
        "/RenewToken",
        &app_token,
        Some(("dhanClientId", &demo.client_id)),
    );
    assert_eq!(
        (refused.status, error_code(&refused)),
        (400, "DH-905".into())
    );
    assert_eq!(get(&sim, "/fundlimit", &app_token, None).status, 200);
}

#[test]
fn twenty_non_trading_calls_a_second() {
    let sim = Sim::start_with(SimOptions::default()).unwrap();
    let token = token(&sim);
    let mut statuses = Vec::new();
    for _ in 0..21 {
        statuses.push(get(&sim, "/fundlimit", &token, None));
    }
    let limited: Vec<&RawResponse> = statuses.iter().filter(|r| r.status == 429).collect();
    assert!(!limited.is_empty(), "21 calls in well under a second");
    assert_eq!(error_code(limited[0]), "DH-904");
}

#[test]
fn faults_and_the_token_lifetime_setting() {
    let sim = sim_without_limits();
    sim.inject(
        "/dhan/v2/fundlimit",
        Fault::Reply {
            status: 500,
            content_type: "application/json".into(),
            body:
                r#"{"errorType":"Internal_Server_Error","errorCode":"DH-908","errorMessage":"x"}"#
                    .into(),
        },
        FaultTimes::Next(1),
    );
    let token = token(&sim);
    assert_eq!(error_code(&get(&sim, "/fundlimit", &token, None)), "DH-908");
    assert_eq!(get(&sim, "/fundlimit", &token, None).status, 200);
    sim.set_dhan_token_ttl(std::time::Duration::from_secs(30));
    let c = claims(&self::token(&sim));
    assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 30);
}

#[test]
fn the_startup_line_lists_dhan() {
    let sim = sim_without_limits();
    let line: Value = serde_json::from_str(&sim.startup_line()).unwrap();
    let dhan = &line["dhan"];
    assert_eq!(dhan["base_url"], sim.dhan_base_url().as_str());
    assert_eq!(dhan["auth_url"], sim.dhan_auth_url().as_str());
    assert_eq!(dhan["accounts"][0]["client_id"], "1000000001");
    assert_eq!(dhan["accounts"][0]["pin"], "123456");
    assert_eq!(
        dhan["accounts"][0]["redirect_url"],
        format!("{}/dhan/callback", sim.base_url()).as_str()
    );
}
