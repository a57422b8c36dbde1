//! Zerodha Kite Connect replies (any status, content type and body) through
//! `parse_reply` for each kind of call, `error_for` on the raw text, then
//! what a success feeds into: the session tokens, the profile and the funds
//! of each segment choice.

#![no_main]

use brokerlink::Status;
use brokerlink::fuzzing::Operation as Op;
use brokerlink::fuzzing::{
    ZerodhaFundsSegment as Segment, zerodha_error_for, zerodha_funds_from, zerodha_parse_reply,
    zerodha_profile_from, zerodha_tokens_from,
};
use brokerlink_fuzz::{NOW, check_error, check_reply_error, check_serializes, response};
use libfuzzer_sys::fuzz_target;

/// Kite's InputException (and a bare HTTP 400) is the caller's mistake, so
/// INVALID_ARGUMENT is a reply class here, unlike at the other brokers.
fn check_kite_error(error: &brokerlink::Error, http_status: u16) {
    if error.status == Status::InvalidArgument {
        assert_eq!(error.http_status, Some(http_status), "{error:?}");
        check_error(error);
    } else {
        check_reply_error(error, http_status);
    }
}

fuzz_target!(|data: &[u8]| {
    let response = response(data);
    let text = String::from_utf8_lossy(&response.body);
    for op in [Op::Login, Op::Refresh, Op::Profile, Op::Funds, Op::Logout] {
        check_kite_error(
            &zerodha_error_for(op, &text, &text, response.status),
            response.status,
        );
        let data = match zerodha_parse_reply(op, &response) {
            Ok(data) => data,
            Err(e) => {
                check_kite_error(&e, response.status);
                continue;
            }
        };
        if matches!(op, Op::Login | Op::Refresh) {
            match zerodha_tokens_from(&data, None, NOW) {
                Ok(tokens) => {
                    assert!(!tokens.access.is_empty());
                    assert!(tokens.expires_at.is_some_and(|at| at > 0));
                }
                Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
            }
        }
        match zerodha_profile_from(data.clone(), "ZD1234") {
            Ok(profile) => check_serializes(&profile),
            Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
        }
        for segment in [Segment::Equity, Segment::Commodity, Segment::Both] {
            match zerodha_funds_from(data.clone(), segment) {
                Ok(funds) => check_serializes(&funds),
                Err(e) => assert_eq!(e.status, Status::Protocol, "{e:?}"),
            }
        }
    }
});
