//! Checking time-based one-time passwords (RFC 6238) the way the broker does.
//!
//! Codes have 6 digits, a 30-second step and HMAC-SHA1 over a base32 secret. One step of clock
//! skew is accepted either way (the broker's own tolerance is not documented).

use totp_rs::{Algorithm, Secret, TOTP};

/// Number of digits in a code.
const DIGITS: usize = 6;
/// Length of one time step in seconds.
const STEP_SECS: u64 = 30;
/// Steps of clock skew accepted before and after the current one.
const SKEW_STEPS: u8 = 1;

/// Builds the generator for a base32 secret; `None` when the secret is not valid base32.
///
/// Authenticator apps ignore case, spaces and padding in secrets, so this does too.
fn generator(secret_base32: &str) -> Option<TOTP> {
    let normalized: String = secret_base32
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '=')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let secret = Secret::Encoded(normalized).to_bytes().ok()?;
    // `new_unchecked`: demo secrets such as JBSWY3DPEHPK3PXP are shorter than RFC 4226's
    // recommended 128 bits, and real brokers accept them.
    Some(TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        SKEW_STEPS,
        STEP_SECS,
        secret,
    ))
}

/// Returns whether `code` is a valid code for `secret_base32` at `unix_secs`, allowing one step of
/// skew either way. Anything that is not exactly six ASCII digits is rejected.
pub(crate) fn is_valid(secret_base32: &str, code: &str, unix_secs: u64) -> bool {
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    // `TOTP::check` subtracts the skew from the step number; stay clear of the epoch.
    let unix_secs = unix_secs.max(STEP_SECS * u64::from(SKEW_STEPS));
    generator(secret_base32).is_some_and(|totp| totp.check(code, unix_secs))
}

/// The code for `secret_base32` at `unix_secs`; `None` when the secret is not valid base32.
#[cfg(test)]
pub(crate) fn code_at(secret_base32: &str, unix_secs: u64) -> Option<String> {
    generator(secret_base32).map(|totp| totp.generate(unix_secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "JBSWY3DPEHPK3PXP";
    /// A time in the middle of a step.
    const NOW: u64 = 1_700_000_015;

    #[test]
    fn rfc_6238_sha1_vector() {
        // RFC 6238 appendix B: the ASCII secret "12345678901234567890", T = 59 -> 94287082 (8
        // digits); its last six digits are the 6-digit code.
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(code_at(secret, 59).as_deref(), Some("287082"));
    }

    #[test]
    fn accepts_one_step_of_skew_either_way() {
        for offset in [-30i64, 0, 30] {
            let code = code_at(SECRET, NOW.saturating_add_signed(offset)).expect("code");
            assert!(is_valid(SECRET, &code, NOW), "offset {offset}");
        }
    }

    #[test]
    fn rejects_codes_two_steps_away() {
        for offset in [-60i64, 60] {
            let code = code_at(SECRET, NOW.saturating_add_signed(offset)).expect("code");
            let current = code_at(SECRET, NOW).expect("code");
            let neighbours = [NOW - 30, NOW + 30].map(|t| code_at(SECRET, t));
            // Codes can collide by chance; only assert when this one is distinct.
            if code != current && !neighbours.contains(&Some(code.clone())) {
                assert!(!is_valid(SECRET, &code, NOW), "offset {offset}");
            }
        }
    }

    #[test]
    fn rejects_malformed_codes_and_secrets() {
        let code = code_at(SECRET, NOW).expect("code");
        assert!(!is_valid(SECRET, &format!("{code}0"), NOW));
        assert!(!is_valid(SECRET, "12a456", NOW));
        assert!(!is_valid(SECRET, "", NOW));
        assert!(!is_valid("not base32!", &code, NOW));
    }

    #[test]
    fn secret_case_spaces_and_padding_are_ignored() {
        let code = code_at(SECRET, NOW).expect("code");
        assert!(is_valid("jbsw y3dp ehpk 3pxp", &code, NOW));
        assert!(is_valid("JBSWY3DPEHPK3PXP====", &code, NOW));
    }
}
