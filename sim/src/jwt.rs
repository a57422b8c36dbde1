//! Real-looking JSON Web Tokens.
//!
//! Tokens are HS512 JWTs signed with a key that is random per simulator, so they look and decode
//! like the broker's. The simulator never verifies a signature: a token is valid when it is found
//! in the simulator's token table. Clients may read the `exp` claim to learn when the token
//! expires; it always equals the expiry the simulator enforces (unix seconds).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha512;

/// The fixed JOSE header of every token: `{"alg":"HS512","typ":"JWT"}`.
const HEADER_JSON: &str = r#"{"alg":"HS512","typ":"JWT"}"#;

/// The claims a token carries.
#[derive(Serialize)]
struct Claims<'a> {
    sub: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
}

/// Issues signed tokens with one random key.
pub(crate) struct TokenIssuer {
    key: Vec<u8>,
}

impl TokenIssuer {
    /// Creates an issuer with a fresh random 64-byte key.
    pub(crate) fn new() -> TokenIssuer {
        TokenIssuer {
            key: crate::random::bytes(64),
        }
    }

    /// Issues a token for `subject`, issued at `issued_at` and expiring at `expires_at` (both unix
    /// seconds). Every call returns a different token (the `jti` claim is random).
    pub(crate) fn issue(&self, subject: &str, issued_at: u64, expires_at: u64) -> String {
        let claims = Claims {
            sub: subject,
            iat: issued_at,
            exp: expires_at,
            jti: hex::encode(crate::random::bytes(16)),
        };
        // Serializing a struct of strings and integers cannot fail.
        let claims_json = serde_json::to_string(&claims).unwrap_or_default();
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(HEADER_JSON),
            URL_SAFE_NO_PAD.encode(claims_json)
        );
        let signature = self.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// HMAC-SHA512 of `data` under the issuer's key.
    fn sign(&self, data: &[u8]) -> Vec<u8> {
        match Hmac::<Sha512>::new_from_slice(&self.key) {
            Ok(mut mac) => {
                mac.update(data);
                mac.finalize().into_bytes().to_vec()
            }
            // HMAC accepts keys of any length, so this arm is unreachable in practice.
            Err(_) => crate::random::bytes(64),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_segment(segment: &str) -> serde_json::Value {
        let bytes = URL_SAFE_NO_PAD.decode(segment).expect("base64url");
        serde_json::from_slice(&bytes).expect("json")
    }

    #[test]
    fn token_has_three_segments_with_the_expected_claims() {
        let token = TokenIssuer::new().issue("D12345", 1_700_000_000, 1_700_028_800);
        let segments: Vec<&str> = token.split('.').collect();
        assert_eq!(segments.len(), 3);
        assert_eq!(decode_segment(segments[0])["alg"], "HS512");
        let claims = decode_segment(segments[1]);
        assert_eq!(claims["sub"], "D12345");
        assert_eq!(claims["iat"].as_u64(), Some(1_700_000_000));
        assert_eq!(claims["exp"].as_u64(), Some(1_700_028_800));
        assert_eq!(
            URL_SAFE_NO_PAD.decode(segments[2]).map(|s| s.len()).ok(),
            Some(64)
        );
    }

    #[test]
    fn every_token_is_unique() {
        let issuer = TokenIssuer::new();
        assert_ne!(issuer.issue("A", 1, 2), issuer.issue("A", 1, 2));
    }
}
