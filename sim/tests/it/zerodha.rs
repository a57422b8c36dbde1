//! Zerodha Kite Connect: the login page, the token exchange and its checks, the session's
//! calls, renewal for approved apps, logout, rate limits and the startup line.

use brokersim::{Sim, SimOptions, ZerodhaAccount};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::*;

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A request with `X-Kite-Version: 3` and, with a session, Kite's Authorization.
fn kite(
    sim: &Sim,
    method: &str,
    target: &str,
    auth: Option<(&str, &str)>,
    form: &str,
) -> RawResponse {
    let mut headers = vec![("X-Kite-Version".to_owned(), "3".to_owned())];
    if let Some((api_key, access)) = auth {
        headers.push((
            "Authorization".to_owned(),
            format!("token {api_key}:{access}"),
        ));
    }
    if method == "POST" {
        headers.push((
            "Content-Type".to_owned(),
            "application/x-www-form-urlencoded".to_owned(),
        ));
    }
    call(sim, method, target, &headers, form)
}

fn exchange_form(account: &ZerodhaAccount, request_token: &str) -> String {
    let checksum = sha256_hex(&format!(
        "{}{request_token}{}",
        account.api_key, account.api_secret
    ));
    format!(
        "api_key={}&request_token={request_token}&checksum={checksum}",
        account.api_key
    )
}

/// Exchanges a request token and returns the reply's `data`.
fn exchange(sim: &Sim, account: &ZerodhaAccount, request_token: &str) -> RawResponse {
    kite(
        sim,
        "POST",
        "/session/token",
        None,
        &exchange_form(account, request_token),
    )
}

/// Logs the account in through a minted request token: its access (and refresh) token.
fn log_in(sim: &Sim, account: &ZerodhaAccount) -> Value {
    let token = sim
        .zerodha_request_token(&account.api_key)
        .expect("known app");
    let reply = exchange(sim, account, &token);
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["data"].clone()
}

fn assert_kite_error(reply: &RawResponse, status: u16, error_type: &str, message: &str) {
    assert_eq!(reply.status, status, "{}", reply.text());
    assert_eq!(
        reply.json(),
        json!({"status": "error", "message": message, "data": null, "error_type": error_type})
    );
}

fn location_of(sim: &Sim, url: &str) -> String {
    let target = url.strip_prefix(&sim.base_url()).expect("a sim URL");
    let reply = call(sim, "GET", target, &[], "");
    assert_eq!(reply.status, 302, "{}", reply.text());
    reply.header("location").expect("Location").to_owned()
}

#[test]
fn the_login_page_redirects_with_a_request_token_that_exchanges_once() {
    let sim = sim_without_limits();
    let demo = ZerodhaAccount::demo();
    let url = format!("{}?v=3&api_key={}", sim.zerodha_login_url(), demo.api_key);
    let location = location_of(&sim, &url);
    let prefix = format!(
        "{}/connect/callback?action=login&type=login&status=success&request_token=",
        sim.base_url()
    );
    let token = location.strip_prefix(&prefix).expect(&location).to_owned();
    assert_eq!(token.len(), 32);
    let page = call(&sim, "GET", &location[sim.base_url().len()..], &[], "");
    assert!(page.status == 200 && page.text().contains(&token));

    let reply = exchange(&sim, &demo, &token);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let body = reply.json();
    assert_eq!(body["status"], "success");
    let data = &body["data"];
    assert_eq!(data["user_id"], "ZD1234");
    assert_eq!(data["api_key"], demo.api_key.as_str());
    assert_eq!(
        data["refresh_token"], "",
        "ordinary apps get no refresh token"
    );
    assert!(data["avatar_url"].is_null());
    let login_time = data["login_time"].as_str().unwrap();
    assert_eq!(login_time.len(), 19, "{login_time}");
    for key in ["access_token", "public_token", "enctoken"] {
        assert_eq!(data[key].as_str().unwrap().len(), 32, "{key}");
    }
    // Single use.
    assert_kite_error(
        &exchange(&sim, &demo, &token),
        403,
        "TokenException",
        "Token is invalid or has expired.",
    );
}

