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
//!
//! A second table goes one step earlier: it remembers links by how they were written (the
//! page's directory and the link value, see `LinkMemo`), so that extraction does not even
//! resolve a link written the same way on an earlier page of the same directory. On the
//! rust docs that spares most URL parsing, canonicalization and fingerprinting: about 10%
//! of the crawl's user CPU time.

use std::sync::Mutex;

use ferrocrawl_extract::{KnownLinks, LinkMemo};
use ferrocrawl_url::Fingerprint;

/// Slots per shard, and shards: 65,536 entries a table.
const SLOTS: usize = 1024;
const SHARDS: usize = 64;

#[derive(Debug)]
pub(crate) struct RecentLinks {
    /// Canonical fingerprints pushed (2 MiB).
    pushed: Lossy<u128, ()>,
    /// Link keys ([`LinkMemo::key`]) whose links were pushed, with their targets (1.5 MiB):
    /// a page's extraction skips resolving those (see [`KnownLinks`]).
    written: Lossy<u64, u64>,
}

impl RecentLinks {
    pub(crate) fn new() -> RecentLinks {
        RecentLinks {
            pushed: Lossy::new(),
            written: Lossy::new(),
        }
    }

    /// Whether `fp` was recorded at `depth` or shallower.
    pub(crate) fn contains(&self, fp: Fingerprint, depth: u32) -> bool {
        let fp = u128::from(fp);
        self.pushed.get(fp as usize, fp, depth).is_some()
    }

    /// Remembers that `fp` was handed to the frontier at `depth`.
    pub(crate) fn record(&self, fp: Fingerprint, depth: u32) {
        let fp = u128::from(fp);
        self.pushed.put(fp as usize, fp, (), depth);
    }

    /// Remembers that the link written as `memo.key` was handed to the frontier (or found
    /// there already) at `depth`.
    pub(crate) fn remember(&self, memo: LinkMemo, depth: u32) {
        self.written
            .put(memo.key as usize, memo.key, memo.target, depth);
    }

    /// The links of a page whose links are at `depth`, as [`KnownLinks`].
    pub(crate) fn known_at(&self, depth: u32) -> KnownAt<'_> {
        KnownAt {
            recent: self,
            depth,
        }
    }
}

/// [`RecentLinks`] seen from a page whose links are at `depth`: a link written there is
/// known when it was remembered at `depth` or shallower.
pub(crate) struct KnownAt<'a> {
    recent: &'a RecentLinks,
    depth: u32,
}

impl KnownLinks for KnownAt<'_> {
    fn recall(&self, key: u64) -> Option<u64> {
        self.recent.written.get(key as usize, key, self.depth)
    }
}

/// A direct-mapped table of (key, value, shallowest depth): an entry is forgotten when
/// another lands on its slot. Keys are uniform hashes, so their low bits pick the slot.
#[derive(Debug)]
struct Lossy<K, V> {
    shards: Box<[Mutex<Shard<K, V>>]>,
}

/// One shard's slots: a key, its value and the shallowest depth it was put at.
type Shard<K, V> = Box<[Option<(K, V, u32)>]>;

impl<K: Copy + Eq, V: Copy> Lossy<K, V> {
    fn new() -> Self {
        Lossy {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(vec![None; SLOTS].into_boxed_slice()))
                .collect(),
        }
    }

    /// The value of `key` (whose low bits are `low`), if it was put at `depth` or shallower.
    fn get(&self, low: usize, key: K, depth: u32) -> Option<V> {
        let shard = self.shards[low % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match shard[(low / SHARDS) % SLOTS] {
            Some((k, value, at)) if k == key && at <= depth => Some(value),
            _ => None,
        }
    }

    fn put(&self, low: usize, key: K, value: V, depth: u32) {
        let mut shard = self.shards[low % SHARDS]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let entry = &mut shard[(low / SHARDS) % SLOTS];
        let depth = match *entry {
            Some((k, _, at)) if k == key => at.min(depth),
            _ => depth,
        };
        *entry = Some((key, value, depth));
    }
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
    fn written_links_are_recalled_at_their_depth_or_deeper() {
        let recent = RecentLinks::new();
        assert_eq!(recent.known_at(3).recall(42), None);
        recent.remember(LinkMemo { key: 42, target: 9 }, 2);
        assert_eq!(recent.known_at(2).recall(42), Some(9));
        assert_eq!(recent.known_at(5).recall(42), Some(9));
        assert_eq!(
            recent.known_at(1).recall(42),
            None,
            "a shallower page must resolve it"
        );
        let other = 42 + (SHARDS * SLOTS) as u64; // same slot
        assert_eq!(recent.known_at(5).recall(other), None);
        recent.remember(
            LinkMemo {
                key: other,
                target: 1,
            },
            0,
        );
        assert_eq!(recent.known_at(5).recall(42), None, "evicted");
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
