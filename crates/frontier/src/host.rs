//! One host's queue and politeness state.

use std::time::Duration;

use ferrocrawl_core::Url;
use ferrocrawl_robots::Robots;
use tokio::time::Instant;

use crate::config::FrontierConfig;

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

/// A host: how much it has queued and when it may next be fetched. The
/// queue itself is the store's (crate::store).
#[derive(Debug)]
pub(crate) struct Host {
    /// Requests queued for this host (not leased, not waiting out a retry).
    pub queued: usize,
    /// Where its robots.txt is, from the first request seen for it; `None`
    /// for URLs that have none (not http or https).
    pub robots_url: Option<Url>,
    pub in_flight: usize,
    /// When the last request to this host started; the next may start a
    /// (jittered) delay later. The delay is read when asked, so a change by
    /// the adaptive throttle applies at once.
    pub last_start: Option<Instant>,
    /// The jitter factor drawn for the gap after `last_start`.
    pub jitter: f64,
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
    pub fn new(now: Instant, delay: Duration, obey_robots: bool, robots_url: Option<Url>) -> Host {
        Host {
            queued: 0,
            robots_url,
            in_flight: 0,
            last_start: None,
            jitter: 1.0,
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

    /// Take the rules of a robots.txt that answered (fetched or not found);
    /// its Crawl-delay, capped, becomes the host's minimum delay.
    pub fn apply_robots(&mut self, cfg: &FrontierConfig, robots: Robots) {
        if let Some(cd) = robots.crawl_delay() {
            self.crawl_delay = cd.min(cfg.max_crawl_delay);
            self.base_delay = cfg.delay.max(self.crawl_delay);
            self.delay = self.delay.max(self.base_delay);
        }
        self.robots = RobotsState::Known(robots);
    }

    /// When this host may next be leased from.
    pub fn ready_at(&self) -> Instant {
        let next = self.last_start.map(|t| t + self.gap());
        let t = next.map_or(self.blocked_until, |n| n.max(self.blocked_until));
        match self.robots {
            RobotsState::RetryAt(at) => t.max(at),
            _ => t,
        }
    }

    /// Whether a lease could come from this host once its time has come.
    pub fn wants_slot(&self, per_host: usize) -> bool {
        self.queued > 0 && self.in_flight < per_host && !matches!(self.robots, RobotsState::Pending)
    }

    /// The gap after the last start: the delay times its jitter factor. A
    /// site's Crawl-delay is a promise, so the gap never goes below it.
    fn gap(&self) -> Duration {
        if self.delay.is_zero() {
            return Duration::ZERO;
        }
        self.delay.mul_f64(self.jitter).max(self.crawl_delay)
    }

    /// Record a request start. With `jitter`, the next gap is spread over
    /// 0.5..1.5 of the delay, so request times form no detectable beat.
    pub fn started(&mut self, now: Instant, jitter: bool) {
        self.last_start = Some(now);
        self.jitter = if jitter { 0.5 + fastrand::f64() } else { 1.0 };
    }
}
