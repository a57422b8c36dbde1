//! A session file's text (`session_file`, shared between processes): any
//! text parses, as [`parse_session_file`] reads it before checking whose it
//! is, to `INVALID_ARGUMENT` with a message that repeats none of the text's
//! values, or to a session that writes back to a file parsing to the same.

#![no_main]

use brokerlink::Status;
use brokerlink::fuzzing::{export_state, parse_session_file};
use brokerlink_fuzz::{NOW, check_error};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match parse_session_file(text) {
        Ok(saved) => {
            let written = export_state(&saved.broker, &saved.base_url, &saved.tokens, NOW);
            let back = parse_session_file(&written).expect("a written file parses");
            assert_eq!(
                (&back.broker, &back.base_url),
                (&saved.broker, &saved.base_url)
            );
            assert_eq!(back.tokens.access, saved.tokens.access);
            assert_eq!(back.tokens.refresh, saved.tokens.refresh);
            assert_eq!(back.tokens.user_id, saved.tokens.user_id);
            assert_eq!(back.tokens.expires_at, saved.tokens.expires_at);
        }
        Err(e) => {
            assert_eq!(e.status, Status::InvalidArgument, "{e:?}");
            check_error(&e);
            // A token in a corrupt file must not reach the error (or a log).
            if let Some(at) = access_token_in(text) {
                let token = &text[at.clone()];
                // The message's own words can hold the token by chance
                // ("erlink_session" in "brokerlink_session"): only a message
                // that changes with the token can be repeating it.
                let masked = format!(
                    "{}{}{}",
                    &text[..at.start],
                    "x".repeat(at.len()),
                    &text[at.end..]
                );
                let depends_on_token = message_of(&masked) != e.message;
                assert!(
                    !(depends_on_token && e.message.contains(token)),
                    "the error repeats a token: {e:?}"
                );
            }
        }
    }
});

/// The error message the text gives, or nothing if it parses.
fn message_of(text: &str) -> String {
    parse_session_file(text)
        .err()
        .map(|e| e.message)
        .unwrap_or_default()
}

/// Where the `access_token` string of a text that looks like a JSON object
/// is, if it has one long enough not to occur in a message by chance.
fn access_token_in(text: &str) -> Option<std::ops::Range<usize>> {
    let key = text.find("\"access_token\"")? + "\"access_token\"".len();
    let rest = text[key..].trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    let start = text.len() - rest.len();
    let token = &rest[..rest.find('"')?];
    (token.len() >= 12 && !token.contains('\\')).then_some(start..start + token.len())
}
