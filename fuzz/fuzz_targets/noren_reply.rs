//! Noren replies (any status, content type and body) through `parse_reply`
//! for each kind of call, `error_for_emsg` on the raw text, then what a
//! success feeds into: UserDetails, Limits and `expires_in`.

#![no_main]

use brokerlink::Status;
use brokerlink::fuzzing::Operation as Op;
use brokerlink::fuzzing::{
    noren_error_for_emsg, noren_expiry_from, noren_funds_from, noren_parse_reply,
    noren_profile_from,
};
use brokerlink_fuzz::{NOW, check_error, check_reply_error, check_serializes, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    let text = String::from_utf8_lossy(&response.body);
    for op in [Op::Login, Op::Refresh, Op::Funds] {
        let e = noren_error_for_emsg(op, &text);
        assert!(matches!(
            e.status,
            Status::Auth | Status::SessionExpired | Status::Broker
        ));
        check_error(&e);
        let reply = match noren_parse_reply(op, &response) {
            Ok(reply) => reply,
            Err(e) => {
                check_reply_error(&e, response.status);
                continue;
            }
        };
        if let Some(at) = noren_expiry_from(&reply, NOW) {
            assert!(at > 0);
        }
        check_serializes(&noren_profile_from(reply.clone(), "FA12345"));
        match noren_funds_from(reply) {
            Ok(funds) => check_serializes(&funds),
            Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
        }
    }
});
