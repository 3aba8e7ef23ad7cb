//! Links recently handed to the frontier, so that pages skip building requests for links
//! the frontier would only drop as duplicates.
//!
//! Sites repeat their navigation on every page: on the lab's rust docs, 755,000 links
//! lead to 21,600 pages. Each link that reaches the frontier costs a `Request` (moved
//! three times on its way), a referrer copy, a trip through the crawl loop and a lookup in
//! the seen set. This table answers "was this exact canonical URL pushed lately, at this
//! depth or shallower?" from the page's own task, without a trip to the frontier.
//!
//! It is a hint, never the authority: a direct-mapped table that forgets an entry when
//! another lands on its slot. A miss costs the frontier's own check, as before; a hit is
//! only ever a URL already pushed, so no page is lost. The depth is kept because the
//! frontier refuses too-deep requests without remembering them: a URL first found too
//! deep must still get through when a shallower page links to it.

use std::sync::Mutex;

use ferrocrawl_url::Fingerprint;

/// Slots per shard, and shards: 65,536 links remembered, 2 MiB.
const SLOTS: usize = 1024;
const SHARDS: usize = 64;

/// One shard's slots: a fingerprint and the shallowest depth it was pushed at.
type Shard = Box<[Option<(u128, u32)>]>;

#[derive(Debug)]
pub(crate) struct RecentLinks {
    shards: Box<[Mutex<Shard>]>,
}

impl RecentLinks {
    pub(crate) fn new() -> RecentLinks {
        RecentLinks {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(vec![None; SLOTS].into_boxed_slice()))
                .collect(),
        }
    }

    /// Whether `fp` was recorded at `depth` or shallower.
    pub(crate) fn contains(&self, fp: Fingerprint, depth: u32) -> bool {
        let (shard, slot, fp) = locate(fp);
        let shard = self.shards[shard].lock().unwrap_or_else(|e| e.into_inner());
        shard[slot].is_some_and(|(seen, at)| seen == fp && at <= depth)
    }

    /// Remembers that `fp` was handed to the frontier at `depth`.
    pub(crate) fn record(&self, fp: Fingerprint, depth: u32) {
        let (shard, slot, fp) = locate(fp);
        let mut shard = self.shards[shard].lock().unwrap_or_else(|e| e.into_inner());
        let entry = &mut shard[slot];
        *entry = match *entry {
            Some((seen, at)) if seen == fp => Some((fp, at.min(depth))),
            _ => Some((fp, depth)),
        };
    }
}

/// The shard, the slot and the full fingerprint. Fingerprints are uniform hashes, so
/// their low bits pick the place.
fn locate(fp: Fingerprint) -> (usize, usize, u128) {
    let fp = u128::from(fp);
    let low = fp as usize;
    (low % SHARDS, (low / SHARDS) % SLOTS, fp)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(n: u128) -> Fingerprint {
        Fingerprint::from(n)
    }

    #[test]
    fn remembers_by_fingerprint_and_depth() {
        let recent = RecentLinks::new();
        assert!(!recent.contains(fp(7), 3));
        recent.record(fp(7), 2);
        assert!(recent.contains(fp(7), 2));
        assert!(recent.contains(fp(7), 5), "deeper finds are duplicates");
        assert!(
            !recent.contains(fp(7), 1),
            "a shallower find must reach the frontier"
        );
        recent.record(fp(7), 1);
        assert!(recent.contains(fp(7), 1));
        recent.record(fp(7), 4);
        assert!(recent.contains(fp(7), 1), "the shallowest depth is kept");
    }

    #[test]
    fn a_collision_forgets_and_never_confuses() {
        let recent = RecentLinks::new();
        let a = 5u128;
        let b = a + (SHARDS * SLOTS) as u128; // same shard and slot
        recent.record(fp(a), 0);
        recent.record(fp(b), 0);
        assert!(recent.contains(fp(b), 0));
        assert!(!recent.contains(fp(a), 0), "a was evicted, not merged");
        assert!(
            !recent.contains(fp(0), u32::MAX),
            "empty slots match nothing"
        );
    }
}
