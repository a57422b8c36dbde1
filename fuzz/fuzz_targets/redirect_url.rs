//! The address a user pastes as the Noren `redirect_url` credential (where
//! the browser login landed): any text is either the `code` (or Flattrade's
//! `request_code`) and `client` query parameters, exactly as a URL parser
//! reads them, or an `INVALID_ARGUMENT` that never echoes the address.

#![no_main]

use brokerlink::Status;
use brokerlink::fuzzing::{ConfiguredBroker, Credentials, parse_config};
use brokerlink_fuzz::check_error;
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

/// A Noren OAuth config and Flattrade's (both take `redirect_url`).
static BROKERS: LazyLock<[ConfiguredBroker; 2]> = LazyLock::new(|| {
    [
        r#"{"broker":"noren","preset":"zebu","client_id":"c","secret":"s"}"#,
        r#"{"broker":"noren","preset":"flattrade","api_key":"k","secret":"s"}"#,
    ]
    .map(|json| parse_config(json).expect("a valid config"))
});

/// The first non-empty value of query parameter `name`.
fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.into_owned())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let credentials = serde_json::json!({ "redirect_url": text }).to_string();
    let expected = url::Url::parse(text).ok().and_then(|url| {
        let code = param(&url, "code").or_else(|| param(&url, "request_code"))?;
        Some((code, param(&url, "client")))
    });
    for broker in BROKERS.iter() {
        match broker.parse_credentials(&credentials) {
            Ok(Credentials::AuthorizationCode { code, redirect }) => {
                let user_id = redirect.and_then(|r| r.param("client").map(String::from));
                let (want_code, want_user) = expected.as_ref().expect("accepted only with a code");
                assert_eq!(code.expose(), want_code);
                assert_eq!(&user_id, want_user);
            }
            Ok(_) => panic!("a redirect_url gives a Noren code"),
            Err(e) => {
                assert!(expected.is_none(), "refused an address with a code: {e:?}");
                assert_eq!(e.status, Status::InvalidArgument, "{e:?}");
                check_error(&e);
                // The message is about the key, never the address itself.
                assert!(
                    e.message.starts_with("credentials key \"redirect_url\""),
                    "{}",
                    e.message
                );
                assert!(e.message.len() < 120, "{}", e.message);
            }
        }
    }
});
