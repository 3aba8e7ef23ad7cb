//! The set of requests already seen, kept as fingerprints.
//!
//! Exact, not probabilistic: a Bloom filter would drop a few pages for good,
//! and at 16 bytes per key an exact set of 10 million requests still fits in
//! a few hundred MiB.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};

use crate::Fingerprint;

/// An exact set of [`Fingerprint`]s.
///
/// Stores the 16-byte fingerprints, never the URL strings. Fingerprints are
/// already uniformly distributed hashes, so the set does not hash them
/// again: its hasher folds the 128 bits into 64 and passes them through.
///
/// # Memory
///
/// The table (hashbrown, inside `std`) keeps one 16-byte slot plus one
/// control byte per bucket, with a power-of-two bucket count at most 7/8
/// full. That is 17 / 0.875 ≈ 19.4 bytes per entry right before the table
/// grows and 2 × that ≈ 38.9 bytes right after. Measured (resident memory,
/// release build): 1,000,000 fingerprints take 35.8 MB (2^21 buckets,
/// 35.8 bytes per entry); 1,800,000 fit in the same table at 19.8 bytes per
/// entry. [`SeenSet::memory_bytes`] gives the estimate for a live set.
/// Sizing it up front with [`SeenSet::with_capacity`] avoids the doubling
/// (and the transient old + new table while it rehashes).
#[derive(Debug, Clone, Default)]
pub struct SeenSet {
    set: HashSet<u128, BuildHasherDefault<PassThroughHasher>>,
}

// ===== impl SeenSet =====

impl SeenSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty set that holds `capacity` fingerprints without growing.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            set: HashSet::with_capacity_and_hasher(capacity, BuildHasherDefault::default()),
        }
    }

    /// Adds `fp`; returns `true` if it was not in the set yet (the request
    /// is new and should be scheduled).
    pub fn insert(&mut self, fp: Fingerprint) -> bool {
        self.set.insert(fp.as_u128())
    }

    /// Whether `fp` is in the set.
    pub fn contains(&self, fp: Fingerprint) -> bool {
        self.set.contains(&fp.as_u128())
    }

    /// Number of fingerprints in the set.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    /// Number of fingerprints the set holds before it has to grow.
    pub fn capacity(&self) -> usize {
        self.set.capacity()
    }

    /// Estimated heap bytes used by the table, derived from its capacity
    /// (hashbrown layout: 16-byte slots, 1 control byte per bucket plus one
    /// group of 16 trailing control bytes; buckets = capacity × 8/7 rounded
    /// to a power of two). An estimate, since `std` does not expose it.
    pub fn memory_bytes(&self) -> usize {
        let capacity = self.set.capacity();
        if capacity == 0 {
            return 0;
        }
        // Small tables (< 8 buckets) are full at capacity + 1 buckets.
        let buckets = if capacity < 7 {
            (capacity + 1).next_power_of_two()
        } else {
            (capacity.saturating_mul(8) / 7).next_power_of_two()
        };
        buckets.saturating_mul(16 + 1).saturating_add(16)
    }

    /// Iterates over the fingerprints in no particular order, e.g. to save
    /// them.
    pub fn iter(&self) -> impl Iterator<Item = Fingerprint> + '_ {
        self.set.iter().map(|&v| Fingerprint::from_u128(v))
    }
}

impl Extend<Fingerprint> for SeenSet {
    fn extend<I: IntoIterator<Item = Fingerprint>>(&mut self, iter: I) {
        self.set.extend(iter.into_iter().map(Fingerprint::as_u128));
    }
}

impl FromIterator<Fingerprint> for SeenSet {
    fn from_iter<I: IntoIterator<Item = Fingerprint>>(iter: I) -> Self {
        let mut set = Self::new();
        set.extend(iter);
        set
    }
}

// ===== impl PassThroughHasher =====

/// Uses the key's own bits as the hash: the keys are XXH3 outputs already.
#[derive(Debug, Clone, Copy, Default)]
struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write_u128(&mut self, value: u128) {
        // Fold both halves so every bit of the fingerprint counts; hashbrown
        // takes the bucket from the low bits and a tag from the top 7.
        // Truncation to the low 64 bits is the point of the `as` casts.
        self.0 = (value as u64) ^ ((value >> 64) as u64);
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u128` is used for `u128` keys; this keeps the hasher
        // correct (if slower) for any other input.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
            self.0 = self.0.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fingerprint;
    use url::Url;

    fn fp(i: u64) -> Fingerprint {
        let url = Url::parse(&format!("https://example.com/{i}")).unwrap();
        fingerprint(&url, "GET", None)
    }

    #[test]
    fn insert_reports_new_entries() {
        let mut set = SeenSet::with_capacity(4);
        assert!(set.is_empty());
        assert!(set.insert(fp(1)));
        assert!(!set.insert(fp(1)));
        assert!(set.insert(fp(2)));
        assert!(set.contains(fp(1)));
        assert!(!set.contains(fp(3)));
        assert_eq!(set.len(), 2);
    }

    #[test]
    fn exact_for_many_entries() {
        let mut set: SeenSet = (0..10_000).map(fp).collect();
        assert_eq!(set.len(), 10_000);
        assert!((0..10_000).all(|i| set.contains(fp(i))));
        assert!((10_000..11_000).all(|i| !set.contains(fp(i))));
        assert!(!set.insert(fp(42)));
        assert_eq!(set.iter().count(), 10_000);
    }

    #[test]
    fn memory_stays_near_the_documented_bound() {
        let n = 100_000;
        let set: SeenSet = (0..n).map(fp).collect();
        let per_entry = set.memory_bytes() as f64 / n as f64;
        // 19.4 bytes/entry when full, at most ~39 right after growing.
        assert!((19.0..40.0).contains(&per_entry), "{per_entry}");
        let sized = SeenSet::with_capacity(1000);
        assert!(sized.capacity() >= 1000);
        assert_eq!(SeenSet::new().memory_bytes(), 0);
    }

    #[test]
    fn hasher_folds_both_halves() {
        let mut h = PassThroughHasher::default();
        h.write_u128((1u128 << 64) | 2);
        assert_eq!(h.finish(), 3);
        let mut h = PassThroughHasher::default();
        h.write(&[1, 2]);
        assert_ne!(h.finish(), 0);
    }
}
