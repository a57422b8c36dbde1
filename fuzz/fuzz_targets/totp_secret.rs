//! TOTP secrets as users paste them: any text is a secret that yields
//! six-digit codes at any moment, or an `INVALID_ARGUMENT`.

#![no_main]

use brokerlink::Status;
use brokerlink::TotpSecret;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match TotpSecret::from_base32(text) {
        Ok(secret) => {
            for at in [0, 59, 1_795_435_200, u64::MAX] {
                let code = secret.code_at(at);
                assert!(code.code.len() == 6 && code.code.bytes().all(|b| b.is_ascii_digit()));
                assert!((1..=30).contains(&code.valid_for_s));
            }
        }
        Err(e) => assert_eq!(e.status, Status::InvalidArgument),
    }
});
