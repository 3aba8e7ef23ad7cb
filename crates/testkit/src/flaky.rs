//! The deterministic failure schedule behind `/flaky`.

use std::collections::HashMap;
use std::sync::Mutex;

/// How a failing `/flaky` hit fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailMode {
    /// Answer 503 with no `Retry-After`.
    ServerError,
    /// Close the connection without any response.
    Reset,
    /// Never answer.
    Stall,
}

impl FailMode {
    /// Parses the `mode` query parameter.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        match raw {
            "5xx" => Some(Self::ServerError),
            "reset" => Some(Self::Reset),
            "stall" => Some(Self::Stall),
            _ => None,
        }
    }
}

/// Whether hit number `n` (1-based) of `key` fails at failure rate `rate`.
///
/// A pure function of its inputs so a test can replay or predict the
/// sequence. The seed for fastrand is an FNV-1a hash rather than std's
/// `DefaultHasher`, whose algorithm may change between Rust releases.
pub(crate) fn fails(seed: u64, key: &str, n: u64, rate: f64) -> bool {
    const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash = FNV_OFFSET;
    let key_bytes = key.bytes();
    // The 0xff after the key, a byte UTF-8 never contains, marks where the
    // key ends, so no two (key, n) pairs feed the hash the same bytes.
    let bytes = seed
        .to_le_bytes()
        .into_iter()
        .chain(key_bytes)
        .chain([0xff])
        .chain(n.to_le_bytes());
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(FNV_PRIME);
    }
    fastrand::Rng::with_seed(hash).f64() < rate
}

/// Per-key hit counters.
#[derive(Debug, Default)]
pub(crate) struct Flaky {
    hits: Mutex<HashMap<String, u64>>,
}

impl Flaky {
    /// Counts a hit for `key` and returns its 1-based number.
    pub(crate) fn next_hit(&self, key: &str) -> u64 {
        let mut hits = self
            .hits
            .lock()
            // One increment per critical section: a poisoned map is consistent.
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = hits.entry(key.to_owned()).or_insert(0);
        *n += 1;
        *n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(seed: u64, key: &str, rate: f64) -> Vec<bool> {
        (1..=200).map(|n| fails(seed, key, n, rate)).collect()
    }

    #[test]
    fn same_seed_same_sequence() {
        assert_eq!(schedule(7, "k", 0.3), schedule(7, "k", 0.3));
        assert_ne!(schedule(7, "k", 0.3), schedule(8, "k", 0.3));
        assert_ne!(schedule(7, "k", 0.3), schedule(7, "other", 0.3));
    }

    #[test]
    fn rate_is_roughly_honoured() {
        assert!(schedule(1, "k", 0.0).iter().all(|f| !f));
        assert!(schedule(1, "k", 1.0).iter().all(|f| *f));
        let failures = schedule(1, "k", 0.25).iter().filter(|f| **f).count();
        assert!((25..=80).contains(&failures), "{failures} of 200 failed");
    }

    #[test]
    fn counters_are_per_key() {
        let flaky = Flaky::default();
        assert_eq!(flaky.next_hit("a"), 1);
        assert_eq!(flaky.next_hit("a"), 2);
        assert_eq!(flaky.next_hit("b"), 1);
        assert_eq!(FailMode::parse("reset"), Some(FailMode::Reset));
        assert_eq!(FailMode::parse("nope"), None);
    }
}
