//! One host's queue and politeness state.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::time::Duration;

use ferrocrawl_core::Request;
use ferrocrawl_robots::Robots;
use tokio::time::Instant;

/// Where a host stands with its robots.txt.
#[derive(Debug)]
pub(crate) enum RobotsState {
    /// Not asked yet: the next lease for this host is its robots.txt.
    Unknown,
    /// Leased, waiting for the answer; the host's pages wait too.
    Pending,
    /// 5xx or unreachable: ask again at `at`.
    RetryAt(Instant),
    /// The rules to apply.
    Known(Robots),
    /// Not obeying robots.txt.
    Ignored,
}

/// A queued request with its ordering key.
#[derive(Debug)]
pub(crate) struct Queued {
    pub priority: i32,
    /// Larger runs first among equal priorities: BFS stores `-n`, DFS `n`.
    pub seq: i64,
    pub request: Request,
}

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

/// A host: its queue and when it may next be fetched.
#[derive(Debug)]
pub(crate) struct Host {
    pub queue: BinaryHeap<Queued>,
    pub in_flight: usize,
    /// Earliest start of the next request (delay since the last start).
    pub next_allowed: Instant,
    /// Held back after throttling (429, 503 with Retry-After).
    pub blocked_until: Instant,
    /// Delay from the configuration or Crawl-delay: the adaptive throttle
    /// never goes below it.
    pub base_delay: Duration,
    /// The site's own Crawl-delay (capped): jitter never goes below it.
    pub crawl_delay: Duration,
    /// Current delay, at least `base_delay` (the adaptive throttle raises it).
    pub delay: Duration,
    pub robots: RobotsState,
    pub robots_attempts: u32,
    /// robots.txt stayed unavailable: everything for this host is dropped.
    pub robots_gave_up: bool,
    /// Whether the ready heap holds an entry for this host.
    pub in_heap: bool,
}

impl Host {
    pub fn new(now: Instant, delay: Duration, obey_robots: bool) -> Host {
        Host {
            queue: BinaryHeap::new(),
            in_flight: 0,
            next_allowed: now,
            blocked_until: now,
            base_delay: delay,
            crawl_delay: Duration::ZERO,
            delay,
            robots: if obey_robots {
                RobotsState::Unknown
            } else {
                RobotsState::Ignored
            },
            robots_attempts: 0,
            robots_gave_up: false,
            in_heap: false,
        }
    }

    /// When this host may next be leased from.
    pub fn ready_at(&self) -> Instant {
        let t = self.next_allowed.max(self.blocked_until);
        match self.robots {
            RobotsState::RetryAt(at) => t.max(at),
            _ => t,
        }
    }

    /// Whether a lease could come from this host once its time has come.
    pub fn wants_slot(&self, per_host: usize) -> bool {
        !self.queue.is_empty()
            && self.in_flight < per_host
            && !matches!(self.robots, RobotsState::Pending)
    }

    /// The delay for the next request, with jitter when asked. Jitter
    /// spreads our own delay over 0.5..1.5 of it, but a site's Crawl-delay
    /// is a promise, so the result never goes below it.
    pub fn next_delay(&self, jitter: bool) -> Duration {
        if self.delay.is_zero() || !jitter {
            return self.delay;
        }
        self.delay
            .mul_f64(0.5 + fastrand::f64())
            .max(self.crawl_delay)
    }
}