#[test]
fn the_login_page_needs_v3_and_a_known_api_key_and_passes_redirect_params() {
    let sim = sim_without_limits();
    let login = sim.zerodha_login_url();
    let page = |query: &str| {
        let target = format!("{login}{query}")[sim.base_url().len()..].to_owned();
        call(&sim, "GET", &target, &[], "")
    };
    for query in [
        "?api_key=zerodha-api-key",
        "?v=3&api_key=nobody",
        "?v=3",
        "",
    ] {
        let reply = page(query);
        assert_eq!(reply.status, 400, "{query}");
        assert!(
            reply
                .header("content-type")
                .unwrap()
                .starts_with("text/html")
        );
    }
    let location = location_of(
        &sim,
        &format!("{login}?v=3&api_key=zerodha-api-key&redirect_params=some%3DX%26more%3DY"),
    );
    assert!(location.ends_with("&some=X&more=Y"), "{location}");
}

#[test]
fn the_exchange_checks_checksum_api_key_expiry_and_parameters() {
    let sim = sim_without_limits();
    let demo = ZerodhaAccount::demo();
    let token = sim.zerodha_request_token(&demo.api_key).unwrap();
    let wrong_secret = ZerodhaAccount {
        api_secret: "not-the-secret".into(),
        ..demo.clone()
    };
    assert_kite_error(
        &exchange(&sim, &wrong_secret, &token),
        403,
        "TokenException",
        "Invalid `checksum`.",
    );
    let unknown = ZerodhaAccount {
        api_key: "unknown".into(),
        ..demo.clone()
    };
    assert_kite_error(
        &exchange(&sim, &unknown, &token),
        403,
        "TokenException",
        "Invalid `api_key`.",
    );
    // A refused attempt does not use the token up (sim choice); an expired token is refused.
    sim.expire_zerodha_request_tokens();
    assert_kite_error(
        &exchange(&sim, &demo, &token),
        403,
        "TokenException",
        "Token is invalid or has expired.",
    );
    // A token of another app is not this app's.
    let other = ZerodhaAccount {
        api_key: "other-key".into(),
        api_secret: "other-secret".into(),
        user_id: "ZO0001".into(),
        ..ZerodhaAccount::demo()
    };
    sim.add_zerodha_account(other.clone());
    let theirs = sim.zerodha_request_token(&other.api_key).unwrap();
    assert_eq!(exchange(&sim, &demo, &theirs).status, 403);
    // Missing parameters, and a body that is not a form.
    let reply = kite(
        &sim,
        "POST",
        "/session/token",
        None,
        "api_key=zerodha-api-key",
    );
    assert_kite_error(&reply, 400, "InputException", "Missing `request_token`.");
    let json_body = call(
        &sim,
        "POST",
        "/session/token",
        &[
            ("X-Kite-Version".into(), "3".into()),
            ("Content-Type".into(), "application/json".into()),
        ],
        &json!({"api_key": demo.api_key}).to_string(),
    );
    assert_kite_error(&json_body, 400, "InputException", "Missing `api_key`.");
}

#[test]
fn every_api_call_needs_x_kite_version_3() {
    let sim = sim_without_limits();
    let demo = ZerodhaAccount::demo();
    let data = log_in(&sim, &demo);
    let access = data["access_token"].as_str().unwrap();
    for version in [None, Some("2")] {
        let mut headers = vec![(
            "Authorization".to_owned(),
            format!("token {}:{access}", demo.api_key),
        )];
        if let Some(version) = version {
            headers.push(("X-Kite-Version".into(), version.into()));
        }
        let reply = call(&sim, "GET", "/user/profile", &headers, "");
        assert_eq!(reply.status, 400, "{version:?}");
        assert_eq!(reply.json()["error_type"], "InputException");
    }
}

