//! [`Store`]: where a frontier keeps its requests. The scheduler
//! (crate::scheduler) decides what goes where and when; a store only holds.

use ferrocrawl_core::{Request, Result, Url};
use ferrocrawl_url::Fingerprint;

use crate::host::Host;

/// A request the store holds outside the queue: leased, or waiting out a
/// retry backoff. The memory store ignores it for leases (the lease carries
/// the request); the SQLite store uses its row id.
pub(crate) type Slot = i64;

/// Storage behind the scheduler: per-host queues ordered by (priority,
/// seq), requests set aside for a retry, the seen set's persistent half and
/// the robots.txt cache. Hosts are numbered by the scheduler, densely from 0.
///
/// Every method may fail only on I/O; the scheduler calls them after it has
/// decided, so a failure leaves the store's own state to be rolled back by
/// its owner (the SQLite frontier rolls back its transaction).
pub(crate) trait Store {
    /// Host `id` was seen for the first time.
    fn add_host(&mut self, id: usize, key: &str, robots_url: Option<&Url>) -> Result<()>;

    /// Queue a request that passed dedup (`fp` is `None` for `dont_filter`
    /// requests) on `host`. Larger `seq` goes first among equal priorities.
    fn add(
        &mut self,
        host: usize,
        fp: Option<Fingerprint>,
        seq: i64,
        request: Request,
    ) -> Result<()>;

    /// Take the first request of `host`'s queue: highest priority, then
    /// largest `seq`.
    fn pop(&mut self, host: usize) -> Result<Option<(Slot, Request)>>;

    /// The request in `slot` is finished (done, failed, dropped).
    fn remove(&mut self, slot: Slot) -> Result<()>;

    /// Keep `request` (the updated form of the one in `slot`) aside, out of
    /// every queue, until [`Store::requeue`]; it now belongs to `host`.
    fn set_aside(&mut self, slot: Slot, host: usize, request: Request) -> Result<Slot>;

    /// Put a request kept aside back on its host's queue with a new `seq`.
    fn requeue(&mut self, slot: Slot, seq: i64) -> Result<()>;

    /// The host's robots.txt answer changed: keep it.
    fn save_robots(&mut self, id: usize, host: &Host) -> Result<()>;

    /// Adds `fp` to the seen set the store keeps on disk; whether it was
    /// new. Only a store that took over the seen set answers this (a
    /// spilled memory frontier's); the others keep it in memory and say so.
    fn seen_insert(&mut self, fp: Fingerprint) -> Result<bool> {
        let _ = fp;
        Err(ferrocrawl_core::Error::new(
            ferrocrawl_core::ErrorKind::Config,
            "this frontier store keeps no seen set on disk (a bug: please report it)",
        ))
    }
}
