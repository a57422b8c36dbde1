use super::*;

fn reply(status: u16, body: &str) -> Response {
    Response::test(status, "application/json", body)
}

fn error(op: Operation, status: u16, body: &str) -> Error {
    parse_reply(op, &reply(status, body)).unwrap_err()
}

fn envelope(code: &str) -> String {
    format!(
        r#"{{"status":"error","errors":[{{"error_code":"{code}","message":"m","property_path":null,"invalid_value":null,"errorCode":"{code}","propertyPath":null,"invalidValue":null}}]}}"#
    )
}

#[test]
fn success_envelope_returns_data() {
    let data = parse_reply(
        Operation::Profile,
        &reply(200, r#"{"status":"success","data":{"user_id":"U1"}}"#),
    )
    .unwrap();
    assert_eq!(data["user_id"], "U1");
    let logout = parse_reply(
        Operation::Logout,
        &reply(200, r#"{"status":"success","data":true}"#),
    )
    .unwrap();
    assert_eq!(logout, Value::Bool(true));
}

#[test]
fn the_flat_token_reply_is_a_success_only_at_login() {
    let flat = r#"{"user_id":"U1","access_token":"tok","extended_token":"ext"}"#;
    let whole = parse_reply(Operation::Login, &reply(200, flat)).unwrap();
    assert_eq!(whole["access_token"], "tok");
    let e = error(Operation::Profile, 200, flat);
    assert_eq!(e.status, Status::Protocol);
    let e = error(Operation::Login, 200, r#"{"user_id":"U1"}"#);
    assert_eq!(e.status, Status::Protocol);
}

#[test]
fn both_error_key_spellings_give_the_broker_code() {
    let snake = error(
        Operation::Login,
        400,
        r#"{"status":"error","errors":[{"error_code":"UDAPI100057","message":"Invalid Auth code"}]}"#,
    );
    let camel = error(
        Operation::Login,
        400,
        r#"{"status":"error","errors":[{"errorCode":"UDAPI100057","message":"Invalid Auth code"}]}"#,
    );
    for e in [snake, camel] {
        assert_eq!(e.status, Status::Auth);
        assert_eq!(e.broker_code.as_deref(), Some("UDAPI100057"));
        assert_eq!(e.broker_message.as_deref(), Some("Invalid Auth code"));
        assert_eq!(e.http_status, Some(400));
    }
}

#[test]
fn every_code_of_the_table_has_its_class() {
    let cases = [
        ("UDAPI100050", 401, Status::SessionExpired, false),
        ("UDAPI100016", 401, Status::Auth, false),
        ("UDAPI100068", 400, Status::Auth, false),
        ("UDAPI100069", 400, Status::Auth, false),
        ("UDAPI100057", 400, Status::Auth, false),
        ("UDAPI100073", 400, Status::Auth, false),
        ("UDAPI100067", 403, Status::Unsupported, false),
        ("UDAPI10005", 429, Status::RateLimited, true),
        ("UDAPI100015", 400, Status::InvalidArgument, false),
        ("UDAPI100036", 400, Status::InvalidArgument, false),
        ("UDAPI100038", 400, Status::InvalidArgument, false),
        ("UDAPI10000", 404, Status::Unsupported, false),
        ("UDAPI100072", 423, Status::Broker, false),
        ("UDAPI100058", 400, Status::Broker, false),
        ("UDAPI100500", 500, Status::Broker, true),
        ("UDAPI999999", 400, Status::Broker, false),
    ];
    for (code, http, status, retryable) in cases {
        let e = error(Operation::Funds, http, &envelope(code));
        assert_eq!((e.status, e.retryable), (status, retryable), "{code}");
        assert_eq!(e.broker_code.as_deref(), Some(code));
        assert_eq!(e.http_status, Some(http));
    }
    let window = error(Operation::Funds, 423, &envelope("UDAPI100072"));
    assert!(window.message.contains("05:30 IST"), "{}", window.message);
}

#[test]
fn replies_without_the_error_envelope_are_classed_by_http_status() {
    let class = |op, status, body: &str| error(op, status, body).status;
    assert_eq!(class(Operation::Funds, 429, ""), Status::RateLimited);
    assert_eq!(class(Operation::Funds, 401, "{}"), Status::SessionExpired);
    assert_eq!(class(Operation::Login, 401, "Unauthorized"), Status::Auth);
    assert_eq!(class(Operation::Funds, 400, "{}"), Status::InvalidArgument);
    assert_eq!(class(Operation::Funds, 502, "Bad Gateway"), Status::Broker);
    assert_eq!(
        class(Operation::Funds, 200, "<html></html>"),
        Status::Protocol
    );
    assert_eq!(
        class(Operation::Funds, 200, r#"{"status":"error"}"#),
        Status::Protocol
    );
    assert_eq!(class(Operation::Funds, 200, "[1]"), Status::Protocol);
}

#[test]
fn profile_maps_the_fields_of_the_protocol() {
    let data = serde_json::json!({
        "email": "a@b.c", "exchanges": ["NSE", "BSE"], "products": ["D", "I"],
        "broker": "UPSTOX", "user_id": "U1", "user_name": "Name", "ddpi": true
    });
    let p = profile_from(data, "fallback").unwrap();
    assert_eq!((p.user_id.as_str(), p.name.as_str()), ("U1", "Name"));
    assert_eq!((p.email.as_str(), p.mobile.as_str()), ("a@b.c", ""));
    assert_eq!(p.exchanges, ["NSE", "BSE"]);
    assert_eq!(p.products, ["D", "I"]);
    assert_eq!(p.raw["ddpi"], true);
    let bare = profile_from(serde_json::json!({}), "fallback").unwrap();
    assert_eq!(bare.user_id, "fallback");
    assert!(profile_from(Value::Null, "x").is_err());
}

/// The v3 sample of PROTOCOLS.md §5.4, with a loss and withdrawal.
fn v3_sample() -> Value {
    serde_json::from_str(
        r#"{"available_to_trade":{"total":5379.03,
   "cash_available_to_trade":{"total":5117.34,
     "cash":{"opening_balance":5137.34,"added_today":110.0,"withdrawn_today":-130.0,
             "amount_from_stock_sale":0.0,"unpaid_charges":0},
     "margin_used":{"total":0.0,"mtf":0.0,"loss":{"total":-12.5,"realised":-10.25,"unrealised":-2.25},
                    "span_exposure":0.0}},
   "pledge_available_to_trade":{"total":261.69,
     "margin_from_pledge":{"total":263.49,"equity":263.49,"mutual_funds":0.0},
     "margin_used":{"total":1.8}}},
 "unavailable_to_trade":{}}"#,
    )
    .unwrap()
}

fn json_of(funds: &Funds) -> Value {
    serde_json::from_str(&serde_json::to_string(funds).unwrap()).unwrap()
}

#[test]
fn v3_funds_follow_the_formulas() {
    let text = serde_json::to_string(&funds_v3_from(v3_sample()).unwrap()).unwrap();
    for field in [
        r#""available_cash":5117.34"#,
        r#""net":5379.03"#,
        r#""used_margin":1.8"#,
        r#""collateral":263.49"#,
        r#""payin":110.0"#,
        r#""payout":130.0"#,
        r#""m2m_realized":10.25"#,
        r#""m2m_unrealized":2.25"#,
    ] {
        assert!(text.contains(field), "{field} in {text}");
    }
}

#[test]
fn v3_money_edge_cases() {
    let mut data = v3_sample();
    let cash = &mut data["available_to_trade"]["cash_available_to_trade"];
    cash["total"] = serde_json::json!("12554.549999999999272");
    cash["cash"]["added_today"] = Value::Null;
    cash["cash"]["withdrawn_today"] = serde_json::from_str("-0.0").unwrap();
    cash["margin_used"]["loss"] = serde_json::json!({});
    let funds = json_of(&funds_v3_from(data).unwrap());
    assert_eq!(funds["available_cash"].to_string(), "12554.55");
    assert_eq!(funds["payin"].to_string(), "0");
    assert_eq!(funds["payout"].to_string(), "0.0");
    assert_eq!(funds["m2m_realized"].to_string(), "0");
    let mut bad = v3_sample();
    bad["available_to_trade"]["total"] = serde_json::json!("lots");
    let e = funds_v3_from(bad).unwrap_err();
    assert_eq!(e.status, Status::Protocol);
    assert!(
        e.message.contains("available_to_trade.total"),
        "{}",
        e.message
    );
    let mut huge = v3_sample();
    huge["available_to_trade"]["total"] = serde_json::from_str("1e40").unwrap();
    assert_eq!(funds_v3_from(huge).unwrap_err().status, Status::Protocol);
    assert!(funds_v3_from(serde_json::json!([])).is_err());
}

#[test]
fn v2_funds_use_the_equity_object_only() {
    let data = serde_json::json!({
        "equity": {"used_margin": 0.8, "payin_amount": 200.0, "span_margin": 0.0,
                   "adhoc_margin": 0.0, "notional_cash": 0.0, "available_margin": 15507.46,
                   "exposure_margin": 0.0},
        "commodity": {"used_margin": 9, "payin_amount": 9, "available_margin": 9}
    });
    let funds = json_of(&funds_v2_from(data).unwrap());
    assert_eq!(funds["available_cash"].to_string(), "15507.46");
    assert_eq!(funds["net"].to_string(), "15507.46");
    assert_eq!(funds["used_margin"].to_string(), "0.8");
    assert_eq!(funds["payin"].to_string(), "200.0");
    for zero in ["collateral", "payout", "m2m_realized", "m2m_unrealized"] {
        assert_eq!(funds[zero].to_string(), "0", "{zero}");
    }
    let e = funds_v2_from(serde_json::json!([{"equity": {}}])).unwrap_err();
    assert_eq!(e.status, Status::Protocol);
}

#[test]
fn expiry_is_the_jwt_exp_else_the_next_0330_ist() {
    // 2026-11-23T12:00:00Z is 17:30 IST; 03:30 IST next day is 22:00 UTC.
    let now = 1_795_435_200;
    assert_eq!(token_expiry("not-a-jwt", now), now + 10 * 3600);
    // {"exp":1795500000}
    use base64::Engine;
    let claims = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"exp":1795500000}"#);
    assert_eq!(token_expiry(&format!("h.{claims}.s"), now), 1_795_500_000);
}

#[test]
fn tokens_come_from_the_flat_reply() {
    let reply = serde_json::json!({"user_id": "U1", "access_token": "tok", "extended_token": "e"});
    let tokens = tokens_from(&reply, 0).unwrap();
    assert_eq!(tokens.access.expose(), "tok");
    assert_eq!(tokens.user_id, "U1");
    assert_eq!(tokens.style, TokenStyle::Bearer);
    assert!(tokens.refresh.is_none());
    assert!(tokens_from(&serde_json::json!({"user_id": "U1"}), 0).is_err());
    assert!(tokens_from(&serde_json::json!({"access_token": "t"}), 0).is_err());
}

fn upstox(config: &str) -> Box<dyn Broker> {
    let mut keys = Keys::parse(config, "config").unwrap();
    let broker = Upstox::from_config(&mut keys, None).unwrap();
    keys.finish().unwrap();
    broker
}

#[test]
fn each_session_has_its_own_random_state_and_debug_hides_secrets() {
    let config =
        r#"{"api_key":"KEY","api_secret":"SECRET-VALUE","redirect_uri":"https://app.example/cb"}"#;
    let (a, b) = (upstox(config), upstox(config));
    let debug = format!("{a:?}");
    assert!(!debug.contains("SECRET-VALUE"), "{debug}");
    let state = |b: &dyn Broker| {
        let transport = crate::http::Transport::new(
            std::time::Duration::from_secs(1),
            &crate::config::TransportConfig::default(),
        )
        .unwrap();
        let url = reqwest::Url::parse(&b.login_url(&transport.call(false)).unwrap()).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "state")
            .map(|(_, v)| v.into_owned())
            .unwrap()
    };
    assert_ne!(state(a.as_ref()), state(b.as_ref()));
    assert_eq!(state(a.as_ref()), state(a.as_ref()));
}

#[test]
fn pacing_keeps_within_the_three_published_windows() {
    let broker = upstox(r#"{"api_key":"KEY"}"#);
    for op in [Operation::Profile, Operation::Funds, Operation::Logout] {
        let limit = broker.rate_limit(op);
        // 1.1 s windows: at most 8 * 60 / 1.1 ≈ 436 a minute (< 500); 2000 an hour is at
        // most 2000 in any 30 minutes; 8 a second is under 50.
        assert_eq!(limit, RateLimit::new(8, 2000), "{op:?}");
    }
    assert_eq!(broker.rate_limit(Operation::Login), RateLimit::NONE);
    assert!(!broker.can_refresh());
}
