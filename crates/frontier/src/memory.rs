//! [`MemoryFrontier`]: the in-memory implementation.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use ferrocrawl_core::{Request, Result, Url};
use ferrocrawl_url::Fingerprint;

use crate::clock::{SharedClock, TokioClock};
use crate::config::FrontierConfig;
use crate::host::Host;
use crate::lease::{Completed, Completion, Lease, Leased, PushStats, Status};
use crate::scheduler::Scheduler;
use crate::store::{Slot, Store};
use crate::{Checkpoint, Frontier, FrontierFuture};

/// A frontier held in memory: fast, and gone when the process ends. Past
/// [`FrontierConfig::spill_after`] queued requests, the queue and the seen
/// set move to a temporary file (deleted with the frontier), so memory
/// stays bounded however many URLs the crawl meets.
///
/// Clones are handles on the same frontier (as two workers would hold).
#[derive(Clone, Debug)]
pub struct MemoryFrontier {
    state: Arc<Mutex<Scheduler<SpillStore>>>,
    clock: SharedClock,
}

/// Per-host heaps, plus the requests leased or waiting out a retry.
#[derive(Debug, Default)]
pub(crate) struct MemoryStore {
    pub(crate) queues: Vec<BinaryHeap<Queued>>,
    /// Leased requests (a copy, to queue again if the lease expires) and
    /// those waiting out a retry, by slot.
    pub(crate) aside: HashMap<Slot, (usize, Request)>,
    next_slot: Slot,
}

/// The queue of a [`MemoryFrontier`]: in memory, or moved to disk.
#[derive(Debug)]
pub(crate) enum SpillStore {
    Memory(MemoryStore),
    #[cfg(feature = "sqlite")]
    Disk {
        store: crate::sqlite::store::SqliteStore,
        /// Removed with the store (declared after it: dropped after it).
        _dir: crate::sqlite::TempDir,
    },
}

/// A queued request with its ordering key.
#[derive(Debug)]
pub(crate) struct Queued {
    pub(crate) priority: i32,
    /// Larger runs first among equal priorities: BFS stores `-n`, DFS `n`.
    pub(crate) seq: i64,
    pub(crate) request: Request,
}

// ===== impl MemoryFrontier =====

impl MemoryFrontier {
    /// An empty frontier on tokio's clock.
    pub fn new(cfg: FrontierConfig) -> MemoryFrontier {
        MemoryFrontier::with_clock(cfg, TokioClock::shared())
    }

    /// An empty frontier reading the time from `clock`.
    pub fn with_clock(cfg: FrontierConfig, clock: SharedClock) -> MemoryFrontier {
        let now = clock.now();
        let store = SpillStore::Memory(MemoryStore::default());
        MemoryFrontier {
            state: Arc::new(Mutex::new(Scheduler::new(cfg, store, now))),
            clock,
        }
    }

    /// Whether the queue has moved to disk.
    pub fn spilled(&self) -> bool {
        !matches!(self.lock().store, SpillStore::Memory(_))
    }

    fn run<T: Send + 'static>(
        &self,
        call: impl FnOnce(&mut Scheduler<SpillStore>, std::time::SystemTime) -> Result<T>,
    ) -> FrontierFuture<'_, T> {
        // Every method leaves the state consistent before it can panic.
        let mut s = self.lock();
        let out = call(&mut s, self.clock.now());
        #[cfg(feature = "sqlite")]
        let out = out.and_then(|v| s.spill_if_due().map(|()| v));
        Box::pin(std::future::ready(out))
    }

    fn lock(&self) -> MutexGuard<'_, Scheduler<SpillStore>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Frontier for MemoryFrontier {
    fn push(&self, requests: Vec<Request>) -> FrontierFuture<'_, PushStats> {
        self.run(|s, now| s.push(requests, now))
    }

    fn lease(&self, max: usize) -> FrontierFuture<'_, Leased> {
        self.run(|s, now| s.lease(max, now))
    }

    fn complete(&self, completion: Completion) -> FrontierFuture<'_, Completed> {
        self.run(|s, now| s.complete(completion, now))
    }

    fn reclaim(&self, lease: Lease, after: Duration) -> FrontierFuture<'_, bool> {
        self.run(|s, now| s.reclaim(lease, after, now))
    }

    fn status(&self) -> FrontierFuture<'_, Status> {
        self.run(|s, now| Ok(s.status(now)))
    }

    fn checkpoint(&self) -> FrontierFuture<'_, Checkpoint> {
        // Nothing is kept across runs: there is never a checkpoint to resume.
        Box::pin(std::future::ready(Ok(Vec::new())))
    }
}

