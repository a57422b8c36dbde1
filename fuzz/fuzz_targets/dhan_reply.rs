//! Dhan replies (any status, content type and body) through `parse_reply`
//! for each kind of call, then what a success feeds into: the login and
//! RenewToken replies with their expiry (JWT, `expiryTime`,
//! `tokenValidity`), `/profile` and `/fundlimit`.

#![no_main]

use brokerlink::Status;
use brokerlink::fuzzing::Operation as Op;
use brokerlink::fuzzing::{
    dhan_funds_from, dhan_ist_timestamp, dhan_jwt_expiry, dhan_parse_reply, dhan_profile_from,
    dhan_token_validity, dhan_tokens_from_login, dhan_tokens_from_renewal,
};
use brokerlink_fuzz::{NOW, check_reply_error, check_serializes, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    let text = String::from_utf8_lossy(&response.body);
    let _ = dhan_ist_timestamp(&text);
    let _ = dhan_token_validity(&text);
    let _ = dhan_jwt_expiry(&text);
    for op in [Op::Login, Op::Refresh, Op::Profile, Op::Funds] {
        let reply = match dhan_parse_reply(op, &response) {
            Ok(reply) => reply,
            Err(e) => {
                check_reply_error(&e, response.status);
                if op == Op::Refresh {
                    assert!(
                        e.retryable
                            || matches!(
                                e.status,
                                Status::SessionExpired | Status::Protocol | Status::RateLimited
                            ),
                        "{e:?}"
                    );
                }
                continue;
            }
        };
        match dhan_tokens_from_login(&reply, "1000000001", NOW) {
            Ok((tokens, _name)) => {
                assert!(tokens.expires_at.is_some());
                if let Ok(renewed) = dhan_tokens_from_renewal(&reply, &tokens, NOW) {
                    assert_eq!(renewed.user_id, tokens.user_id);
                }
            }
            Err(e) => assert!(matches!(e.status, Status::Auth | Status::Protocol), "{e:?}"),
        }
        check_serializes(&dhan_profile_from(reply.clone(), "1000000001", "NAME"));
        match dhan_funds_from(reply) {
            Ok(funds) => check_serializes(&funds),
            Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
        }
    }
});
