use super::*;
use crate::http::Response;
use crate::model::Money;
use serde_json::json;

fn reply(status: u16, content_type: &str, body: &str) -> Response {
    Response::test(status, content_type, body)
}

fn error(op: Operation, status: u16, body: &str) -> Error {
    parse_reply(op, &reply(status, "application/json", body)).unwrap_err()
}

fn kite_error(error_type: &str, message: &str) -> String {
    json!({"status": "error", "message": message, "error_type": error_type, "data": null})
        .to_string()
}

#[test]
fn success_envelope_gives_data() {
    let data = parse_reply(
        Operation::Funds,
        &reply(
            200,
            "application/json",
            r#"{"status":"success","data":{"a":1}}"#,
        ),
    )
    .unwrap();
    assert_eq!(data, json!({"a": 1}));
    let logout = parse_reply(
        Operation::Logout,
        &reply(
            200,
            "application/json",
            r#"{"status":"success","data":true}"#,
        ),
    )
    .unwrap();
    assert_eq!(logout, json!(true));
}

#[test]
fn error_types_are_classed_as_protocols_4_6_says() {
    let class = |op, error_type: &str, status: u16| {
        let e = error(op, status, &kite_error(error_type, "m"));
        assert_eq!(e.broker_code.as_deref(), Some(error_type));
        assert_eq!(e.broker_message.as_deref(), Some("m"));
        assert_eq!(e.http_status, Some(status));
        (e.status, e.retryable)
    };
    use Operation::*;
    assert_eq!(class(Login, "TokenException", 403), (Status::Auth, false));
    assert_eq!(
        class(Refresh, "TokenException", 403),
        (Status::SessionExpired, false)
    );
    for op in [Profile, Funds, Logout] {
        assert_eq!(
            class(op, "TokenException", 403),
            (Status::SessionExpired, false)
        );
    }
    assert_eq!(
        class(Funds, "PermissionException", 403),
        (Status::Auth, false)
    );
    assert_eq!(class(Funds, "PermissionError", 403), (Status::Auth, false));
    assert_eq!(class(Funds, "UserException", 403), (Status::Broker, false));
    assert_eq!(class(Login, "TwoFAException", 403), (Status::Auth, false));
    assert_eq!(
        class(Funds, "InputException", 400),
        (Status::InvalidArgument, false)
    );
    for order_side in ["OrderException", "MarginException", "HoldingException"] {
        assert_eq!(class(Funds, order_side, 400), (Status::Broker, false));
    }
    assert_eq!(
        class(Funds, "NetworkException", 503),
        (Status::Broker, true)
    );
    assert_eq!(
        class(Funds, "NetworkException", 429),
        (Status::RateLimited, true)
    );
    assert_eq!(class(Funds, "DataException", 502), (Status::Broker, true));
    assert_eq!(class(Funds, "DataException", 504), (Status::Broker, true));
    assert_eq!(
        class(Funds, "GeneralException", 500),
        (Status::Broker, false)
    );
    assert_eq!(class(Funds, "SomethingNew", 500), (Status::Broker, false));
}

