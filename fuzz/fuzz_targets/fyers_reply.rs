//! Fyers replies (any status, content type and body) through `parse_reply`
//! for each kind of call, `error_for_code` on the raw text, then what a
//! success feeds into: the login's tokens, `/profile` and `/funds`.

#![no_main]

use brokerlink::Status;
use brokerlink::fuzzing::Operation as Op;
use brokerlink::fuzzing::{
    fyers_error_for_code, fyers_funds_from, fyers_parse_reply, fyers_profile_from,
    fyers_tokens_from_reply,
};
use brokerlink_fuzz::{NOW, check_error, check_reply_error, check_serializes, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    let text = String::from_utf8_lossy(&response.body);
    for op in [Op::Login, Op::Refresh, Op::Profile, Op::Funds, Op::Logout] {
        let e = fyers_error_for_code(op, text.trim(), &text);
        assert!(matches!(
            e.status,
            Status::Auth | Status::SessionExpired | Status::RateLimited | Status::Broker
        ));
        check_error(&e);
        let reply = match fyers_parse_reply(op, &response) {
            Ok(reply) => reply,
            Err(e) => {
                check_reply_error(&e, response.status);
                continue;
            }
        };
        match fyers_tokens_from_reply(&reply, NOW, 360) {
            Ok(tokens) => assert!(tokens.expires_at.is_some_and(|at| at != 0)),
            Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
        }
        match fyers_profile_from(reply.clone(), "XD12345") {
            Ok(profile) => check_serializes(&profile),
            Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
        }
        match fyers_funds_from(reply) {
            Ok(funds) => check_serializes(&funds),
            Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
        }
    }
});
