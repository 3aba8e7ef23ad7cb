//! [`MemoryFrontier`]: the in-memory implementation.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use ferrocrawl_core::{Error, ErrorKind, Request, Result};
use ferrocrawl_robots::{Availability, Robots, robots_url};
use ferrocrawl_url::{SeenSet, fingerprint};
use tokio::time::Instant;

use crate::Frontier;
use crate::config::{FrontierConfig, Order};
use crate::host::{Host, Queued, RobotsState};
use crate::lease::{
    Ack, Counts, DropReason, Dropped, Lease, LeaseId, LeaseKind, Leased, PushStats,
};

/// A frontier held in memory: fast, and gone when the process ends.
#[derive(Debug)]
pub struct MemoryFrontier {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    cfg: FrontierConfig,
    hosts: Vec<Host>,
    host_ids: HashMap<String, usize>,
    /// Hosts that want a slot, by the time they may have one. At most one
    /// entry per host (`Host::in_heap`); times are re-checked when popped.
    ready: BinaryHeap<Reverse<(Instant, usize)>>,
    /// Requests waiting out a retry backoff, by when they may go back.
    delayed: BinaryHeap<Reverse<(Instant, u64, usize)>>,
    delayed_requests: HashMap<u64, Request>,
    seen: SeenSet,
    leases: HashMap<LeaseId, (usize, LeaseKind)>,
    next_id: u64,
    seq: i64,
    pages_leased: u64,
    /// Drops decided outside `lease` (a robots.txt given up on), reported by
    /// the next `lease` call.
    pending_drops: Vec<Dropped>,
    counts: Counts,
}

// ===== impl MemoryFrontier =====

