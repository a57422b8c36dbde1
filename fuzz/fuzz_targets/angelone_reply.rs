//! Angel One replies (any status, content type and body) through
//! `parse_reply` for each kind of call, then what a success feeds into.

#![no_main]

use brokerlink::Status;
use brokerlink::fuzzing::Operation as Op;
use brokerlink::fuzzing::{
    angelone_funds_from, angelone_parse_reply, angelone_profile_from, angelone_tokens_from_reply,
    classify_non_json,
};
use brokerlink_fuzz::{check_reply_error, check_serializes, response};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    check_reply_error(&classify_non_json(&response), response.status);
    for op in [Op::Login, Op::Refresh, Op::Funds] {
        let data = match angelone_parse_reply(op, &response) {
            Ok(data) => data,
            Err(e) => {
                check_reply_error(&e, response.status);
                continue;
            }
        };
        if op != Op::Funds {
            match angelone_tokens_from_reply(&data, None, "D12345") {
                Ok(tokens) => assert!(!tokens.access.is_empty()),
                Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
            }
        }
        match angelone_profile_from(data.clone(), "D12345") {
            Ok(profile) => check_serializes(&profile),
            Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
        }
        match angelone_funds_from(data) {
            Ok(funds) => check_serializes(&funds),
            Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
        }
    }
});
