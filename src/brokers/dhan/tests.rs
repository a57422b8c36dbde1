use super::login::consent_refused;
use super::*;
use crate::error::Reason;
use crate::http::Response;
use base64::Engine;
use zeroize::Zeroizing;

fn reply(status: u16, body: &str) -> Response {
    Response::test(status, "application/json", body)
}

fn error(op: Operation, status: u16, body: &str) -> Error {
    parse_reply(op, &reply(status, body)).unwrap_err()
}

fn dh(code: &str, message: &str) -> String {
    format!(r#"{{"errorType":"T","errorCode":"{code}","errorMessage":"{message}"}}"#)
}

fn jwt(claims: &str) -> String {
    let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!("{}.{}.sig", e(r#"{"typ":"JWT","alg":"HS512"}"#), e(claims))
}

#[test]
fn a_2xx_object_is_the_payload() {
    let v = parse_reply(Operation::Funds, &reply(200, r#"{"availabelBalance":1}"#)).unwrap();
    assert_eq!(v["availabelBalance"], 1);
}

#[test]
fn error_table_of_protocols_7_5() {
    let class = |op, code: &str, message: &str| {
        let e = error(op, 400, &dh(code, message));
        assert_eq!(e.broker_code.as_deref(), Some(code));
        assert_eq!(e.http_status, Some(400));
        (e.status, e.retryable, e.reason)
    };
    use Operation::{Funds, Login, Profile};
    assert_eq!(
        class(Funds, "DH-901", "x"),
        (Status::SessionExpired, false, None)
    );
    assert_eq!(class(Login, "DH-901", "x"), (Status::Auth, false, None));
    assert_eq!(
        class(Funds, "DH-902", "x"),
        (Status::Auth, false, Some(Reason::ApiNotEnabled))
    );
    assert_eq!(class(Funds, "DH-903", "x"), (Status::Broker, false, None));
    assert_eq!(
        class(Funds, "DH-904", "x"),
        (Status::RateLimited, true, None)
    );
    assert_eq!(class(Funds, "DH-905", "x"), (Status::Broker, false, None));
    assert_eq!(
        class(Funds, "DH-906", "Order rejected"),
        (Status::Broker, false, None)
    );
    assert_eq!(
        class(Profile, "DH-906", "Invalid Token"),
        (Status::SessionExpired, false, None)
    );
    assert_eq!(class(Funds, "DH-907", "x"), (Status::Broker, false, None));
    assert_eq!(class(Funds, "DH-908", "x"), (Status::Broker, true, None));
    assert_eq!(class(Funds, "DH-909", "x"), (Status::Broker, true, None));
    assert_eq!(class(Funds, "DH-910", "x"), (Status::Broker, false, None));
    assert_eq!(class(Funds, "DH-999", "x"), (Status::Broker, false, None));
}

#[test]
fn data_api_numeric_codes() {
    let class = |code: &str| {
        let e = error(
            Operation::Funds,
            200,
            &format!(r#"{{"status":"failed","data":{{"{code}":"m"}}}}"#),
        );
        assert_eq!(e.broker_code.as_deref(), Some(code));
        (e.status, e.reason)
    };
    assert_eq!(class("805"), (Status::RateLimited, None));
    assert_eq!(class("806"), (Status::Auth, Some(Reason::ApiNotEnabled)));
    assert_eq!(class("807"), (Status::SessionExpired, None));
    assert_eq!(class("809"), (Status::SessionExpired, None));
    assert_eq!(class("808"), (Status::Auth, None));
    assert_eq!(class("810"), (Status::Auth, None));
    for code in ["800", "804", "811", "812", "813", "814"] {
        assert_eq!(class(code), (Status::Broker, None), "{code}");
    }
}

#[test]
fn every_refusal_at_refresh_but_a_transient_one_is_session_expired() {
    for code in ["DH-901", "DH-902", "DH-905", "DH-906", "DH-910"] {
        let e = error(Operation::Refresh, 400, &dh(code, "m"));
        assert_eq!(e.status, Status::SessionExpired, "{code}");
        assert!(e.message.contains("web.dhan.co"), "{code}: {}", e.message);
        assert_eq!(e.broker_code.as_deref(), Some(code));
    }
    assert_eq!(
        error(Operation::Refresh, 429, &dh("DH-904", "m")).status,
        Status::RateLimited
    );
    let e = error(Operation::Refresh, 500, &dh("DH-908", "m"));
    assert_eq!((e.status, e.retryable), (Status::Broker, true));
    assert_eq!(
        error(Operation::Refresh, 401, "{}").status,
        Status::SessionExpired
    );
}

/// Found by fuzzing (dhan_reply): an error object with a byte that is not
/// UTF-8 is not JSON, and at RenewToken its 400 was left a plain broker
/// error instead of asking for a new login.
#[test]
fn a_refusal_at_refresh_that_is_not_json_is_session_expired() {
    let mut body = dh("DH-905", "Request method 'POST' is not supported").into_bytes();
    let at = body.len() - 10;
    body[at] = 0x86;
    for (status, body) in [(400, body), (405, b"Method Not Allowed".to_vec())] {
        let response = Response {
            body: Zeroizing::new(body),
            ..reply(status, "")
        };
        let e = parse_reply(Operation::Refresh, &response).unwrap_err();
        assert_eq!(e.status, Status::SessionExpired, "HTTP {status}: {e:?}");
        assert_eq!(e.http_status, Some(status));
    }
    let garbled = parse_reply(Operation::Refresh, &reply(200, "{not json")).unwrap_err();
    assert_eq!(garbled.status, Status::Protocol);
    let busy = parse_reply(Operation::Refresh, &reply(503, "<html>busy</html>")).unwrap_err();
    assert!(busy.retryable, "{busy:?}");
}

#[test]
fn auth_host_refusals_at_login() {
    let e = error(
        Operation::Login,
        401,
        r#"{"message":"Invalid TOTP","status":"error"}"#,
    );
    assert_eq!(
        (e.status, e.reason),
        (Status::Auth, Some(Reason::TotpRejected))
    );
    assert_eq!(e.broker_message.as_deref(), Some("Invalid TOTP"));
    let e = error(
        Operation::Login,
        401,
        r#"{"message":"Invalid Pin","status":"error"}"#,
    );
    assert_eq!((e.status, e.reason), (Status::Auth, None));
    assert!(e.message.contains("\"pin\""));
    let e = error(
        Operation::Login,
        200,
        r#"{"status":"failure","remarks":"nope"}"#,
    );
    assert_eq!(e.status, Status::Auth);
    let e = error(
        Operation::Funds,
        200,
        r#"{"status":"error","message":"odd"}"#,
    );
    assert_eq!(e.status, Status::Broker);
    assert!(e.message.contains("odd"));
}

#[test]
fn http_statuses_without_a_code() {
    assert_eq!(
        error(Operation::Funds, 401, "{}").status,
        Status::SessionExpired
    );
    assert_eq!(error(Operation::Login, 401, "{}").status, Status::Auth);
    assert_eq!(
        error(Operation::Funds, 429, "{}").status,
        Status::RateLimited
    );
    let e = error(Operation::Funds, 503, "{}");
    assert_eq!((e.status, e.retryable), (Status::Broker, true));
    assert_eq!(error(Operation::Funds, 404, "{}").status, Status::Broker);
}

#[test]
fn replies_that_are_not_a_json_object() {
    for body in ["", "null", "[1]", "{\"a\":", "<html>x</html>"] {
        assert_eq!(
            error(Operation::Funds, 200, body).status,
            Status::Protocol,
            "{body:?}"
        );
    }
    assert_eq!(
        error(Operation::Funds, 429, "Too Many Requests").status,
        Status::RateLimited
    );
    assert_eq!(
        error(Operation::Funds, 502, "bad gateway").status,
        Status::Broker
    );
}

#[test]
fn the_daily_consent_cap_has_its_reason() {
    let e = consent_refused(error(
        Operation::Login,
        429,
        r#"{"status":"error","message":"You have reached the maximum limit of 25 consentAppId for the day"}"#,
    ));
    assert_eq!(
        (e.status, e.retryable, e.reason),
        (Status::RateLimited, false, Some(Reason::DailyLimitReached))
    );
    assert!(e.message.contains("tomorrow"));
    let e = consent_refused(error(
        Operation::Login,
        401,
        r#"{"status":"error","message":"Invalid app_id or app_secret"}"#,
    ));
    assert_eq!((e.status, e.reason), (Status::Auth, None));
    assert!(e.message.contains("\"app_secret\""));
}

#[test]
fn login_replies_give_tokens_name_and_expiry() {
    let token =
        jwt(r#"{"iss":"dhan","dhanClientId":"1000000001","exp":1795435200,"iat":1795348800}"#);
    let body = json!({"dhanClientId":"1000000001","dhanClientName":"JOHN DOE","dhanClientUcc":"CEFE4265",
        "givenPowerOfAttorney":true,"accessToken":token,"expiryTime":"2025-09-23T12:37:23"});
    let (tokens, name) = tokens_from_login(&body, "1000000001", 0).unwrap();
    assert_eq!(tokens.access.expose(), token);
    assert_eq!(
        tokens.expires_at,
        Some(1_795_435_200),
        "the JWT's exp first"
    );
    assert_eq!(
        (tokens.user_id.as_str(), name.as_str()),
        ("1000000001", "JOHN DOE")
    );
    // Without a JWT: expiryTime, IST.
    let body = json!({"accessToken":"opaque","expiryTime":"2026-01-01T00:00:00.000"});
    let (tokens, _) = tokens_from_login(&body, "1000000001", 0).unwrap();
    assert_eq!(tokens.expires_at, Some(1_767_205_800)); // 2025-12-31T18:30:00Z
    // Neither: 24 hours.
    let (tokens, _) = tokens_from_login(&json!({"accessToken":"opaque"}), "1", 1000).unwrap();
    assert_eq!(tokens.expires_at, Some(1000 + 86_400));
    let other = json!({"accessToken":"t","dhanClientId":"2000000002"});
    assert_eq!(
        tokens_from_login(&other, "1000000001", 0)
            .unwrap_err()
            .status,
        Status::Auth
    );
    assert_eq!(
        tokens_from_login(&json!({"dhanClientId":"1"}), "1", 0)
            .unwrap_err()
            .status,
        Status::Protocol
    );
}

#[test]
fn renewal_reads_access_token_else_token() {
    let previous = Tokens {
        access: Secret::new("old"),
        refresh: None,
        feed: None,
        user_id: "1000000001".into(),
        account_id: None,
        style: crate::brokers::TokenStyle::Bearer,
        expires_at: Some(5),
    };
    let t = tokens_from_renewal(&json!({"accessToken":"new1"}), &previous, 10).unwrap();
    assert_eq!(
        (t.access.expose(), t.expires_at),
        ("new1", Some(10 + 86_400))
    );
    let t = tokens_from_renewal(
        &json!({"token":"new2","expiryTime":"2026-01-01T05:30:00"}),
        &previous,
        10,
    )
    .unwrap();
    assert_eq!(
        (t.access.expose(), t.expires_at),
        ("new2", Some(1_767_225_600))
    );
    assert_eq!(t.user_id, "1000000001");
    assert_eq!(
        tokens_from_renewal(&json!({}), &previous, 0)
            .unwrap_err()
            .status,
        Status::Protocol
    );
}

#[test]
fn ist_times_in_both_shapes() {
    assert_eq!(ist_timestamp("2025-09-23T12:37:23"), Some(1_758_611_243));
    assert_eq!(
        ist_timestamp("2025-09-23T12:37:23.999"),
        Some(1_758_611_243)
    );
    assert_eq!(ist_timestamp("2025-02-30T12:00:00"), None);
    assert_eq!(ist_timestamp("soon"), None);
    assert_eq!(ist_timestamp(""), None);
    assert_eq!(token_validity("30/03/2025 15:37"), Some(1_743_329_220));
    assert_eq!(token_validity("30/13/2025 15:37"), None);
    assert_eq!(token_validity("30/03/2025"), None);
    assert_eq!(jwt_expiry("a.b"), None);
    assert_eq!(
        jwt_expiry(&jwt(r#"{"exp":"1700000000"}"#)),
        Some(1_700_000_000)
    );
    assert_eq!(jwt_expiry(&jwt(r#"{"exp":-5}"#)), None);
}

#[test]
fn profile_maps_segments_and_keeps_raw() {
    let raw = json!({"dhanClientId":"1100003626","tokenValidity":"30/03/2025 15:37",
        "activeSegment":"Equity, Derivative, Currency, Commodity","ddpi":"Active","mtf":"Active",
        "dataPlan":"Active","dataValidity":"2024-12-05 09:37:52.0"});
    let p = profile_from(raw, "X", "JOHN DOE");
    assert_eq!(p.user_id, "1100003626");
    assert_eq!(p.name, "JOHN DOE");
    assert_eq!(
        p.exchanges,
        ["Equity", "Derivative", "Currency", "Commodity"]
    );
    assert!(p.products.is_empty() && p.email.is_empty() && p.mobile.is_empty());
    assert_eq!(p.raw["ddpi"], "Active");
    assert_eq!(profile_from(json!({}), "X", "").user_id, "X");
}

fn funds_json(body: &str) -> Result<Value> {
    let reply: Value = serde_json::from_str(body).unwrap();
    funds_from(reply).map(|f| serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap())
}

#[test]
fn funds_map_the_misspelt_fields_exactly() {
    let v = funds_json(
        r#"{"dhanClientId":"1000000009","availabelBalance":98440.0,"sodLimit":113642,"collateralAmount":0.0,
        "receiveableAmount":0.0,"utilizedAmount":15202.0,"blockedPayoutAmount":12.345,"withdrawableBalance":98310.0}"#,
    )
    .unwrap();
    assert_eq!(v["available_cash"].to_string(), "98440.0");
    assert_eq!(v["net"].to_string(), "98440.0");
    assert_eq!(v["used_margin"].to_string(), "15202.0");
    assert_eq!(v["collateral"].to_string(), "0.0");
    assert_eq!(v["payout"].to_string(), "12.35");
    assert_eq!(v["payin"].to_string(), "0");
    assert_eq!(v["m2m_realized"].to_string(), "0");
    assert_eq!(v["raw"]["receiveableAmount"].to_string(), "0.0");
    // The correct spelling is read only when the misspelt one is absent.
    let v = funds_json(r#"{"availableBalance":"5.5"}"#).unwrap();
    assert_eq!(v["available_cash"].to_string(), "5.5");
    let v = funds_json(r#"{"availabelBalance":1,"availableBalance":2}"#).unwrap();
    assert_eq!(v["available_cash"].to_string(), "1");
}

#[test]
fn funds_in_exponent_notation_are_exact_or_refused() {
    let v = funds_json(r#"{"availabelBalance":1.5e3,"utilizedAmount":-2.5E-1}"#).unwrap();
    assert_eq!(v["available_cash"].to_string(), "1500");
    assert_eq!(v["used_margin"].to_string(), "-0.25");
    let e = funds_json(r#"{"availabelBalance":-3.402823669209385e+38}"#).unwrap_err();
    assert_eq!(e.status, Status::Protocol);
    assert!(e.message.contains("\"availabelBalance\""), "{}", e.message);
    let e = funds_json(r#"{"utilizedAmount":"lots"}"#).unwrap_err();
    assert!(e.message.contains("\"utilizedAmount\"") && !e.message.contains("lots"));
}

#[test]
fn config_keys() {
    let build = |json: &str| {
        let mut keys = Keys::parse(json, "config").unwrap();
        let made = Dhan::from_config(&mut keys, None);
        made.and_then(|b| keys.finish().map(|()| b))
    };
    let dhan = build(r#"{"client_id":"1000000001"}"#).unwrap();
    assert_eq!(dhan.base_url(), DEFAULT_BASE_URL);
    assert_eq!(dhan.describe()["auth_url"], DEFAULT_AUTH_URL);
    assert_eq!(dhan.describe()["consent_login"], false);
    let e = build(r#"{"client_id":"1","app_id":"a"}"#).unwrap_err();
    assert!(e.message.contains("app_secret"));
    let e = build(r#"{"client_id":"1","app_secret":"a"}"#).unwrap_err();
    assert!(e.message.contains("app_id") && !e.message.contains("\"a\""));
    assert!(
        build(r#"{"app_id":"a"}"#)
            .unwrap_err()
            .message
            .contains("client_id")
    );
    assert!(build(r#"{"client_id":"1","auth_url":"http://auth.dhan.co"}"#).is_err());
    assert!(build(r#"{"client_id":"1 2"}"#).is_err());
    let e = build(r#"{"client_id":"1","api_key":"k"}"#).unwrap_err();
    assert!(e.message.contains("\"api_key\""));
    let dhan = build(
        r#"{"client_id":"1","app_id":"a","app_secret":"s","auth_url":"http://127.0.0.1:9/auth/","redirect_uri":"https://example.com/cb"}"#,
    )
    .unwrap();
    assert_eq!(dhan.describe()["auth_url"], "http://127.0.0.1:9/auth");
    assert_eq!(dhan.describe()["redirect_uri"], "https://example.com/cb");
    assert!(!format!("{dhan:?}").contains("\"s\""));
}

#[test]
fn credentials_choose_the_login() {
    let dhan = Dhan::from_config(
        &mut Keys::parse(r#"{"client_id":"1"}"#, "config").unwrap(),
        None,
    )
    .unwrap();
    let read = |json: &str| crate::brokers::parse_credentials(dhan.as_ref(), json);
    assert!(matches!(
        read(r#"{"pin":"123456","totp":"654321"}"#),
        Ok(Credentials::PinTotp { .. })
    ));
    assert!(matches!(
        read(r#"{"access_token":"t"}"#),
        Ok(Credentials::AccessToken(_))
    ));
    assert!(matches!(
        read(r#"{"token_id":"t"}"#),
        Ok(Credentials::AuthorizationCode { .. })
    ));
    let Ok(Credentials::AuthorizationCode { code, .. }) =
        read(r#"{"redirect_url":"https://example.com/cb?tokenId=abc"}"#)
    else {
        panic!("a redirect with tokenId");
    };
    assert_eq!(code.expose(), "abc");
    assert!(read(r#"{"pin":"1","access_token":"t"}"#).is_err());
    assert!(read(r#"{"pin":"1"}"#).is_err());
    assert!(read(r#"{}"#).unwrap_err().message.contains("token_id"));
    assert!(read(r#"{"redirect_url":"https://example.com/cb?code=abc"}"#).is_err());
}
