//! Fyers' rate limits (PROTOCOLS.md §6.6): one budget for all APIs per user, counted in a rolling
//! second, a rolling minute and the IST calendar day, and the day-long block of a user who
//! exceeds the per-minute limit more than three times in a day.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The limits brokersim enforces for Fyers ([`Sim::set_fyers_limits`](crate::Sim::set_fyers_limits)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FyersLimits {
    /// Requests allowed in any rolling second. Fyers: 10.
    pub per_second: u32,
    /// Requests allowed in any rolling minute. Fyers: 200.
    pub per_minute: u32,
    /// Requests allowed in one IST calendar day. Fyers: 1,00,000.
    pub per_day: u32,
    /// How many refusals for the per-minute limit a user may get in a day; the next one blocks
    /// the user for the rest of the day (IST). Fyers: 3 ("more than 3 times in the day").
    pub minute_breaches_allowed: u32,
}

impl Default for FyersLimits {
    fn default() -> FyersLimits {
        FyersLimits {
            per_second: 10,
            per_minute: 200,
            per_day: 100_000,
            minute_breaches_allowed: 3,
        }
    }
}

/// Why a request was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// More than the per-second limit.
    Second(u32),
    /// More than the per-minute limit.
    Minute(u32),
    /// The day's requests are used up.
    Day(u32),
    /// The user is blocked for the rest of the day after repeated per-minute breaches.
    Blocked(u32),
}

impl Refusal {
    /// The message of the `-429` reply. Fyers' texts are not published (UNCONFIRMED): these name
    /// the window, and only the day-long refusals mention the day.
    pub(crate) fn message(self) -> String {
        match self {
            Refusal::Second(n) => format!("request limit reached: {n} requests per second"),
            Refusal::Minute(n) => format!("request limit reached: {n} requests per minute"),
            Refusal::Day(n) => format!("request limit reached: {n} requests per day"),
            Refusal::Blocked(n) => format!(
                "user blocked for the rest of the day: the per minute request limit was exceeded more than {n} times"
            ),
        }
    }
}

/// One user's history.
#[derive(Default)]
struct UserHistory {
    /// Accepted requests of the last minute.
    recent: VecDeque<Instant>,
    /// The IST day (days since the epoch) the counters below belong to.
    day: i64,
    /// Requests accepted that day.
    today: u32,
    /// Per-minute refusals that day.
    breaches: u32,
    /// Blocked for the rest of that day.
    blocked: bool,
}

/// The request history of every user.
#[derive(Default)]
pub(crate) struct Limiter {
    users: HashMap<String, UserHistory>,
}

const SECOND: Duration = Duration::from_secs(1);
const MINUTE: Duration = Duration::from_secs(60);

impl Limiter {
    /// Counts a request of `user` at `now` (IST day `ist_day`) and says whether it may be served.
    /// Refused requests do not count against the windows.
    pub(crate) fn check(
        &mut self,
        user: &str,
        limits: FyersLimits,
        now: Instant,
        ist_day: i64,
    ) -> Result<(), Refusal> {
        let history = self.users.entry(user.to_owned()).or_default();
        if history.day != ist_day {
            *history = UserHistory {
                recent: std::mem::take(&mut history.recent),
                day: ist_day,
                ..UserHistory::default()
            };
        }
        if history.blocked {
            return Err(Refusal::Blocked(limits.minute_breaches_allowed));
        }
        if history.today >= limits.per_day {
            return Err(Refusal::Day(limits.per_day));
        }
        while history
            .recent
            .front()
            .is_some_and(|at| now.duration_since(*at) >= MINUTE)
        {
            history.recent.pop_front();
        }
        let in_second = history
            .recent
            .iter()
            .rev()
            .take_while(|at| now.duration_since(**at) < SECOND)
            .count();
        if in_second >= limits.per_second as usize {
            return Err(Refusal::Second(limits.per_second));
        }
        if history.recent.len() >= limits.per_minute as usize {
            history.breaches += 1;
            if history.breaches > limits.minute_breaches_allowed {
                history.blocked = true;
                return Err(Refusal::Blocked(limits.minute_breaches_allowed));
            }
            return Err(Refusal::Minute(limits.per_minute));
        }
        history.recent.push_back(now);
        history.today += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_second: u32, per_minute: u32, per_day: u32) -> FyersLimits {
        FyersLimits {
            per_second,
            per_minute,
            per_day,
            minute_breaches_allowed: 3,
        }
    }

    #[test]
    fn second_and_minute_windows_roll() {
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        let l = limits(2, 3, 100);
        assert_eq!(limiter.check("U", l, t0, 1), Ok(()));
        assert_eq!(limiter.check("U", l, t0, 1), Ok(()));
        assert_eq!(limiter.check("U", l, t0, 1), Err(Refusal::Second(2)));
        assert_eq!(limiter.check("V", l, t0, 1), Ok(()), "users are apart");
        assert_eq!(limiter.check("U", l, t0 + SECOND, 1), Ok(()));
        assert_eq!(
            limiter.check("U", l, t0 + 2 * SECOND, 1),
            Err(Refusal::Minute(3))
        );
        assert_eq!(limiter.check("U", l, t0 + MINUTE, 1), Ok(()));
    }

    #[test]
    fn the_fourth_minute_breach_blocks_for_the_rest_of_the_day() {
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        let l = limits(100, 1, 100);
        assert_eq!(limiter.check("U", l, t0, 7), Ok(()));
        for _ in 0..3 {
            assert_eq!(limiter.check("U", l, t0, 7), Err(Refusal::Minute(1)));
        }
        assert_eq!(limiter.check("U", l, t0, 7), Err(Refusal::Blocked(3)));
        let later = t0 + 10 * MINUTE;
        assert_eq!(limiter.check("U", l, later, 7), Err(Refusal::Blocked(3)));
        assert_eq!(limiter.check("U", l, later, 8), Ok(()), "a new IST day");
    }

    #[test]
    fn the_day_cap_counts_accepted_requests() {
        let mut limiter = Limiter::default();
        let t0 = Instant::now();
        let l = limits(100, 100, 2);
        assert_eq!(limiter.check("U", l, t0, 1), Ok(()));
        assert_eq!(limiter.check("U", l, t0 + MINUTE, 1), Ok(()));
        assert_eq!(
            limiter.check("U", l, t0 + 2 * MINUTE, 1),
            Err(Refusal::Day(2))
        );
        assert!(Refusal::Day(2).message().contains("day"));
        assert!(!Refusal::Minute(2).message().contains("day"));
        assert!(!Refusal::Second(2).message().contains("day"));
        assert!(Refusal::Blocked(3).message().contains("day"));
    }
}
