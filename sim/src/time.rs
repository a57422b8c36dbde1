//! Time as the simulated brokers show and check it: unix seconds, and India Standard Time in
//! Noren's `request_time` format.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
use time::macros::{format_description, offset};

/// Whether a moment stored as unix seconds has been reached at `now`.
pub(crate) fn has_passed(expires_at: u64, now: SystemTime) -> bool {
    now.duration_since(UNIX_EPOCH)
        .is_ok_and(|elapsed| elapsed >= Duration::from_secs(expires_at))
}

/// `now` in whole unix seconds (0 before the epoch).
pub(crate) fn unix_secs(now: SystemTime) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs())
}

/// `now + lifetime` in whole unix seconds, saturating far in the future.
pub(crate) fn unix_secs_after(now: SystemTime, lifetime: Duration) -> u64 {
    now.duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .saturating_add(lifetime)
        .as_secs()
}

/// An HTTP `Date` header value (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub(crate) fn http_date(at: SystemTime) -> String {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    OffsetDateTime::from(at).format(&format).unwrap_or_default()
}

/// `now` in India Standard Time (UTC+05:30) as `"HH:MM:SS DD-MM-YYYY"`, Noren's `request_time`.
pub(crate) fn ist_request_time(now: SystemTime) -> String {
    in_ist(
        now,
        format_description!("[hour]:[minute]:[second] [day]-[month]-[year]"),
    )
}

/// `now` in India Standard Time as `yyyy-mm-dd hh:mm:ss`, Kite's timestamp format
/// (PROTOCOLS.md §4.4).
pub(crate) fn ist_timestamp(now: SystemTime) -> String {
    in_ist(
        now,
        format_description!("[year]-[month]-[day] [hour]:[minute]:[second]"),
    )
}

/// `at` in India Standard Time, as `format` writes it.
fn in_ist(at: SystemTime, format: &[time::format_description::BorrowedFormatItem<'_>]) -> String {
    OffsetDateTime::from(at)
        .to_offset(offset!(+5:30))
        .format(format)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_are_imf_fixdate() {
        let at = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(http_date(at), "Sun, 06 Nov 1994 08:49:37 GMT");
    }

    #[test]
    fn request_time_is_ist() {
        assert_eq!(ist_request_time(UNIX_EPOCH), "05:30:00 01-01-1970");
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(ist_request_time(t), "03:43:20 15-11-2023");
        let leap = UNIX_EPOCH + Duration::from_secs(1_709_164_800); // 2024-02-29T00:00:00Z
        assert_eq!(ist_request_time(leap), "05:30:00 29-02-2024");
    }
}
