//! Kite's wire conventions (PROTOCOLS.md §4.2–§4.4): form-encoded parameters (the body of a
//! POST, the query of GET and DELETE), the `status`/`data` envelope and its error form, the
//! `token api_key:access_token` header, and the checksums and random tokens.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::http::{Request, Response};
pub(crate) use crate::web::percent_encode;

/// The message of every refused Authorization (PROTOCOLS.md §4.6, [forum 15094]).
pub(crate) const BAD_SESSION: &str = "Incorrect `api_key` or `access_token`.";
/// The message for a bad checksum ([forum 51069]).
pub(crate) const BAD_CHECKSUM: &str = "Invalid `checksum`.";
/// The message for an unknown, used or expired request token ([phpkiteconnect#6]).
pub(crate) const BAD_TOKEN: &str = "Token is invalid or has expired.";

/// The parameters of a request: the form body of a POST (when its Content-Type says so), the
/// query string of any other method.
pub(crate) fn params(request: &Request) -> Vec<(String, String)> {
    if request.method == "POST" {
        let is_form = request.header("content-type").is_some_and(|t| {
            t.trim()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
        if !is_form {
            return Vec::new();
        }
        parse_form(&String::from_utf8_lossy(&request.body))
    } else {
        parse_form(request.query.as_deref().unwrap_or(""))
    }
}

/// The first value of `name`.
pub(crate) fn param<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// The first non-empty value of `name`, or the InputException Kite answers a missing one (the
/// message is a sim choice: no source prints it).
pub(crate) fn required<'p>(
    params: &'p [(String, String)],
    name: &str,
) -> Result<&'p str, Response> {
    param(params, name)
        .filter(|value| !value.is_empty())
        .ok_or_else(|| error(400, "InputException", &format!("Missing `{name}`.")))
}

/// `a=1&b=x%20y` as pairs, `+` as a space, `%XX` decoded (malformed escapes kept).
pub(crate) fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

/// Decodes `%XX` and `+`; invalid UTF-8 becomes U+FFFD.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| char::from(*b).to_digit(16));
        match bytes[i] {
            b'%' => {
                if let (Some(high), Some(low)) = (hex(i + 1), hex(i + 2)) {
                    out.extend(u8::try_from(high * 16 + low).ok());
                    i += 3;
                    continue;
                }
                out.push(b'%');
            }
            b'+' => out.push(b' '),
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The `(api_key, access_token)` of an `Authorization: token api_key:access_token` header.
pub(crate) fn authorization(request: &Request) -> Option<(&str, &str)> {
    let value = request.header("authorization")?.trim();
    let (scheme, credentials) = value.split_once(' ')?;
    let (api_key, access_token) = credentials.trim().split_once(':')?;
    (scheme == "token" && !api_key.is_empty() && !access_token.is_empty())
        .then_some((api_key, access_token))
}

/// HTTP 200 `{"status":"success","data":…}`.
pub(crate) fn ok(data: Value) -> Response {
    Response::json(200, &json!({"status": "success", "data": data}))
}

/// `{"status":"error","message":…,"data":null,"error_type":…}` with an HTTP status.
pub(crate) fn error(status: u16, error_type: &str, message: &str) -> Response {
    Response::json(
        status,
        &json!({"status": "error", "message": message, "data": null, "error_type": error_type}),
    )
}

/// Lowercase hex SHA-256 of the text.
pub(crate) fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// 32 random letters and digits, like Kite's tokens.
pub(crate) fn random_token() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    crate::random::bytes(32)
        .into_iter()
        .map(|b| char::from(ALPHABET[usize::from(b) % ALPHABET.len()]))
        .collect()
}

pub(crate) use crate::time::ist_timestamp;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn forms_are_decoded() {
        assert_eq!(
            parse_form("a=1&b=x%20y+z&&c&d=%zz"),
            [
                ("a".into(), "1".into()),
                ("b".into(), "x y z".into()),
                ("c".into(), String::new()),
                ("d".into(), "%zz".into())
            ]
        );
        assert_eq!(percent_encode("a b&c"), "a%20b%26c");
    }

    #[test]
    fn timestamps_are_ist() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_430_714);
        assert_eq!(ist_timestamp(t), "2026-11-23 16:15:14");
    }
}