#[test]
fn errors_count_whatever_the_http_status() {
    let e = error(
        Operation::Funds,
        200,
        &kite_error("NetworkException", "Too many requests"),
    );
    assert_eq!((e.status, e.retryable), (Status::RateLimited, true));
    let e = error(Operation::Funds, 200, r#"{"status":"error","message":"x"}"#);
    assert_eq!(e.status, Status::Broker);
    assert_eq!(e.broker_code, None);
    let e = error(Operation::Profile, 200, &kite_error("TokenException", "x"));
    assert_eq!(e.status, Status::SessionExpired);
}

#[test]
fn login_refusals_say_what_to_check() {
    let checksum = error(
        Operation::Login,
        403,
        &kite_error("TokenException", "Invalid `checksum`."),
    );
    assert!(
        checksum.message.contains("api_secret"),
        "{}",
        checksum.message
    );
    let used = error(
        Operation::Login,
        403,
        &kite_error("TokenException", "Token is invalid or has expired."),
    );
    assert!(used.message.contains("single-use"), "{}", used.message);
}

#[test]
fn replies_without_the_envelope_are_classed_by_http_status() {
    let class = |op, status: u16, content_type: &str, body: &str| {
        let e = parse_reply(op, &reply(status, content_type, body)).unwrap_err();
        assert_eq!(e.http_status, Some(status));
        e.status
    };
    use Operation::*;
    assert_eq!(class(Funds, 429, "text/plain", "slow"), Status::RateLimited);
    assert_eq!(
        class(Funds, 403, "application/json", "{}"),
        Status::SessionExpired
    );
    assert_eq!(
        class(Funds, 401, "text/plain", "no"),
        Status::SessionExpired
    );
    assert_eq!(class(Login, 403, "text/plain", "no"), Status::Auth);
    assert_eq!(
        class(Funds, 400, "text/plain", "bad"),
        Status::InvalidArgument
    );
    assert_eq!(class(Funds, 500, "text/plain", "oops"), Status::Broker);
    assert_eq!(class(Funds, 502, "text/html", "<html>"), Status::Broker);
    assert_eq!(class(Funds, 200, "text/plain", "hello"), Status::Protocol);
    assert_eq!(
        class(Funds, 200, "application/json", "[]"),
        Status::Protocol
    );
    assert_eq!(
        class(
            Funds,
            200,
            "application/json",
            r#"{"status":"ok","data":{}}"#
        ),
        Status::Protocol
    );
    assert_eq!(
        class(Funds, 200, "application/json", r#"{"status":"success"}"#),
        Status::Protocol
    );
    // A firewall's HTML page is not Kite saying the session ended.
    assert_eq!(
        class(Funds, 403, "text/html", "<html>no</html>"),
        Status::Protocol
    );
    // brokersim's rate-limit text fault, as other gateways send it.
    assert_eq!(
        class(
            Funds,
            403,
            "text/plain",
            "Access denied because of exceeding access rate"
        ),
        Status::RateLimited
    );
}

/// 2026-11-23 16:15:14 IST.
const LOGIN_TIME: &str = "2026-11-23 16:15:14";
const LOGIN_AT: i64 = 1_795_430_714;
/// 2026-11-24 06:00 IST = 2026-11-24 00:30 UTC.
const NEXT_SIX_AM: i64 = 1_795_480_200;

#[test]
fn tokens_expire_at_the_next_six_am_ist_after_login_time() {
    let data = json!({"user_id": "AB1234", "access_token": "at", "refresh_token": "",
        "login_time": LOGIN_TIME});
    let tokens = tokens_from(&data, None, LOGIN_AT + 60).unwrap();
    assert_eq!(tokens.expires_at, Some(NEXT_SIX_AM));
    assert_eq!(tokens.user_id, "AB1234");
    assert!(tokens.refresh.is_none(), "an empty refresh token is none");
    assert_eq!(tokens.access.expose(), "at");
    // Without login_time, from now.
    let data = json!({"user_id": "AB1234", "access_token": "at"});
    let tokens = tokens_from(&data, None, LOGIN_AT).unwrap();
    assert_eq!(tokens.expires_at, Some(NEXT_SIX_AM));
    // Before 06:00 IST, the same morning's 06:00.
    let data = json!({"access_token": "at", "login_time": "2026-11-24 05:59:59"});
    assert_eq!(
        tokens_from(&data, None, NEXT_SIX_AM).unwrap().expires_at,
        Some(NEXT_SIX_AM)
    );
    // A login_time that is not `yyyy-mm-dd hh:mm:ss`, or is not within the
    // last day, falls back to now (year 21 was found by fuzzing: its day
    // end was a negative time, so the token counted as long expired).
    for odd in [
        "2026-11-23T16:15:14",
        "2026-13-01 00:00:00",
        "x",
        "2026-11-23 16:15",
        "0021-01-01 16:15:14",
        "2026-11-21 16:15:14",
        "2099-01-01 00:00:00",
    ] {
        let data = json!({"access_token": "at", "login_time": odd});
        assert_eq!(
            tokens_from(&data, None, LOGIN_AT).unwrap().expires_at,
            Some(NEXT_SIX_AM),
            "{odd}"
        );
    }
}

#[test]
fn a_renewal_keeps_what_its_reply_lacks() {
    let first = tokens_from(
        &json!({"user_id": "AB1234", "access_token": "a1", "refresh_token": "r1"}),
        None,
        LOGIN_AT,
    )
    .unwrap();
    assert_eq!(first.refresh.as_ref().map(Secret::expose), Some("r1"));
    let renewed = tokens_from(&json!({"access_token": "a2"}), Some(&first), LOGIN_AT).unwrap();
    assert_eq!(renewed.user_id, "AB1234");
    assert_eq!(renewed.refresh.as_ref().map(Secret::expose), Some("r1"));
    let rotated = tokens_from(
        &json!({"access_token": "a3", "refresh_token": "r2"}),
        Some(&first),
        LOGIN_AT,
    )
    .unwrap();
    assert_eq!(rotated.refresh.as_ref().map(Secret::expose), Some("r2"));
    for bad in [
        json!({"access_token": ""}),
        json!({}),
        json!(null),
        json!("x"),
    ] {
        assert_eq!(
            tokens_from(&bad, None, 0).unwrap_err().status,
            Status::Protocol,
            "{bad}"
        );
    }
}

#[test]
fn profile_maps_the_kite_fields() {
    let data = json!({"user_id": "AB1234", "user_name": "Kite Connect", "email": "e@x",
        "exchanges": ["NSE", "BSE"], "products": ["CNC", "MIS"], "avatar_url": null});
    let profile = profile_from(data.clone(), "fallback").unwrap();
    assert_eq!(
        (
            profile.user_id.as_str(),
            profile.name.as_str(),
            profile.email.as_str(),
            profile.mobile.as_str()
        ),
        ("AB1234", "Kite Connect", "e@x", "")
    );
    assert_eq!(profile.exchanges, ["NSE", "BSE"]);
    assert_eq!(profile.products, ["CNC", "MIS"]);
    assert_eq!(profile.raw, data);
    assert_eq!(profile_from(json!({}), "ID").unwrap().user_id, "ID");
    assert!(profile_from(json!(null), "ID").is_err());
}

/// The margins mock of PROTOCOLS.md §4.4, floats with binary noise and a -0.
fn margins() -> Value {
    serde_json::from_str(
        r#"{"equity":{"enabled":true,"net":99725.05000000002,
          "available":{"adhoc_margin":0,"cash":245431.6,"opening_balance":245431.6,
            "live_balance":99725.05000000002,"collateral":0,"intraday_payin":0},
          "utilised":{"debits":145706.55,"exposure":38981.25,"m2m_realised":761.7,
            "m2m_unrealised":0,"option_premium":0,"payout":-0,"span":101989}},
        "commodity":{"enabled":true,"net":96426.32999999999,
          "available":{"cash":97297.5,"collateral":0,"intraday_payin":100.005},
          "utilised":{"debits":871.17,"m2m_realised":-0,"m2m_unrealised":-12.5,"payout":0}}}"#,
    )
    .unwrap()
}

