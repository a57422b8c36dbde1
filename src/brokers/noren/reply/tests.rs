use super::*;
use serde_json::json;

fn reply(status: u16, body: &str) -> Response {
    Response::test(status, "application/json", body)
}

#[test]
fn stat_ok_is_success_whatever_else() {
    assert!(
        parse_reply(
            Operation::Funds,
            &reply(200, r#"{"stat":"Ok","request_time":"10:00:00 23-11-2026"}"#)
        )
        .is_ok()
    );
    assert!(
        parse_reply(
            Operation::Login,
            &reply(200, r#"{"status":"Ok","token":"t"}"#)
        )
        .is_ok()
    );
}

#[test]
fn not_ok_is_classified_by_emsg_whatever_the_http_status() {
    for http_status in [200, 400] {
        let e = parse_reply(
            Operation::Login,
            &reply(
                http_status,
                r#"{"stat":"Not_Ok","emsg":"Invalid Input : Wrong Password"}"#,
            ),
        )
        .unwrap_err();
        assert_eq!((e.status, e.http_status), (Status::Auth, Some(http_status)));
        assert_eq!(
            e.broker_message.as_deref(),
            Some("Invalid Input : Wrong Password")
        );
    }
}

#[test]
fn kambala_genacstok_without_stat_is_success_but_other_stat_less_replies_are_not() {
    let ok = parse_reply(
        Operation::Login,
        &reply(
            200,
            r#"{"USERID":"DEMO","access_token":"abc","expires_in":"1772527627"}"#,
        ),
    );
    assert!(ok.is_ok());
    let e = parse_reply(Operation::Funds, &reply(200, r#"{"cash":"1"}"#)).unwrap_err();
    assert_eq!(e.status, Status::Protocol);
    let e = parse_reply(Operation::Login, &reply(502, r#"{"access_token":"abc"}"#)).unwrap_err();
    assert_eq!(e.status, Status::Broker);
}

#[test]
fn non_json_falls_back_to_transport_classes() {
    let e = parse_reply(
        Operation::Funds,
        &reply(403, "Access denied because of exceeding access rate"),
    )
    .unwrap_err();
    assert_eq!(e.status, Status::RateLimited);
    assert_eq!(
        parse_reply(Operation::Funds, &reply(200, ""))
            .unwrap_err()
            .status,
        Status::Protocol
    );
}

#[test]
fn emsg_words_decide_the_class_whatever_the_spacing() {
    let class = |op, emsg: &str| error_for_emsg(op, emsg).status;
    assert_eq!(
        class(Operation::Funds, "Session Expired :  Invalid Session Key"),
        Status::SessionExpired
    );
    assert_eq!(
        class(Operation::Funds, "Session Expired : Invalid Session Key"),
        Status::SessionExpired
    );
    assert_eq!(
        class(Operation::Login, "Invalid Input : INVALID_VERIFIER"),
        Status::Auth
    );
    assert_eq!(
        class(Operation::Login, "Invalid authorization code"),
        Status::Auth
    );
    assert_eq!(
        class(Operation::Login, "Invalid Input : Password Expired"),
        Status::Auth
    );
    assert_eq!(
        class(Operation::Login, "Invalid Input : Change Password"),
        Status::Auth
    );
    assert_eq!(
        class(Operation::Login, "Invalid Input :  Invalid Vendor code"),
        Status::Auth
    );
    assert_eq!(
        class(Operation::Login, "Invalid Input : Invalid OTP"),
        Status::Auth
    );
    assert_eq!(class(Operation::Login, ""), Status::Auth);
    assert_eq!(
        class(Operation::Refresh, "Invalid refresh token"),
        Status::SessionExpired
    );
    assert_eq!(
        class(Operation::Funds, "Error Occurred : 5 \"no data\""),
        Status::Broker
    );
    let timeout = error_for_emsg(Operation::Funds, "Server Timeout :  ");
    assert_eq!((timeout.status, timeout.retryable), (Status::Broker, true));
    assert!(
        error_for_emsg(Operation::Login, "Invalid Input : Password Expired")
            .message
            .contains("change it")
    );
}

#[test]
fn limits_map_to_funds_exactly() {
    let f = funds_from(
        json!({"stat":"Ok","cash":"1500000000000000.00","payin":"2500.50","payout":"10",
        "marginused":"3000.25","brkcollamt":"12000.75","rpnl":"-150.25","urmtom":"410.10"}),
    )
    .unwrap();
    let text = serde_json::to_string(&f).unwrap();
    for expected in [
        "\"available_cash\":1499999999999500.25",
        "\"net\":1500000000011501.00",
        "\"used_margin\":3000.25",
        "\"collateral\":12000.75",
        "\"payin\":2500.50",
        "\"payout\":10",
        "\"m2m_realized\":-150.25",
        "\"m2m_unrealized\":410.10",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
}

#[test]
fn limits_with_missing_fields_are_zero_and_unmtom_wins_over_urmtom() {
    let f = funds_from(json!({"stat":"Ok","unmtom":"5","urmtom":"7"})).unwrap();
    let text = serde_json::to_string(&f).unwrap();
    assert!(
        text.contains("\"available_cash\":0") && text.contains("\"m2m_unrealized\":5"),
        "{text}"
    );
    let e = funds_from(json!({"cash":"x"})).unwrap_err();
    assert!(e.message.contains("\"cash\""));
}

#[test]
fn user_details_map_to_profile() {
    let p = profile_from(
        json!({"uid":"N1","uname":"Demo","email":"e@x","m_num":"98","exarr":["NSE","NFO"],
        "prarr":[{"prd":"C","s_prdt_ali":"CNC","exch":["NSE"]},{"prd":"I"}]}),
        "X",
    );
    assert_eq!(
        (p.user_id.as_str(), p.name.as_str(), p.mobile.as_str()),
        ("N1", "Demo", "98")
    );
    assert_eq!(p.exchanges, ["NSE", "NFO"]);
    assert_eq!(p.products, ["CNC", "I"]);
}