#[test]
fn profile_and_margins_need_the_token_header_of_a_live_session() {
    let sim = sim_without_limits();
    let demo = ZerodhaAccount::demo();
    let data = log_in(&sim, &demo);
    let access = data["access_token"].as_str().unwrap();
    let auth = Some((demo.api_key.as_str(), access));

    let profile = kite(&sim, "GET", "/user/profile", auth, "").json();
    assert_eq!(profile["data"]["user_name"], "Kite Demo");
    assert_eq!(profile["data"]["broker"], "ZERODHA");
    assert!(profile["data"].get("access_token").is_none());
    let margins = kite(&sim, "GET", "/user/margins", auth, "").json();
    assert_eq!(margins["data"], demo.margins);
    let equity = kite(&sim, "GET", "/user/margins/equity", auth, "").json();
    assert_eq!(equity["data"], demo.margins["equity"]);
    assert_eq!(
        kite(&sim, "GET", "/user/margins/forex", auth, "").status,
        404
    );

    let refused = "Incorrect `api_key` or `access_token`.";
    for auth in [
        None,
        Some(("zerodha-api-key", "not-a-token")),
        Some(("other-key", access)),
    ] {
        let reply = kite(&sim, "GET", "/user/margins", auth, "");
        assert_kite_error(&reply, 403, "TokenException", refused);
    }
    let bearer = call(
        &sim,
        "GET",
        "/user/profile",
        &[
            ("X-Kite-Version".into(), "3".into()),
            ("Authorization".into(), format!("Bearer {access}")),
        ],
        "",
    );
    assert_kite_error(&bearer, 403, "TokenException", refused);

    sim.set_zerodha_margins("ZD1234", json!({"equity": {"net": 1}}));
    let changed = kite(&sim, "GET", "/user/margins", auth, "").json();
    assert_eq!(changed["data"], json!({"equity": {"net": 1}}));

    sim.expire_zerodha_sessions("ZD1234");
    let expired = kite(&sim, "GET", "/user/profile", auth, "");
    assert_kite_error(&expired, 403, "TokenException", refused);
}

#[test]
fn logout_revokes_the_access_token() {
    let sim = sim_without_limits();
    let demo = ZerodhaAccount::demo();
    let data = log_in(&sim, &demo);
    let access = data["access_token"].as_str().unwrap();
    let auth = Some((demo.api_key.as_str(), access));
    let target = format!(
        "/session/token?api_key={}&access_token={access}",
        demo.api_key
    );
    let missing = kite(
        &sim,
        "DELETE",
        "/session/token?api_key=zerodha-api-key",
        auth,
        "",
    );
    assert_eq!(missing.status, 400);
    let reply = kite(&sim, "DELETE", &target, auth, "");
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.json(), json!({"status": "success", "data": true}));
    assert_eq!(kite(&sim, "GET", "/user/profile", auth, "").status, 403);
    assert_eq!(kite(&sim, "DELETE", &target, auth, "").status, 403);
}

fn approved(sim: &Sim) -> ZerodhaAccount {
    let account = ZerodhaAccount {
        api_key: "platform-key".into(),
        api_secret: "platform-secret".into(),
        user_id: "ZP0001".into(),
        refresh_tokens: true,
        ..ZerodhaAccount::demo()
    };
    sim.add_zerodha_account(account.clone());
    account
}

fn renew(sim: &Sim, account: &ZerodhaAccount, refresh: &str, secret: &str) -> RawResponse {
    let checksum = sha256_hex(&format!("{}{refresh}{secret}", account.api_key));
    let form = format!(
        "api_key={}&refresh_token={refresh}&checksum={checksum}",
        account.api_key
    );
    kite(sim, "POST", "/session/refresh_token", None, &form)
}

