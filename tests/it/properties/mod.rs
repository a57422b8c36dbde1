//! The parsers the fuzz targets drive (fuzz/), on generated inputs, on
//! stable Rust and in every `cargo test`: config, credentials, session
//! state, both brokers' replies, amounts, JWT expiry and TOTP secrets.
//! Whatever the input, nothing panics, every error is of the class the
//! README documents, amounts are exact to the paise, and no error repeats a
//! secret value. 256 cases per property.

mod money;
mod replies;
mod strategies;

use brokerlink::fuzzing::{ConfiguredBroker, export_state, import_state, jwt_expiry, parse_config};
use brokerlink::{Error, Status, TotpSecret};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use std::sync::LazyLock;
use strategies::*;

/// 256 cases, and no regression files: a failure prints its smallest input,
/// which becomes a named test.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// 2026-11-23T12:00:00Z.
const NOW: i64 = 1_795_435_200;

/// One config of each credential family: Angel One, Noren OAuth, Noren password.
static BROKERS: LazyLock<Vec<ConfiguredBroker>> = LazyLock::new(|| {
    [
        r#"{"broker":"angelone","api_key":"k","client_code":"C1"}"#,
        r#"{"broker":"noren","preset":"zebu","client_id":"c","secret":"s"}"#,
        r#"{"broker":"noren","preset":"shoonya","auth":"password","user_id":"U","vendor_code":"V","api_secret":"S"}"#,
    ]
    .into_iter()
    .map(|json| parse_config(json).expect("a valid config"))
    .collect()
});

const SESSIONS: [(&str, &str); 2] = [
    ("angelone", "https://apiconnect.angelone.in"),
    ("noren", "https://go.mynt.in/NorenWClientAPI"),
];

fn assert_invalid_argument(result: Result<impl Sized, Error>) -> Result<(), TestCaseError> {
    if let Err(e) = result {
        prop_assert_eq!(e.status, Status::InvalidArgument, "{:?}", e);
        prop_assert!(!e.message.is_empty());
    }
    Ok(())
}

/// Config, credentials and state parsed from `text`, each for every broker.
fn parse_everything(text: &str) -> Result<(), TestCaseError> {
    assert_invalid_argument(parse_config(text))?;
    for broker in BROKERS.iter() {
        assert_invalid_argument(broker.parse_credentials(text))?;
    }
    for (broker, base_url) in SESSIONS {
        if let Err(e) = import_state(text, broker, base_url, NOW) {
            prop_assert!(
                matches!(e.status, Status::InvalidArgument | Status::SessionExpired),
                "{:?}",
                e
            );
        }
    }
    Ok(())
}

/// Every error the text can cause, as the host sees them (error JSON).
fn all_errors(text: &str) -> Vec<String> {
    let mut errors = Vec::new();
    errors.extend(parse_config(text).err());
    for broker in BROKERS.iter() {
        errors.extend(broker.parse_credentials(text).err());
    }
    for (broker, base_url) in SESSIONS {
        errors.extend(import_state(text, broker, base_url, NOW).err());
    }
    errors.iter().map(Error::to_json).collect()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn any_text_is_accepted_or_an_invalid_argument(text in any::<String>()) {
        parse_everything(&text)?;
    }

    #[test]
    fn any_bytes_are_accepted_or_an_invalid_argument(bytes in any::<Vec<u8>>()) {
        parse_everything(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn objects_over_the_real_keys_are_accepted_or_an_invalid_argument(
        text in object_over_keys().prop_flat_map(|map| break_text(Value::Object(map).to_string()))
    ) {
        parse_everything(&text)?;
    }

    #[test]
    fn no_error_repeats_a_secret_value(
        (text, secret) in (object_over_keys(), select(KEYS), secret())
            .prop_flat_map(|(map, key, secret)| {
                (Just(map), Just(key), secret_value(secret.clone()), Just(secret))
            })
            .prop_flat_map(|(mut map, key, value, secret)| {
                // The state's own broker name is echoed on a mismatch, by design.
                let key = if key == "broker" { "access_token" } else { key };
                map.insert(key.to_string(), value);
                (break_text(Value::Object(map).to_string()), Just(secret))
            })
    ) {
        for error in all_errors(&text) {
            prop_assert!(!error.contains(&secret), "{} in {}", error, text);
        }
    }

    #[test]
    fn state_that_imports_exports_and_imports_back_unchanged(
        user in "[A-Z0-9]{1,10}",
        access in "[A-Za-z0-9._-]{1,40}",
        refresh in prop::option::of("[A-Za-z0-9]{1,20}"),
        expires in prop::option::of(NOW + 1..i64::MAX),
        style in select(vec!["bearer", "jkey"]),
        session in select(SESSIONS.to_vec()),
    ) {
        let (broker, base_url) = session;
        let mut state = json!({
            "brokerlink_session": 1, "broker": broker, "base_url": format!("{base_url}/"),
            "user_id": user, "token_style": style, "access_token": access,
            "refresh_token": refresh, "access_expires_at": expires,
        });
        state.as_object_mut().unwrap().retain(|_, v| !v.is_null());
        let tokens = import_state(&state.to_string(), broker, base_url, NOW).unwrap();
        prop_assert_eq!(tokens.access.expose(), access.as_str());
        prop_assert_eq!(tokens.expires_at, expires);
        let again = export_state(broker, base_url, &tokens, NOW);
        let back = import_state(&again, broker, base_url, NOW).unwrap();
        prop_assert_eq!(back.access, tokens.access);
        prop_assert_eq!(back.refresh, tokens.refresh);
        prop_assert_eq!(back.user_id, tokens.user_id);
        prop_assert_eq!(back.style, tokens.style);
    }

    #[test]
    fn an_expired_state_is_session_expired(expires in i64::MIN..=NOW) {
        let state = json!({
            "brokerlink_session": 1, "broker": "angelone",
            "base_url": "https://apiconnect.angelone.in", "user_id": "D1",
            "token_style": "bearer", "access_token": "t", "access_expires_at": expires,
        });
        let e = import_state(&state.to_string(), "angelone", "https://apiconnect.angelone.in", NOW)
            .unwrap_err();
        prop_assert_eq!(e.status, Status::SessionExpired);
    }

    #[test]
    fn jwt_expiry_reads_exp_from_any_claims(
        text in any::<String>(),
        exp in any::<i64>(),
        as_text in any::<bool>(),
        claims in json_value(),
    ) {
        use base64::Engine;
        let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let _ = jwt_expiry(&text);
        let _ = jwt_expiry(&format!("h.{}.s", b64(&claims)));
        let exp_value = if as_text { json!(format!(" {exp} ")) } else { json!(exp) };
        let token = format!("h.{}.s", b64(&json!({ "sub": "D1", "exp": exp_value })));
        prop_assert_eq!(jwt_expiry(&token), Some(exp));
    }

    #[test]
    fn any_totp_secret_gives_six_digits_or_an_invalid_argument(
        text in prop_oneof![any::<String>(), "[A-Za-z2-7 =-]{0,64}"],
        at in any::<u64>(),
    ) {
        match TotpSecret::from_base32(&text) {
            Ok(secret) => {
                let code = secret.code_at(at);
                prop_assert!(code.code.len() == 6 && code.code.bytes().all(|b| b.is_ascii_digit()));
            }
            Err(e) => prop_assert_eq!(e.status, Status::InvalidArgument),
        }
    }
}
