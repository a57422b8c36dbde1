//! `broker_new` config and `broker_login` credentials: any text is either
//! accepted or an `INVALID_ARGUMENT` that names what is wrong.

#![no_main]

use brokerlink::Status;
use brokerlink::fuzzing::{ConfiguredBroker, parse_config};
use brokerlink_fuzz::check_error;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

/// One config of each credential family: Angel One, Noren OAuth, Noren password.
static BROKERS: LazyLock<[ConfiguredBroker; 3]> = LazyLock::new(|| {
    [
        r#"{"broker":"angelone","api_key":"k","client_code":"C1"}"#,
        r#"{"broker":"noren","preset":"zebu","client_id":"c","secret":"s"}"#,
        r#"{"broker":"noren","preset":"shoonya","auth":"password","user_id":"U","vendor_code":"V","api_secret":"S"}"#,
    ]
    .map(|json| parse_config(json).expect("a valid config"))
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = parse_config(text) {
        assert_eq!(e.status, Status::InvalidArgument, "{e:?}");
        check_error(&e);
    }
    for broker in BROKERS.iter() {
        if let Err(e) = broker.parse_credentials(text) {
            assert_eq!(e.status, Status::InvalidArgument, "{e:?}");
            check_error(&e);
        }
    }
});
