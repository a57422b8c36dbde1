//! Dhan (PROTOCOLS.md §7) end to end through the C ABI against brokersim:
//! the three logins, every operation, each request's wire format, every
//! error class of §7.5, renewal from many threads, money edge cases, bad
//! config and credentials, and a secret scan at debug level.

use crate::support::*;
use brokerlink::Status;
use brokersim::{DhanAccount, Fault, FaultTimes, LoggedRequest, Sim};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;

const GENERATE_TOKEN: &str = "/dhan/auth/app/generateAccessToken";
const CONSENT: &str = "/dhan/auth/app/generate-consent";
const CONSUME: &str = "/dhan/auth/app/consumeApp-consent";
const PROFILE: &str = "/dhan/v2/profile";
const FUNDS: &str = "/dhan/v2/fundlimit";
const RENEW: &str = "/dhan/v2/RenewToken";

fn query(request: &LoggedRequest) -> HashMap<String, String> {
    url::form_urlencoded::parse(request.query.as_deref().unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

/// What the simulated browser does with the consent URL: the redirect.
fn browse(url: &str) -> String {
    brokersim::browse(url).expect("the consent page redirects")
}

fn consent_redirect(sim: &Sim, handle: &Handle) -> String {
    let url = handle.login_url().ok()["url"].as_str().unwrap().to_string();
    assert!(
        url.starts_with(&format!(
            "{}/login/consentApp-login?consentAppId=",
            sim.dhan_auth_url()
        )),
        "{url}"
    );
    browse(&url)
}

fn fault(status: u16, body: &str) -> Fault {
    Fault::Reply {
        status,
        content_type: "application/json".into(),
        body: body.into(),
    }
}

fn dh(code: &str, message: &str) -> String {
    json!({"errorType": "T", "errorCode": code, "errorMessage": message}).to_string()
}

#[test]
fn pin_totp_login_profile_funds_refresh_logout() {
    let sim = sim();
    let demo = DhanAccount::demo();
    let handle = Handle::new(&dhan_config(&sim, ""));
    let login = handle.login(&dhan_credentials());
    let info = login.ok();
    assert_eq!(info["broker"], "dhan");
    assert_eq!(info["user_id"], demo.client_id.as_str());
    assert!(info["access_expires_at"].is_string());

    let profile = handle.profile();
    let p = profile.ok();
    assert_eq!(p["user_id"], demo.client_id.as_str());
    assert_eq!(p["name"], demo.name.as_str(), "the login reply's name");
    assert_eq!(
        p["exchanges"],
        json!(["Equity", "Derivative", "Currency", "Commodity"])
    );
    assert_eq!(
        (p["email"].as_str(), p["mobile"].as_str()),
        (Some(""), Some(""))
    );
    assert_eq!(p["products"], json!([]));
    assert_eq!(p["raw"]["ddpi"], "Active");

    let funds = handle.rms();
    funds.ok();
    for part in [
        "\"available_cash\":98440.0",
        "\"net\":98440.0",
        "\"used_margin\":15202.0",
        "\"collateral\":0.0",
        "\"payin\":0,",
        "\"payout\":0.0",
        "\"m2m_realized\":0,",
        "\"m2m_unrealized\":0,",
        "\"availabelBalance\":98440.0",
    ] {
        assert!(funds.text.contains(part), "{part}: {}", funds.text);
    }

    let before = handle.export().ok()["access_token"].clone();
    let refreshed = handle.refresh();
    assert_eq!(refreshed.ok()["user_id"], demo.client_id.as_str());
    let exported = handle.export();
    assert_ne!(exported.ok()["access_token"], before, "a new token");
    handle.rms().ok();

    let logout = handle.logout();
    assert_eq!(logout.ok()["logged_out"], true);
    assert_eq!(logout.ok()["revoked_at_broker"], false);
    handle.rms().err(s(Status::NotLoggedIn));
    // Nothing went to Dhan for the logout, and the token still works there.
    let after_logout = sim.requests().len();
    handle.import(&exported.text).ok();
    handle.rms().ok();
    assert_eq!(sim.requests().len(), after_logout + 1);
    // The handle logs in again.
    handle.login(&dhan_credentials()).ok();
}

#[test]
fn each_request_is_on_the_wire_as_the_protocol_says() {
    let sim = sim();
    let demo = DhanAccount::demo();
    let handle = dhan_session(&sim);
    handle.profile().ok();
    handle.rms().ok();
    handle.refresh().ok();

    let login = &sim.requests_to(GENERATE_TOKEN)[0];
    assert_eq!(login.method, "POST");
    let q = query(login);
    assert_eq!(q["dhanClientId"], demo.client_id);
    assert_eq!(q["pin"], demo.pin);
    assert!(q["totp"].len() == 6 && q["totp"].bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(q.len(), 3);
    assert_eq!(login.body, "", "no body");
    assert_eq!(login.header("content-length"), Some("0"));
    assert_eq!(login.header("access-token"), None);
    assert_eq!(login.header("app_secret"), None);

    let token = sim.requests_to(PROFILE)[0]
        .header("access-token")
        .unwrap()
        .to_string();
    assert!(token.split('.').count() == 3, "the JWT, bare");
    let profile = &sim.requests_to(PROFILE)[0];
    let funds = &sim.requests_to(FUNDS)[0];
    let renew = &sim.requests_to(RENEW)[0];
    for (request, client_header, other) in [
        (profile, "dhanClientId", "client-id"),
        (funds, "client-id", "dhanClientId"),
        (renew, "dhanClientId", "client-id"),
    ] {
        assert_eq!(request.method, "GET", "{}", request.path);
        assert_eq!(request.query, None);
        assert_eq!(request.body, "");
        assert_eq!(request.header("access-token"), Some(token.as_str()));
        assert_eq!(request.header(client_header), Some(demo.client_id.as_str()));
        assert_eq!(request.header(other), None, "{}", request.path);
        assert_eq!(request.header("content-type"), Some("application/json"));
        assert_eq!(request.header("accept"), Some("application/json"));
        assert_eq!(request.header("authorization"), None);
    }

    // The consent login: generate-consent and consumeApp-consent.
    let consent = Handle::new(&dhan_config(&sim, ""));
    let redirect = consent_redirect(&sim, &consent);
    consent
        .login(&json!({ "redirect_url": redirect }).to_string())
        .ok();
    let generate = &sim.requests_to(CONSENT)[0];
    assert_eq!(generate.method, "POST");
    assert_eq!(query(generate)["client_id"], demo.client_id);
    assert_eq!(generate.header("app_id"), Some(demo.app_id.as_str()));
    assert_eq!(
        generate.header("app_secret"),
        Some(demo.app_secret.as_str())
    );
    assert_eq!(generate.body, "");
    let consume = &sim.requests_to(CONSUME)[0];
    assert_eq!(consume.method, "GET");
    let token_id = redirect.split("tokenId=").nth(1).unwrap();
    assert_eq!(query(consume)["tokenId"], token_id);
    assert_eq!(consume.header("app_id"), Some(demo.app_id.as_str()));
    assert_eq!(consume.header("app_secret"), Some(demo.app_secret.as_str()));
}

#[test]
fn the_consent_login_through_the_simulated_browser() {
    let sim = sim();
    let demo = DhanAccount::demo();
    let handle = Handle::new(&dhan_config(&sim, ""));
    let redirect = consent_redirect(&sim, &handle);
    assert!(
        redirect.starts_with(&format!("{}/dhan/callback?tokenId=", sim.base_url())),
        "{redirect}"
    );
    let login = handle.login(&json!({ "redirect_url": redirect }).to_string());
    assert_eq!(login.ok()["user_id"], demo.client_id.as_str());
    assert_eq!(handle.profile().ok()["name"], demo.name.as_str());
    handle.rms().ok();
    // A tokenId is single use.
    let again = Handle::new(&dhan_config(&sim, ""));
    let e = again.login(&json!({ "redirect_url": redirect }).to_string());
    assert!(
        e.err(s(Status::Auth))["message"]
            .as_str()
            .unwrap()
            .contains("tokenId")
    );
    // "token_id" is the same thing, given bare; an expired one is refused.
    let token_id = consent_redirect(&sim, &again)
        .split("tokenId=")
        .nth(1)
        .unwrap()
        .to_string();
    let stale = consent_redirect(&sim, &again);
    sim.expire_dhan_token_ids();
    again
        .login(&json!({ "redirect_url": stale }).to_string())
        .err(s(Status::Auth));
    let fresh = consent_redirect(&sim, &again);
    let fresh_id = fresh.split("tokenId=").nth(1).unwrap();
    again
        .login(&json!({ "token_id": fresh_id }).to_string())
        .ok();
    assert_ne!(token_id, fresh_id);
}

#[test]
fn the_consent_url_needs_the_app_and_refusals_are_reported() {
    let sim = sim();
    let demo = DhanAccount::demo();
    let config = format!(
        r#"{{"broker":"dhan","client_id":"{}","base_url":"{}","auth_url":"{}"}}"#,
        demo.client_id,
        sim.dhan_base_url(),
        sim.dhan_auth_url()
    );
    let no_app = Handle::new(&config);
    let e = no_app.login_url();
    assert!(
        e.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .contains("\"app_id\"")
    );
    no_app
        .login(r#"{"token_id":"abc"}"#)
        .err(s(Status::InvalidArgument));
    assert!(sim.requests().is_empty(), "nothing was sent");
    // A wrong app secret: AUTH, and the secret is not repeated.
    let wrong = Handle::new(&dhan_config(&sim, "").replace(&demo.app_secret, "not-the-secret"));
    let e = wrong.login_url();
    let json = e.err(s(Status::Auth));
    assert_eq!(json["http_status"], 401);
    assert!(json["message"].as_str().unwrap().contains("\"app_secret\""));
    assert!(!e.text.contains("not-the-secret"));
    // A network failure is reported like any call's.
    let closed = dhan_config(&sim, "").replace(
        &sim.dhan_auth_url(),
        &format!("http://127.0.0.1:{}/dhan/auth", closed_port()),
    );
    Handle::new(&closed).login_url().err(s(Status::Network));
}

#[test]
fn the_daily_consent_cap_is_rate_limited_with_its_reason() {
    let sim = sim();
    let handle = Handle::new(&dhan_config(&sim, ""));
    for n in 1..=25 {
        assert_eq!(handle.login_url().status, 0, "consent {n}");
    }
    let capped = handle.login_url();
    let e = capped.err(s(Status::RateLimited));
    assert_eq!(e["reason"], "daily_limit_reached");
    assert_eq!(e["retryable"], false);
    assert_eq!(e["http_status"], 429);
    assert!(e["message"].as_str().unwrap().contains("tomorrow"));
    assert!(e["broker_message"].as_str().unwrap().contains("25"));
    // The PIN + TOTP login needs no consent.
    handle.login(&dhan_credentials()).ok();
}

#[test]
fn a_token_from_web_dhan_co() {
    let sim = sim();
    let demo = DhanAccount::demo();
    let token = sim.dhan_web_token(&demo.client_id).unwrap();
    let handle = Handle::new(&dhan_config(&sim, ""));
    let login = handle.login(&json!({ "access_token": token }).to_string());
    assert_eq!(login.ok()["user_id"], demo.client_id.as_str());
    assert!(login.ok()["access_expires_at"].is_string(), "from the JWT");
    // The login checked the token with /profile.
    let check = &sim.requests_to(PROFILE)[0];
    assert_eq!(check.header("access-token"), Some(token.as_str()));
    assert_eq!(
        handle.profile().ok()["name"],
        "",
        "no name without a login reply"
    );
    handle.rms().ok();
    handle.refresh().ok();
    handle.rms().ok();
    // The renewed-away token is refused as a login.
    let other = Handle::new(&dhan_config(&sim, ""));
    let e = other.login(&json!({ "access_token": token }).to_string());
    let json = e.err(s(Status::Auth));
    assert_eq!(json["broker_code"], "DH-901");
    assert!(json["message"].as_str().unwrap().contains("web.dhan.co"));
    // Another client's token.
    let mut second = DhanAccount::demo();
    second.client_id = "1000000002".into();
    sim.add_dhan_account(second.clone());
    let foreign = sim.dhan_web_token(&second.client_id).unwrap();
    other
        .login(&json!({ "access_token": foreign }).to_string())
        .err(s(Status::Auth));
    other.rms().err(s(Status::NotLoggedIn));
}

#[test]
fn renewal_from_many_threads_is_one_renew_token_per_expiry() {
    let sim = sim();
    let handle = Handle::new(&dhan_config(&sim, ""));
    // A token that expires within the minute is renewed before a read.
    sim.set_dhan_token_ttl(Duration::from_secs(30));
    handle.login(&dhan_credentials()).ok();
    for round in 1..=2 {
        sim.set_dhan_token_ttl(Duration::from_secs(24 * 3600));
        let barrier = std::sync::Barrier::new(8);
        std::thread::scope(|scope| {
            for _ in 0..8 {
                scope.spawn(|| {
                    barrier.wait();
                    handle.rms().ok();
                });
            }
        });
        assert_eq!(sim.requests_to(RENEW).len(), 2 * round - 1, "round {round}");
        // The old token died at the broker; every read used a live one.
        assert!(sim.requests_to(FUNDS).iter().all(|r| r.status == 200));
        // The next expiry: renew now into a short-lived token.
        sim.set_dhan_token_ttl(Duration::from_secs(30));
        handle.refresh().ok();
    }
}

#[test]
fn a_token_dhan_will_not_renew_is_session_expired() {
    let sim = sim();
    let demo = DhanAccount::demo();
    let handle = dhan_session(&sim);
    sim.expire_dhan_sessions(&demo.client_id);
    // The read is refused, the renewal too (only active tokens are renewed).
    let e = handle.rms();
    let json = e.err(s(Status::SessionExpired));
    assert_eq!(json["broker_code"], "DH-901");
    assert!(json["message"].as_str().unwrap().contains("web.dhan.co"));
    assert!(json["message"].as_str().unwrap().contains("log in again"));
    assert_eq!(sim.requests_to(RENEW).len(), 1);
    // A consent token (an app's): RenewToken refuses it; the token still works.
    let consent = Handle::new(&dhan_config(&sim, ""));
    let redirect = consent_redirect(&sim, &consent);
    consent
        .login(&json!({ "redirect_url": redirect }).to_string())
        .ok();
    let e = consent.refresh();
    let json = e.err(s(Status::SessionExpired));
    assert_eq!(json["broker_code"], "DH-905");
    assert!(json["message"].as_str().unwrap().contains("web.dhan.co"));
    consent.rms().ok();
}

#[test]
fn every_error_class_of_protocols_7_5() {
    let sim = sim();
    let handle = dhan_session_with(&sim, RAW);
    let cases: &[(u16, &str, Status, bool)] = &[
        (
            401,
            &dh(
                "DH-901",
                "Client ID or user generated access token is invalid or expired.",
            ),
            Status::SessionExpired,
            false,
        ),
        (403, &dh("DH-902", "no access"), Status::Auth, false),
        (
            400,
            &dh("DH-903", "segment not active"),
            Status::Broker,
            false,
        ),
        (
            429,
            &dh("DH-904", "Too many requests"),
            Status::RateLimited,
            true,
        ),
        (400, &dh("DH-905", "Input exception"), Status::Broker, false),
        (
            400,
            &dh("DH-906", "Invalid Token"),
            Status::SessionExpired,
            false,
        ),
        (400, &dh("DH-906", "Order rejected"), Status::Broker, false),
        (400, &dh("DH-907", "Data error"), Status::Broker, false),
        (
            500,
            &dh("DH-908", "Internal Server Error"),
            Status::Broker,
            true,
        ),
        (500, &dh("DH-909", "Network Error"), Status::Broker, true),
        (400, &dh("DH-910", "Others"), Status::Broker, false),
        (
            200,
            r#"{"status":"failed","data":{"805":"Too many requests"}}"#,
            Status::RateLimited,
            true,
        ),
        (
            200,
            r#"{"status":"failed","data":{"806":"Data APIs not subscribed"}}"#,
            Status::Auth,
            false,
        ),
        (
            200,
            r#"{"status":"failed","data":{"807":"Access token expired"}}"#,
            Status::SessionExpired,
            false,
        ),
        (
            200,
            r#"{"status":"failed","data":{"808":"Authentication Failed"}}"#,
            Status::Auth,
            false,
        ),
        (
            200,
            r#"{"status":"failed","data":{"809":"Access token invalid"}}"#,
            Status::SessionExpired,
            false,
        ),
        (
            200,
            r#"{"status":"failed","data":{"810":"Client ID invalid"}}"#,
            Status::Auth,
            false,
        ),
        (
            200,
            r#"{"status":"failed","data":{"814":"Invalid Request"}}"#,
            Status::Broker,
            false,
        ),
        (401, "{}", Status::SessionExpired, false),
        (503, "Service Unavailable", Status::Broker, true),
        (
            200,
            "<html><body>oops</body></html>",
            Status::Protocol,
            false,
        ),
        (200, "", Status::Protocol, true),
        (200, r#"{"availabelBalance":"#, Status::Protocol, false),
    ];
    for (status, body, class, retryable) in cases {
        sim.inject(FUNDS, fault(*status, body), FaultTimes::Next(1));
        let reply = handle.rms();
        let e = reply.err(s(*class));
        assert_eq!(e["retryable"], *retryable, "{body}");
        assert_eq!(e["http_status"], *status, "{body}");
        if let Some(code) = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| v["errorCode"].as_str().map(str::to_owned))
        {
            assert_eq!(e["broker_code"], code.as_str());
        }
    }
    // DH-902 from brokersim itself, for an account without API access.
    let mut closed = DhanAccount::demo();
    closed.client_id = "1000000003".into();
    closed.api_access = false;
    sim.add_dhan_account(closed.clone());
    let handle = Handle::new(&dhan_config(&sim, "").replace("1000000001", &closed.client_id));
    handle.login(&dhan_credentials()).ok();
    let e = handle.rms();
    let json = e.err(s(Status::Auth));
    assert_eq!(
        (json["broker_code"].as_str(), json["reason"].as_str()),
        (Some("DH-902"), Some("api_not_enabled"))
    );
}

#[test]
fn login_refusals_are_auth_with_what_dhan_said() {
    let sim = sim();
    let demo = DhanAccount::demo();
    let handle = Handle::new(&dhan_config(&sim, ""));
    let e = handle.login(&format!(
        r#"{{"pin":"000000","totp_secret":"{}"}}"#,
        demo.totp_secret
    ));
    let json = e.err(s(Status::Auth));
    assert_eq!(json["broker_message"], "Invalid Pin");
    assert!(json["message"].as_str().unwrap().contains("\"pin\""));
    let wrong_code = ["000000", "111111", "222222", "333333"]
        .into_iter()
        .find(|code| {
            let now = totp_now(&demo.totp_secret);
            *code != now
        })
        .unwrap();
    let e = handle.login(&format!(
        r#"{{"pin":"{}","totp":"{wrong_code}"}}"#,
        demo.pin
    ));
    // Unless the code happens to be valid a step away, Dhan refuses it.
    if e.status != 0 {
        let json = e.err(s(Status::Auth));
        assert_eq!(json["reason"], "totp_rejected");
        assert_eq!(json["broker_message"], "Invalid TOTP");
    }
    let other = Handle::new(&dhan_config(&sim, "").replace("1000000001", "1999999999"));
    other.login(&dhan_credentials()).err(s(Status::Auth));
    handle.rms().err(s(Status::NotLoggedIn));
    // A failed login leaves the previous session as it was.
    handle.login(&dhan_credentials()).ok();
    handle
        .login(r#"{"pin":"000000","totp":"123456"}"#)
        .err(s(Status::Auth));
    handle.rms().ok();
}

#[test]
fn money_edge_cases() {
    let sim = sim();
    let demo = DhanAccount::demo();
    let handle = dhan_session_with(&sim, RAW);
    let cases = [
        (
            json!({"availabelBalance": 1.5e3, "utilizedAmount": 12.345}),
            "\"available_cash\":1500",
            "\"used_margin\":12.35",
        ),
        (
            json!({"availabelBalance": "98440.005", "collateralAmount": null}),
            "\"available_cash\":98440.01",
            "\"collateral\":0",
        ),
        (
            json!({"availableBalance": 7.25}),
            "\"available_cash\":7.25",
            "\"used_margin\":0",
        ),
        (
            serde_json::from_str(r#"{"availabelBalance":123456789012345.67}"#).unwrap(),
            "\"available_cash\":123456789012345.67",
            "\"net\":123456789012345.67",
        ),
        (
            json!({"availabelBalance": -0.0}),
            "\"available_cash\":0.0,",
            "\"payout\":0",
        ),
    ];
    for (funds, want, also) in cases {
        sim.set_dhan_funds(&demo.client_id, funds.clone());
        let reply = handle.rms();
        reply.ok();
        assert!(reply.text.contains(want), "{funds}: {}", reply.text);
        assert!(reply.text.contains(also), "{funds}: {}", reply.text);
    }
    // The SDK's fixture value: refused, never a wrong number.
    for value in [
        json!(-3.402823669209385e38),
        json!("1e40"),
        json!("lots"),
        json!(true),
    ] {
        sim.set_dhan_funds(&demo.client_id, json!({"utilizedAmount": value}));
        let reply = handle.rms();
        let e = reply.err(s(Status::Protocol));
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("\"utilizedAmount\""),
            "{}",
            reply.text
        );
    }
}

#[test]
fn bad_config_and_credentials() {
    let sim = sim();
    for (config, key) in [
        (r#"{"broker":"dhan"}"#, "client_id"),
        (r#"{"broker":"dhan","client_id":""}"#, "client_id"),
        (r#"{"broker":"dhan","client_id":7}"#, "client_id"),
        (
            r#"{"broker":"dhan","client_id":"1","app_id":"a"}"#,
            "app_secret",
        ),
        (
            r#"{"broker":"dhan","client_id":"1","app_secret":"zz-secret"}"#,
            "app_id",
        ),
        (
            r#"{"broker":"dhan","client_id":"1","auth_url":"http://auth.dhan.co"}"#,
            "auth_url",
        ),
        (
            r#"{"broker":"dhan","client_id":"1","redirect_uri":"not a url"}"#,
            "redirect_uri",
        ),
        (
            r#"{"broker":"dhan","client_id":"1","api_key":"k"}"#,
            "api_key",
        ),
        (
            r#"{"broker":"dhan","client_id":"1","partner_id":"p"}"#,
            "partner_id",
        ),
    ] {
        let (reply, handle) = new_session(config);
        assert!(handle.is_none());
        let message = reply.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(
            message.contains(&format!("\"{key}\"")),
            "{config}: {message}"
        );
        assert!(!message.contains("zz-secret"));
    }
    let (reply, _) = new_session(&dhan_config(
        &sim,
        r#""redirect_uri":"http://127.0.0.1:9/cb""#,
    ));
    assert_eq!(reply.ok()["redirect_uri"], "http://127.0.0.1:9/cb");
    assert_eq!(reply.ok()["auth_url"], sim.dhan_auth_url().as_str());

    let handle = Handle::new(&dhan_config(&sim, ""));
    for (credentials, key) in [
        (r#"{}"#, "token_id"),
        (r#"{"pin":"123456"}"#, "totp"),
        (r#"{"pin":"123456","totp":"12345"}"#, "totp"),
        (
            r#"{"pin":"123456","totp_secret":"not base32!"}"#,
            "totp_secret",
        ),
        (r#"{"pin":"123456","access_token":"t"}"#, "access_token"),
        (
            r#"{"token_id":"a","redirect_url":"https://x.example/cb?tokenId=b"}"#,
            "redirect_url",
        ),
        (
            r#"{"redirect_url":"https://x.example/cb?code=b"}"#,
            "redirect_url",
        ),
        (
            r#"{"pin":"123456","totp":"123456","password":"x"}"#,
            "password",
        ),
        (r#"{"access_token":""}"#, "access_token"),
    ] {
        let reply = handle.login(credentials);
        let message = reply.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(message.contains(key), "{credentials}: {message}");
        assert!(!message.contains("123456"), "{message}");
    }
    assert!(sim.requests().is_empty(), "nothing reached Dhan");
}

#[test]
fn reads_are_paced_to_twenty_a_second() {
    let sim = sim_with_rate_limits();
    let handle = dhan_session_with(&sim, r#""max_retries":0"#);
    for _ in 0..25 {
        handle.rms().ok();
    }
    assert!(sim.requests_to(FUNDS).iter().all(|r| r.status == 200));
    // Without pacing, brokersim's limit answers DH-904.
    let raw = dhan_session_with(&sim, RAW);
    let refused = (0..25)
        .map(|_| raw.rms())
        .find(|reply| reply.status != 0)
        .expect("21 calls within a second are refused");
    let json = refused.err(s(Status::RateLimited));
    assert_eq!(json["broker_code"], "DH-904");
}

#[test]
fn no_secret_in_results_errors_or_a_debug_log() {
    let sim = sim();
    let demo = DhanAccount::demo();
    let log = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("secrets-dhan.log");
    let _ = std::fs::remove_file(&log);
    let extra = format!(
        r#""log_level":"debug","log_file":"{}","rate_limits":"off""#,
        log.display()
    );
    let (created, handle) = new_session(&dhan_config(&sim, &extra));
    let handle = handle.unwrap();
    let mut texts = vec![created.text];
    texts.push(handle.login(&dhan_credentials()).text);
    texts.push(handle.login(r#"{"pin":"864209","totp":"135790"}"#).text);
    texts.push(
        handle
            .login(&format!(
                r#"{{"pin":"864209","totp_secret":"{}"}}"#,
                demo.totp_secret
            ))
            .text,
    );
    texts.extend([
        handle.profile().text,
        handle.rms().text,
        handle.refresh().text,
    ]);
    let redirect = consent_redirect(&sim, &handle);
    texts.push(
        handle
            .login(&json!({ "redirect_url": redirect }).to_string())
            .text,
    );
    texts.push(
        handle
            .login(&json!({ "redirect_url": redirect }).to_string())
            .text,
    ); // reused
    let web = sim.dhan_web_token(&demo.client_id).unwrap();
    texts.push(
        handle
            .login(&json!({ "access_token": web }).to_string())
            .text,
    );
    texts.push(handle.refresh().text);
    sim.inject("*", Fault::Reset, FaultTimes::Next(1));
    texts.push(handle.login(&dhan_credentials()).text); // the PIN's URL fails on the wire
    sim.inject("*", Fault::HtmlFirewall, FaultTimes::Next(1));
    texts.push(handle.login(&dhan_credentials()).text);
    sim.expire_dhan_sessions(&demo.client_id);
    texts.push(handle.rms().text); // a renewal that fails
    let exported = handle.export().text;
    texts.push(handle.logout().text);
    let closed = dhan_config(&sim, &extra).replace(
        &sim.dhan_auth_url(),
        &format!("http://127.0.0.1:{}/dhan/auth", closed_port()),
    );
    let offline = Handle::new(&closed);
    texts.push(offline.login(&dhan_credentials()).text);

    let mut secrets = vec![
        demo.pin.clone(),
        "864209".into(),
        "135790".into(),
        demo.totp_secret.clone(),
        demo.app_secret.clone(),
        web.clone(),
    ];
    // The TOTP codes sent: six digits, which a result's numbers could hold
    // by chance, so they are looked for in messages and log lines only.
    let mut codes = Vec::new();
    for request in sim.requests() {
        let q = query(&request);
        for key in ["pin", "tokenId"] {
            if let Some(value) = q.get(key) {
                secrets.push(value.clone());
            }
        }
        codes.extend(q.get("totp").cloned());
        if let Some(token) = request.header("access-token") {
            secrets.push(token.to_string());
        }
    }
    assert!(!codes.is_empty());
    secrets.retain(|s| s.len() >= 6);
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        log_text.contains("DEBUG"),
        "debug lines were written:\n{log_text}"
    );
    assert!(
        log_text.contains("/dhan/auth/app/generateAccessToken"),
        "{log_text}"
    );
    let messages: Vec<String> = texts
        .iter()
        .filter_map(|t| serde_json::from_str::<Value>(t).ok())
        .filter_map(|v| v["message"].as_str().map(str::to_owned))
        .chain(log_text.lines().map(str::to_owned))
        .collect();
    for text in texts.iter().chain(messages.iter()) {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret ({} chars) leaked into: {text}",
                secret.len()
            );
        }
        assert!(!text.contains("pin=") && !text.contains("totp="), "{text}");
    }
    for text in &messages {
        for code in &codes {
            assert!(
                !text.contains(code.as_str()),
                "a TOTP code leaked into: {text}"
            );
        }
    }
    // The export, and only the export, holds the token.
    assert!(secrets.iter().any(|s| exported.contains(s.as_str())));
}

/// Builds examples-c/dhan.c against the library cargo built for this run.
fn compile_example() -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dhan_example");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("dhan");
    let lib = library_dir();
    let root = env!("CARGO_MANIFEST_DIR");
    let status = std::process::Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-pedantic"])
        .arg(format!("-I{root}/include"))
        .arg(format!("{root}/examples-c/dhan.c"))
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .arg("-lbrokerlink")
        .status()
        .expect("a C compiler (cc) is installed");
    assert!(status.success(), "compiling examples-c/dhan.c failed");
    exe
}

#[test]
fn the_c_example_runs_both_logins() {
    use std::io::{BufRead, BufReader, Write};
    let exe = compile_example();
    let sim = sim();
    let output = std::process::Command::new(&exe)
        .env("BROKERLINK_DHAN_BASE_URL", sim.dhan_base_url())
        .env("BROKERLINK_DHAN_AUTH_URL", sim.dhan_auth_url())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    for step in ["login", "profile", "rms", "refresh", "logout"] {
        assert!(
            stdout.contains(&format!("== {step}: OK\n")),
            "{step}: {stdout}"
        );
    }
    assert!(stdout.contains("\"available_cash\":98440.0"), "{stdout}");
    assert!(stdout.contains("\"revoked_at_broker\":false"), "{stdout}");

    let mut child = std::process::Command::new(&exe)
        .env("BROKERLINK_DHAN_BASE_URL", sim.dhan_base_url())
        .env("BROKERLINK_DHAN_AUTH_URL", sim.dhan_auth_url())
        .env("BROKERLINK_DHAN_LOGIN", "consent")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut transcript = String::new();
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 {
        transcript.push_str(&line);
        if let Some(url) = line.strip_prefix("login_url: ") {
            let redirect = browse(url.trim());
            writeln!(child.stdin.as_mut().unwrap(), "{redirect}").unwrap();
        }
        line.clear();
    }
    assert!(child.wait().unwrap().success(), "{transcript}");
    assert!(transcript.contains("== rms: OK\n"), "{transcript}");
    assert_eq!(sim.requests_to(CONSUME).len(), 1);
}
