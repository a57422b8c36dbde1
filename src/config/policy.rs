//! The `broker_new` keys that say how a session keeps itself alive:
//! `auto_refresh`, `max_retries`, `rate_limits`, `day_end_ist`.

use super::Keys;
use crate::error::Result;
use crate::operation::Operation;
use crate::pacing::RateLimit;

/// How a session refreshes, retries and paces itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Policy {
    /// Refresh before expiry and after a `SESSION_EXPIRED` reply.
    pub auto_refresh: bool,
    /// Retries of a failed read (profile, funds).
    pub max_retries: u32,
    /// Client-side pacing.
    pub rate_limits: RateLimits,
    /// When the broker ends sessions, minutes after midnight IST: the expiry
    /// assumed when the broker does not say.
    pub day_end_ist_minutes: u32,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            auto_refresh: true,
            max_retries: 2,
            rate_limits: RateLimits::default(),
            day_end_ist_minutes: 0,
        }
    }
}

/// The `rate_limits` config: the broker's published limits with overrides,
/// or no pacing at all.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum RateLimits {
    /// The broker's published limits.
    #[default]
    BrokerDefaults,
    /// The broker's limits, with these operations overridden.
    Overrides(Vec<(Operation, RateLimit)>),
    /// No client-side pacing.
    Off,
}

impl RateLimits {
    /// The limit for an operation, given the broker's default.
    pub(crate) fn limit(&self, op: Operation, broker_default: RateLimit) -> RateLimit {
        match self {
            RateLimits::Off => RateLimit::NONE,
            RateLimits::BrokerDefaults => broker_default,
            RateLimits::Overrides(list) => list
                .iter()
                .find(|(o, _)| *o == op)
                .map_or(broker_default, |(_, limit)| *limit),
        }
    }
}

pub(super) fn parse_policy(keys: &mut Keys) -> Result<Policy> {
    let defaults = Policy::default();
    Ok(Policy {
        auto_refresh: keys
            .optional_bool("auto_refresh")?
            .unwrap_or(defaults.auto_refresh),
        max_retries: keys
            .optional_u64("max_retries", 0, 10)?
            .map_or(defaults.max_retries, |n| n as u32),
        rate_limits: keys.rate_limits("rate_limits")?,
        day_end_ist_minutes: keys
            .optional_clock("day_end_ist")?
            .unwrap_or(defaults.day_end_ist_minutes),
    })
}