#[test]
fn approved_apps_renew_with_the_refresh_token_and_revoke_the_old_access_token() {
    let sim = sim_without_limits();
    let account = approved(&sim);
    let data = log_in(&sim, &account);
    let old = data["access_token"].as_str().unwrap().to_owned();
    let refresh = data["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(refresh.len(), 32);

    assert_kite_error(
        &renew(&sim, &account, &refresh, "wrong"),
        403,
        "TokenException",
        "Invalid `checksum`.",
    );
    let reply = renew(&sim, &account, &refresh, &account.api_secret);
    assert_eq!(reply.status, 200, "{}", reply.text());
    let fresh = reply.json()["data"].clone();
    assert_eq!(fresh["user_id"], "ZP0001");
    assert_eq!(fresh["refresh_token"], refresh.as_str());
    let new = fresh["access_token"].as_str().unwrap();
    assert_ne!(new, old);
    let key = account.api_key.as_str();
    assert_eq!(
        kite(&sim, "GET", "/user/profile", Some((key, &old)), "").status,
        403
    );
    assert_eq!(
        kite(&sim, "GET", "/user/profile", Some((key, new)), "").status,
        200
    );

    // Dropping the refresh token at logout ends renewal.
    let drop = format!("/session/token?api_key={key}&refresh_token={refresh}");
    assert_eq!(
        kite(&sim, "DELETE", &drop, Some((key, new)), "").status,
        200
    );
    assert_kite_error(
        &renew(&sim, &account, &refresh, &account.api_secret),
        403,
        "TokenException",
        "Token is invalid or has expired.",
    );
}

#[test]
fn expired_refresh_tokens_and_ordinary_apps_cannot_renew() {
    let sim = sim_without_limits();
    let account = approved(&sim);
    let refresh = log_in(&sim, &account)["refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    sim.expire_zerodha_refresh_tokens("ZP0001");
    assert_eq!(
        renew(&sim, &account, &refresh, &account.api_secret).status,
        403
    );
    let demo = ZerodhaAccount::demo();
    assert_eq!(renew(&sim, &demo, "", &demo.api_secret).status, 400);
}

#[test]
fn a_reusable_request_token_exchanges_again_and_again() {
    let sim = sim_without_limits();
    let account = ZerodhaAccount {
        reusable_request_token: Some("fixed-token".into()),
        ..ZerodhaAccount::demo()
    };
    sim.add_zerodha_account(account.clone());
    for _ in 0..3 {
        assert_eq!(exchange(&sim, &account, "fixed-token").status, 200);
    }
}

#[test]
fn ten_requests_a_second_per_api_key_over_every_endpoint() {
    let sim = Sim::start_with(SimOptions::default()).expect("sim");
    let demo = ZerodhaAccount::demo();
    let data = log_in(&sim, &demo);
    let auth = Some((
        demo.api_key.as_str(),
        data["access_token"].as_str().unwrap(),
    ));
    // The login above was the first of ten.
    let mut statuses = Vec::new();
    for i in 0..10 {
        let path = if i % 2 == 0 {
            "/user/profile"
        } else {
            "/user/margins"
        };
        statuses.push(kite(&sim, "GET", path, auth, "").status);
    }
    assert_eq!(
        statuses.iter().filter(|&&s| s == 200).count(),
        9,
        "{statuses:?}"
    );
    let limited = kite(&sim, "GET", "/user/margins", auth, "");
    assert_kite_error(&limited, 429, "NetworkException", "Too many requests");
}

#[test]
fn wrong_methods_and_paths() {
    let sim = sim_without_limits();
    let reply = kite(&sim, "PUT", "/session/token", None, "");
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("POST, DELETE"));
    assert_eq!(kite(&sim, "POST", "/user/profile", None, "").status, 405);
    assert_eq!(kite(&sim, "GET", "/user/holdings", None, "").status, 404);
}

#[test]
fn the_startup_line_lists_zerodha() {
    let sim = sim_without_limits();
    let line: Value = serde_json::from_str(&sim.startup_line()).unwrap();
    assert_eq!(
        line["zerodha"],
        json!({
            "base_url": sim.zerodha_base_url(),
            "login_url": sim.zerodha_login_url(),
            "accounts": [{"api_key": "zerodha-api-key", "api_secret": "zerodha-api-secret",
                "user_id": "ZD1234"}]
        })
    );
    assert_eq!(sim.zerodha_base_url(), sim.base_url());
    assert_eq!(
        sim.zerodha_login_url(),
        format!("{}/connect/login", sim.base_url())
    );
}
