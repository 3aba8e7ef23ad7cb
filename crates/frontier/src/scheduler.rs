//! [`Scheduler`]: the politeness scheduling every frontier shares. It owns
//! the host states, the ready heap, the leases, the seen set and the
//! counters; where the queued requests live is its [`Store`]'s business.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::{Duration, SystemTime};

use ferrocrawl_core::{ErrorKind, Request, Result};
use ferrocrawl_robots::{Availability, Robots};
use ferrocrawl_url::{Fingerprint, SeenSet};

use crate::config::{FrontierConfig, Order};
use crate::host::{Host, RobotsState};
use crate::lease::{
    Ack, Completed, Completion, Counts, DropReason, Dropped, Lease, LeaseId, LeaseKind, Leased,
    PushStats, Status,
};
use crate::policy::{self, RobotsRetry, later, until};
use crate::store::{Slot, Store};

/// The outcome of dedup and the depth budget for one pushed request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Admission {
    /// Queue it; `None` for `dont_filter` requests (not fingerprinted).
    New(Option<Fingerprint>),
    /// Seen before.
    Duplicate,
    /// Deeper than `max_depth`.
    TooDeep,
}

/// The seen set: fingerprints in memory, or (a spilled memory frontier's)
/// in the store on disk, so memory stays flat however many URLs a crawl
/// meets.
#[derive(Debug)]
pub(crate) enum Seen {
    Memory(SeenSet),
    /// The store answers: [`Store::seen_insert`].
    InStore,
}

/// Decides whether `request` is queued, recording its fingerprint in
/// `seen` if so ([`policy::dedup_key`], [`policy::too_deep`]).
pub(crate) fn admit<S: Store>(
    cfg: &FrontierConfig,
    seen: &mut Seen,
    store: &mut S,
    request: &Request,
) -> Result<Admission> {
    if policy::too_deep(cfg, request) {
        return Ok(Admission::TooDeep);
    }
    let Some(fp) = policy::dedup_key(request) else {
        return Ok(Admission::New(None));
    };
    let new = match seen {
        Seen::Memory(set) => set.insert(fp),
        Seen::InStore => store.seen_insert(fp)?,
    };
    Ok(if new {
        Admission::New(Some(fp))
    } else {
        Admission::Duplicate
    })
}

/// What a lease holds on to until it ends.
#[derive(Debug, Clone, Copy)]
struct Held {
    host: usize,
    kind: LeaseKind,
    slot: Slot,
    token: u64,
}

/// The frontier's state apart from the queued requests themselves.
#[derive(Debug)]
pub(crate) struct Scheduler<S> {
    pub(crate) cfg: FrontierConfig,
    pub(crate) store: S,
    hosts: Vec<Host>,
    host_ids: HashMap<String, usize>,
    /// Hosts that want a slot, by the time they may have one. At most one
    /// entry per host (`Host::in_heap`); times are re-checked when popped.
    ready: BinaryHeap<Reverse<(SystemTime, usize)>>,
    /// Requests waiting out a retry backoff, by when they may go back; the
    /// number breaks ties and keys `delayed_slots`.
    delayed: BinaryHeap<Reverse<(SystemTime, u64)>>,
    delayed_slots: HashMap<u64, (usize, Slot)>,
    next_delayed: u64,
    seen: Seen,
    leases: HashMap<LeaseId, Held>,
    /// Outstanding leases by expiry; entries of leases that ended since are
    /// skipped when met.
    expiries: BinaryHeap<Reverse<(SystemTime, LeaseId)>>,
    /// The last lease id (and fencing token) handed out.
    next_id: u64,
    /// The last queue sequence number handed out.
    pub(crate) seq: i64,
    /// Pages leased so far, less those given back (retries, reclaims): the
    /// page budget.
    pub(crate) pages_leased: u64,
    pub(crate) counts: Counts,
}

