//! Session state import, for an Angel One and a Noren session: any text is
//! `INVALID_ARGUMENT` or `SESSION_EXPIRED`, or tokens that export and import
//! back unchanged.

#![no_main]

use brokerlink::Status;
use brokerlink::fuzzing::Tokens;
use brokerlink::fuzzing::{export_state, import_state};
use brokerlink_fuzz::{NOW, check_error};
use libfuzzer_sys::fuzz_target;

const SESSIONS: [(&str, &str); 2] = [
    ("angelone", "https://apiconnect.angelone.in"),
    ("noren", "https://go.mynt.in/NorenWClientAPI"),
];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for (broker, base_url) in SESSIONS {
        match import_state(text, broker, base_url, NOW) {
            Ok(tokens) => {
                let again = export_state(broker, base_url, &tokens, NOW);
                let back = import_state(&again, broker, base_url, NOW).expect("re-import");
                assert_same(&tokens, &back);
            }
            Err(e) => {
                assert!(
                    matches!(e.status, Status::InvalidArgument | Status::SessionExpired),
                    "{e:?}"
                );
                check_error(&e);
            }
        }
    }
});

fn assert_same(a: &Tokens, b: &Tokens) {
    assert_eq!(a.access, b.access);
    assert_eq!(a.refresh, b.refresh);
    assert_eq!(a.feed, b.feed);
    assert_eq!(a.user_id, b.user_id);
    assert_eq!(a.account_id, b.account_id);
    assert_eq!(a.style, b.style);
    assert_eq!(a.expires_at, b.expires_at);
}
