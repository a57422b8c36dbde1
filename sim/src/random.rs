//! A small, thread-safe source of unpredictable numbers for token bytes and fault fractions.
//!
//! The simulator needs randomness only so that tokens look real and differ between runs, and so
//! that [`FaultTimes::Fraction`](crate::FaultTimes::Fraction) can pick requests. That does not
//! justify a dependency: a SplitMix64 sequence seeded from the standard library's per-process
//! random hasher keys is plenty. It is **not** cryptographically secure.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// The SplitMix64 increment (the golden ratio in 64-bit fixed point).
const GOLDEN_GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// The shared generator state, seeded on first use.
fn state() -> &'static AtomicU64 {
    static STATE: OnceLock<AtomicU64> = OnceLock::new();
    STATE.get_or_init(|| {
        let mut hasher = RandomState::new().build_hasher();
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos());
        hasher.write_u128(nanos);
        hasher.write_u32(std::process::id());
        AtomicU64::new(hasher.finish())
    })
}

/// Returns the next pseudo-random 64-bit number.
pub(crate) fn next_u64() -> u64 {
    let mut z = state()
        .fetch_add(GOLDEN_GAMMA, Ordering::Relaxed)
        .wrapping_add(GOLDEN_GAMMA);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Returns `len` pseudo-random bytes.
pub(crate) fn bytes(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        out.extend_from_slice(&next_u64().to_le_bytes());
    }
    out.truncate(len);
    out
}

/// Returns `true` with the given probability (clamped to `0.0..=1.0`; NaN counts as 0).
pub(crate) fn chance(probability: f64) -> bool {
    if probability.is_nan() || probability <= 0.0 {
        return false;
    }
    if probability >= 1.0 {
        return true;
    }
    // 53 random bits give a uniform float in [0, 1).
    let uniform = (next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    uniform < probability
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_have_the_requested_length_and_differ() {
        assert_eq!(bytes(13).len(), 13);
        assert_ne!(bytes(32), bytes(32));
    }

    #[test]
    fn chance_respects_the_extremes() {
        assert!((0..100).all(|_| chance(1.0)));
        assert!((0..100).all(|_| !chance(0.0)));
        assert!(!chance(f64::NAN));
    }
}