/// What a durable store had on disk, to build a scheduler from.
#[derive(Debug, Default)]
pub(crate) struct Restored {
    /// Host keys and states, in id order.
    pub hosts: Vec<(String, Host)>,
    pub seen: SeenSet,
    pub seq: i64,
    pub pages_leased: u64,
    /// Done, failed, dropped, bytes; `queued` is summed from the hosts.
    pub counts: Counts,
}

// ===== impl Scheduler =====

impl<S: Store> Scheduler<S> {
    /// An empty scheduler over `store`.
    pub fn new(cfg: FrontierConfig, store: S, now: SystemTime) -> Self {
        Self::restore(cfg, store, Restored::default(), now)
    }

    /// A scheduler continuing from `restored`. Politeness timing starts
    /// afresh: every host may be leased from at once.
    pub fn restore(cfg: FrontierConfig, store: S, restored: Restored, now: SystemTime) -> Self {
        let mut counts = restored.counts;
        counts.queued = restored.hosts.iter().map(|(_, h)| h.queued as u64).sum();
        let mut host_ids = HashMap::with_capacity(restored.hosts.len());
        let mut hosts = Vec::with_capacity(restored.hosts.len());
        for (id, (key, mut host)) in restored.hosts.into_iter().enumerate() {
            host_ids.insert(key, id);
            host.blocked_until = now;
            hosts.push(host);
        }
        let mut s = Scheduler {
            cfg,
            store,
            hosts,
            host_ids,
            ready: BinaryHeap::new(),
            delayed: BinaryHeap::new(),
            delayed_slots: HashMap::new(),
            next_delayed: 0,
            seen: Seen::Memory(restored.seen),
            leases: HashMap::new(),
            expiries: BinaryHeap::new(),
            next_id: 0,
            seq: restored.seq,
            pages_leased: restored.pages_leased,
            counts,
        };
        for id in 0..s.hosts.len() {
            s.schedule(id);
        }
        s
    }

    pub fn counts(&self) -> Counts {
        let mut c = self.counts;
        c.leased = self.leases.len() as u64;
        c.waiting = self.delayed_slots.len() as u64;
        c.hosts = self.hosts.len() as u64;
        c
    }

    pub fn push(&mut self, requests: Vec<Request>, now: SystemTime) -> Result<PushStats> {
        let mut stats = PushStats::default();
        for request in requests {
            match admit(&self.cfg, &mut self.seen, &mut self.store, &request)? {
                Admission::TooDeep => stats.too_deep += 1,
                Admission::Duplicate => stats.duplicate += 1,
                Admission::New(fp) => {
                    let host = self.host_id(&request, now)?;
                    let seq = self.next_seq();
                    self.store.add(host, fp, seq, request)?;
                    self.queued_on(host);
                    stats.added += 1;
                }
            }
        }
        Ok(stats)
    }

    /// The next sequence number in the configured order.
    fn next_seq(&mut self) -> i64 {
        self.seq += 1;
        match self.cfg.order {
            Order::Bfs => -self.seq,
            Order::Dfs => self.seq,
        }
    }

    /// One more request is on `host`'s queue.
    fn queued_on(&mut self, host: usize) {
        self.hosts[host].queued += 1;
        self.counts.queued += 1;
        if self.hosts[host].full {
            self.counts.queued_on_full_hosts += 1;
        }
        self.schedule(host);
    }

    /// A page of `host` was leased: count it against the host's budget.
    fn host_page_leased(&mut self, id: usize) {
        let host = &mut self.hosts[id];
        host.pages_leased += 1;
        if !host.full
            && self
                .cfg
                .max_pages_per_host
                .is_some_and(|m| host.pages_leased >= m)
        {
            host.full = true;
            self.counts.full_hosts += 1;
            self.counts.queued_on_full_hosts += host.queued as u64;
        }
    }

