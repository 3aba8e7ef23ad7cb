//! One host's queue and politeness state.

use std::time::{Duration, SystemTime};

use ferrocrawl_core::Url;
use ferrocrawl_robots::Robots;

use crate::config::FrontierConfig;
use crate::policy::{self, later};

/// Where a host stands with its robots.txt.
#[derive(Debug)]
pub(crate) enum RobotsState {
    /// Not asked yet: the next lease for this host is its robots.txt.
    Unknown,
    /// Leased, waiting for the answer; the host's pages wait too.
    Pending,
    /// 5xx or unreachable: ask again at `at`.
    RetryAt(SystemTime),
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
    pub last_start: Option<SystemTime>,
    /// The jitter factor drawn for the gap after `last_start`.
    pub jitter: f64,
    /// Held back after throttling (429, 503 with Retry-After).
    pub blocked_until: SystemTime,
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
    /// The host could not be reached for its robots.txt: its pages fail
    /// with this error (kind name, message) instead of being dropped.
    pub unreachable: Option<(&'static str, String)>,
    /// Whether the ready heap holds an entry for this host.
    pub in_heap: bool,
    /// Pages leased from this host, less those given back: its budget.
    pub pages_leased: u64,
    /// The host reached its page budget: nothing more is leased from it.
    pub full: bool,
}

impl Host {
    pub fn new(
        now: SystemTime,
        delay: Duration,
        obey_robots: bool,
        robots_url: Option<Url>,
    ) -> Host {
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
            unreachable: None,
            in_heap: false,
            pages_leased: 0,
            full: false,
        }
    }

    /// Take the rules of a robots.txt that answered (fetched or not found);
    /// its Crawl-delay, capped, becomes the host's minimum delay.
    pub fn apply_robots(&mut self, cfg: &FrontierConfig, robots: Robots) {
        if robots.crawl_delay().is_some() {
            self.crawl_delay = policy::crawl_delay(cfg, &robots);
            self.base_delay = cfg.delay.max(self.crawl_delay);
            self.delay = self.delay.max(self.base_delay);
        }
        self.robots = RobotsState::Known(robots);
    }

    /// When this host may next be leased from.
    pub fn ready_at(&self) -> SystemTime {
        let next = self.last_start.map(|t| later(t, self.gap()));
        let t = next.map_or(self.blocked_until, |n| n.max(self.blocked_until));
        match self.robots {
            RobotsState::RetryAt(at) => t.max(at),
            _ => t,
        }
    }

    /// Whether a lease could come from this host once its time has come.
    pub fn wants_slot(&self, per_host: usize) -> bool {
        self.queued > 0
            && !self.full
            && self.in_flight < per_host
            && !matches!(self.robots, RobotsState::Pending)
    }

    /// The gap after the last start ([`policy::gap`]).
    fn gap(&self) -> Duration {
        policy::gap(self.delay, self.jitter, self.crawl_delay)
    }

    /// Record a request start. With `jitter`, the next gap is spread over
    /// 0.5..1.5 of the delay, so request times form no detectable beat.
    pub fn started(&mut self, now: SystemTime, jitter: bool) {
        self.last_start = Some(now);
        self.jitter = policy::jitter_factor(jitter, fastrand::f64());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(24 * 60 * 60);

    use crate::policy::FAR_FUTURE;

    fn host(delay: Duration) -> (SystemTime, Host) {
        let now = SystemTime::now();
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
