//! One host's queue and politeness state.

use std::time::Duration;

use ferrocrawl_core::Url;
use ferrocrawl_robots::Robots;
use tokio::time::Instant;

use crate::config::FrontierConfig;

/// The furthest ahead the frontier schedules anything: about 30 years, which
/// for a crawl means "not in this run" (tokio's own far future is the same).
const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// `t + wait`, but at most [`FAR_FUTURE`] ahead. Waits come from settings,
/// servers (`Retry-After`, `Crawl-delay`) and library callers, and `Instant`
/// addition panics on overflow: an absurd wait must mean "later", never a
/// crashed crawl.
pub(crate) fn later(t: Instant, wait: Duration) -> Instant {
    // `unwrap_or(t)` is unreachable in practice: 30 years fit on every
    // platform's clock. It exists so that no input can panic here.
    t.checked_add(wait.min(FAR_FUTURE)).unwrap_or(t)
}

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
        let next = self.last_start.map(|t| later(t, self.gap()));
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
        // What `mul_f64` computes, without its panic when the product no
        // longer fits a `Duration` (a delay near `Duration::MAX`).
        let jittered = Duration::try_from_secs_f64(self.delay.as_secs_f64() * self.jitter)
            .unwrap_or(Duration::MAX);
        jittered.max(self.crawl_delay)
    }

    /// Record a request start. With `jitter`, the next gap is spread over
    /// 0.5..1.5 of the delay, so request times form no detectable beat.
    pub fn started(&mut self, now: Instant, jitter: bool) {
        self.last_start = Some(now);
        self.jitter = if jitter { 0.5 + fastrand::f64() } else { 1.0 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(24 * 60 * 60);

    fn host(delay: Duration) -> (Instant, Host) {
        let now = Instant::now();
        let mut host = Host::new(now, delay, false, None);
        host.started(now, true);
        // The largest factor `started` draws.
        host.jitter = 1.5;
        (now, host)
    }

    /// Regression: `crawl --delay 500000000000y` panicked in `mul_f64`
    /// ("cannot convert float seconds to Duration") once the first request
    /// to the host had started.
    #[test]
    fn huge_delays_wait_far_ahead_instead_of_panicking() {
        let humantime_500g_years = Duration::from_secs(500_000_000_000 * 31_557_600);
        for delay in [humantime_500g_years, Duration::MAX] {
            let (now, host) = host(delay);
            assert_eq!(host.ready_at(), later(now, FAR_FUTURE), "{delay:?}");
        }
        let (now, host) = host(DAY);
        assert_eq!(
            host.ready_at(),
            now + DAY.mul_f64(1.5),
            "ordinary delays unchanged"
        );
    }

    /// A server's Crawl-delay is capped twice: robots.txt ignores values over
    /// a day, the frontier cuts the rest to `max_crawl_delay`; even with no
    /// frontier cap, the gap after it can't panic.
    #[test]
    fn huge_crawl_delays_are_capped() {
        let robots = |delay: &str| {
            let body = format!("User-agent: *\nCrawl-delay: {delay}\n");
            Robots::parse(body.as_bytes(), "ferrocrawl")
        };
        let capped = FrontierConfig::default();
        let uncapped = FrontierConfig {
            max_crawl_delay: Duration::MAX,
            ..FrontierConfig::default()
        };
        for (cfg, said, want) in [
            (&capped, "86400", capped.max_crawl_delay),
            (&uncapped, "86400", DAY),
            (&uncapped, "99999999999999999999999", Duration::ZERO),
            (&uncapped, "1e308", Duration::ZERO),
        ] {
            let (now, mut host) = host(Duration::ZERO);
            host.apply_robots(cfg, robots(said));
            assert_eq!(host.crawl_delay, want, "Crawl-delay: {said}");
            assert!(
                host.ready_at() <= now + DAY.mul_f64(1.5),
                "Crawl-delay: {said}"
            );
        }
        let (now, mut host) = host(Duration::MAX);
        host.apply_robots(&uncapped, robots("86400"));
        assert_eq!(host.ready_at(), later(now, FAR_FUTURE));
    }
}
