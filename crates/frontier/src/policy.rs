//! The frontier's policy as pure functions: what every backend (memory,
//! SQLite, a shared server) must compute the same way, so a new backend
//! calls these instead of copying them.
//!
//! - the dedup key of a request ([`dedup_key`]) and the depth budget;
//! - the politeness arithmetic: the gap between two starts with its jitter
//!   ([`gap`], [`jitter_factor`]), the Crawl-delay cap ([`crawl_delay`]),
//!   throttling backoff ([`held_until`]) and AutoThrottle ([`auto_throttle`]);
//! - the robots.txt decision ([`robots_decision`], [`robots_unavailable`]).

use std::time::{Duration, SystemTime};

use ferrocrawl_core::{Request, RequestKind, Url};
use ferrocrawl_robots::Robots;
use ferrocrawl_url::{Fingerprint, fingerprint};

use crate::config::{AutoThrottle, FrontierConfig};
use crate::lease::DropReason;

/// The furthest ahead the frontier schedules anything: about 30 years, which
/// for a crawl means "not in this run".
pub const FAR_FUTURE: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);

/// `t + wait`, but at most [`FAR_FUTURE`] ahead. Waits come from settings,
/// servers (`Retry-After`, `Crawl-delay`) and library callers: an absurd
/// wait must mean "later", never a panic.
pub fn later(t: SystemTime, wait: Duration) -> SystemTime {
    t.checked_add(wait.min(FAR_FUTURE)).unwrap_or(t)
}

/// How long from `now` until `at` (zero if it has come).
pub fn until(now: SystemTime, at: SystemTime) -> Duration {
    at.duration_since(now).unwrap_or(Duration::ZERO)
}

/// The key a request is deduplicated by: the canonical fingerprint of its
/// method, URL and body, and of its kind (a sitemap and a page at one
/// address are different work). `None` for `dont_filter` requests, which
/// are never deduplicated. URLs are expected canonical already.
pub fn dedup_key(request: &Request) -> Option<Fingerprint> {
    if request.dont_filter {
        return None;
    }
    // Not a method anyone sends: sitemap fingerprints can't meet page ones.
    let method = match request.kind {
        RequestKind::Page => request.method.as_str(),
        RequestKind::Sitemap { .. } => "SITEMAP",
    };
    Some(fingerprint(&request.url, method, request.body.as_deref()))
}

/// Whether `request` is past the depth budget (seeds are depth 0).
pub fn too_deep(cfg: &FrontierConfig, request: &Request) -> bool {
    cfg.max_depth.is_some_and(|max| request.depth > max)
}

/// The jitter factor for the gap after a start, from a uniform sample
/// `u` in `0..1`: spread over 0.5..1.5 with jitter on, 1 without.
pub fn jitter_factor(jitter: bool, u: f64) -> f64 {
    if jitter { 0.5 + u.clamp(0.0, 1.0) } else { 1.0 }
}

/// The gap after a request start: the host's current delay times its
/// jitter factor, never below the site's own Crawl-delay (a promise).
pub fn gap(delay: Duration, jitter: f64, crawl_delay: Duration) -> Duration {
    if delay.is_zero() {
        return crawl_delay;
    }
    // `mul_f64` without its panic when the product no longer fits.
    let jittered =
        Duration::try_from_secs_f64(delay.as_secs_f64() * jitter).unwrap_or(Duration::MAX);
    jittered.max(crawl_delay)
}

/// The Crawl-delay a frontier honours for `robots`: the site's, capped at
/// `max_crawl_delay`; zero when it names none.
pub fn crawl_delay(cfg: &FrontierConfig, robots: &Robots) -> Duration {
    robots
        .crawl_delay()
        .map_or(Duration::ZERO, |cd| cd.min(cfg.max_crawl_delay))
}

/// When a host held back by throttling (429, 503 with `Retry-After`) may be
/// fetched again: the later of what it was held to and `now + after`.
pub fn held_until(held: SystemTime, now: SystemTime, after: Duration) -> SystemTime {
    held.max(later(now, after))
}

/// The adaptive delay after a response, as Scrapy's AutoThrottle computes
/// it: halfway from `current` toward `latency / target_concurrency`, never
/// below `base` nor above the throttle's `max_delay`. An error answer (status
/// >= 400) may raise the delay but never lowers it.
pub fn auto_throttle(
    at: &AutoThrottle,
    current: Duration,
    base: Duration,
    status: u16,
    latency: Duration,
) -> Duration {
    let target = latency.div_f64(at.target_concurrency.max(0.01));
    let next = current.saturating_add(target) / 2;
    if status >= 400 && next < current {
        return current;
    }
    next.clamp(base, at.max_delay.max(base))
}

/// What robots.txt says of a page: `None` to fetch it, or why it is
/// dropped. `gave_up` is set when robots.txt stayed unavailable (RFC 9309:
/// then everything is disallowed).
pub fn robots_decision(robots: &Robots, gave_up: bool, url: &Url) -> Option<DropReason> {
    if !gave_up && robots.is_allowed(url) {
        None
    } else if gave_up {
        Some(DropReason::RobotsUnavailable)
    } else {
        Some(DropReason::Disallowed)
    }
}

/// What to do after robots.txt answered 5xx or could not be reached, on the
/// `attempts`-th such answer: ask again later, or give up (disallow all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RobotsRetry {
    /// Ask again at this time.
    At(SystemTime),
    /// Stop asking: the host's pages are dropped.
    GiveUp,
}

/// See [`RobotsRetry`].
pub fn robots_unavailable(cfg: &FrontierConfig, attempts: u32, now: SystemTime) -> RobotsRetry {
    if attempts >= cfg.robots_attempts {
        RobotsRetry::GiveUp
    } else {
        RobotsRetry::At(later(now, cfg.robots_retry_after))
    }
}

/// What to do after robots.txt could not be fetched at all, on the
/// `attempts`-th failure: a host that refused the connection or has no
/// address is asked again soon (1 s, 2 s, 4 s, ..., never later than
/// `robots_retry_after`), and given up on after the configured attempts;
/// an address the crawl may not reach (`refused`) is given up on at once.
pub fn robots_unreachable(
    cfg: &FrontierConfig,
    attempts: u32,
    refused: bool,
    now: SystemTime,
) -> RobotsRetry {
    if refused || attempts >= cfg.robots_attempts {
        return RobotsRetry::GiveUp;
    }
    let backoff = Duration::from_secs(1u64 << attempts.saturating_sub(1).min(16));
    RobotsRetry::At(later(now, backoff.min(cfg.robots_retry_after)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gap_never_goes_below_crawl_delay_and_never_panics() {
        let s = Duration::from_secs;
        assert_eq!(gap(s(2), 0.5, s(0)), s(1));
        assert_eq!(gap(s(2), 0.5, s(3)), s(3));
        assert_eq!(gap(s(0), 1.0, s(3)), s(3));
        assert_eq!(gap(Duration::MAX, 1.5, s(0)), Duration::MAX);
    }

    #[test]
    fn auto_throttle_moves_halfway_and_errors_never_speed_up() {
        let at = AutoThrottle::default();
        let s = Duration::from_secs;
        assert_eq!(auto_throttle(&at, s(0), s(0), 200, s(4)), s(2));
        assert_eq!(auto_throttle(&at, s(2), s(0), 200, s(0)), s(1));
        assert_eq!(auto_throttle(&at, s(1), s(0), 503, s(0)), s(1));
        assert_eq!(auto_throttle(&at, s(0), s(5), 200, s(0)), s(5), "base");
    }
}
