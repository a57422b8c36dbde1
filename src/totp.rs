//! RFC 6238 time-based one-time passwords: 6 digits, 30-second step,
//! HMAC-SHA1, from the base32 secret a broker shows beside its QR code.

use crate::error::{Error, Result};
use std::time::{SystemTime, UNIX_EPOCH};
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

const DIGITS: usize = 6;
const STEP_SECONDS: u64 = 30;

/// A decoded TOTP secret. Holds the key bytes only inside a type that wipes
/// them on drop (totp-rs's `zeroize` feature).
pub struct TotpSecret(TOTP);

/// A code and how many seconds it stays valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TotpCode {
    /// The six digits.
    pub code: Zeroizing<String>,
    /// Seconds until the current 30-second step ends (1..=30).
    pub valid_for_s: u64,
}

impl TotpSecret {
    /// Decodes a base32 secret. Spaces, dashes, `=` padding and lower case are
    /// accepted, since users copy secrets from apps that format them that way.
    pub fn from_base32(secret: &str) -> Result<TotpSecret> {
        let normalized: Zeroizing<String> = Zeroizing::new(
            secret
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '=' | '\t'))
                .map(|c| c.to_ascii_uppercase())
                .collect(),
        );
        let bytes = totp_rs::Secret::Encoded(normalized.to_string())
            .to_bytes()
            .ok()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| {
                Error::invalid_argument("totp_secret is not a valid base32 TOTP secret")
            })?;
        // Secrets shorter than RFC 4226's 128 bits exist in the wild; accept them.
        let totp = TOTP::new_unchecked(Algorithm::SHA1, DIGITS, 0, STEP_SECONDS, bytes);
        Ok(TotpSecret(totp))
    }

    /// The code for a moment, given in seconds since the Unix epoch.
    pub fn code_at(&self, unix_seconds: u64) -> TotpCode {
        TotpCode {
            code: Zeroizing::new(self.0.generate(unix_seconds)),
            valid_for_s: STEP_SECONDS - unix_seconds % STEP_SECONDS,
        }
    }

    /// The code for now.
    pub fn current_code(&self) -> TotpCode {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        self.code_at(now)
    }
}

/// Whether `code` has the shape of a TOTP code (six ASCII digits).
pub(crate) fn is_code_shaped(code: &str) -> bool {
    code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA1 key "12345678901234567890", truncated to 6 digits.
    const RFC_KEY_BASE32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn matches_rfc6238_test_vectors() {
        let s = TotpSecret::from_base32(RFC_KEY_BASE32).unwrap();
        assert_eq!(*s.code_at(59).code, "287082");
        assert_eq!(*s.code_at(1111111109).code, "081804");
        assert_eq!(*s.code_at(1234567890).code, "005924");
        assert_eq!(*s.code_at(2000000000).code, "279037");
    }

    #[test]
    fn accepts_formatted_secrets() {
        let plain = TotpSecret::from_base32(RFC_KEY_BASE32).unwrap();
        let formatted =
            TotpSecret::from_base32("gezd gnbv gy3t qojq-gezd gnbv gy3t qojq==").unwrap();
        assert_eq!(plain.code_at(59), formatted.code_at(59));
    }

    #[test]
    fn valid_for_counts_down_within_the_step() {
        let s = TotpSecret::from_base32(RFC_KEY_BASE32).unwrap();
        assert_eq!(s.code_at(60).valid_for_s, 30);
        assert_eq!(s.code_at(89).valid_for_s, 1);
    }

    #[test]
    fn rejects_non_base32_without_echoing_it() {
        let err = TotpSecret::from_base32("not*base32!").err().unwrap();
        assert!(!err.message.contains("not*base32"));
        assert!(TotpSecret::from_base32("").is_err());
    }

    #[test]
    fn code_shape() {
        assert!(is_code_shaped("012345"));
        assert!(!is_code_shaped("12345"));
        assert!(!is_code_shaped("12345a"));
    }
}
