//! Both brokers' replies: any bytes under any status and content type, and
//! generated envelopes, classified as PROTOCOLS.md says, always carrying the
//! HTTP status, and what a success feeds into never failing but as PROTOCOL.

use super::config;
use super::strategies::*;
use brokerlink::fuzzing::{
    Operation, Response, angelone_funds_from, angelone_parse_reply, angelone_profile_from,
    angelone_tokens_from_reply, noren_error_for_emsg, noren_expiry_from, noren_funds_from,
    noren_parse_reply, noren_profile_from,
};
use brokerlink::{Error, Status};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value, json};

const ANGEL_OPS: [Operation; 3] = [Operation::Login, Operation::Refresh, Operation::Funds];
const NOREN_OPS: [Operation; 3] = [Operation::Login, Operation::Refresh, Operation::Funds];

/// A reply error: a class a reply can cause, with the reply's HTTP status.
fn check_reply_error(e: &Error, response: &Response) -> Result<(), TestCaseError> {
    prop_assert!(
        matches!(
            e.status,
            Status::Auth
                | Status::SessionExpired
                | Status::RateLimited
                | Status::Broker
                | Status::Protocol
        ),
        "{:?}",
        e
    );
    prop_assert_eq!(e.http_status, Some(response.status));
    prop_assert!(!e.message.is_empty());
    let json: Value = serde_json::from_str(&e.to_json()).unwrap();
    prop_assert_eq!(json["status"].as_i64(), Some(e.status as i64));
    Ok(())
}

/// Every Angel One parser on one reply, for every kind of call.
fn angel_everything(response: &Response) -> Result<(), TestCaseError> {
    for op in ANGEL_OPS {
        match angelone_parse_reply(op, response) {
            Ok(data) => {
                if let Err(e) = angelone_tokens_from_reply(&data, None, "D1") {
                    prop_assert_eq!(e.status, Status::Protocol);
                }
                if let Err(e) = angelone_profile_from(data.clone(), "D1") {
                    prop_assert_eq!(e.status, Status::Protocol);
                }
                if let Err(e) = angelone_funds_from(data) {
                    prop_assert_eq!(e.status, Status::Protocol);
                }
            }
            Err(e) => check_reply_error(&e, response)?,
        }
    }
    Ok(())
}

/// Every Noren parser on one reply, for every kind of call.
fn noren_everything(response: &Response) -> Result<(), TestCaseError> {
    for op in NOREN_OPS {
        match noren_parse_reply(op, response) {
            Ok(reply) => {
                if let Some(at) = noren_expiry_from(&reply, super::NOW) {
                    prop_assert!(at > 0);
                }
                serde_json::to_string(&noren_profile_from(reply.clone(), "FA1")).unwrap();
                if let Err(e) = noren_funds_from(reply) {
                    prop_assert_eq!(e.status, Status::Protocol);
                }
            }
            Err(e) => check_reply_error(&e, response)?,
        }
    }
    Ok(())
}

/// Whether Angel One's `status`/`success` value means true.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::String(s) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// The class PROTOCOLS.md §1.4 gives an Angel One code.
fn angel_class(op: Operation, code: &str) -> (Status, bool) {
    match code {
        "AG8001" | "AG8002" | "AG8003" | "AB1010" | "AB1011" | "AB8050" | "AB8051" => {
            (Status::SessionExpired, false)
        }
        "AG8004" | "AB1034" | "AG7002" | "AB1000" | "AB1050" => (Status::Auth, false),
        "AB1007" if op == Operation::Login => (Status::Auth, false),
        "AB1004" | "AB2001" => (Status::Broker, true),
        _ => (Status::Broker, false),
    }
}

const ANGEL_CODES: &[&str] = &[
    "", "AG8001", "AG8002", "AG8003", "AG8004", "AG7002", "AB8050", "AB8051", "AB1000", "AB1007",
    "AB1050", "AB1034", "AB1005", "AB1006", "AB1010", "AB1011", "AB1004", "AB2000", "AB2001",
];

