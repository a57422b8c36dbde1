//! Rolling-window rate limits per (client, endpoint).
//!
//! Each key keeps the instants of its accepted requests for as long as the widest window of its
//! limit. A request is accepted when every window still has room, and only accepted requests
//! count (a rejected request does not push the client's window further out).

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// One second: the short window.
const SECOND: Duration = Duration::from_secs(1);
/// One hour: the long window.
const HOUR: Duration = Duration::from_secs(3600);
/// How many calls pass between sweeps that drop idle keys.
const SWEEP_EVERY: u32 = 1024;

/// The limits of one endpoint; `None` means unlimited in that window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Limit {
    /// Requests allowed in any rolling one-second window.
    pub(crate) per_second: Option<u32>,
    /// Requests allowed in any rolling one-hour window.
    pub(crate) per_hour: Option<u32>,
}

impl Limit {
    /// The longest window this limit needs to remember.
    fn memory(self) -> Duration {
        if self.per_hour.is_some() {
            HOUR
        } else {
            SECOND
        }
    }
}

/// Accepted-request history per (client, endpoint).
#[derive(Default)]
pub(crate) struct RateLimiter {
    history: HashMap<(String, &'static str), VecDeque<Instant>>,
    calls_since_sweep: u32,
}

impl RateLimiter {
    /// Records a request from `client` to `endpoint` at `now` and returns whether it is within
    /// `limit`. Rejected requests are not recorded.
    pub(crate) fn try_acquire(
        &mut self,
        client: &str,
        endpoint: &'static str,
        limit: Limit,
        now: Instant,
    ) -> bool {
        self.sweep_now_and_then(now);
        let accepted = self
            .history
            .entry((client.to_owned(), endpoint))
            .or_default();
        forget_older_than(accepted, now, limit.memory());
        let in_last_second = accepted
            .iter()
            .rev()
            .take_while(|at| now.duration_since(**at) < SECOND)
            .count();
        let within = |count: usize, max: Option<u32>| {
            max.is_none_or(|max| count < usize::try_from(max).unwrap_or(usize::MAX))
        };
        if within(in_last_second, limit.per_second) && within(accepted.len(), limit.per_hour) {
            accepted.push_back(now);
            true
        } else {
            false
        }
    }

    /// Drops keys with no request in the last hour, every [`SWEEP_EVERY`] calls, so that the map
    /// does not grow with every client code a client ever sent.
    fn sweep_now_and_then(&mut self, now: Instant) {
        self.calls_since_sweep += 1;
        if self.calls_since_sweep < SWEEP_EVERY {
            return;
        }
        self.calls_since_sweep = 0;
        self.history.retain(|_, accepted| {
            forget_older_than(accepted, now, HOUR);
            !accepted.is_empty()
        });
    }
}

/// Removes the instants at least `window` before `now` (the deque is in time order).
fn forget_older_than(accepted: &mut VecDeque<Instant>, now: Instant, window: Duration) {
    while accepted
        .front()
        .is_some_and(|at| now.duration_since(*at) >= window)
    {
        accepted.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_PER_SECOND: Limit = Limit {
        per_second: Some(2),
        per_hour: None,
    };

    #[test]
    fn per_second_window_rolls() {
        let mut limiter = RateLimiter::default();
        let t0 = Instant::now();
        assert!(limiter.try_acquire("A", "x", TWO_PER_SECOND, t0));
        assert!(limiter.try_acquire("A", "x", TWO_PER_SECOND, t0 + Duration::from_millis(10)));
        assert!(!limiter.try_acquire("A", "x", TWO_PER_SECOND, t0 + Duration::from_millis(20)));
        assert!(limiter.try_acquire("A", "x", TWO_PER_SECOND, t0 + Duration::from_secs(1)));
    }

    #[test]
    fn keys_are_independent() {
        let mut limiter = RateLimiter::default();
        let t0 = Instant::now();
        let one = Limit {
            per_second: Some(1),
            per_hour: None,
        };
        assert!(limiter.try_acquire("A", "x", one, t0));
        assert!(limiter.try_acquire("B", "x", one, t0));
        assert!(limiter.try_acquire("A", "y", one, t0));
        assert!(!limiter.try_acquire("A", "x", one, t0));
    }

    #[test]
    fn per_hour_window_counts_the_hour() {
        let mut limiter = RateLimiter::default();
        let t0 = Instant::now();
        let limit = Limit {
            per_second: Some(1),
            per_hour: Some(3),
        };
        for i in 0..3 {
            assert!(limiter.try_acquire("A", "x", limit, t0 + Duration::from_secs(i * 10)));
        }
        assert!(!limiter.try_acquire("A", "x", limit, t0 + Duration::from_secs(100)));
        assert!(limiter.try_acquire("A", "x", limit, t0 + HOUR));
    }
}
