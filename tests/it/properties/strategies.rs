//! Generators: JSON values of every type, objects over the real keys with
//! plausible or random values, decimal text, distinctive secrets, replies.

use brokerlink::fuzzing::Response;
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

/// Every key of the config, the credentials and the session state.
pub const KEYS: &[&str] = &[
    "broker",
    "base_url",
    "timeout_ms",
    "auto_refresh",
    "max_retries",
    "rate_limits",
    "day_end_ist",
    "ca_file",
    "ca_pem",
    "log_level",
    "log_file",
    "proxy",
    "api_key",
    "client_code",
    "local_ip",
    "public_ip",
    "mac_address",
    "auth",
    "preset",
    "oauth_url",
    "token_url",
    "client_id",
    "secret",
    "user_id",
    "account_id",
    "vendor_code",
    "api_secret",
    "imei",
    "supports_refresh",
    "pin",
    "totp",
    "totp_secret",
    "password",
    "code",
    "redirect_url",
    "brokerlink_session",
    "token_style",
    "access_token",
    "refresh_token",
    "feed_token",
    "access_expires_at",
    "exported_at",
];

/// Values that get a key past its type check, so generated objects reach
/// the checks behind it.
fn plausible(key: &str) -> Vec<Value> {
    let v = |text: &str| serde_json::from_str::<Value>(text).expect("a sample value");
    let texts: &[&str] = match key {
        "broker" => &[r#""angelone""#, r#""noren""#],
        "preset" => &[
            r#""zebu""#,
            r#""shoonya""#,
            r#""kambala""#,
            r#""tradesmart""#,
            r#""flattrade""#,
            r#""custom""#,
        ],
        "auth" => &[r#""oauth""#, r#""password""#],
        "base_url" | "oauth_url" | "token_url" => &[
            r#""https://go.mynt.in/NorenWClientAPI/""#,
            r#""http://127.0.0.1:9/x""#,
            r#""http://[::1]:9""#,
        ],
        "redirect_url" => &[r#""https://app.example/cb?code=abc&client=FT1""#],
        "timeout_ms" | "max_retries" | "brokerlink_session" => &["1", "10", "7000"],
        "access_expires_at" | "exported_at" => &["1795500000", "0", "-1"],
        "auto_refresh" | "supports_refresh" => &["true", "false"],
        "rate_limits" => &[
            r#""off""#,
            r#"{"login":{"per_second":1},"funds":{"per_hour":5}}"#,
        ],
        "day_end_ist" => &[r#""23:59""#, r#""00:00""#],
        "log_level" => &[r#""off""#, r#""debug""#],
        "local_ip" | "public_ip" => &[r#""10.0.0.5""#, r#""2001:db8::1""#],
        "mac_address" => &[r#""aa-bb-cc-dd-ee-ff""#],
        "proxy" => &[r#""http://user:pw@proxy:3128""#],
        "totp" => &[r#""123456""#],
        "totp_secret" => &[r#""JBSWY3DPEHPK3PXP""#],
        "token_style" => &[r#""bearer""#, r#""jkey""#],
        "ca_file" => &[r#""/nonexistent/ca.pem""#],
        _ => &[r#""x""#, r#""D12345""#],
    };
    texts.iter().map(|t| v(t)).collect()
}

/// Short text, including the strings brokers and users send for "nothing".
pub fn short_text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,12}",
        select(vec![
            "", "null", "true", "false", "0", " ", "\u{0}", "é", "[]"
        ])
        .prop_map(str::to_owned),
    ]
}

/// A JSON number as text: integers, decimals, exponents, huge ones.
pub fn number_text() -> impl Strategy<Value = String> {
    "-?[0-9]{1,30}(\\.[0-9]{1,25})?([eE][+-]?[0-9]{1,3})?".prop_filter("a JSON number", |t| {
        serde_json::from_str::<Value>(t).is_ok()
    })
}

/// Any JSON value, nested a few levels.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        number_text().prop_map(|t| serde_json::from_str(&t).expect("a number")),
        short_text().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(select(KEYS), inner, 0..4).prop_map(|m| {
                Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
            }),
        ]
    })
}

/// A value for `key`: mostly one that passes its type check, else anything.
pub fn value_for(key: &'static str) -> impl Strategy<Value = Value> {
    prop_oneof![3 => select(plausible(key)), 1 => json_value()]
}

/// An object over the real keys (always `broker` for configs and states),
/// with plausible or random values, and now and then an unknown key.
pub fn object_over_keys() -> impl Strategy<Value = Map<String, Value>> {
    let entries = prop::collection::vec(select(KEYS), 0..8).prop_flat_map(|keys| {
        keys.into_iter()
            .map(|k| value_for(k).prop_map(move |v| (k.to_string(), v)))
            .collect::<Vec<_>>()
    });
    (
        value_for("broker"),
        entries,
        prop::option::weighted(0.1, "[a-z_]{1,12}"),
    )
        .prop_map(|(broker, entries, unknown)| {
            let mut map = Map::new();
            map.insert("broker".into(), broker);
            map.extend(entries);
            if let Some(key) = unknown {
                map.insert(key, Value::Bool(true));
            }
            map
        })
}

/// A value no error message could contain by chance.
pub fn secret() -> impl Strategy<Value = String> {
    "[A-Za-z0-9]{16}".prop_map(|s| format!("S3CR3T{s}"))
}

/// The secret, placed in a value in one of the ways a caller gets it wrong:
/// as the string itself, inside an array or object, or inside a URL.
pub fn secret_value(secret: String) -> impl Strategy<Value = Value> {
    (0..6usize).prop_map(move |shape| {
        let s = secret.clone();
        match shape {
            0 => Value::String(s),
            1 => Value::Array(vec![Value::String(s)]),
            2 => serde_json::json!({ "x": s }),
            3 => Value::String(format!("https://{s}.example/?q={s}#{s}")),
            4 => Value::String(format!("http://user:{s}@")),
            _ => Value::String(format!("{s} {s}")),
        }
    })
}

/// How generated JSON text gets broken: left alone, cut short, or with
/// junk after it.
pub fn break_text(text: String) -> impl Strategy<Value = String> {
    let len = text.len();
    prop_oneof![
        Just(text.clone()),
        (0..=len).prop_map({
            let text = text.clone();
            move |cut| String::from_utf8_lossy(&text.as_bytes()[..cut]).into_owned()
        }),
        Just(format!("{text},")),
    ]
}

/// An HTTP status brokers actually send, or any other.
pub fn http_status() -> impl Strategy<Value = u16> {
    prop_oneof![
        3 => select(vec![200u16, 400, 401, 403, 429, 500, 502, 503]),
        1 => any::<u16>(),
    ]
}

/// A reply with this body.
pub fn response(status: u16, content_type: Option<String>, body: Vec<u8>) -> Response {
    Response {
        status,
        content_type,
        body: Zeroizing::new(body),
        date: None,
    }
}

/// A `Content-Type`, or none.
pub fn content_type() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        select(vec![
            "application/json",
            "text/plain",
            "text/html; charset=utf-8",
            "TEXT/HTML",
        ])
        .prop_map(str::to_owned),
        ".{0,16}",
    ])
}