// ===== impl SpillStore =====

impl Store for SpillStore {
    fn add_host(&mut self, id: usize, key: &str, robots_url: Option<&Url>) -> Result<()> {
        match self {
            SpillStore::Memory(m) => m.add_host(id, key, robots_url),
            #[cfg(feature = "sqlite")]
            SpillStore::Disk { store, .. } => store.add_host(id, key, robots_url),
        }
    }

    fn add(
        &mut self,
        host: usize,
        fp: Option<Fingerprint>,
        seq: i64,
        request: Request,
    ) -> Result<()> {
        match self {
            SpillStore::Memory(m) => m.add(host, fp, seq, request),
            // The seen set stays in memory: nothing to resume from disk.
            #[cfg(feature = "sqlite")]
            SpillStore::Disk { store, .. } => store.add(host, None, seq, request),
        }
    }

    fn pop(&mut self, host: usize) -> Result<Option<(Slot, Request)>> {
        match self {
            SpillStore::Memory(m) => m.pop(host),
            #[cfg(feature = "sqlite")]
            SpillStore::Disk { store, .. } => store.pop(host),
        }
    }

    fn remove(&mut self, slot: Slot) -> Result<()> {
        match self {
            SpillStore::Memory(m) => m.remove(slot),
            #[cfg(feature = "sqlite")]
            SpillStore::Disk { store, .. } => store.remove(slot),
        }
    }

    fn set_aside(&mut self, slot: Slot, host: usize, request: Request) -> Result<Slot> {
        match self {
            SpillStore::Memory(m) => m.set_aside(slot, host, request),
            #[cfg(feature = "sqlite")]
            SpillStore::Disk { store, .. } => store.set_aside(slot, host, request),
        }
    }

    fn requeue(&mut self, slot: Slot, seq: i64) -> Result<()> {
        match self {
            SpillStore::Memory(m) => m.requeue(slot, seq),
            #[cfg(feature = "sqlite")]
            SpillStore::Disk { store, .. } => store.requeue(slot, seq),
        }
    }

    fn save_robots(&mut self, _id: usize, _host: &Host) -> Result<()> {
        // Politeness state lives in memory either way; nothing resumes it.
        Ok(())
    }

    fn seen_insert(&mut self, fp: Fingerprint) -> Result<bool> {
        match self {
            #[cfg(feature = "sqlite")]
            SpillStore::Disk { store, .. } => store.seen_insert(fp),
            SpillStore::Memory(m) => m.seen_insert(fp),
        }
    }
}

// ===== impl MemoryStore =====

impl Store for MemoryStore {
    fn add_host(&mut self, id: usize, _key: &str, _robots_url: Option<&Url>) -> Result<()> {
        debug_assert_eq!(id, self.queues.len(), "hosts are numbered densely");
        self.queues.push(BinaryHeap::new());
        Ok(())
    }

    fn add(
        &mut self,
        host: usize,
        _fp: Option<Fingerprint>,
        seq: i64,
        request: Request,
    ) -> Result<()> {
        self.queues[host].push(Queued {
            priority: request.priority,
            seq,
            request,
        });
        Ok(())
    }

    fn pop(&mut self, host: usize) -> Result<Option<(Slot, Request)>> {
        let Some(q) = self.queues[host].pop() else {
            return Ok(None);
        };
        // The lease carries the request; a copy stays, to queue it again
        // should the lease expire.
        self.next_slot += 1;
        self.aside.insert(self.next_slot, (host, q.request.clone()));
        Ok(Some((self.next_slot, q.request)))
    }

    fn remove(&mut self, slot: Slot) -> Result<()> {
        self.aside.remove(&slot);
        Ok(())
    }

    fn set_aside(&mut self, slot: Slot, host: usize, request: Request) -> Result<Slot> {
        self.aside.insert(slot, (host, request));
        Ok(slot)
    }

    fn requeue(&mut self, slot: Slot, seq: i64) -> Result<()> {
        if let Some((host, request)) = self.aside.remove(&slot) {
            self.add(host, None, seq, request)?;
        }
        Ok(())
    }

    fn save_robots(&mut self, _id: usize, _host: &Host) -> Result<()> {
        Ok(())
    }
}

// ===== impl Queued =====

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.priority, self.seq).cmp(&(other.priority, other.seq))
    }
}
