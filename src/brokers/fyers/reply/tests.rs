use super::*;
use serde_json::json;

fn reply(status: u16, body: &str) -> Response {
    Response::test(status, "application/json", body)
}

fn error(op: Operation, status: u16, body: &str) -> Error {
    parse_reply(op, &reply(status, body)).unwrap_err()
}

fn class(op: Operation, code: &str) -> (Status, bool) {
    let e = error(
        op,
        400,
        &format!(r#"{{"s":"error","code":{code},"message":"m"}}"#),
    );
    assert_eq!(e.broker_code.as_deref(), Some(code));
    assert_eq!(e.broker_message.as_deref(), Some("m"));
    assert_eq!(e.http_status, Some(400));
    (e.status, e.retryable)
}

#[test]
fn ok_is_success_whatever_else() {
    let ok = parse_reply(
        Operation::Funds,
        &reply(200, r#"{"code":200,"message":"","s":"ok","fund_limit":[]}"#),
    )
    .unwrap();
    assert_eq!(ok["fund_limit"], json!([]));
    assert!(parse_reply(Operation::Logout, &reply(200, r#"{"s":"OK"}"#)).is_ok());
}

#[test]
fn the_error_table_of_protocols_6_5() {
    use Operation::*;
    for code in ["-8", "-15", "-16", "-17"] {
        assert_eq!(
            class(Funds, code),
            (Status::SessionExpired, false),
            "{code}"
        );
        assert_eq!(class(Profile, code), (Status::SessionExpired, false));
        assert_eq!(class(Logout, code), (Status::SessionExpired, false));
        assert_eq!(class(Login, code), (Status::Auth, false));
        assert_eq!(class(Refresh, code), (Status::Auth, false));
    }
    for code in ["-352", "-371", "-374", "-373", "-157"] {
        assert_eq!(class(Login, code), (Status::Auth, false), "{code}");
        assert_eq!(class(Funds, code), (Status::Auth, false), "{code}");
    }
    for code in ["-429", "-353"] {
        assert_eq!(class(Funds, code), (Status::RateLimited, false), "{code}");
    }
    for code in ["-201", "-202", "-204", "-205", "-96"] {
        assert_eq!(class(Funds, code), (Status::Broker, true), "{code}");
    }
    for code in ["-441", "-50", "-99", "-300", "-51", "-53", "-12345"] {
        assert_eq!(class(Funds, code), (Status::Broker, false), "{code}");
    }
    // A code sent as a string is the same code.
    let e = error(
        Funds,
        401,
        r#"{"s":"error","code":"-15","message":"Invalid token is provided"}"#,
    );
    assert_eq!(
        (e.status, e.broker_code.as_deref()),
        (Status::SessionExpired, Some("-15"))
    );
}

#[test]
fn a_day_long_refusal_says_so_with_its_reason() {
    let day = |message: &str| {
        let body = json!({"s": "error", "code": -429, "message": message}).to_string();
        error(Operation::Funds, 429, &body).reason
    };
    assert_eq!(
        day(
            "user blocked for the rest of the day: the per minute request limit was exceeded more than 3 times"
        ),
        Some(Reason::DailyLimitReached)
    );
    assert_eq!(
        day("request limit reached: 100000 requests per day"),
        Some(Reason::DailyLimitReached)
    );
    assert_eq!(day("request limit reached: 200 requests per minute"), None);
    assert_eq!(day("API Limit exceeded (perSec/perMin/perDay)"), None);
    assert_eq!(day(""), None);
}

#[test]
fn replies_without_the_envelope_fall_back_to_the_http_status() {
    let plain = |op, status, body: &str| {
        let e = parse_reply(op, &Response::test(status, "text/plain", body)).unwrap_err();
        (e.status, e.retryable, e.http_status)
    };
    use Operation::*;
    assert_eq!(
        plain(Funds, 401, "Unauthorized"),
        (Status::SessionExpired, false, Some(401))
    );
    assert_eq!(
        plain(Login, 401, "Unauthorized"),
        (Status::Auth, false, Some(401))
    );
    assert_eq!(
        plain(Funds, 403, "Forbidden"),
        (Status::Auth, false, Some(403))
    );
    assert_eq!(
        plain(Funds, 429, "Too Many Requests"),
        (Status::RateLimited, false, Some(429))
    );
    assert_eq!(
        plain(Funds, 502, "Bad Gateway"),
        (Status::Broker, true, Some(502))
    );
    assert_eq!(plain(Funds, 200, "").0, Status::Protocol);
    assert_eq!(plain(Funds, 200, "<html>x</html>").0, Status::Protocol);
    // JSON without "s": by the status, or PROTOCOL when it claims success.
    assert_eq!(
        error(Funds, 200, r#"{"code":200}"#).status,
        Status::Protocol
    );
    assert_eq!(
        error(Funds, 401, r#"{"message":"x"}"#).status,
        Status::SessionExpired
    );
    assert_eq!(error(Funds, 200, "[1]").status, Status::Protocol);
}

#[test]
fn tokens_come_from_the_access_tokens_claims() {
    use base64::Engine;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let jwt = format!(
        "{}.{}.sig",
        b64(&json!({"alg":"HS256"})),
        b64(&json!({"fy_id":"XD12345","exp":1_900_000_000,"sub":"access_token"}))
    );
    let tokens = tokens_from_reply(
        &json!({"s":"ok","code":200,"message":"","access_token":jwt,"refresh_token":"r"}),
        1_800_000_000,
        360,
    )
    .unwrap();
    assert_eq!(tokens.user_id, "XD12345");
    assert_eq!(tokens.expires_at, Some(1_900_000_000));
    assert_eq!(tokens.refresh.as_ref().map(Secret::expose), Some("r"));
    // Not a JWT: no user, and the next 06:00 IST (00:30 UTC).
    let now = 1_795_435_200; // 2026-11-23T12:00:00Z, 17:30 IST
    let opaque = tokens_from_reply(&json!({"s":"ok","access_token":"opaque"}), now, 360).unwrap();
    assert_eq!(opaque.user_id, "");
    assert_eq!(opaque.expires_at, Some(now + 12 * 3600 + 1800));
    assert!(opaque.refresh.is_none());
    let e = tokens_from_reply(&json!({"s":"ok","access_token":""}), now, 360).unwrap_err();
    assert_eq!(e.status, Status::Protocol);
}

#[test]
fn profile_maps_fields_and_keeps_masked_pii() {
    let profile = profile_from(
        json!({"s":"ok","data":{"name":"","display_name":"JD","email_id":"jxxxxxxx@example.com","PAN":"FYxxxxxx0S","fy_id":"FX0011","mobile_number":"99xxxxxx99"}}),
        "fallback",
    )
    .unwrap();
    assert_eq!(profile.user_id, "FX0011");
    assert_eq!(profile.name, "JD");
    assert_eq!(profile.email, "jxxxxxxx@example.com");
    assert_eq!(profile.mobile, "99xxxxxx99");
    assert!(profile.exchanges.is_empty() && profile.products.is_empty());
    assert_eq!(profile.raw["PAN"], "FYxxxxxx0S");
    let bare = profile_from(json!({"s":"ok","data":{"name":"N"}}), "U1").unwrap();
    assert_eq!((bare.user_id.as_str(), bare.name.as_str()), ("U1", "N"));
    assert_eq!(
        profile_from(json!({"s":"ok","data":[]}), "U")
            .unwrap_err()
            .status,
        Status::Protocol
    );
}

fn funds(rows: &str) -> Result<Funds> {
    let body = format!(r#"{{"code":200,"message":"","s":"ok","fund_limit":{rows}}}"#);
    let reply = parse_reply(Operation::Funds, &self::reply(200, &body)).unwrap();
    funds_from(reply)
}

fn text(money: Money) -> String {
    serde_json::to_string(&money).unwrap()
}

#[test]
fn funds_of_the_documentation_sample() {
    let f = funds(
        r#"[
 {"id":1,"title":"Total Balance","equityAmount":58.150000000000006,"commodityAmount":0},
 {"id":2,"title":"Utilized Amount","equityAmount":0.3,"commodityAmount":0},
 {"id":3,"title":"Clear Balance","equityAmount":58.150000000000006,"commodityAmount":0},
 {"id":4,"title":"Realized Profit and Loss","equityAmount":-0.3,"commodityAmount":0},
 {"id":5,"title":"Collaterals","equityAmount":0,"commodityAmount":0},
 {"id":6,"title":"Fund Transfer","equityAmount":0,"commodityAmount":0},
 {"id":7,"title":"Receivables","equityAmount":0,"commodityAmount":0},
 {"id":8,"title":"Adhoc Limit","equityAmount":0,"commodityAmount":0},
 {"id":9,"title":"Limit at start of the day","equityAmount":58.45,"commodityAmount":0},
 {"id":10,"title":"Available Balance","equityAmount":58.150000000000006,"commodityAmount":0}]"#,
    )
    .unwrap();
    assert_eq!(text(f.available_cash), "58.15");
    assert_eq!(text(f.net), "58.15");
    assert_eq!(text(f.used_margin), "0.3");
    assert_eq!(text(f.m2m_realized), "-0.3");
    assert_eq!(text(f.collateral), "0");
    assert_eq!(text(f.payout), "0");
    assert_eq!(text(f.m2m_unrealized), "0");
    assert!(
        f.raw.to_string().contains("58.150000000000006"),
        "raw keeps the text"
    );
}

#[test]
fn rows_by_title_else_id_both_ledgers_summed() {
    let f = funds(
        r#"[{"id":3,"title":"  clear BALANCE ","equityAmount":"100.005","commodityAmount":"0.004"},
            {"id":10,"title":"renamed","equityAmount":-0.0,"commodityAmount":null},
            {"id":2,"title":"Utilized Amount","equityAmount":"","commodityAmount":1e3}]"#,
    )
    .unwrap();
    assert_eq!(text(f.available_cash), "100.01");
    assert_eq!(text(f.net), "0", "id 10 when no title matches; -0 prints 0");
    assert_eq!(text(f.used_margin), "1000");
    assert_eq!(text(f.collateral), "0", "a missing row is 0");
}

#[test]
fn bad_amounts_and_shapes_are_protocol_errors_naming_the_field() {
    let e =
        funds(r#"[{"id":3,"title":"Clear Balance","equityAmount":"12,000","commodityAmount":0}]"#)
            .unwrap_err();
    assert_eq!(e.status, Status::Protocol);
    assert!(
        e.message.contains("Clear Balance") && e.message.contains("equityAmount"),
        "{}",
        e.message
    );
    let e =
        funds(r#"[{"id":2,"title":"Utilized Amount","equityAmount":0,"commodityAmount":1e60}]"#)
            .unwrap_err();
    assert!(e.message.contains("commodityAmount"), "{}", e.message);
    let e = funds(r#"[{"id":5,"title":"Collaterals","equityAmount":true}]"#).unwrap_err();
    assert_eq!(e.status, Status::Protocol);
    assert_eq!(
        funds_from(json!({"s":"ok"})).unwrap_err().status,
        Status::Protocol
    );
    assert_eq!(
        funds_from(json!({"s":"ok","fund_limit":{}}))
            .unwrap_err()
            .status,
        Status::Protocol
    );
}
