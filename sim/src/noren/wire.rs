//! Noren's wire conventions (PROTOCOLS.md §2.1): reading `jData=<json>[&jKey=<token>]` bodies and
//! writing `stat`/`emsg` replies with `request_time`; plus the hashes and random values the
//! logins use.

use std::time::SystemTime;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::http::Response;
use crate::time::ist_request_time;

/// What every refused session check answers (HTTP 200).
pub(crate) const INVALID_SESSION: &str = "Session Expired :  Invalid Session Key";
/// The emsg of a login by a user not enabled for API access (PROTOCOLS.md §8).
pub(crate) const API_NOT_ENABLED: &str = "User Not enabled on : API";
/// The emsg of a body that is not `jData=` followed by a JSON object (sim choice).
pub(crate) const INVALID_JDATA: &str = "Invalid Input : jData is not valid JSON";

/// A REST request body: the jData object and the jKey that followed it, if any.
#[derive(Debug)]
pub(crate) struct Body {
    /// The jData object.
    pub(crate) data: Map<String, Value>,
    /// The text after the last `&jKey=`, trailing whitespace removed.
    pub(crate) jkey: Option<String>,
}

impl Body {
    /// Reads `jData=<json>` or `jData=<json>&jKey=<token>`. The JSON is taken raw (it is not
    /// percent-encoded on the wire) up to the **last** `&jKey=`; a `%26` inside it is the `&`
    /// a client had to escape in a value (PROTOCOLS.md §2.1), and is read back as `&`.
    /// Anything else, including a percent-encoded JSON (`jData=%7B...`), is HTTP 400 with
    /// [`INVALID_JDATA`].
    pub(crate) fn parse(body: &[u8]) -> Result<Body, Response> {
        let text = std::str::from_utf8(body).map_err(|_| invalid_jdata())?;
        let rest = text.strip_prefix("jData=").ok_or_else(invalid_jdata)?;
        let (json, jkey) = match rest.rfind("&jKey=") {
            Some(at) => (&rest[..at], Some(rest[at + "&jKey=".len()..].trim_end())),
            None => (rest, None),
        };
        match serde_json::from_str(&json.replace("%26", "&")) {
            Ok(Value::Object(data)) => Ok(Body {
                data,
                jkey: jkey.map(str::to_owned),
            }),
            _ => Err(invalid_jdata()),
        }
    }

    /// A string field that must be present (an empty string counts as present).
    pub(crate) fn required(&self, name: &str, now: SystemTime) -> Result<&str, Response> {
        self.optional(name, now)?
            .ok_or_else(|| bad_field(name, now))
    }

    /// A string field that may be missing or null; any other type is a 400.
    pub(crate) fn optional(&self, name: &str, now: SystemTime) -> Result<Option<&str>, Response> {
        optional_string(&self.data, name).map_err(|()| bad_field(name, now))
    }
}

/// A string field of a JSON object: `Ok(None)` when missing or null, `Err` when another type.
pub(crate) fn optional_string<'a>(
    object: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<&'a str>, ()> {
    match object.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(value)) => Ok(Some(value)),
        Some(_) => Err(()),
    }
}

/// HTTP 400 `{"stat":"Not_Ok","emsg":"Invalid Input : jData is not valid JSON"}`.
pub(crate) fn invalid_jdata() -> Response {
    Response::json(400, &json!({"stat": "Not_Ok", "emsg": INVALID_JDATA}))
}

/// HTTP 400 for a required field that is missing, null, not a string or not allowed (sim
/// choice, as no broker documents this message): `Invalid Input : <name> is missing or
/// invalid`, with `request_time`.
pub(crate) fn bad_field(name: &str, now: SystemTime) -> Response {
    not_ok(
        400,
        &format!("Invalid Input : {name} is missing or invalid"),
        now,
    )
}

/// A success reply: `fields` (an object) with `"stat":"Ok"` and `request_time` added.
pub(crate) fn ok(fields: Value, now: SystemTime) -> Response {
    let mut object = match fields {
        Value::Object(object) => object,
        _ => Map::new(),
    };
    object.insert("stat".to_owned(), json!("Ok"));
    object.insert("request_time".to_owned(), json!(ist_request_time(now)));
    Response::json(200, &Value::Object(object))
}

/// A failure reply `{"stat":"Not_Ok","emsg":…,"request_time":…}` with the given HTTP status.
pub(crate) fn not_ok(status: u16, emsg: &str, now: SystemTime) -> Response {
    Response::json(
        status,
        &json!({"stat": "Not_Ok", "emsg": emsg, "request_time": ist_request_time(now)}),
    )
}

/// Lowercase hex SHA-256 of `text`.
pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// A fresh token: 64 lowercase hex digits, like the brokers' `access_token` and `susertoken`.
pub(crate) fn random_token() -> String {
    hex::encode(crate::random::bytes(32))
}

/// A fresh authorization code, a random UUID as in the GenAcsTok documentation's example
/// (`4604773e-4ee3-4d48-a920-f31dd6fb4abf`).
pub(crate) fn random_code() -> String {
    let mut bytes = crate::random::bytes(16);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

#[cfg(test)]
mod tests {

    use super::*;

    fn parse(body: &str) -> Result<Body, u16> {
        Body::parse(body.as_bytes()).map_err(|r| r.status)
    }

    #[test]
    fn splits_jdata_and_the_last_jkey() {
        let body = parse(r#"jData={"uid":"A","x":"a%26jKey=b"}&jKey=tok"#).expect("body");
        assert_eq!(body.data["uid"], "A");
        assert_eq!(body.data["x"], "a&jKey=b");
        assert_eq!(body.jkey.as_deref(), Some("tok"));
        let body = parse("jData={}").expect("body");
        assert!(body.data.is_empty() && body.jkey.is_none());
        assert_eq!(
            parse("jData={}&jKey=").expect("body").jkey.as_deref(),
            Some("")
        );
    }

    #[test]
    fn rejects_everything_else_with_400() {
        for body in [
            "",
            "{}",
            "jData=",
            "jData=%7B%22uid%22%3A%22A%22%7D",
            "jData=[1]",
            "jData=\"x\"",
            "jdata={}",
        ] {
            assert_eq!(parse(body).err(), Some(400), "{body:?}");
        }
        assert_eq!(
            Body::parse(b"jData={\"a\":\"\xff\"}")
                .err()
                .map(|r| r.status),
            Some(400)
        );
    }

    #[test]
    fn fields_must_be_strings() {
        let now = SystemTime::now();
        let body = parse(r#"jData={"a":"x","b":1,"c":null}"#).expect("body");
        assert_eq!(body.required("a", now).ok(), Some("x"));
        assert_eq!(body.required("b", now).err().map(|r| r.status), Some(400));
        assert_eq!(body.required("c", now).err().map(|r| r.status), Some(400));
        assert_eq!(body.optional("c", now).ok(), Some(None));
        assert_eq!(body.optional("d", now).ok(), Some(None));
    }

    #[test]
    fn hashes_and_random_values() {
        assert_eq!(
            sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        let token = random_token();
        assert_eq!(token.len(), 64);
        assert_ne!(token, random_token());
        let code = random_code();
        assert_eq!(code.len(), 36);
        assert_eq!(
            code.split('-').map(str::len).collect::<Vec<_>>(),
            [8, 4, 4, 4, 12]
        );
    }
}
