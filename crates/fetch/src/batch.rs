//! [`Batch`]: the scheduling state of one [`Fetcher::run`](crate::Fetcher::run):
//! per-host queues, so a request is started only when its host and the batch
//! both have a free slot.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;

use ferrocrawl_core::Request;
use tokio::time::Instant;

/// The fewest requests a batch may hold (read from the input and not yet
/// finished) before it stops reading. A queued request costs a few hundred
/// bytes and a task several KiB, so reading far ahead past a busy host is
/// cheap, but a million-line input is still not held at once. The bound is
/// `max(64 × concurrency, 65,536)`.
pub(crate) const MIN_READ_AHEAD: usize = 65_536;

/// Requests read ahead per slot of concurrency (see [`MIN_READ_AHEAD`]).
pub(crate) const READ_AHEAD_PER_SLOT: usize = 64;

/// One request of a batch between its attempts.
#[derive(Debug)]
pub(crate) struct Job<K> {
    /// Its host's politeness key, `host:port`.
    pub(crate) key: Arc<str>,
    /// The caller's tag, returned with the result.
    pub(crate) tag: K,
    pub(crate) request: Request,
    /// When its first attempt started; `None` before that.
    pub(crate) started: Option<Instant>,
}

/// Where every request read from the input is: queued under its host,
/// attempting (a task holds it), or waiting to be retried.
///
/// The invariant that makes it free of head-of-line blocking: a host with
/// queued requests and a free slot is in `ready`, and [`Batch::next_job`]
/// takes from `ready` whenever a global slot is free. Nothing ever waits for
/// a slot while holding another one.
#[derive(Debug)]
pub(crate) struct Batch<K> {
    concurrency: usize,
    per_host: usize,
    read_ahead: usize,
    /// Hosts with requests queued or attempting; idle hosts are forgotten.
    hosts: HashMap<Arc<str>, Host<K>>,
    /// Hosts with queued requests and a free slot, served round-robin.
    ready: VecDeque<Arc<str>>,
    /// Requests waiting out a retry delay, earliest first.
    sleeping: BinaryHeap<Sleeping<K>>,
    /// Tie-break for equal wake times: first put to sleep, first woken.
    seq: u64,
    /// Attempts running now, over all hosts.
    in_flight: usize,
    /// Requests read from the input and not yet finished.
    held: usize,
}

#[derive(Debug)]
struct Host<K> {
    queued: VecDeque<Job<K>>,
    attempting: usize,
    in_ready: bool,
}

#[derive(Debug)]
struct Sleeping<K> {
    at: Instant,
    seq: u64,
    job: Job<K>,
}

// ===== impl Batch =====

impl<K> Batch<K> {
    /// An empty batch allowing `concurrency` attempts at once overall and
    /// `per_host` per host.
    pub(crate) fn new(concurrency: usize, per_host: usize) -> Batch<K> {
        let concurrency = concurrency.max(1);
        Batch {
            concurrency,
            per_host: per_host.max(1),
            read_ahead: concurrency
                .saturating_mul(READ_AHEAD_PER_SLOT)
                .max(MIN_READ_AHEAD),
            hosts: HashMap::new(),
            ready: VecDeque::new(),
            sleeping: BinaryHeap::new(),
            seq: 0,
            in_flight: 0,
            held: 0,
        }
    }

    /// Whether to read another request from the input: a global slot is
    /// free that no queued request can take, and the read-ahead bound is not
    /// reached.
    pub(crate) fn wants_input(&self) -> bool {
        self.in_flight < self.concurrency && self.ready.is_empty() && self.held < self.read_ahead
    }

    /// Queue a request read from the input.
    pub(crate) fn push(&mut self, tag: K, request: Request) {
        self.held += 1;
        let key = request.host_key();
        // Jobs of one host share its key rather than each holding a copy.
        let key = match self.hosts.get_key_value(key.as_str()) {
            Some((shared, _)) => Arc::clone(shared),
            None => Arc::from(key),
        };
        self.enqueue(
            Job {
                key,
                tag,
                request,
                started: None,
            },
            false,
        );
    }

