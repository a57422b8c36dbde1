//! The Noren OMS family end to end through the C ABI against brokersim:
//! every preset and login kind, what went over the wire, and every error.

use crate::support::*;
use brokerlink::Status;
use brokersim::{Fault, FaultTimes, NorenAccount, PasswordState, Sim};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn endpoint(sim: &brokersim::Sim, preset: &str, name: &str) -> String {
    let base = sim.noren_base_url(preset);
    let path = base.split_once("//").unwrap().1.split_once('/').unwrap().1;
    format!("/{path}/{name}")
}

/// jData of a logged request, and its jKey if any.
fn jdata(body: &str) -> (Value, Option<String>) {
    let rest = body
        .strip_prefix("jData=")
        .expect("body starts with jData=");
    let (json, jkey) = match rest.rsplit_once("&jKey=") {
        Some((json, key)) => (json, Some(key.to_string())),
        None => (rest, None),
    };
    (
        serde_json::from_str(json).expect("jData is raw JSON, not percent-encoded"),
        jkey,
    )
}

#[test]
fn every_preset_runs_login_profile_funds_logout() {
    let sim = sim();
    for preset in NOREN_PRESETS {
        let demo = NorenAccount::demo(preset);
        let handle = Handle::new(&noren_config(&sim, preset, ""));
        let login = handle.login(&format!(r#"{{"code":"{}"}}"#, noren_code(&sim, preset)));
        assert_eq!(login.ok()["user_id"], demo.user_id.as_str(), "{preset}");
        let profile = handle.profile();
        let p = profile.ok();
        assert_eq!(
            (p["broker"].as_str(), p["user_id"].as_str()),
            (Some("noren"), Some(demo.user_id.as_str())),
            "{preset}"
        );
        assert!(!p["exchanges"].as_array().unwrap().is_empty(), "{preset}");
        assert!(
            p["products"].as_array().unwrap().iter().any(|x| x == "CNC"),
            "{preset}: {}",
            profile.text
        );
        let funds = handle.rms();
        funds.ok();
        // cash 1500000000000000.00 + payin 2500.50 - marginused 3000.25
        assert!(
            funds
                .text
                .contains("\"available_cash\":1499999999999500.25"),
            "{preset}: {}",
            funds.text
        );
        assert!(
            funds.text.contains("\"m2m_unrealized\":410.10"),
            "{preset}: {}",
            funds.text
        );
        assert_eq!(handle.logout().ok()["logged_out"], true);
        handle.rms().err(s(Status::NotLoggedIn));
    }
}

#[test]
fn oauth_requests_are_exactly_as_the_protocol_says() {
    let sim = sim();
    let demo = NorenAccount::demo("kambala");
    let handle = Handle::new(&noren_config(
        &sim,
        "kambala",
        &format!(r#""user_id":"{}""#, demo.user_id),
    ));
    let code = noren_code(&sim, "kambala");
    handle.login(&format!(r#"{{"code":"{code}"}}"#)).ok();
    handle.rms().ok();
    let exchange = &sim.requests_to(&endpoint(&sim, "kambala", "GenAcsTok"))[0];
    assert_eq!(exchange.header("authorization"), None);
    let (body, jkey) = jdata(&exchange.body);
    assert_eq!(jkey, None);
    assert_eq!(body["code"], code.as_str());
    assert_eq!(
        body["checksum"],
        sha256_hex(&format!("{}{}{code}", demo.client_id, demo.secret)).as_str()
    );
    assert_eq!(body["uid"], demo.user_id.as_str());
    let limits = &sim.requests_to(&endpoint(&sim, "kambala", "Limits"))[0];
    assert!(
        limits
            .header("authorization")
            .unwrap()
            .starts_with("Bearer ")
    );
    let (body, jkey) = jdata(&limits.body);
    assert_eq!(jkey, None, "OAuth sessions send no jKey");
    assert_eq!(body, json!({"uid": demo.user_id, "actid": demo.account_id}));
}

#[test]
fn redirect_url_credentials_carry_the_code() {
    let sim = sim();
    let handle = Handle::new(&noren_config(&sim, "zebu", ""));
    let code = noren_code(&sim, "zebu");
    handle
        .login(&format!(
            r#"{{"redirect_url":"http://127.0.0.1/callback?code={code}&state=x"}}"#
        ))
        .ok();
    handle.profile().ok();
}

#[test]
fn login_url_per_preset() {
    let sim = sim_with_quickauth();
    let url = Handle::new(&noren_config(&sim, "zebu", "")).login_url();
    assert_eq!(
        url.ok()["url"],
        format!("{}?client_id=zebu-client", sim.noren_oauth_url("zebu")).as_str()
    );
    let url = Handle::new(&noren_config(&sim, "flattrade", "")).login_url();
    assert_eq!(
        url.ok()["url"],
        format!(
            "{}?app_key=flattrade-api-key",
            sim.noren_oauth_url("flattrade")
        )
        .as_str()
    );
    // Shoonya's real address comes from the preset.
    let real =
        Handle::new(r#"{"broker":"noren","preset":"shoonya","client_id":"NSHO01_U","secret":"s"}"#)
            .login_url();
    assert_eq!(
        real.ok()["url"],
        "https://api.shoonya.com/OAuthlogin/authorize/oauth?client_id=NSHO01_U"
    );
    // Kambala's is not published: the config must give it.
    let kambala =
        Handle::new(r#"{"broker":"noren","preset":"kambala","client_id":"c","secret":"s"}"#)
            .login_url();
    assert!(
        kambala.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .contains("oauth_url")
    );
    let password = Handle::new(&quickauth_config(&sim, "")).login_url();
    password.err(s(Status::Unsupported));
}

#[test]
fn the_login_url_leads_through_the_simulated_browser_to_a_session() {
    let sim = sim();
    let handle = Handle::new(&noren_config(&sim, "tradesmart", ""));
    let url = handle.login_url().ok()["url"].as_str().unwrap().to_string();
    let redirect = browse(&url);
    assert!(redirect.contains("code="), "{redirect}");
    handle
        .login(&json!({ "redirect_url": redirect }).to_string())
        .ok();
    handle.rms().ok();
}

/// What a browser does with the authorize page: GET it and read the redirect.
fn browse(url: &str) -> String {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_once('/').unwrap();
    let mut stream = std::net::TcpStream::connect(host).unwrap();
    write!(
        stream,
        "GET /{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 302"), "{reply}");
    reply
        .lines()
        .find_map(|l| {
            l.strip_prefix("Location: ")
                .or_else(|| l.strip_prefix("location: "))
        })
        .unwrap()
        .trim()
        .to_string()
}

#[test]
fn wrong_checksum_is_auth() {
    let sim = sim();
    let config = noren_config(&sim, "shoonya", "").replace("shoonya-secret", "wrong-secret");
    let handle = Handle::new(&config);
    let reply = handle.login(&format!(r#"{{"code":"{}"}}"#, noren_code(&sim, "shoonya")));
    let e = reply.err(s(Status::Auth));
    assert!(
        e["broker_message"]
            .as_str()
            .unwrap()
            .contains("INVALID_VERIFIER")
    );
    assert_eq!(e["http_status"], 400, "Shoonya sends Not_Ok with HTTP 400");
    assert!(!reply.text.contains("wrong-secret"));
}

#[test]
fn reused_and_expired_codes_are_auth() {
    let sim = sim();
    for preset in ["kambala", "zebu"] {
        let code = noren_code(&sim, preset);
        let first = Handle::new(&noren_config(&sim, preset, ""));
        first.login(&format!(r#"{{"code":"{code}"}}"#)).ok();
        let second = Handle::new(&noren_config(&sim, preset, ""));
        let e = second.login(&format!(r#"{{"code":"{code}"}}"#));
        assert_eq!(e.err(s(Status::Auth))["http_status"], 200, "{preset}");
        let stale = noren_code(&sim, preset);
        sim.expire_noren_codes();
        second
            .login(&format!(r#"{{"code":"{stale}"}}"#))
            .err(s(Status::Auth));
        second.rms().err(s(Status::NotLoggedIn));
    }
}

#[test]
fn expired_session_is_session_expired() {
    let sim = sim();
    let handle = noren_session(&sim, "tradesmart");
    sim.expire_noren_sessions("tradesmart", &NorenAccount::demo("tradesmart").user_id);
    let e = handle.rms();
    assert!(
        e.err(s(Status::SessionExpired))["broker_message"]
            .as_str()
            .unwrap()
            .contains("Session Expired")
    );
}

#[test]
fn zebu_refreshes_and_others_say_unsupported() {
    let sim = sim();
    let zebu = noren_session(&sim, "zebu");
    let before = zebu.export().ok()["access_token"].clone();
    assert!(zebu.refresh().ok()["access_expires_at"].is_string());
    assert_ne!(zebu.export().ok()["access_token"], before);
    zebu.rms().ok();
    let refresh = &sim.requests_to(&endpoint(&sim, "zebu", "RefreshToken"))[0];
    assert_eq!(refresh.header("authorization"), None);
    assert!(jdata(&refresh.body).0["refresh_token"].is_string());

    for preset in ["kambala", "shoonya", "tradesmart", "flattrade"] {
        let handle = noren_session(&sim, preset);
        let e = handle.refresh();
        assert!(
            e.err(s(Status::Unsupported))["message"]
                .as_str()
                .unwrap()
                .contains("log in again"),
            "{preset}"
        );
        handle.rms().ok();
    }
}

#[test]
fn a_refused_refresh_keeps_the_session() {
    let sim = sim();
    let zebu = noren_session(&sim, "zebu");
    sim.inject(
        &endpoint(&sim, "zebu", "RefreshToken"),
        Fault::Reply {
            status: 200,
            content_type: "application/json".into(),
            body: r#"{"stat":"Not_Ok","emsg":"Invalid refresh token"}"#.into(),
        },
        FaultTimes::Next(1),
    );
    zebu.refresh().err(s(Status::SessionExpired));
    zebu.rms().ok();
}

#[test]
fn expires_in_is_read_as_epoch_or_duration() {
    let sim = sim();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for preset in ["kambala", "zebu"] {
        let handle = noren_session(&sim, preset);
        let expiry = handle.export().ok()["access_expires_at"]
            .as_i64()
            .expect("an expiry");
        assert!(
            expiry > now && expiry < now + 2 * 86_400,
            "{preset}: {expiry}"
        );
    }
}

#[test]
fn quickauth_password_login_sends_hashes_and_uses_jkey() {
    let sim = sim_with_quickauth();
    let demo = NorenAccount::demo("shoonya");
    let handle = Handle::new(&quickauth_config(&sim, ""));
    let creds = format!(
        r#"{{"password":"{}","totp_secret":"{}"}}"#,
        demo.password, demo.totp_secret
    );
    handle.login(&creds).ok();
    handle.profile().ok();
    handle.rms().ok();
    handle.logout().ok();
    let legacy = sim.noren_legacy_base_url("shoonya");
    let path = |name: &str| {
        format!(
            "/{}/{name}",
            legacy
                .split_once("//")
                .unwrap()
                .1
                .split_once('/')
                .unwrap()
                .1
        )
    };
    let (auth, _) = jdata(&sim.requests_to(&path("QuickAuth"))[0].body);
    assert_eq!(auth["pwd"], sha256_hex(&demo.password).as_str());
    assert_eq!(
        auth["appkey"],
        sha256_hex(&format!("{}|{}", demo.user_id, demo.api_secret)).as_str()
    );
    assert_eq!(
        (auth["apkversion"].as_str(), auth["source"].as_str()),
        (Some("1.0.0"), Some("API"))
    );
    assert_eq!(auth["vc"], demo.vendor_code.as_str());
    assert_eq!(auth["imei"], "test-device");
    assert_eq!(auth["factor2"].as_str().unwrap().len(), 6);
    let limits = &sim.requests_to(&path("Limits"))[0];
    assert_eq!(
        limits.header("authorization"),
        None,
        "jKey sessions send no Bearer"
    );
    assert!(jdata(&limits.body).1.is_some_and(|k| !k.is_empty()));
    let logout = jdata(&sim.requests_to(&path("Logout"))[0].body).0;
    assert_eq!(logout, json!({"ordersource": "API", "uid": demo.user_id}));
}

#[test]
fn quickauth_failures_are_auth_with_advice() {
    let sim = sim_with_quickauth();
    let demo = NorenAccount::demo("shoonya");
    let handle = Handle::new(&quickauth_config(&sim, ""));
    let wrong = handle.login(&format!(
        r#"{{"password":"nope-4242","totp_secret":"{}"}}"#,
        demo.totp_secret
    ));
    assert!(
        wrong.err(s(Status::Auth))["broker_message"]
            .as_str()
            .unwrap()
            .contains("Wrong Password")
    );
    assert!(!wrong.text.contains("nope-4242"));
    let bad_otp = handle.login(&format!(
        r#"{{"password":"{}","totp":"000000"}}"#,
        demo.password
    ));
    bad_otp.err(s(Status::Auth));
    let vendor = Handle::new(&quickauth_config(&sim, "").replace(&demo.vendor_code, "OLD_VC"));
    let reply = vendor.login(&format!(
        r#"{{"password":"{}","totp_secret":"{}"}}"#,
        demo.password, demo.totp_secret
    ));
    assert!(
        reply.err(s(Status::Auth))["message"]
            .as_str()
            .unwrap()
            .contains("vendor_code")
    );
}

#[test]
fn expired_or_forced_password_change_is_auth_telling_what_to_do() {
    let sim = sim_with_quickauth();
    for (state, needle) in [
        (PasswordState::Expired, "expired"),
        (PasswordState::MustChange, "password change"),
    ] {
        let mut account = NorenAccount::demo("shoonya");
        account.password_state = state;
        sim.add_noren_account(account.clone());
        let handle = Handle::new(&quickauth_config(&sim, ""));
        let reply = handle.login(&format!(
            r#"{{"password":"{}","totp_secret":"{}"}}"#,
            account.password, account.totp_secret
        ));
        let message = reply.err(s(Status::Auth))["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(needle), "{message}");
        handle.rms().err(s(Status::NotLoggedIn));
    }
}

#[test]
fn forced_password_reset_on_a_successful_quickauth_is_auth() {
    let sim = sim_with_quickauth();
    let handle = Handle::new(&quickauth_config(&sim, ""));
    let legacy = sim.noren_legacy_base_url("shoonya");
    let path = format!(
        "/{}/QuickAuth",
        legacy
            .split_once("//")
            .unwrap()
            .1
            .split_once('/')
            .unwrap()
            .1
    );
    sim.inject(&path, Fault::Reply { status: 200, content_type: "application/json".into(),
        body: r#"{"stat":"Ok","susertoken":"tok","uname":"x","actid":"NSHO01","spasswordreset":"Y"}"#.into() }, FaultTimes::Next(1));
    let reply = handle.login(r#"{"password":"p","totp":"123456"}"#);
    assert!(
        reply.err(s(Status::Auth))["message"]
            .as_str()
            .unwrap()
            .contains("password change")
    );
    handle.rms().err(s(Status::NotLoggedIn));
}

#[test]
fn flattrade_login_uses_its_token_service_and_jkey() {
    let sim = sim();
    let demo = NorenAccount::demo("flattrade");
    let handle = Handle::new(&noren_config(&sim, "flattrade", ""));
    let code = noren_code(&sim, "flattrade");
    let login = handle.login(&format!(
        r#"{{"redirect_url":"http://127.0.0.1/cb?code={code}&client={}"}}"#,
        demo.user_id
    ));
    assert_eq!(login.ok()["user_id"], demo.user_id.as_str());
    handle.rms().ok();
    let token_path = sim
        .flattrade_token_url()
        .split_once("//")
        .unwrap()
        .1
        .split_once('/')
        .unwrap()
        .1
        .to_string();
    let token = &sim.requests_to(&format!("/{token_path}"))[0];
    let body: Value = serde_json::from_str(&token.body).unwrap();
    assert_eq!(
        body["api_secret"],
        sha256_hex(&format!("{}{code}{}", demo.api_key, demo.secret)).as_str()
    );
    let limits = &sim.requests_to(&endpoint(&sim, "flattrade", "Limits"))[0];
    assert!(jdata(&limits.body).1.is_some());
    // A used request code is refused, with Flattrade's empty emsg.
    let again = handle.login(&format!(r#"{{"code":"{code}"}}"#));
    again.err(s(Status::Auth));
    handle.rms().ok();
}

#[test]
fn limits_with_missing_fields_urmtom_and_huge_values() {
    let sim = sim();
    let demo = NorenAccount::demo("kambala");
    sim.set_noren_limits(
        "kambala",
        &demo.user_id,
        json!({"cash": "1500000000000000.00", "urmtom": "-12.5"}),
    );
    let handle = noren_session(&sim, "kambala");
    let reply = handle.rms();
    reply.ok();
    for expected in [
        "\"available_cash\":1500000000000000.00",
        "\"net\":1500000000000000.00",
        "\"used_margin\":0",
        "\"collateral\":0",
        "\"m2m_unrealized\":-12.5",
    ] {
        assert!(
            reply.text.contains(expected),
            "{expected} in {}",
            reply.text
        );
    }
}

#[test]
fn not_ok_replies_are_classified_by_emsg_whatever_the_status() {
    let sim = sim();
    let handle = noren_session_with(&sim, "zebu", RAW);
    let limits = endpoint(&sim, "zebu", "Limits");
    for status in [200, 400] {
        sim.inject(
            &limits,
            Fault::Reply {
                status,
                content_type: "application/json".into(),
                body: r#"{"stat":"Not_Ok","emsg":"Server Timeout :  "}"#.into(),
            },
            FaultTimes::Next(1),
        );
        let reply = handle.rms();
        let e = reply.err(s(Status::Broker));
        assert_eq!(
            (e["retryable"].as_bool(), e["http_status"].as_u64()),
            (Some(true), Some(status as u64))
        );
    }
    sim.inject(
        &limits,
        Fault::Reply {
            status: 502,
            content_type: "text/html".into(),
            body: "<html>Bad Gateway</html>".into(),
        },
        FaultTimes::Next(1),
    );
    handle.rms().err(s(Status::Broker));
    sim.inject(&limits, Fault::HtmlFirewall, FaultTimes::Next(1));
    handle.rms().err(s(Status::Broker));
    sim.inject(&limits, Fault::TruncatedJson, FaultTimes::Next(1));
    handle.rms().err(s(Status::Protocol));
    handle.rms().ok();
}

#[test]
fn an_ampersand_inside_a_value_is_percent_encoded_in_jdata() {
    let sim = sim();
    let mut account = NorenAccount::demo("kambala");
    account.user_id = "A&B".into();
    account.account_id = "A&B".into();
    account.client_id = "amp-client".into();
    sim.add_noren_account(account.clone());
    let config = noren_config(&sim, "kambala", "").replace("kambala-client", "amp-client");
    let handle = Handle::new(&config);
    handle
        .login(&format!(
            r#"{{"code":"{}"}}"#,
            sim.noren_authorize("kambala", "amp-client").unwrap()
        ))
        .ok();
    handle.rms().ok();
    let limits = &sim.requests_to(&endpoint(&sim, "kambala", "Limits"))[0];
    assert!(
        limits.body.contains("A%26B") && !limits.body.contains("A&B"),
        "{}",
        limits.body
    );
}

#[test]
fn config_mistakes_name_the_key() {
    let cases = [
        (r#"{"broker":"noren","preset":"angel"}"#, "\"preset\""),
        (
            r#"{"broker":"noren","preset":"zebu","secret":"s"}"#,
            "\"client_id\"",
        ),
        (
            r#"{"broker":"noren","preset":"flattrade","secret":"s"}"#,
            "\"api_key\"",
        ),
        (
            r#"{"broker":"noren","preset":"custom","client_id":"c","secret":"s"}"#,
            "\"base_url\"",
        ),
        (
            r#"{"broker":"noren","preset":"kambala","auth":"password","user_id":"u","vendor_code":"v","api_secret":"a"}"#,
            "\"base_url\"",
        ),
        (
            r#"{"broker":"noren","preset":"shoonya","auth":"password","vendor_code":"v","api_secret":"a"}"#,
            "\"user_id\"",
        ),
        (
            r#"{"broker":"noren","preset":"zebu","client_id":"c","secret":"s","token_url":"http://x.example/t"}"#,
            "\"token_url\"",
        ),
        (
            r#"{"broker":"noren","preset":"zebu","client_id":"c","secret":"s","oauth_url":"https://x.example/?u={user_id}"}"#,
            "\"user_id\" is not set",
        ),
        (
            r#"{"broker":"noren","preset":"zebu","client_id":"c","secret":"s","pin":"1"}"#,
            "\"pin\"",
        ),
    ];
    for (config, needle) in cases {
        let (reply, _) = new_session(config);
        let message = reply.err(s(Status::InvalidArgument))["message"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(message.contains(needle), "{config}: {message}");
    }
}

#[test]
fn custom_preset_works_with_explicit_addresses() {
    let sim = sim();
    let demo = NorenAccount::demo("zebu");
    let config = noren_config(&sim, "zebu", r#""supports_refresh":true"#)
        .replace("\"preset\":\"zebu\"", "\"preset\":\"custom\"");
    let handle = Handle::new(&config);
    handle
        .login(&format!(r#"{{"code":"{}"}}"#, noren_code(&sim, "zebu")))
        .ok();
    assert_eq!(handle.profile().ok()["user_id"], demo.user_id.as_str());
    handle.refresh().ok();
}

#[test]
fn exported_noren_state_resumes_with_its_token_style() {
    let sim = sim_with_quickauth();
    let demo = NorenAccount::demo("shoonya");
    let original = Handle::new(&quickauth_config(&sim, ""));
    original
        .login(&format!(
            r#"{{"password":"{}","totp_secret":"{}"}}"#,
            demo.password, demo.totp_secret
        ))
        .ok();
    let state = original.export();
    assert_eq!(state.ok()["token_style"], "jkey");
    let resumed = Handle::new(&quickauth_config(&sim, ""));
    resumed.import(&state.text).ok();
    resumed.rms().ok();
}

/// The config with `oauth_url` set to `oauth_url`.
fn with_oauth_url(config: &str, sim: &Sim, preset: &str, oauth_url: &str) -> String {
    config.replace(
        &format!(r#""oauth_url":"{}""#, sim.noren_oauth_url(preset)),
        &format!(r#""oauth_url":"{oauth_url}""#),
    )
}

#[test]
fn token_url_serves_every_oauth_preset_and_custom() {
    let sim = sim();
    for preset in ["kambala", "shoonya", "zebu", "tradesmart"] {
        // The token service on another host than the REST base.
        let token_url = format!(
            "{}/GenAcsTok",
            sim.noren_base_url(preset).replace("127.0.0.1", "localhost")
        );
        let handle = Handle::new(&noren_config(
            &sim,
            preset,
            &format!(r#""token_url":"{token_url}""#),
        ));
        let start = sim.requests().len();
        handle
            .login(&format!(r#"{{"code":"{}"}}"#, noren_code(&sim, preset)))
            .ok();
        let token_call = sim.requests()[start..]
            .iter()
            .find(|r| r.path.ends_with("/GenAcsTok"))
            .cloned()
            .expect("a GenAcsTok call");
        assert!(
            token_call.header("host").unwrap().starts_with("localhost:"),
            "{preset}: {:?}",
            token_call.header("host")
        );
        handle.rms().ok();
    }
    // A broker with no preset, every address from the config.
    let demo = NorenAccount::demo("zebu");
    let custom = Handle::new(&format!(
        r#"{{"broker":"noren","preset":"custom","client_id":"{}","secret":"{}","base_url":"{}","oauth_url":"{}","token_url":"{}/GenAcsTok","supports_refresh":true}}"#,
        demo.client_id,
        demo.secret,
        sim.noren_base_url("zebu"),
        sim.noren_oauth_url("zebu"),
        sim.noren_base_url("zebu").replace("127.0.0.1", "localhost"),
    ));
    login_through_browser(&custom).ok();
    custom.rms().ok();
}

#[test]
fn oauth_url_templates_fill_their_placeholders_for_every_preset() {
    let sim = sim();
    for preset in NOREN_PRESETS {
        let demo = NorenAccount::demo(preset);
        let (template, filled) = if preset == "flattrade" {
            (
                format!("{}?app_key={{api_key}}", sim.noren_oauth_url(preset)),
                format!("{}?app_key={}", sim.noren_oauth_url(preset), demo.api_key),
            )
        } else {
            (
                format!("{}?client_id={{client_id}}", sim.noren_oauth_url(preset)),
                format!(
                    "{}?client_id={}",
                    sim.noren_oauth_url(preset),
                    demo.client_id
                ),
            )
        };
        let handle = Handle::new(&with_oauth_url(
            &noren_config(&sim, preset, ""),
            &sim,
            preset,
            &template,
        ));
        let url = handle.login_url().ok()["url"].as_str().unwrap().to_owned();
        assert_eq!(url, filled, "{preset}: nothing is appended to a template");
        login_through_browser(&handle).ok();
        handle.rms().ok();
    }
}

#[test]
fn shoonyas_investor_entry_page_works_as_a_template() {
    let sim = sim();
    let demo = NorenAccount::demo("shoonya");
    let page = format!(
        "{}/noren/shoonya/OAuthlogin/investor-entry-level/login?api_key={{client_id}}&route_to={{user_id}}",
        sim.base_url()
    );
    let config = with_oauth_url(
        &noren_config(&sim, "shoonya", &format!(r#""user_id":"{}""#, demo.user_id)),
        &sim,
        "shoonya",
        &page,
    );
    let handle = Handle::new(&config);
    let url = handle.login_url().ok()["url"].as_str().unwrap().to_owned();
    assert!(
        url.ends_with(&format!(
            "login?api_key={}&route_to={}",
            demo.client_id, demo.user_id
        )),
        "{url}"
    );
    login_through_browser(&handle).ok();
    handle.profile().ok();
}

#[test]
fn flattrade_logs_in_with_either_reply_shape_and_either_code_name() {
    for says_stat in [false, true] {
        let sim = Sim::start_with(brokersim::SimOptions {
            rate_limits: false,
            flattrade_says_stat: says_stat,
            ..brokersim::SimOptions::default()
        })
        .expect("brokersim starts");
        let handle = Handle::new(&noren_config(&sim, "flattrade", ""));
        let url = handle.login_url().ok()["url"].as_str().unwrap().to_owned();
        let redirect = brokersim::browse(&url).expect("the login page redirects");
        // The docs name the redirect's parameter request_code; running code sends code.
        let redirect = if says_stat {
            redirect.replace("code=", "request_code=")
        } else {
            redirect
        };
        let login = handle.login(&format!(r#"{{"redirect_url":"{redirect}"}}"#));
        assert_eq!(login.ok()["user_id"], "NFLA01", "stat: {says_stat}");
        handle.rms().ok();
    }
}
