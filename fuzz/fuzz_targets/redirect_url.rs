//! The address a user pastes (or the brokerlink tool catches on loopback) as
//! the `redirect_url` credential, where the browser login landed. For Noren:
//! any text is either the `code` (or Flattrade's `request_code`) and
//! `client` query parameters, exactly as a URL parser reads them, or an
//! `INVALID_ARGUMENT` that never echoes the address. For Zerodha, Upstox,
//! Fyers and Dhan: an authorization code that is one of the address's query
//! values, or a refusal (`INVALID_ARGUMENT`, or `AUTH` for a login the
//! broker says failed) that does not repeat the address.

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

/// The OAuth brokers' configs: each reads its own code from the address.
static OAUTH_BROKERS: LazyLock<[ConfiguredBroker; 4]> = LazyLock::new(|| {
    [
        r#"{"broker":"zerodha","api_key":"k","api_secret":"s"}"#,
        r#"{"broker":"upstox","api_key":"k","api_secret":"s","redirect_uri":"http://127.0.0.1:5000/cb"}"#,
        r#"{"broker":"fyers","app_id":"A1-100","app_secret":"s","redirect_uri":"http://127.0.0.1:5000/cb"}"#,
        r#"{"broker":"dhan","client_id":"1000000001","app_id":"a","app_secret":"s"}"#,
    ]
    .map(|json| parse_config(json).expect("a valid config"))
});

/// The first non-empty value of query parameter `name`.
fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, value)| key == name && !value.is_empty())
        .map(|(_, value)| value.into_owned())
}

/// The first value of code parameter `name` that is not blank, trimmed (the
/// library trims a code as it does a pasted one).
fn code_param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(key, value)| key == name && !value.trim().is_empty())
        .map(|(_, value)| value.trim().to_owned())
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let credentials = serde_json::json!({ "redirect_url": text }).to_string();
    let expected = url::Url::parse(text).ok().and_then(|url| {
        let code = code_param(&url, "code").or_else(|| code_param(&url, "request_code"))?;
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
    check_oauth_brokers(text, &credentials);
});

fn check_oauth_brokers(text: &str, credentials: &str) {
    let values: Vec<String> = url::Url::parse(text)
        .map(|url| url.query_pairs().map(|(_, v)| v.into_owned()).collect())
        .unwrap_or_default();
    for broker in OAUTH_BROKERS.iter() {
        match broker.parse_credentials(credentials) {
            Ok(Credentials::AuthorizationCode { code, .. }) => {
                let code = code.expose().trim();
                assert!(!code.is_empty());
                assert!(
                    values.iter().any(|v| v.trim() == code),
                    "a code that is not one of the address's query values"
                );
            }
            Ok(_) => panic!("a redirect_url gives an authorization code"),
            Err(e) => {
                assert!(
                    matches!(e.status, Status::InvalidArgument | Status::Auth),
                    "{e:?}"
                );
                check_error(&e);
                // An address (a query and 24 characters at least: shorter
                // text may be words of the message itself) is not repeated.
                let address = text.trim();
                if address.len() >= 24 && address.contains("?") {
                    assert!(!e.message.contains(address), "{}", e.message);
                }
            }
        }
    }
}
