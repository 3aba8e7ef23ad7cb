//! [`MemoryFrontier`]: the in-memory implementation.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Mutex, MutexGuard};

use ferrocrawl_core::{Request, Result, Url};
use ferrocrawl_url::Fingerprint;
use tokio::time::Instant;

use crate::Frontier;
use crate::config::FrontierConfig;
use crate::host::Host;
use crate::lease::{Ack, Counts, Lease, Leased, PushStats};
use crate::scheduler::Scheduler;
use crate::store::{Slot, Store};

/// A frontier held in memory: fast, and gone when the process ends.
#[derive(Debug)]
pub struct MemoryFrontier {
    state: Mutex<Scheduler<MemoryStore>>,
}

/// Per-host heaps, plus the requests waiting out a retry.
#[derive(Debug, Default)]
struct MemoryStore {
    queues: Vec<BinaryHeap<Queued>>,
    aside: HashMap<Slot, (usize, Request)>,
    next_aside: Slot,
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
    /// An empty frontier.
    pub fn new(cfg: FrontierConfig) -> MemoryFrontier {
        MemoryFrontier {
            state: Mutex::new(Scheduler::new(cfg, MemoryStore::default())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Scheduler<MemoryStore>> {
        // Every method leaves the state consistent before it can panic.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Frontier for MemoryFrontier {
    async fn push(&self, requests: Vec<Request>) -> Result<PushStats> {
        self.lock().push(requests, Instant::now())
    }

    async fn lease(&self, max: usize) -> Result<Leased> {
        self.lock().lease(max, Instant::now())
    }

    async fn ack(&self, lease: Lease, ack: Ack) -> Result<()> {
        self.lock().ack(lease, ack, Instant::now())
    }

    async fn reclaim(&self, lease: Lease, not_before: Instant) -> Result<()> {
        self.lock().reclaim(lease, not_before, Instant::now())
    }

    async fn is_finished(&self) -> Result<bool> {
        Ok(self.lock().is_finished())
    }

    async fn next_ready(&self) -> Result<Option<Instant>> {
        Ok(self.lock().next_ready())
    }

    async fn counts(&self) -> Result<Counts> {
        Ok(self.lock().counts())
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
        // The lease carries the request; nothing is kept for it here.
        Ok(self.queues[host].pop().map(|q| (0, q.request)))
    }

    fn remove(&mut self, _slot: Slot) -> Result<()> {
        Ok(())
    }

    fn set_aside(&mut self, _slot: Slot, host: usize, request: Request) -> Result<Slot> {
        self.next_aside += 1;
        self.aside.insert(self.next_aside, (host, request));
        Ok(self.next_aside)
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