    /// The next request to attempt, if a global slot is free and some host
    /// with queued requests has a free slot. Both slots count as taken until
    /// [`attempted`](Self::attempted).
    pub(crate) fn next_job(&mut self) -> Option<Job<K>> {
        if self.in_flight >= self.concurrency {
            return None;
        }
        let key = self.ready.pop_front()?;
        let host = self.hosts.get_mut(&key).expect("a ready host is tracked");
        let job = host
            .queued
            .pop_front()
            .expect("a ready host has a queued request");
        host.attempting += 1;
        host.in_ready = !host.queued.is_empty() && host.attempting < self.per_host;
        if host.in_ready {
            // To the back: hosts take turns, one request each.
            self.ready.push_back(key);
        }
        self.in_flight += 1;
        Some(job)
    }

    /// An attempt for `key` is over: its host's slot and its global slot are
    /// free again.
    pub(crate) fn attempted(&mut self, key: &Arc<str>) {
        self.in_flight -= 1;
        let host = self
            .hosts
            .get_mut(key)
            .expect("a host is tracked while it has attempts running");
        host.attempting -= 1;
        if !host.queued.is_empty() {
            if !host.in_ready {
                host.in_ready = true;
                self.ready.push_back(Arc::clone(key));
            }
        } else if host.attempting == 0 {
            self.hosts.remove(key);
        }
    }

    /// A request is finished: its result went out (or was lost).
    pub(crate) fn finished(&mut self) {
        self.held -= 1;
    }

    /// Hold `job` back until `at`, then queue it ahead of its host's other
    /// requests. Call [`attempted`](Self::attempted) first: a request
    /// waiting to be retried holds no slot.
    pub(crate) fn sleep_until(&mut self, job: Job<K>, at: Instant) {
        self.seq += 1;
        self.sleeping.push(Sleeping {
            at,
            seq: self.seq,
            job,
        });
    }

    /// When the next retry is due, if any request is waiting for one.
    pub(crate) fn next_wake(&self) -> Option<Instant> {
        self.sleeping.peek().map(|s| s.at)
    }

    /// Queue again every request whose retry is due at `now`.
    pub(crate) fn wake(&mut self, now: Instant) {
        let mut due = Vec::new();
        while self.sleeping.peek().is_some_and(|s| s.at <= now) {
            let Some(Sleeping { job, .. }) = self.sleeping.pop() else {
                break;
            };
            due.push(job);
        }
        // Order matters: pushed to the front last one first, so a host's
        // requests keep the order they fell due in.
        for job in due.into_iter().rev() {
            self.enqueue(job, true);
        }
    }

    /// Nothing left: every request read from the input is finished.
    pub(crate) fn is_empty(&self) -> bool {
        self.held == 0
    }

    fn enqueue(&mut self, job: Job<K>, front: bool) {
        let key = Arc::clone(&job.key);
        let host = self.hosts.entry(Arc::clone(&key)).or_insert_with(|| Host {
            queued: VecDeque::new(),
            attempting: 0,
            in_ready: false,
        });
        if front {
            host.queued.push_front(job);
        } else {
            host.queued.push_back(job);
        }
        if !host.in_ready && host.attempting < self.per_host {
            host.in_ready = true;
            self.ready.push_back(key);
        }
    }
}

// ===== impl Sleeping =====

// A max-heap ordered so that the earliest `at` (then the lowest `seq`) is on top.
impl<K> Ord for Sleeping<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

impl<K> PartialOrd for Sleeping<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K> PartialEq for Sleeping<K> {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl<K> Eq for Sleeping<K> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn req(host: &str) -> Request {
        Request::get(format!("http://{host}/").parse().unwrap())
    }

    /// Take jobs until none can start.
    fn drain(b: &mut Batch<u32>) -> Vec<Job<u32>> {
        std::iter::from_fn(|| b.next_job()).collect()
    }

