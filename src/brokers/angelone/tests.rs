use super::*;

fn reply(status: u16, body: &str) -> Response {
    Response::test(status, "application/json", body)
}

fn error(op: Operation, status: u16, body: &str) -> Error {
    parse_reply(op, &reply(status, body)).unwrap_err()
}

#[test]
fn service_envelope_success_returns_data() {
    let data = parse_reply(
        Operation::Funds,
        &reply(
            200,
            r#"{"status":true,"message":"SUCCESS","errorcode":"","data":{"a":1}}"#,
        ),
    )
    .unwrap();
    assert_eq!(data["a"], 1);
    let logout = parse_reply(
        Operation::Funds,
        &reply(
            200,
            r#"{"status":true,"message":"SUCCESS","errorcode":"","data":""}"#,
        ),
    )
    .unwrap();
    assert_eq!(logout, Value::String(String::new()));
}

#[test]
fn string_false_and_null_are_accepted() {
    let e = error(
        Operation::Login,
        200,
        r#"{"status":"false","message":"Invalid totp","errorcode":"AB1050","data":"null"}"#,
    );
    assert_eq!(e.status, Status::Auth);
    assert_eq!(e.broker_code.as_deref(), Some("AB1050"));
    assert_eq!(e.broker_message.as_deref(), Some("Invalid totp"));
    let ok = parse_reply(
        Operation::Funds,
        &reply(200, r#"{"status":"true","data":"null"}"#),
    )
    .unwrap();
    assert_eq!(ok, Value::Null);
}

#[test]
fn gateway_envelope_token_errors_are_session_expired() {
    for code in ["AG8001", "AG8002", "AG8003"] {
        let body = format!(
            r#"{{"success":false,"message":"Invalid Token","errorCode":"{code}","data":""}}"#
        );
        let e = error(Operation::Funds, 401, &body);
        assert_eq!(e.status, Status::SessionExpired, "{code}");
        assert_eq!(e.broker_code.as_deref(), Some(code));
        assert_eq!(e.http_status, Some(401));
    }
}

#[test]
fn error_table_of_protocols_1_4() {
    let class = |op, code: &str| {
        let body = format!(r#"{{"status":false,"message":"m","errorcode":"{code}","data":null}}"#);
        let e = error(op, 200, &body);
        (e.status, e.retryable)
    };
    assert_eq!(class(Operation::Funds, "AG8004"), (Status::Auth, false));
    assert_eq!(class(Operation::Funds, "AG7002"), (Status::Auth, false));
    assert_eq!(
        class(Operation::Refresh, "AB8050"),
        (Status::SessionExpired, false)
    );
    assert_eq!(
        class(Operation::Refresh, "AB8051"),
        (Status::SessionExpired, false)
    );
    assert_eq!(
        class(Operation::Refresh, "AG8002"),
        (Status::SessionExpired, false)
    );
    assert_eq!(class(Operation::Login, "AB1000"), (Status::Auth, false));
    assert_eq!(class(Operation::Login, "AB1007"), (Status::Auth, false));
    assert_eq!(class(Operation::Funds, "AB1007"), (Status::Broker, false));
    assert_eq!(class(Operation::Login, "AB1050"), (Status::Auth, false));
    assert_eq!(class(Operation::Login, "AB1034"), (Status::Auth, false));
    assert_eq!(class(Operation::Funds, "AB1005"), (Status::Broker, false));
    assert_eq!(class(Operation::Funds, "AB1006"), (Status::Broker, false));
    assert_eq!(
        class(Operation::Funds, "AB1010"),
        (Status::SessionExpired, false)
    );
    assert_eq!(
        class(Operation::Funds, "AB1011"),
        (Status::SessionExpired, false)
    );
    assert_eq!(class(Operation::Funds, "AB1004"), (Status::Broker, true));
    assert_eq!(class(Operation::Funds, "AB2000"), (Status::Broker, false));
    assert_eq!(class(Operation::Funds, "AB2001"), (Status::Broker, true));
    assert_eq!(class(Operation::Funds, "XX0000"), (Status::Broker, false));
}

#[test]
fn broker_class_message_quotes_the_broker() {
    let e = error(
        Operation::Funds,
        200,
        r#"{"status":false,"message":"Client Is Block For Trading","errorcode":"AB1006"}"#,
    );
    assert!(e.message.contains("Client Is Block For Trading"));
}

#[test]
fn replies_without_an_envelope_are_protocol_errors() {
    assert_eq!(
        error(Operation::Funds, 200, r#"{"foo":1}"#).status,
        Status::Protocol
    );
    assert_eq!(
        error(Operation::Funds, 200, "null").status,
        Status::Protocol
    );
    assert_eq!(
        error(Operation::Funds, 200, "[1,2]").status,
        Status::Protocol
    );
    assert_eq!(
        error(Operation::Funds, 200, r#"{"status":tr"#).status,
        Status::Protocol
    );
}

#[test]
fn login_reply_tokens_and_jwt_expiry() {
    // {"sub":"D1","exp":1795435200}
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(br#"{"sub":"D1","exp":1795435200}"#);
    let jwt = format!("eyJhbGciOiJIUzUxMiJ9.{payload}.sig");
    let data = json!({"jwtToken": format!("Bearer {jwt}"), "refreshToken": "r1", "feedToken": "f1", "state": ""});
    let t = tokens_from_reply(&data, None, "D1").unwrap();
    assert_eq!(t.access.expose(), jwt);
    assert_eq!(t.expires_at, Some(1_795_435_200));
    assert_eq!(t.refresh.as_ref().unwrap().expose(), "r1");
    // A refresh reply without a refresh token keeps the old one.
    let again = tokens_from_reply(&json!({"jwtToken": "x.y.z"}), Some(&t), "D1").unwrap();
    assert_eq!(again.refresh.unwrap().expose(), "r1");
    assert_eq!(again.feed.unwrap().expose(), "f1");
    assert_eq!(again.expires_at, None);
    let missing = tokens_from_reply(&json!({"refreshToken": "r"}), None, "D1").unwrap_err();
    assert_eq!(missing.status, Status::Protocol);
}

#[test]
fn jwt_expiry_tolerates_garbage() {
    assert_eq!(jwt_expiry("nodots"), None);
    assert_eq!(jwt_expiry("a.!!!.c"), None);
    let s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"exp":"1700000000"}"#);
    assert_eq!(jwt_expiry(&format!("a.{s}.c")), Some(1_700_000_000));
}

#[test]
fn profile_accepts_arrays_and_stringified_lists() {
    let live = json!({"clientcode":"D1","name":"N","email":"e","mobileno":"9","exchanges":["nse_cm","bse_cm"],"products":["CNC"],"broker":""});
    let p = profile_from(live, "X").unwrap();
    assert_eq!((p.user_id.as_str(), p.mobile.as_str()), ("D1", "9"));
    assert_eq!(p.exchanges, ["nse_cm", "bse_cm"]);
    let docs = json!({"clientcode":"","name":"N","exchanges":"[ \"NSE\", \"BSE\" ]","products":"[ \"DELIVERY\", \"INTRADAY\"]","brokerid":"B2C"});
    let p = profile_from(docs, "X").unwrap();
    assert_eq!(p.user_id, "X");
    assert_eq!(p.exchanges, ["NSE", "BSE"]);
    assert_eq!(p.products, ["DELIVERY", "INTRADAY"]);
    assert_eq!(p.raw["brokerid"], "B2C");
    assert!(profile_from(Value::Null, "X").is_err());
}

#[test]
fn funds_map_every_field_exactly() {
    let data = json!({"net":"19948.7700","availablecash":"12554.549999999999272","availableintradaypayin":"10",
        "availablelimitmargin":"0","collateral":null,"m2munrealized":"-1053.75","m2mrealized":"250.5",
        "utiliseddebits":"7393.23","utilisedpayout":""});
    let f = funds_from(data).unwrap();
    let v: Value = serde_json::from_str(&serde_json::to_string(&f).unwrap()).unwrap();
    assert_eq!(v["available_cash"].to_string(), "12554.55");
    assert_eq!(v["net"].to_string(), "19948.77");
    assert_eq!(v["used_margin"].to_string(), "7393.23");
    assert_eq!(v["collateral"].to_string(), "0");
    assert_eq!(v["payin"].to_string(), "10");
    assert_eq!(v["payout"].to_string(), "0");
    assert_eq!(v["m2m_realized"].to_string(), "250.5");
    assert_eq!(v["m2m_unrealized"].to_string(), "-1053.75");
    assert_eq!(v["raw"]["availablecash"], "12554.549999999999272");
}

#[test]
fn funds_with_a_bad_number_name_the_field() {
    let e = funds_from(json!({"net":"lots"})).unwrap_err();
    assert_eq!(e.status, Status::Protocol);
    assert!(e.message.contains("\"net\""));
    assert!(!e.message.contains("lots"));
}
