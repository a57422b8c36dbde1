//! Time, as the library shows and reasons about it: now, RFC 3339 UTC text,
//! and the day end in India Standard Time, when the brokers end sessions.

use std::time::{SystemTime, UNIX_EPOCH};
use time::format_description::well_known::Rfc3339;
use time::macros::{format_description, offset};
use time::{Duration, OffsetDateTime, Time, UtcOffset};

/// India Standard Time: UTC+05:30 all year.
const IST: UtcOffset = offset!(+5:30);

/// Seconds since the Unix epoch, now.
pub(crate) fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// An instant as `time` holds it; seconds outside years 1 to 9999 (a
/// broker's nonsense expiry) are clamped to them.
fn utc(unix_seconds: i64) -> OffsetDateTime {
    let bounded = unix_seconds.clamp(
        OffsetDateTime::new_utc(time::Date::MIN, Time::MIDNIGHT).unix_timestamp(),
        OffsetDateTime::new_utc(time::Date::MAX, Time::MIDNIGHT).unix_timestamp(),
    );
    OffsetDateTime::from_unix_timestamp(bounded).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// RFC 3339 UTC text (`2026-11-23T12:00:05Z`) for seconds since the epoch.
pub(crate) fn rfc3339_utc(unix_seconds: i64) -> String {
    // Formatting a whole-second UTC instant within years 1..=9999 cannot fail.
    utc(unix_seconds).format(&Rfc3339).unwrap_or_default()
}

/// RFC 3339 UTC text with milliseconds (`2026-11-23T12:47:18.123Z`), for
/// log lines.
pub(crate) fn rfc3339_utc_millis(at: SystemTime) -> String {
    let format =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    OffsetDateTime::from(at).format(&format).unwrap_or_default()
}

/// An HTTP `Date` header (`Sun, 06 Nov 1994 08:49:37 GMT`, RFC 9110's
/// IMF-fixdate) as seconds since the epoch; `None` for any other text.
pub(crate) fn parse_http_date(text: &str) -> Option<i64> {
    let format = format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    time::PrimitiveDateTime::parse(text.trim(), &format)
        .ok()
        .map(|t| t.assume_utc().unix_timestamp())
}

/// The first moment after `now` (seconds since the epoch) that is
/// `minutes` after midnight IST.
pub(crate) fn next_day_end(now: i64, minutes: u32) -> i64 {
    let local = utc(now).to_offset(IST);
    let end_today = local.replace_time(Time::MIDNIGHT) + Duration::minutes(i64::from(minutes));
    let end = if end_today <= local {
        end_today + Duration::days(1)
    } else {
        end_today
    };
    end.unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(rfc3339_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_utc(1_795_435_200), "2026-11-23T12:00:00Z");
        assert_eq!(rfc3339_utc(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339_utc(i64::MAX), "9999-12-31T00:00:00Z");
    }

    #[test]
    fn log_times_have_milliseconds() {
        let at = UNIX_EPOCH + std::time::Duration::from_millis(1_795_435_200_100);
        assert_eq!(rfc3339_utc_millis(at), "2026-11-23T12:00:00.100Z");
    }

    #[test]
    fn http_dates_are_read() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Mon, 23 Nov 2026 12:00:00 GMT"),
            Some(1_795_435_200)
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 PST"), None);
    }

    #[test]
    fn day_end_is_the_next_midnight_ist() {
        // 2026-11-23T12:00:00Z is 17:30 IST; midnight IST is 18:30 UTC.
        let noon_utc = 1_795_435_200;
        assert_eq!(next_day_end(noon_utc, 0), noon_utc + 6 * 3600 + 1800);
        // 15:30 IST (10:00 UTC) the same day.
        assert_eq!(next_day_end(noon_utc, 15 * 60 + 30), noon_utc + 22 * 3600);
        // Exactly at the day end, the next one is a day later.
        let midnight_ist = noon_utc + 6 * 3600 + 1800;
        assert_eq!(next_day_end(midnight_ist, 0), midnight_ist + 86_400);
    }
}
