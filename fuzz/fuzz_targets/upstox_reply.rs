//! Upstox replies (any status, content type and body) through `parse_reply`
//! for each kind of call, then what a success feeds into: the token reply,
//! the profile, v3 and v2 funds; and `error_for_code` on the raw text.

#![no_main]

use brokerlink::Status;
use brokerlink::fuzzing::Operation as Op;
use brokerlink::fuzzing::{
    upstox_error_for_code, upstox_funds_v2_from, upstox_funds_v3_from, upstox_parse_reply,
    upstox_profile_from, upstox_token_expiry, upstox_tokens_from,
};
use brokerlink_fuzz::{NOW, check_error, check_serializes, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    let text = String::from_utf8_lossy(&response.body);
    check_error(&upstox_error_for_code(Op::Funds, &text, &text));
    assert!(upstox_token_expiry(&text, NOW) > 0);
    for op in [Op::Login, Op::Profile, Op::Funds, Op::Logout] {
        let reply = match upstox_parse_reply(op, &response) {
            Ok(reply) => reply,
            Err(e) => {
                // Upstox's table also has the caller's classes (§5.6): a
                // missing Api-Version, invalid input, an unsupported call.
                assert!(
                    !matches!(
                        e.status,
                        Status::Ok | Status::Internal | Status::NotLoggedIn
                    ),
                    "{e:?}"
                );
                assert_eq!(e.http_status, Some(response.status), "{e:?}");
                check_error(&e);
                continue;
            }
        };
        if let Ok(tokens) = upstox_tokens_from(&reply, NOW) {
            assert!(!tokens.user_id.is_empty());
            assert!(tokens.expires_at.is_some());
        }
        match upstox_profile_from(reply.clone(), "UP1234") {
            Ok(profile) => check_serializes(&profile),
            Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
        }
        for funds in [
            upstox_funds_v3_from(reply.clone()),
            upstox_funds_v2_from(reply.clone()),
        ] {
            match funds {
                Ok(funds) => check_serializes(&funds),
                Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
            }
        }
    }
});