fn funds_text(data: Value, segment: FundsSegment) -> String {
    let funds = funds_from(data, segment).unwrap();
    let mut json = serde_json::to_value(&funds).unwrap();
    json.as_object_mut().unwrap().remove("raw");
    json.to_string()
}

#[test]
fn funds_of_the_equity_segment_exact_to_the_paise() {
    let text = funds_text(margins(), FundsSegment::Equity);
    assert_eq!(
        text,
        r#"{"available_cash":245431.6,"broker":"zerodha","collateral":0,"m2m_realized":761.7,"m2m_unrealized":0,"net":99725.05,"payin":0,"payout":0,"used_margin":145706.55}"#
    );
    let funds = funds_from(margins(), FundsSegment::Equity).unwrap();
    assert_eq!(funds.raw, margins(), "raw keeps both segments");
}

#[test]
fn funds_of_commodity_and_of_both_segments() {
    assert_eq!(
        funds_text(margins(), FundsSegment::Commodity),
        r#"{"available_cash":97297.5,"broker":"zerodha","collateral":0,"m2m_realized":0,"m2m_unrealized":-12.5,"net":96426.33,"payin":100.01,"payout":0,"used_margin":871.17}"#
    );
    assert_eq!(
        funds_text(margins(), FundsSegment::Both),
        r#"{"available_cash":342729.1,"broker":"zerodha","collateral":0,"m2m_realized":761.7,"m2m_unrealized":-12.5,"net":196151.38,"payin":100.01,"payout":0,"used_margin":146577.72}"#
    );
}

