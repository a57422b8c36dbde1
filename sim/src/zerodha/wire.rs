//! Kite's wire conventions (PROTOCOLS.md §4.2–§4.4): form-encoded parameters (the body of a
//! POST, the query of GET and DELETE), the `status`/`data` envelope and its error form, the
//! `token api_key:access_token` header, and the checksums and random tokens.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::http::{Request, Response};
use crate::web::form_pairs;
pub(crate) use crate::web::form_param as param;

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
        form_pairs(&String::from_utf8_lossy(&request.body))
    } else {
        form_pairs(request.query.as_deref().unwrap_or(""))
    }
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
    fn timestamps_are_ist() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_430_714);
        assert_eq!(ist_timestamp(t), "2026-11-23 16:15:14");
    }
}