impl MemoryFrontier {
    /// An empty frontier.
    pub fn new(cfg: FrontierConfig) -> MemoryFrontier {
        MemoryFrontier {
            state: Mutex::new(State {
                cfg,
                hosts: Vec::new(),
                host_ids: HashMap::new(),
                ready: BinaryHeap::new(),
                delayed: BinaryHeap::new(),
                delayed_requests: HashMap::new(),
                seen: SeenSet::new(),
                leases: HashMap::new(),
                next_id: 0,
                seq: 0,
                pages_leased: 0,
                pending_drops: Vec::new(),
                counts: Counts::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every method leaves the state consistent before it can panic.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Frontier for MemoryFrontier {
    async fn push(&self, requests: Vec<Request>) -> Result<PushStats> {
        Ok(self.lock().push(requests, Instant::now()))
    }

    async fn lease(&self, max: usize) -> Result<Leased> {
        Ok(self.lock().lease(max, Instant::now()))
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
        let s = self.lock();
        let mut c = s.counts;
        c.leased = s.leases.len() as u64;
        c.hosts = s.hosts.len() as u64;
        Ok(c)
    }
}

// ===== impl State =====

impl State {
    fn push(&mut self, requests: Vec<Request>, now: Instant) -> PushStats {
        let mut stats = PushStats::default();
        for request in requests {
            if self.cfg.max_depth.is_some_and(|max| request.depth > max) {
                stats.too_deep += 1;
                continue;
            }
            if !request.dont_filter {
                let body = request.body.as_deref();
                let fp = fingerprint(&request.url, request.method.as_str(), body);
                if !self.seen.insert(fp) {
                    stats.duplicate += 1;
                    continue;
                }
            }
            self.enqueue(request, now);
            stats.added += 1;
        }
        stats
    }

    /// Queue a request on its host, without dedup.
    fn enqueue(&mut self, request: Request, now: Instant) {
        let id = self.host_id(&request.host_key(), now);
        self.seq += 1;
        let seq = match self.cfg.order {
            Order::Bfs => -self.seq,
            Order::Dfs => self.seq,
        };
        self.hosts[id].queue.push(Queued {
            priority: request.priority,
            seq,
            request,
        });
        self.counts.queued += 1;
        self.schedule(id);
    }

    fn host_id(&mut self, key: &str, now: Instant) -> usize {
        if let Some(&id) = self.host_ids.get(key) {
            return id;
        }
        let id = self.hosts.len();
        self.hosts
            .push(Host::new(now, self.cfg.delay, self.cfg.obey_robots));
        self.host_ids.insert(key.to_owned(), id);
        id
    }

    /// Put a host in the ready heap if it wants a slot and isn't there yet.
    fn schedule(&mut self, id: usize) {
        let host = &mut self.hosts[id];
        if !host.in_heap && host.wants_slot(self.cfg.per_host) {
            host.in_heap = true;
            self.ready.push(Reverse((host.ready_at(), id)));
        }
    }

    fn budget_spent(&self) -> bool {
        self.cfg.max_pages.is_some_and(|m| self.pages_leased >= m)
            || self.cfg.max_bytes.is_some_and(|m| self.counts.bytes >= m)
    }

    /// Move retries whose wait is over back onto their hosts' queues.
    fn release_delayed(&mut self, now: Instant) {
        while let Some(Reverse((at, key, _))) = self.delayed.peek().copied() {
            if at > now {
                break;
            }
            self.delayed.pop();
            if let Some(request) = self.delayed_requests.remove(&key) {
                self.enqueue(request, now);
            }
        }
    }

    fn lease(&mut self, max: usize, now: Instant) -> Leased {
        self.release_delayed(now);
        let mut out = Leased {
            leases: Vec::new(),
            dropped: std::mem::take(&mut self.pending_drops),
        };
        while out.leases.len() < max {
            let Some(Reverse((_, id))) = self.ready.peek().copied() else {
                break;
            };
            let host = &mut self.hosts[id];
            let at = host.ready_at();
            if at > now {
                if self.ready.peek().is_some_and(|Reverse((t, _))| *t >= at) {
                    break; // the earliest host is not ready yet
                }
                // Its time moved later (throttled) since it was queued.
                self.ready.pop();
                self.ready.push(Reverse((at, id)));
                continue;
            }
            self.ready.pop();
            host.in_heap = false;
            if !host.wants_slot(self.cfg.per_host) {
                continue;
            }
            if self.budget_spent() {
                // Pages stay queued; the crawl is finished once leases drain.
                continue;
            }
            let host = &mut self.hosts[id];
            match &host.robots {
                RobotsState::Unknown | RobotsState::RetryAt(_) => {
                    let Some(first) = host.queue.peek() else {
                        continue;
                    };
                    match robots_url(&first.request.url) {
                        Some(url) => {
                            host.robots = RobotsState::Pending;
                            host.in_flight += 1;
                            let lease = self.new_lease(id, LeaseKind::Robots, Request::get(url));
                            out.leases.push(lease);
                        }
                        None => {
                            // No robots.txt for non-HTTP URLs: nothing to obey.
                            host.robots = RobotsState::Ignored;
                            self.schedule(id);
                        }
                    }
                    continue;
                }
                RobotsState::Pending => continue,
                RobotsState::Known(_) | RobotsState::Ignored => {}
            }
            if let Some(request) = self.pop_allowed(id, &mut out.dropped) {
                let host = &mut self.hosts[id];
                host.in_flight += 1;
                host.started(now, self.cfg.jitter);
                self.pages_leased += 1;
                let lease = self.new_lease(id, LeaseKind::Page, request);
                out.leases.push(lease);
            }
            self.schedule(id);
        }
        self.counts.dropped += out.dropped.len() as u64;
        out
    }

    /// The next request of host `id` that robots.txt allows; disallowed ones
    /// are dropped on the way.
    fn pop_allowed(&mut self, id: usize, dropped: &mut Vec<Dropped>) -> Option<Request> {
        let host = &mut self.hosts[id];
        while let Some(q) = host.queue.pop() {
            self.counts.queued -= 1;
            let allowed = match &host.robots {
                RobotsState::Known(robots) => robots.is_allowed(&q.request.url),
                _ => true,
            };
            if allowed {
                return Some(q.request);
            }
            let reason = if host.robots_gave_up {
                DropReason::RobotsUnavailable
            } else {
                DropReason::Disallowed
            };
            dropped.push(Dropped {
                request: q.request,
                reason,
            });
        }
        None
    }

    fn new_lease(&mut self, host: usize, kind: LeaseKind, request: Request) -> Lease {
        self.next_id += 1;
        let id = LeaseId(self.next_id);
        self.leases.insert(id, (host, kind));
        Lease { id, kind, request }
    }

    fn take_lease(&mut self, lease: &Lease) -> Result<usize> {
        let (host, _) = self.leases.remove(&lease.id).ok_or_else(|| {
            Error::new(
                ErrorKind::Config,
                format!("lease {} is not outstanding (acked twice?)", lease.id.0),
            )
        })?;
        let h = &mut self.hosts[host];
        h.in_flight = h.in_flight.saturating_sub(1);
        Ok(host)
    }

    fn ack(&mut self, lease: Lease, ack: Ack, now: Instant) -> Result<()> {
        let id = self.take_lease(&lease)?;
        match ack {
            Ack::Done {
                status,
                bytes,
                latency,
            } => {
                self.counts.done += 1;
                self.counts.bytes += bytes;
                self.adapt_delay(id, status, latency);
            }
            Ack::Failed => self.counts.failed += 1,
            Ack::Retry {
                request,
                after,
                throttled,
            } => {
                if throttled {
                    let host = &mut self.hosts[id];
                    host.blocked_until = host.blocked_until.max(now + after);
                }
                // The retry was leased once already; give its page back.
                self.pages_leased = self.pages_leased.saturating_sub(1);
                self.delay_request(*request, now + after);
            }
            Ack::Robots {
                robots,
                availability,
            } => self.robots_answer(id, robots, availability, now),
        }
        self.schedule(id);
        Ok(())
    }

    fn delay_request(&mut self, request: Request, at: Instant) {
        self.seq += 1;
        let key = self.seq as u64;
        self.delayed_requests.insert(key, request);
        self.delayed.push(Reverse((at, key, 0)));
    }

    fn robots_answer(
        &mut self,
        id: usize,
        robots: Robots,
        availability: Availability,
        now: Instant,
    ) {
        let cfg = &self.cfg;
        let host = &mut self.hosts[id];
        match availability {
            Availability::Fetched | Availability::NotFound => {
                if let Some(cd) = robots.crawl_delay() {
                    host.crawl_delay = cd.min(cfg.max_crawl_delay);
                    host.base_delay = cfg.delay.max(host.crawl_delay);
                    host.delay = host.delay.max(host.base_delay);
                }
                host.robots = RobotsState::Known(robots);
            }
            Availability::TemporarilyUnavailable => {
                host.robots_attempts += 1;
                if host.robots_attempts >= cfg.robots_attempts {
                    host.robots_gave_up = true;
                    host.robots = RobotsState::Known(Robots::disallow_all());
                    let mut dropped = Vec::new();
                    while self.pop_allowed(id, &mut dropped).is_some() {}
                    self.pending_drops.extend(dropped);
                } else {
                    host.robots = RobotsState::RetryAt(now + cfg.robots_retry_after);
                }
            }
        }
    }

    fn adapt_delay(&mut self, id: usize, status: u16, latency: Duration) {
        let Some(at) = self.cfg.auto_throttle else {
            return;
        };
        let host = &mut self.hosts[id];
        let target = latency.div_f64(at.target_concurrency.max(0.01));
        let next = (host.delay + target) / 2;
        // An error answer is no evidence the server got faster.
        if status >= 400 && next < host.delay {
            return;
        }
        host.delay = next.clamp(host.base_delay, at.max_delay.max(host.base_delay));
    }

    fn reclaim(&mut self, lease: Lease, not_before: Instant, now: Instant) -> Result<()> {
        let id = self.take_lease(&lease)?;
        match lease.kind {
            LeaseKind::Robots => self.hosts[id].robots = RobotsState::Unknown,
            LeaseKind::Page => {
                self.pages_leased = self.pages_leased.saturating_sub(1);
                if not_before <= now {
                    self.enqueue(lease.request, now);
                } else {
                    self.delay_request(lease.request, not_before);
                }
            }
        }
        self.schedule(id);
        Ok(())
    }

    fn is_finished(&self) -> bool {
        self.leases.is_empty()
            && self.delayed.is_empty()
            && self.pending_drops.is_empty()
            && (self.counts.queued == 0 || self.budget_spent())
    }

    fn next_ready(&self) -> Option<Instant> {
        let host = self
            .ready
            .peek()
            .map(|Reverse((_, id))| self.hosts[*id].ready_at());
        let retry = self.delayed.peek().map(|Reverse((at, _, _))| *at);
        match (host, retry) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
