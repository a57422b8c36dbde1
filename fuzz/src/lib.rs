//! What the fuzz targets share: turning an input into an HTTP reply, and the
//! checks every error must pass whatever the input.

use brokerlink::fuzzing::Response;
use brokerlink::{Error, Status};
use serde::Serialize;
use zeroize::Zeroizing;

/// A fixed "now" for expiry checks: 2026-11-23T12:00:00Z.
pub const NOW: i64 = 1_795_435_200;

/// An input as a broker reply. A first line `STATUS [CONTENT-TYPE]` (like
/// `403 text/plain`) sets the HTTP status and `Content-Type`, so the seeds
/// stay readable; without one the whole input is the body of a bare 200.
pub fn response(data: &[u8]) -> Response {
    let header = data
        .iter()
        .position(|&b| b == b'\n')
        .and_then(|end| Some((std::str::from_utf8(&data[..end]).ok()?, end)))
        .and_then(|(line, end)| {
            let (status, content_type) = match line.trim_end().split_once(' ') {
                Some((status, content_type)) => (status, Some(content_type.to_string())),
                None => (line.trim_end(), None),
            };
            Some((status.parse::<u16>().ok()?, content_type, end + 1))
        });
    let (status, content_type, body_start) = header.unwrap_or((200, None, 0));
    Response {
        status,
        content_type,
        body: Zeroizing::new(data[body_start..].to_vec()),
        date: None,
    }
}

/// The classes a reply can turn into: whatever the broker sends, it is never
/// the caller's mistake (`INVALID_ARGUMENT`) nor a bug (`INTERNAL`).
pub fn check_reply_error(error: &Error, http_status: u16) {
    assert!(
        matches!(
            error.status,
            Status::Auth
                | Status::SessionExpired
                | Status::RateLimited
                | Status::Broker
                | Status::Protocol
        ),
        "unexpected class {:?} for a reply",
        error.status
    );
    assert_eq!(error.http_status, Some(http_status), "{error:?}");
    check_error(error);
}

/// Every error explains itself and turns into its error JSON. That JSON is
/// serde_json's serialization of plain fields, valid by construction, so it
/// is not parsed back (which measured half of each execution, spent testing
/// serde_json): it must be the real object, not the fallback `{}`.
pub fn check_error(error: &Error) {
    assert!(!error.message.is_empty(), "an empty message: {error:?}");
    let json = error.to_json();
    let start = format!("{{\"status\":{},\"code\":\"", error.status as i32);
    assert!(json.starts_with(&start), "error JSON {json}");
}

/// A normalized result serializes, and what it writes is JSON.
pub fn check_serializes(value: &impl Serialize) {
    let text = serde_json::to_string(value).expect("a result serializes");
    serde_json::from_str::<serde_json::Value>(&text).expect("a result is valid JSON");
}

/// What `Money::parse` must make of plain decimal text (`-12.345`, `.5`,
/// `007`), worked out in whole thousandths of a rupee in a `u128`: the
/// amount rounded to the paise, half away from zero, as text with the
/// decimals the input had, at most two. `None` when the text is not plain
/// decimal, is longer than the library reads (64 bytes), or is too large
/// for a `u128` (the library's own limit is lower).
pub fn paise_by_hand(text: &str) -> Option<String> {
    let text = text.trim();
    if text.len() > 64 {
        return None;
    }
    let (negative, unsigned) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = || int.bytes().chain(frac.bytes());
    if digits().next().is_none() || !digits().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int = int.trim_start_matches('0');
    if int.len() > 34 {
        return None;
    }
    let milli = int
        .bytes()
        .chain(frac.bytes().chain(std::iter::repeat(b'0')).take(3))
        .fold(0u128, |n, d| n * 10 + u128::from(d - b'0'));
    // Only the third decimal decides: half away from zero on the magnitude.
    let paise = if frac.len() > 2 {
        (milli + 5) / 10
    } else {
        milli / 10
    };
    let decimals = frac.len().min(2);
    let sign = if negative && paise != 0 { "-" } else { "" };
    Some(match decimals {
        0 => format!("{sign}{}", paise / 100),
        1 => format!("{sign}{}.{}", paise / 100, paise % 100 / 10),
        _ => format!("{sign}{}.{:02}", paise / 100, paise % 100),
    })
}
