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

/// A frontier held in memory: fast, and gone when the process ends.
///
/// Clones are handles on the same frontier (as two workers would hold).
#[derive(Clone, Debug)]
pub struct MemoryFrontier {
    state: Arc<Mutex<Scheduler<MemoryStore>>>,
    clock: SharedClock,
}

/// Per-host heaps, plus the requests leased or waiting out a retry.
#[derive(Debug, Default)]
struct MemoryStore {
    queues: Vec<BinaryHeap<Queued>>,
    /// Leased requests (a copy, to queue again if the lease expires) and
    /// those waiting out a retry, by slot.
    aside: HashMap<Slot, (usize, Request)>,
    next_slot: Slot,
}

/// A queued request with its ordering key.
#[derive(Debug)]
struct Queued {
    priority: i32,
    /// Larger runs first among equal priorities: BFS stores `-n`, DFS `n`.
    seq: i64,
    request: Request,
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
        MemoryFrontier {
            state: Arc::new(Mutex::new(Scheduler::new(cfg, MemoryStore::default(), now))),
            clock,
        }
    }

    fn run<T: Send + 'static>(
        &self,
        call: impl FnOnce(&mut Scheduler<MemoryStore>, std::time::SystemTime) -> Result<T>,
    ) -> FrontierFuture<'_, T> {
        // Every method leaves the state consistent before it can panic.
        let out = call(&mut self.lock(), self.clock.now());
        Box::pin(std::future::ready(out))
    }

    fn lock(&self) -> MutexGuard<'_, Scheduler<MemoryStore>> {
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