#[test]
fn a_disabled_or_missing_segment_falls_back_to_the_other() {
    let mut data = margins();
    data["equity"]["enabled"] = json!(false);
    let funds = funds_from(data.clone(), FundsSegment::Equity).unwrap();
    assert_eq!(funds.available_cash.to_string(), "97297.5");
    let both = funds_from(data, FundsSegment::Both).unwrap();
    assert_eq!(both.available_cash.to_string(), "97297.5");
    let only_equity = json!({"equity": margins()["equity"]});
    let funds = funds_from(only_equity, FundsSegment::Commodity).unwrap();
    assert_eq!(funds.available_cash.to_string(), "245431.6");
    // Both disabled: the asked-for segment's own (zero) figures.
    let off = json!({"equity": {"enabled": false}, "commodity": {"enabled": false}});
    let funds = funds_from(off, FundsSegment::Equity).unwrap();
    assert_eq!(funds.net, Money::ZERO);
}

#[test]
fn funds_edge_cases() {
    // Missing and null figures are zero; strings are read too.
    let sparse = json!({"equity": {"net": null, "available": {"cash": "12.345"}}});
    let funds = funds_from(sparse, FundsSegment::Equity).unwrap();
    assert_eq!(funds.available_cash.to_string(), "12.35");
    assert_eq!(funds.net, Money::ZERO);
    for bad in [json!({}), json!(null), json!({"equity": 5})] {
        assert_eq!(
            funds_from(bad, FundsSegment::Equity).unwrap_err().status,
            Status::Protocol
        );
    }
    let e = funds_from(
        json!({"equity": {"utilised": {"debits": "lots"}}}),
        FundsSegment::Equity,
    )
    .unwrap_err();
    assert_eq!(e.status, Status::Protocol);
    assert!(
        e.message.contains("\"equity.utilised.debits\""),
        "{}",
        e.message
    );
    let huge = json!({"equity": {"net": "79228162514264337593543950335"},
        "commodity": {"net": "79228162514264337593543950335"}});
    let e = funds_from(huge, FundsSegment::Both).unwrap_err();
    assert!(e.message.contains("commodity.net"), "{}", e.message);
}