    fn tags(jobs: &[Job<u32>]) -> Vec<u32> {
        jobs.iter().map(|j| j.tag).collect()
    }

    #[test]
    fn a_full_host_does_not_hold_back_the_next_one() {
        let mut b = Batch::new(8, 2);
        for i in 0..100 {
            b.push(i, req("a"));
            drain(&mut b);
            assert!(b.wants_input(), "6 global slots are free");
        }
        b.push(100, req("b"));
        b.push(101, req("b"));
        b.push(102, req("b"));
        assert_eq!(tags(&drain(&mut b)), vec![100, 101], "b has its own slots");
        assert!(b.wants_input(), "4 of 8 global slots in use");
    }

    #[test]
    fn hosts_take_turns_and_slots_come_back() {
        let mut b = Batch::new(3, 2);
        for (i, h) in ["a", "a", "a", "b", "b", "c"].into_iter().enumerate() {
            b.push(i as u32, req(h));
        }
        let first = drain(&mut b);
        assert_eq!(
            tags(&first),
            vec![0, 3, 5],
            "one per host, then the global limit"
        );
        assert!(!b.wants_input());
        // c finishes: a was ready before b, and goes first.
        b.attempted(&first[2].key);
        b.finished();
        assert_eq!(tags(&drain(&mut b)), vec![1]);
        b.attempted(&first[0].key);
        b.finished();
        assert_eq!(tags(&drain(&mut b)), vec![4]);
    }

    #[test]
    fn retries_wait_without_a_slot_then_go_first() {
        let now = Instant::now();
        let mut b = Batch::new(4, 1);
        b.push(0, req("a"));
        b.push(1, req("a"));
        let mut jobs = drain(&mut b);
        assert_eq!(tags(&jobs), vec![0]);
        let job = jobs.remove(0);
        b.attempted(&job.key);
        b.sleep_until(job, now + Duration::from_secs(5));
        assert_eq!(b.next_wake(), Some(now + Duration::from_secs(5)));
        let next = drain(&mut b);
        assert_eq!(tags(&next), vec![1], "the sleeper left its slot");
        b.wake(now + Duration::from_secs(4));
        assert_eq!(b.next_wake(), Some(now + Duration::from_secs(5)));
        b.wake(now + Duration::from_secs(5));
        assert_eq!(b.next_wake(), None);
        assert!(drain(&mut b).is_empty(), "a has its one slot in use");
        b.attempted(&next[0].key);
        b.finished();
        assert_eq!(tags(&drain(&mut b)), vec![0]);
        assert!(!b.is_empty());
    }

    #[test]
    fn retries_due_together_keep_their_order() {
        let now = Instant::now();
        let mut b = Batch::new(4, 1);
        for i in 0..3 {
            b.push(i, req("a"));
        }
        for at in [2, 1] {
            let job = drain(&mut b).remove(0);
            b.attempted(&job.key);
            b.sleep_until(job, now + Duration::from_secs(at));
        }
        let third = drain(&mut b);
        assert_eq!(tags(&third), vec![2]);
        b.wake(now + Duration::from_secs(2));
        b.attempted(&third[0].key);
        b.finished();
        // 1 fell due before 0, and both go ahead of a's newer requests.
        assert_eq!(tags(&drain(&mut b)), vec![1]);
    }

    #[test]
    fn read_ahead_is_bounded_and_idle_hosts_are_forgotten() {
        let mut b = Batch::new(2, 1);
        let mut read = 0u32;
        while b.wants_input() {
            b.push(read, req("a"));
            read += 1;
            drain(&mut b);
        }
        assert_eq!(read as usize, MIN_READ_AHEAD);
        let mut big = Batch::<u32>::new(10_000, 1);
        assert_eq!(big.read_ahead, 640_000);
        big.push(0, req("a"));
        let job = drain(&mut big).remove(0);
        big.attempted(&job.key);
        big.finished();
        assert!(big.hosts.is_empty() && big.ready.is_empty() && big.is_empty());
    }
}
