//! Client-side rate limiting: each session paces its own calls to the
//! broker's published limits, so a burst (an Excel recalculation firing
//! twenty reads at once) waits its turn instead of being refused.

use crate::error::{Error, Status};
use crate::operation::Operation;
use std::collections::VecDeque;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// At most so many calls in any rolling second and hour; 0 means no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RateLimit {
    /// Calls per rolling second.
    pub per_second: u32,
    /// Calls per rolling hour.
    pub per_hour: u32,
}

impl RateLimit {
    /// No limit.
    pub(crate) const NONE: RateLimit = RateLimit {
        per_second: 0,
        per_hour: 0,
    };

    /// A per-second and a per-hour limit.
    pub(crate) const fn new(per_second: u32, per_hour: u32) -> RateLimit {
        RateLimit {
            per_second,
            per_hour,
        }
    }
}

/// The pacing state of one session: for each operation, the times of its
/// recent calls, including slots reserved by callers that are waiting.
pub(crate) struct Pacer {
    limits: [RateLimit; 5],
    history: Mutex<[VecDeque<Instant>; 5]>,
}

/// The per-second window, plus a guard: the broker counts a call when it
/// arrives, not when it was sent, so jitter on the wire could otherwise put
/// one call too many into a broker's second.
const SECOND: Duration = Duration::from_millis(1100);
const HOUR: Duration = Duration::from_secs(3600);

impl Pacer {
    /// A pacer with a limit for each operation.
    pub(crate) fn new(limit_of: impl Fn(Operation) -> RateLimit) -> Pacer {
        Pacer {
            limits: Operation::ALL.map(limit_of),
            history: Mutex::new(Default::default()),
        }
    }

    /// Waits for the operation's turn and says how long it waited. Fails at
    /// once, without waiting, when the turn would come after `deadline`.
    pub(crate) fn acquire(&self, op: Operation, deadline: Instant) -> Result<Duration, Error> {
        let slot = self.reserve(op, Instant::now(), deadline)?;
        let wait = slot.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        Ok(wait)
    }

    /// Books the earliest slot at or after `now` that keeps within the
    /// limits, unless it falls after `deadline`.
    fn reserve(&self, op: Operation, now: Instant, deadline: Instant) -> Result<Instant, Error> {
        let limit = self.limits[op.index()];
        if limit == RateLimit::NONE {
            return Ok(now);
        }
        let mut history = self.history.lock().unwrap_or_else(PoisonError::into_inner);
        let calls = &mut history[op.index()];
        while calls
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= HOUR)
        {
            calls.pop_front();
        }
        let slot = [(limit.per_second, SECOND), (limit.per_hour, HOUR)]
            .into_iter()
            .filter(|(count, _)| *count > 0)
            .filter_map(|(count, window)| {
                // The call `count` places back must have left the window.
                let oldest = calls.len().checked_sub(count as usize)?;
                Some(calls[oldest] + window)
            })
            .fold(now, Instant::max);
        if slot > deadline {
            let wait = slot.saturating_duration_since(now);
            return Err(Error::new(
                Status::RateLimited,
                format!(
                    "the {} rate limit would make this call wait {} ms, past its timeout: retry later",
                    op.name(),
                    wait.as_millis()
                ),
            ));
        }
        calls.push_back(slot);
        Ok(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pacer(limit: RateLimit) -> Pacer {
        Pacer::new(move |op| {
            if op == Operation::Funds {
                limit
            } else {
                RateLimit::NONE
            }
        })
    }

    #[test]
    fn a_burst_is_spread_over_the_window() {
        let p = pacer(RateLimit::new(2, 0));
        let t0 = Instant::now();
        let far = t0 + Duration::from_secs(60);
        let slots: Vec<_> = (0..5)
            .map(|_| p.reserve(Operation::Funds, t0, far).unwrap())
            .collect();
        let offsets: Vec<u64> = slots
            .iter()
            .map(|s| s.duration_since(t0).as_millis() as u64)
            .collect();
        assert_eq!(offsets, [0, 0, 1100, 1100, 2200]);
    }

    #[test]
    fn a_turn_past_the_deadline_fails_fast() {
        let p = pacer(RateLimit::new(1, 0));
        let t0 = Instant::now();
        p.reserve(Operation::Funds, t0, t0).unwrap();
        let e = p
            .reserve(Operation::Funds, t0, t0 + Duration::from_millis(500))
            .unwrap_err();
        assert_eq!(e.status, Status::RateLimited);
        assert!(
            e.message.contains("funds") && e.message.contains("1100 ms"),
            "{}",
            e.message
        );
        // A refused call books nothing: the next one with time to wait gets the slot.
        let slot = p
            .reserve(Operation::Funds, t0, t0 + Duration::from_secs(5))
            .unwrap();
        assert_eq!(slot.duration_since(t0), SECOND);
    }

    #[test]
    fn the_hourly_limit_applies_too() {
        let p = pacer(RateLimit::new(0, 3));
        let t0 = Instant::now();
        let far = t0 + Duration::from_secs(7200);
        for _ in 0..3 {
            assert_eq!(p.reserve(Operation::Funds, t0, far).unwrap(), t0);
        }
        assert_eq!(p.reserve(Operation::Funds, t0, far).unwrap(), t0 + HOUR);
    }

    #[test]
    fn other_operations_and_unlimited_ones_never_wait() {
        let p = pacer(RateLimit::new(1, 0));
        let t0 = Instant::now();
        p.reserve(Operation::Funds, t0, t0).unwrap();
        for _ in 0..100 {
            assert_eq!(p.reserve(Operation::Profile, t0, t0).unwrap(), t0);
        }
    }
}