const EMSGS: &[&str] = &[
    "",
    "Session Expired :  Invalid Session Key",
    "Invalid Input :  Invalid Vendor code",
    "Invalid Input : Invalid OTP",
    "Invalid Input : Wrong Password",
    "Invalid Input : INVALID_VERIFIER",
    "Invalid authorization code",
    "Invalid refresh token",
    "Server Timeout :  ",
    "Error Occurred : 5 \"no data\"",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_bytes_under_any_status_are_classified(
        status in http_status(),
        content_type in content_type(),
        body in prop_oneof![any::<Vec<u8>>(), any::<String>().prop_map(String::into_bytes)],
    ) {
        let response = response(status, content_type, body);
        angel_everything(&response)?;
        noren_everything(&response)?;
    }

    #[test]
    fn any_json_object_under_any_status_is_classified(
        status in http_status(),
        object in json_value(),
        wrap in any::<bool>(),
    ) {
        let body = if wrap { json!({"status": true, "data": object}) } else { object };
        let response = response(status, Some("application/json".into()), body.to_string().into_bytes());
        angel_everything(&response)?;
        noren_everything(&response)?;
    }

    #[test]
    fn angel_envelopes_are_classified_by_their_code(
        gateway in any::<bool>(),
        ok in prop_oneof![
            select(vec![json!(true), json!(false), json!("true"), json!("false"), json!("TRUE")]),
            json_value(),
        ],
        code in prop_oneof![select(ANGEL_CODES.to_vec()).prop_map(str::to_owned), "[A-Z0-9]{0,8}"],
        message in short_text(),
        data in prop_oneof![select(vec![json!(null), json!("null"), json!("")]), json_value()],
        status in http_status(),
    ) {
        let (ok_key, code_key) = if gateway { ("success", "errorCode") } else { ("status", "errorcode") };
        let body = json!({ ok_key: ok, code_key: code, "message": message, "data": data });
        let response = response(status, Some("application/json".into()), body.to_string().into_bytes());
        for op in ANGEL_OPS {
            match angelone_parse_reply(op, &response) {
                Ok(got) => {
                    prop_assert!(truthy(&ok));
                    let want = if data == json!("null") { Value::Null } else { data.clone() };
                    prop_assert_eq!(got, want);
                }
                Err(e) => {
                    prop_assert!(!truthy(&ok));
                    check_reply_error(&e, &response)?;
                    prop_assert_eq!((e.status, e.retryable), angel_class(op, &code));
                    prop_assert_eq!(e.broker_code.as_deref(), Some(code.as_str()).filter(|c| !c.is_empty()));
                }
            }
        }
    }

    #[test]
    fn noren_stat_decides_whatever_the_http_status(
        stat_key in select(vec!["stat", "status"]),
        stat in prop_oneof![
            select(vec!["Ok", "ok", "OK", "Not_Ok", "not_ok", ""]).prop_map(str::to_owned),
            ".{0,8}",
        ],
        emsg in prop_oneof![select(EMSGS.to_vec()).prop_map(str::to_owned), short_text()],
        extra in prop::collection::btree_map(select(KEYS), json_value(), 0..4),
        status in http_status(),
    ) {
        let mut body: Map<String, Value> = extra.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        body.insert(stat_key.into(), json!(stat));
        body.insert("emsg".into(), json!(emsg));
        let response = response(status, Some("text/plain".into()), Value::Object(body).to_string().into_bytes());
        for op in NOREN_OPS {
            match noren_parse_reply(op, &response) {
                Ok(_) => prop_assert!(stat.eq_ignore_ascii_case("ok")),
                Err(e) => {
                    prop_assert!(!stat.eq_ignore_ascii_case("ok"));
                    check_reply_error(&e, &response)?;
                    let want = noren_error_for_emsg(op, &emsg);
                    prop_assert_eq!((e.status, e.retryable), (want.status, want.retryable));
                    prop_assert_eq!(e.broker_message, want.broker_message);
                }
            }
        }
    }

    #[test]
    fn any_emsg_is_auth_session_or_broker(emsg in any::<String>()) {
        for op in NOREN_OPS {
            let e = noren_error_for_emsg(op, &emsg);
            prop_assert!(matches!(e.status, Status::Auth | Status::SessionExpired | Status::Broker));
            prop_assert!(!e.message.is_empty());
            prop_assert_eq!(e.broker_message.as_deref(), Some(emsg.trim()).filter(|m| !m.is_empty()));
        }
    }

    #[test]
    fn expires_in_is_an_epoch_or_a_duration(value in prop_oneof![
        any::<i64>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n.to_string())),
        json_value(),
    ]) {
        let got = noren_expiry_from(&json!({ "expires_in": value }), super::NOW);
        if let Some(n) = value.as_i64().or_else(|| value.as_str().and_then(|s| s.trim().parse().ok())) {
            let want = match n {
                n if n <= 0 => None,
                n if n < 1_000_000_000 => Some(super::NOW + n),
                n => Some(n),
            };
            prop_assert_eq!(got, want);
        }
    }

    #[test]
    fn profiles_take_whatever_shape_the_lists_come_in(data in json_value()) {
        let wrapped = json!({ "exchanges": data, "products": data, "exarr": data, "prarr": data });
        let angel = angelone_profile_from(wrapped.clone(), "D1").unwrap();
        let noren = noren_profile_from(wrapped, "FA1");
        for list in [angel.exchanges, angel.products, noren.exchanges, noren.products] {
            prop_assert!(list.iter().all(|item| !item.is_empty()));
        }
    }
}
