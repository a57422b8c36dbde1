//! The `exp` claim of an Angel One JWT: any token text, and any bytes as the
//! claims of a well-formed token, give an expiry or none, never a panic.

#![no_main]

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use brokerlink::fuzzing::jwt_expiry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = jwt_expiry(text);
    }
    let token = format!("eyJhbGciOiJIUzUxMiJ9.{}.c2ln", URL_SAFE_NO_PAD.encode(data));
    let expiry = jwt_expiry(&token);
    if let Ok(claims) = serde_json::from_slice::<serde_json::Value>(data)
        && let Some(exp) = claims.get("exp").and_then(serde_json::Value::as_i64)
    {
        assert_eq!(expiry, Some(exp));
    }
});