fn zerodha(extra: &str) -> Result<Box<dyn Broker>> {
    let json = format!(r#"{{"api_key":"kite key","api_secret":"sec"{extra}}}"#);
    let mut keys = Keys::parse(&json, "config")?;
    let broker = Zerodha::from_config(&mut keys, None)?;
    keys.finish()?;
    Ok(broker)
}

fn credentials(broker: &dyn Broker, json: &str) -> Result<Credentials> {
    let mut keys = Keys::parse(json, "credentials")?;
    let credentials = broker.credentials(&mut keys)?;
    keys.finish()?;
    Ok(credentials)
}

fn code_of(credentials: Result<Credentials>) -> String {
    match credentials.unwrap() {
        Credentials::AuthorizationCode { code, .. } => code.expose().to_string(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn credentials_from_a_request_token_or_the_redirect() {
    let broker = zerodha("").unwrap();
    assert_eq!(
        code_of(credentials(&*broker, r#"{"request_token":"rt1"}"#)),
        "rt1"
    );
    let redirect = r#"{"redirect_url":"https://my.app/cb?action=login&type=login&status=success&request_token=rt2"}"#;
    let parsed = credentials(&*broker, redirect);
    assert!(
        !format!("{parsed:?}").contains("rt2"),
        "no token in a Debug string"
    );
    assert_eq!(code_of(parsed), "rt2");
    // `status` is not documented: a redirect without one is taken.
    let bare = r#"{"redirect_url":"https://my.app/cb?request_token=rt3"}"#;
    assert_eq!(code_of(credentials(&*broker, bare)), "rt3");
    // Found by fuzzing redirect_url: a blank request_token (`+` and line
    // ends) was taken as the token. Blank is missing; padding is trimmed,
    // in the address as in a pasted token.
    let padded = r#"{"redirect_url":"https://my.app/cb?request_token=+&request_token=%20rt5%0A"}"#;
    assert_eq!(code_of(credentials(&*broker, padded)), "rt5");
    assert_eq!(
        code_of(credentials(&*broker, r#"{"request_token":" rt6\r\n"}"#)),
        "rt6"
    );
    for (json, status, says) in [
        (
            r#"{"redirect_url":"https://my.app/cb?status=cancelled&request_token=rt4"}"#,
            Status::Auth,
            "status",
        ),
        (
            r#"{"redirect_url":"https://my.app/cb?status=success"}"#,
            Status::Auth,
            "request_token",
        ),
        (
            r#"{"redirect_url":"https://my.app/cb?request_token="}"#,
            Status::Auth,
            "request_token",
        ),
        (
            r#"{"redirect_url":"https://my.app/cb?status=success&request_token=%0A+%0A%0A"}"#,
            Status::Auth,
            "request_token",
        ),
        (
            r#"{"request_token":" \n"}"#,
            Status::InvalidArgument,
            "request_token",
        ),
        (
            r#"{"redirect_url":"not a url"}"#,
            Status::InvalidArgument,
            "redirect_url",
        ),
        (
            r#"{"request_token":"a","redirect_url":"https://x/?request_token=b"}"#,
            Status::InvalidArgument,
            "not both",
        ),
        ("{}", Status::InvalidArgument, "request_token"),
        (
            r#"{"request_token":""}"#,
            Status::InvalidArgument,
            "request_token",
        ),
        (r#"{"code":"x"}"#, Status::InvalidArgument, "request_token"),
        (
            r#"{"request_token":"a","pin":"1"}"#,
            Status::InvalidArgument,
            "pin",
        ),
    ] {
        let e = credentials(&*broker, json).unwrap_err();
        assert_eq!(e.status, status, "{json}: {e:?}");
        assert!(e.message.contains(says), "{json}: {}", e.message);
        assert!(!e.message.contains("rt4"), "{}", e.message);
    }
}

#[test]
fn config_keys_and_the_login_url() {
    let broker = zerodha("").unwrap();
    assert_eq!(broker.base_url(), DEFAULT_BASE_URL);
    let transport =
        crate::http::Transport::new(std::time::Duration::from_secs(1), &Default::default())
            .unwrap();
    assert_eq!(
        broker.login_url(&transport.call(false)).unwrap(),
        "https://kite.zerodha.com/connect/login?v=3&api_key=kite+key"
    );
    assert_eq!(broker.describe()["funds_segment"], "equity");
    assert!(!broker.describe().to_string().contains("sec"));
    assert_eq!(
        zerodha(r#","funds_segment":"both""#).unwrap().describe()["funds_segment"],
        "both"
    );
    let other = zerodha(r#","oauth_url":"https://kite.trade/connect/login""#).unwrap();
    assert!(
        other
            .login_url(&transport.call(false))
            .unwrap()
            .starts_with("https://kite.trade/connect/login?v=3&")
    );
    for (extra, key) in [
        (r#","funds_segment":"all""#, "funds_segment"),
        (r#","oauth_url":"http://kite.example/login""#, "oauth_url"),
        (r#","client_code":"x""#, "client_code"),
    ] {
        let e = zerodha(extra).unwrap_err();
        assert_eq!(e.status, Status::InvalidArgument);
        assert!(e.message.contains(key), "{extra}: {}", e.message);
    }
    for missing in [r#"{"api_key":"k"}"#, r#"{"api_secret":"s"}"#] {
        let mut keys = Keys::parse(missing, "config").unwrap();
        let e = Zerodha::from_config(&mut keys, None).unwrap_err();
        assert!(e.message.contains("is missing"), "{}", e.message);
        assert!(!e.message.contains("\"s\""));
    }
}

#[test]
fn the_checksum_is_sha256_of_key_token_secret() {
    let mut keys = Keys::parse(r#"{"api_key":"xxx","api_secret":"zzz"}"#, "config").unwrap();
    let broker = Zerodha {
        base_url: String::new(),
        login_url: String::new(),
        api_key: Secret::new(keys.required_str("api_key").unwrap()),
        api_secret: Secret::new(keys.required_str("api_secret").unwrap()),
        segment: FundsSegment::Equity,
    };
    // sha256("xxxyyyzzz")
    assert_eq!(
        broker.checksum(&Secret::new("yyy")).expose(),
        "cc6c955cadf2cc09442c0848ce8e165b8f9aa5974916de7186a9e1b6c4e7937e"
    );
    assert!(!format!("{broker:?}").contains("zzz"));
}

#[test]
fn unreadable_error_bodies_never_panic() {
    for body in [
        "",
        "{",
        "null",
        "\"error\"",
        r#"{"error_type":5}"#,
        r#"{"status":1}"#,
    ] {
        let response = reply(418, "application/json", body);
        let _ = parse_reply(Operation::Funds, &response);
    }
    let e = error_for(Operation::Funds, "", "", 500);
    assert!(e.message.contains("(no message)"));
    assert_eq!(e.broker_code, None);
}