    /// A page lease of `host` was given back (retry, reclaim, expiry).
    fn host_page_returned(&mut self, id: usize) {
        let host = &mut self.hosts[id];
        host.pages_leased = host.pages_leased.saturating_sub(1);
        if host.full
            && self
                .cfg
                .max_pages_per_host
                .is_some_and(|m| host.pages_leased < m)
        {
            // Room again for the page given back.
            host.full = false;
            self.counts.full_hosts -= 1;
            self.counts.queued_on_full_hosts -= host.queued as u64;
            self.schedule(id);
        }
    }

    fn host_id(&mut self, request: &Request, now: SystemTime) -> Result<usize> {
        let key = request.host_key();
        if let Some(&id) = self.host_ids.get(&key) {
            return Ok(id);
        }
        let id = self.hosts.len();
        let robots_url = ferrocrawl_robots::robots_url(&request.url);
        let host = Host::new(now, self.cfg.delay, self.cfg.obey_robots, robots_url);
        self.store.add_host(id, &key, host.robots_url.as_ref())?;
        self.hosts.push(host);
        self.host_ids.insert(key, id);
        Ok(id)
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
    fn release_delayed(&mut self, now: SystemTime) -> Result<()> {
        while let Some(Reverse((at, key))) = self.delayed.peek().copied() {
            if at > now {
                break;
            }
            self.delayed.pop();
            if let Some(slot) = self.delayed_slots.remove(&key) {
                self.requeue(slot)?;
            }
        }
        Ok(())
    }

    /// Put a request kept aside back on its host's queue, at the back.
    fn requeue(&mut self, (host, slot): (usize, Slot)) -> Result<()> {
        let seq = self.next_seq();
        self.store.requeue(slot, seq)?;
        self.queued_on(host);
        Ok(())
    }

    /// Take back the leases whose expiry has passed: their requests go back
    /// to their queues (robots.txt is asked again), their tokens are dead.
    fn expire(&mut self, now: SystemTime) -> Result<()> {
        while let Some(Reverse((at, id))) = self.expiries.peek().copied() {
            if at > now {
                break;
            }
            self.expiries.pop();
            let Some(held) = self.leases.get(&id).copied() else {
                continue; // ended before its expiry
            };
            self.leases.remove(&id);
            let h = &mut self.hosts[held.host];
            h.in_flight = h.in_flight.saturating_sub(1);
            self.counts.expired += 1;
            match held.kind {
                LeaseKind::Robots => self.hosts[held.host].robots = RobotsState::Unknown,
                LeaseKind::Page => {
                    self.pages_leased = self.pages_leased.saturating_sub(1);
                    self.host_page_returned(held.host);
                    self.requeue((held.host, held.slot))?;
                }
            }
            self.schedule(held.host);
        }
        Ok(())
    }

    pub fn lease(&mut self, max: usize, now: SystemTime) -> Result<Leased> {
        self.expire(now)?;
        self.release_delayed(now)?;
        let mut out = Leased {
            leases: Vec::new(),
            dropped: Vec::new(),
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
                    match host.robots_url.clone() {
                        Some(url) => {
                            host.robots = RobotsState::Pending;
                            host.in_flight += 1;
                            let held = (id, LeaseKind::Robots, 0);
                            out.leases
                                .push(self.new_lease(held, Request::get(url), now));
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
            if let Some((slot, request)) = self.pop_allowed(id, &mut out.dropped)? {
                let host = &mut self.hosts[id];
                host.in_flight += 1;
                host.started(now, self.cfg.jitter);
                self.pages_leased += 1;
                self.host_page_leased(id);
                let held = (id, LeaseKind::Page, slot);
                out.leases.push(self.new_lease(held, request, now));
            }
            self.schedule(id);
        }
        self.counts.dropped += out.dropped.len() as u64;
        Ok(out)
    }

    /// The next request of host `id` that robots.txt allows; disallowed ones
    /// are dropped on the way.
    fn pop_allowed(
        &mut self,
        id: usize,
        dropped: &mut Vec<Dropped>,
    ) -> Result<Option<(Slot, Request)>> {
        while let Some((slot, request)) = self.store.pop(id)? {
            let host = &mut self.hosts[id];
            host.queued = host.queued.saturating_sub(1);
            self.counts.queued = self.counts.queued.saturating_sub(1);
            let refused = match (&host.robots, &host.unreachable) {
                (_, Some((kind, message))) => Some(DropReason::Unreachable {
                    kind,
                    message: message.clone(),
                }),
                (RobotsState::Known(robots), None) => {
                    policy::robots_decision(robots, host.robots_gave_up, &request.url)
                }
                _ => None,
            };
            let Some(reason) = refused else {
                return Ok(Some((slot, request)));
            };
            self.store.remove(slot)?;
            dropped.push(Dropped { request, reason });
        }
        Ok(None)
    }

    fn new_lease(
        &mut self,
        (host, kind, slot): (usize, LeaseKind, Slot),
        request: Request,
        now: SystemTime,
    ) -> Lease {
        self.next_id += 1;
        let id = LeaseId(self.next_id);
        let token = self.next_id;
        let expires = later(now, self.cfg.lease_ttl);
        let held = Held {
            host,
            kind,
            slot,
            token,
        };
        self.leases.insert(id, held);
        self.expiries.push(Reverse((expires, id)));
        Lease {
            id,
            token,
            expires,
            kind,
            request,
        }
    }

    /// The lease's hold, ended, freeing its host slot; `None` for a stale
    /// lease (not outstanding, or outstanding under another token), which is
    /// counted and changes nothing else.
    fn take_lease(&mut self, lease: &Lease) -> Option<Held> {
        match self.leases.get(&lease.id) {
            Some(held) if held.token == lease.token => {}
            _ => {
                self.counts.stale += 1;
                return None;
            }
        }
        let held = self.leases.remove(&lease.id)?;
        let h = &mut self.hosts[held.host];
        h.in_flight = h.in_flight.saturating_sub(1);
        Some(held)
    }

    /// Push the children, then apply the acks: one step.
    pub fn complete(&mut self, completion: Completion, now: SystemTime) -> Result<Completed> {
        let mut done = Completed {
            pushed: self.push(completion.children, now)?,
            ..Completed::default()
        };
        self.expire(now)?;
        for (lease, ack) in completion.acks {
            if self.ack(lease, ack, now)? {
                done.acked += 1;
            } else {
                done.stale += 1;
            }
        }
        Ok(done)
    }

    /// Apply one ack; `false` (and nothing changed) if the lease is stale.
    pub fn ack(&mut self, lease: Lease, ack: Ack, now: SystemTime) -> Result<bool> {
        let Some(held) = self.take_lease(&lease) else {
            return Ok(false);
        };
        let id = held.host;
        match ack {
            Ack::Done {
                status,
                bytes,
                latency,
            } => {
                self.finish_page(held)?;
                self.counts.done += 1;
                self.counts.bytes += bytes;
                self.adapt_delay(id, status, latency);
            }
            Ack::Failed => {
                self.finish_page(held)?;
                self.counts.failed += 1;
            }
            Ack::Retry {
                request,
                after,
                throttled,
            } => {
                if throttled {
                    let host = &mut self.hosts[id];
                    host.blocked_until = policy::held_until(host.blocked_until, now, after);
                }
                match held.kind {
                    LeaseKind::Page => {
                        // The retry was leased once already; give its page back.
                        self.pages_leased = self.pages_leased.saturating_sub(1);
                        self.host_page_returned(id);
                        self.set_aside(held, *request, later(now, after), now)?;
                    }
                    // robots.txt is asked again when the wait is over.
                    LeaseKind::Robots => {
                        self.hosts[id].robots = RobotsState::RetryAt(later(now, after));
                    }
                }
            }
            Ack::RobotsFailed { error } => {
                if held.kind == LeaseKind::Page {
                    self.finish_page(held)?;
                }
                let host = &mut self.hosts[id];
                host.robots_attempts += 1;
                let refused = *error.kind() == ErrorKind::Forbidden;
                match policy::robots_unreachable(&self.cfg, host.robots_attempts, refused, now) {
                    RobotsRetry::GiveUp => {
                        host.robots_gave_up = true;
                        host.unreachable = Some((error.kind().name(), error.to_string()));
                        host.robots = RobotsState::Known(Robots::disallow_all());
                    }
                    RobotsRetry::At(at) => host.robots = RobotsState::RetryAt(at),
                }
                self.store.save_robots(id, &self.hosts[id])?;
            }
            Ack::Robots {
                robots,
                availability,
            } => {
                if held.kind == LeaseKind::Page {
                    // A page answered as robots.txt: it is finished all the same.
                    self.finish_page(held)?;
                }
                self.robots_answer(id, robots, availability, now)?;
            }
        }
        self.schedule(id);
        Ok(true)
    }

    /// A page lease ended for good: its request leaves the store.
    fn finish_page(&mut self, held: Held) -> Result<()> {
        match held.kind {
            LeaseKind::Page => self.store.remove(held.slot),
            LeaseKind::Robots => Ok(()),
        }
    }

    /// Keep a page lease's `request` aside until `at`, or queue it again now
    /// if `at` has come.
    fn set_aside(
        &mut self,
        held: Held,
        request: Request,
        at: SystemTime,
        now: SystemTime,
    ) -> Result<()> {
        let host = self.host_id(&request, now)?;
        let slot = self.store.set_aside(held.slot, host, request)?;
        if at <= now {
            return self.requeue((host, slot));
        }
        self.next_delayed += 1;
        self.delayed_slots.insert(self.next_delayed, (host, slot));
        self.delayed.push(Reverse((at, self.next_delayed)));
        Ok(())
    }

    fn robots_answer(
        &mut self,
        id: usize,
        robots: Robots,
        availability: Availability,
        now: SystemTime,
    ) -> Result<()> {
        let cfg = &self.cfg;
        let host = &mut self.hosts[id];
        match availability {
            Availability::Fetched | Availability::NotFound => {
                host.apply_robots(cfg, robots);
            }
            Availability::TemporarilyUnavailable => {
                host.robots_attempts += 1;
                match policy::robots_unavailable(cfg, host.robots_attempts, now) {
                    RobotsRetry::GiveUp => {
                        host.robots_gave_up = true;
                        // The host's pages stay queued until its next turn in
                        // `lease` drops them all and reports them: dropped and
                        // reported in one call, they can't vanish in a crash.
                        host.robots = RobotsState::Known(Robots::disallow_all());
                    }
                    RobotsRetry::At(at) => host.robots = RobotsState::RetryAt(at),
                }
            }
        }
        self.store.save_robots(id, &self.hosts[id])
    }

    fn adapt_delay(&mut self, id: usize, status: u16, latency: Duration) {
        let Some(at) = self.cfg.auto_throttle else {
            return;
        };
        let host = &mut self.hosts[id];
        host.delay = policy::auto_throttle(&at, host.delay, host.base_delay, status, latency);
    }

    /// Give a lease back, to be leased again `after` from now; `false`
    /// (and nothing changed) if the lease is stale.
    pub fn reclaim(&mut self, lease: Lease, after: Duration, now: SystemTime) -> Result<bool> {
        self.expire(now)?;
        let Some(held) = self.take_lease(&lease) else {
            return Ok(false);
        };
        match held.kind {
            LeaseKind::Robots => self.hosts[held.host].robots = RobotsState::Unknown,
            LeaseKind::Page => {
                self.pages_leased = self.pages_leased.saturating_sub(1);
                self.host_page_returned(held.host);
                self.set_aside(held, lease.request, later(now, after), now)?;
            }
        }
        self.schedule(held.host);
        Ok(true)
    }

    fn is_finished(&self) -> bool {
        let workable =
            self.counts.queued - self.counts.queued_on_full_hosts.min(self.counts.queued);
        self.leases.is_empty() && self.delayed.is_empty() && (workable == 0 || self.budget_spent())
    }

    /// The earliest time something may change without a call: a host ready,
    /// a retry due, or a lease expiring.
    fn next_ready(&mut self) -> Option<SystemTime> {
        while let Some(Reverse((_, id))) = self.expiries.peek() {
            if self.leases.contains_key(id) {
                break;
            }
            self.expiries.pop();
        }
        let host = (!self.budget_spent())
            .then(|| {
                self.ready
                    .peek()
                    .map(|Reverse((_, id))| self.hosts[*id].ready_at())
            })
            .flatten();
        let retry = self.delayed.peek().map(|Reverse((at, _))| *at);
        let expiry = self.expiries.peek().map(|Reverse((at, _))| *at);
        [host, retry, expiry].into_iter().flatten().min()
    }

    /// Finished, the wait until the next change, and the counters.
    pub fn status(&mut self, now: SystemTime) -> Status {
        Status {
            finished: self.is_finished(),
            next_ready: self.next_ready().map(|at| until(now, at)),
            counts: self.counts(),
        }
    }
}

#[cfg(feature = "sqlite")]
impl Scheduler<crate::memory::SpillStore> {
    /// Move the queue to disk once it holds more than `spill_after`
    /// requests; commit the disk's writes now and then.
    pub(crate) fn spill_if_due(&mut self) -> Result<()> {
        use crate::memory::SpillStore;
        use crate::sqlite::store::Totals;
        match &mut self.store {
            SpillStore::Disk { store, .. } => {
                // Nothing resumes from this file: the counters row is moot,
                // and a commit only keeps the WAL from growing.
                let totals = Totals {
                    counts: Counts::default(),
                    pages_leased: 0,
                    seq: 0,
                };
                store.commit(totals, false, Duration::from_millis(500))
            }
            SpillStore::Memory(_) => {
                if self.cfg.spill_after.is_some_and(|n| self.counts.queued > n) {
                    self.spill()
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Move every queued, leased and delayed request to a temporary store
    /// on disk, renumbering their slots.
    fn spill(&mut self) -> Result<()> {
        use crate::memory::SpillStore;
        let (mut disk, dir) = crate::sqlite::temporary_store(&self.cfg)?;
        let mut keys: Vec<(usize, &String)> =
            self.host_ids.iter().map(|(k, &id)| (id, k)).collect();
        keys.sort_unstable();
        for (id, key) in keys {
            disk.add_host(id, key, self.hosts[id].robots_url.as_ref())?;
        }
        let SpillStore::Memory(mem) = &mut self.store else {
            return Ok(());
        };
        for (host, heap) in std::mem::take(&mut mem.queues).into_iter().enumerate() {
            for q in heap.into_vec() {
                disk.add(host, None, q.seq, q.request)?;
            }
        }
        let mut renumbered = HashMap::with_capacity(mem.aside.len());
        for (slot, (host, request)) in std::mem::take(&mut mem.aside) {
            renumbered.insert(slot, disk.insert_aside(host, &request)?);
        }
        for held in self.leases.values_mut() {
            if let Some(&new) = renumbered.get(&held.slot) {
                held.slot = new;
            }
        }
        for (_, slot) in self.delayed_slots.values_mut() {
            if let Some(&new) = renumbered.get(slot) {
                *slot = new;
            }
        }
        let totals = crate::sqlite::store::Totals {
            counts: Counts::default(),
            pages_leased: 0,
            seq: 0,
        };
        // The seen set goes too: from here on the file answers dedup, and
        // memory no longer grows with the URLs the crawl meets.
        if let Seen::Memory(set) = &self.seen {
            disk.index_seen(set.iter())?;
        }
        self.seen = Seen::InStore;
        disk.commit(totals, true, Duration::ZERO)?;
        self.store = SpillStore::Disk {
            store: disk,
            _dir: dir,
        };
        Ok(())
    }
}
