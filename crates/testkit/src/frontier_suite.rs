//! The frontier test suite: every [`Frontier`] implementation runs it.
//!
//! ```ignore
//! ferrocrawl_testkit::frontier_suite!(ferrocrawl_frontier::MemoryFrontier::new);
//! ```
//! expands to one `#[tokio::test]` per case, on tokio's paused clock.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code asserts by unwrapping"
)]

use std::time::Duration;

use ferrocrawl_core::{Request, RequestKind};
use ferrocrawl_frontier::{Ack, DropReason, Frontier, FrontierConfig, LeaseKind, Order};
use ferrocrawl_robots::{Availability, Robots};
use tokio::time::{Instant, advance};

fn req(url: &str) -> Request {
    Request::get(url.parse().expect("test URLs are valid"))
}

fn quiet() -> FrontierConfig {
    FrontierConfig {
        obey_robots: false,
        jitter: false,
        per_host: 8,
        ..FrontierConfig::default()
    }
}

async fn lease_urls<F: Frontier>(f: &F, max: usize) -> Vec<String> {
    let leased = f.lease(max).await.unwrap();
    let urls = leased
        .leases
        .iter()
        .map(|l| l.request.url.path().to_owned())
        .collect();
    for l in leased.leases {
        f.ack(l, Ack::done(200, 0)).await.unwrap();
    }
    urls
}

/// Identical requests are queued once; `dont_filter` bypasses that.
pub async fn dedup<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    let f = make(quiet());
    let s = f
        .push(vec![
            req("http://a/1"),
            req("http://a/1"),
            req("http://a/2"),
        ])
        .await
        .unwrap();
    assert_eq!((s.added, s.duplicate), (2, 1));
    let mut again = req("http://a/1");
    again.dont_filter = true;
    assert_eq!(f.push(vec![again]).await.unwrap().added, 1);
    // A POST with a body is a different request from the GET.
    let post = Request::post("http://a/1".parse().unwrap()).body(b"x".to_vec());
    assert_eq!(f.push(vec![post]).await.unwrap().added, 1);
    // A sitemap and a page at one address don't keep each other out; two
    // sitemaps at one address do.
    let sitemap = || req("http://a/1").kind(RequestKind::Sitemap { nesting: 0 });
    let s = f.push(vec![sitemap(), sitemap()]).await.unwrap();
    assert_eq!((s.added, s.duplicate), (1, 1));
    let leased = f.lease(10).await.unwrap().leases;
    assert_eq!(leased.len(), 5);
    let kinds = leased.iter().filter(|l| !l.request.kind.is_page()).count();
    assert_eq!(kinds, 1, "the sitemap comes back as one");
}

/// Requests deeper than `max_depth` are not queued.
pub async fn depth_budget<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    let f = make(FrontierConfig {
        max_depth: Some(1),
        ..quiet()
    });
    let mut deep = req("http://a/deep");
    deep.depth = 2;
    let mut ok = req("http://a/ok");
    ok.depth = 1;
    let s = f.push(vec![deep, ok]).await.unwrap();
    assert_eq!((s.added, s.too_deep), (1, 1));
}

/// Higher priority first; BFS oldest first, DFS newest first.
pub async fn priority_and_order<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    for (order, expect) in [
        (Order::Bfs, ["/hi", "/1", "/2", "/3"]),
        (Order::Dfs, ["/hi", "/3", "/2", "/1"]),
    ] {
        let f = make(FrontierConfig {
            per_host: 1,
            order,
            ..quiet()
        });
        f.push(vec![
            req("http://a/1"),
            req("http://a/2"),
            req("http://a/3"),
            req("http://a/hi").priority(5),
        ])
        .await
        .unwrap();
        let mut got = Vec::new();
        for _ in 0..4 {
            got.extend(lease_urls(&f, 10).await);
        }
        assert_eq!(got, expect, "{order:?}");
    }
}

/// At most `per_host` leases per host; other hosts are not held up.
pub async fn per_host_limit<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    let f = make(FrontierConfig {
        per_host: 2,
        ..quiet()
    });
    let mut batch: Vec<Request> = (0..5).map(|i| req(&format!("http://a/{i}"))).collect();
    batch.push(req("http://b/0"));
    f.push(batch).await.unwrap();
    let leased = f.lease(100).await.unwrap().leases;
    let on_a = leased
        .iter()
        .filter(|l| l.request.url.host_str() == Some("a"))
        .count();
    assert_eq!((leased.len(), on_a), (3, 2));
    assert!(
        f.lease(100).await.unwrap().leases.is_empty(),
        "a is at its limit, b is empty"
    );
    let mut leased = leased.into_iter();
    f.ack(leased.next().unwrap(), Ack::done(200, 0))
        .await
        .unwrap();
    assert_eq!(
        f.lease(100).await.unwrap().leases.len(),
        1,
        "one slot freed, one lease"
    );
}

/// Request starts to one host are at least `delay` apart.
pub async fn delay_between_starts<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    let f = make(FrontierConfig {
        delay: Duration::from_secs(2),
        ..quiet()
    });
    f.push(vec![
        req("http://a/1"),
        req("http://a/2"),
        req("http://b/1"),
    ])
    .await
    .unwrap();
    assert_eq!(lease_urls(&f, 10).await.len(), 2, "one per host");
    assert!(f.lease(10).await.unwrap().leases.is_empty());
    let next = f.next_ready().await.unwrap().expect("a/2 is waiting");
    assert!(
        next >= Instant::now() + Duration::from_millis(1990),
        "{next:?}"
    );
    advance(Duration::from_secs(2)).await;
    assert_eq!(lease_urls(&f, 10).await, ["/2"]);
}

/// The first lease of a host is its robots.txt; pages wait for the answer,
/// then disallowed ones are dropped and Crawl-delay applies (capped).
pub async fn robots_first_and_obeyed<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    let cfg = FrontierConfig {
        obey_robots: true,
        max_crawl_delay: Duration::from_secs(5),
        ..quiet()
    };
    let f = make(cfg);
    f.push(vec![
        req("http://a/private/x"),
        req("http://a/public"),
        req("http://a/other"),
    ])
    .await
    .unwrap();
    let leased = f.lease(10).await.unwrap();
    assert_eq!(leased.leases.len(), 1);
    let robots_lease = leased.leases.into_iter().next().unwrap();
    assert_eq!(robots_lease.kind, LeaseKind::Robots);
    assert_eq!(robots_lease.request.url.as_str(), "http://a/robots.txt");
    assert!(
        f.lease(10).await.unwrap().leases.is_empty(),
        "pages wait for robots.txt"
    );
    let robots = Robots::parse(
        b"User-agent: *\nDisallow: /private\nCrawl-delay: 60\n",
        "ferrocrawl",
    );
    f.ack(
        robots_lease,
        Ack::Robots {
            robots,
            availability: Availability::Fetched,
        },
    )
    .await
    .unwrap();
    let leased = f.lease(10).await.unwrap();
    assert_eq!(leased.dropped.len(), 1);
    assert_eq!(leased.dropped[0].reason, DropReason::Disallowed);
    assert_eq!(leased.leases.len(), 1, "Crawl-delay: one at a time");
    for l in leased.leases {
        f.ack(l, Ack::done(200, 0)).await.unwrap();
    }
    let next = f.next_ready().await.unwrap().unwrap();
    let wait = next - Instant::now();
    assert!(
        wait >= Duration::from_secs(4) && wait <= Duration::from_secs(5),
        "capped Crawl-delay: {wait:?}"
    );
}

/// A robots.txt answering 5xx is asked again later; after the configured
/// attempts the host's pages are dropped, and the frontier finishes.
pub async fn robots_unavailable<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    let cfg = FrontierConfig {
        obey_robots: true,
        robots_attempts: 2,
        robots_retry_after: Duration::from_secs(30),
        ..quiet()
    };
    let f = make(cfg);
    f.push(vec![req("http://a/1"), req("http://a/2")])
        .await
        .unwrap();
    for attempt in 0..2 {
        let lease = f
            .lease(10)
            .await
            .unwrap()
            .leases
            .pop()
            .expect("a robots lease");
        assert_eq!(lease.kind, LeaseKind::Robots, "attempt {attempt}");
        let ack = Ack::Robots {
            robots: Robots::disallow_all(),
            availability: Availability::TemporarilyUnavailable,
        };
        f.ack(lease, ack).await.unwrap();
        if attempt == 0 {
            assert!(
                f.lease(10).await.unwrap().leases.is_empty(),
                "waits before asking again"
            );
            assert!(!f.is_finished().await.unwrap());
            advance(Duration::from_secs(30)).await;
        }
    }
    let leased = f.lease(10).await.unwrap();
    assert!(leased.leases.is_empty());
    assert_eq!(leased.dropped.len(), 2);
    assert!(
        leased
            .dropped
            .iter()
            .all(|d| d.reason == DropReason::RobotsUnavailable)
    );
    assert!(f.is_finished().await.unwrap());
}

/// A throttled retry holds back the whole host; a plain retry only the request.
pub async fn retries_and_throttling<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    let f = make(quiet());
    f.push(vec![req("http://a/1"), req("http://b/1")])
        .await
        .unwrap();
    let leases = f.lease(10).await.unwrap().leases;
    for l in leases {
        let throttled = l.request.url.host_str() == Some("a");
        let request = Box::new(l.request.clone());
        f.ack(
            l,
            Ack::Retry {
                request,
                after: Duration::from_secs(10),
                throttled,
            },
        )
        .await
        .unwrap();
    }
    f.push(vec![req("http://a/2"), req("http://b/2")])
        .await
        .unwrap();
    assert_eq!(
        lease_urls(&f, 10).await,
        ["/2"],
        "only b: a is blocked for 10 s"
    );
    assert!(!f.is_finished().await.unwrap(), "retries are still pending");
    advance(Duration::from_secs(10)).await;
    let mut rest = lease_urls(&f, 10).await;
    rest.sort();
    assert_eq!(rest, ["/1", "/1", "/2"]);
    assert!(f.is_finished().await.unwrap());
}

/// The page budget stops leasing; the frontier then counts as finished.
pub async fn page_and_byte_budgets<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    let f = make(FrontierConfig {
        max_pages: Some(3),
        ..quiet()
    });
    f.push((0..10).map(|i| req(&format!("http://a/{i}"))).collect())
        .await
        .unwrap();
    assert_eq!(lease_urls(&f, 100).await.len(), 3);
    assert!(f.lease(100).await.unwrap().leases.is_empty());
    assert!(f.is_finished().await.unwrap());

    let f = make(FrontierConfig {
        max_bytes: Some(1000),
        per_host: 1,
        ..quiet()
    });
    f.push((0..10).map(|i| req(&format!("http://a/{i}"))).collect())
        .await
        .unwrap();
    let l = f.lease(10).await.unwrap().leases.pop().unwrap();
    f.ack(l, Ack::done(200, 1500)).await.unwrap();
    assert!(f.lease(10).await.unwrap().leases.is_empty());
    assert!(f.is_finished().await.unwrap());
}

/// A reclaimed lease goes back to the queue; a lease can't be acked twice.
pub async fn reclaim_and_finish<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    let f = make(quiet());
    assert!(f.is_finished().await.unwrap(), "empty is finished");
    f.push(vec![req("http://a/1")]).await.unwrap();
    assert!(!f.is_finished().await.unwrap(), "queued is not finished");
    let l = f.lease(10).await.unwrap().leases.pop().unwrap();
    assert!(!f.is_finished().await.unwrap(), "leased is not finished");
    f.reclaim(l, Instant::now()).await.unwrap();
    let l = f
        .lease(10)
        .await
        .unwrap()
        .leases
        .pop()
        .expect("reclaimed lease is back");
    let id = l.id;
    f.ack(l, Ack::done(200, 0)).await.unwrap();
    assert!(f.is_finished().await.unwrap());
    let stale = ferrocrawl_frontier::Lease {
        id,
        kind: LeaseKind::Page,
        request: req("http://a/1"),
    };
    assert!(
        f.ack(stale, Ack::Failed).await.is_err(),
        "double ack is an error"
    );
}

/// The adaptive throttle moves a host's delay halfway toward its latency
/// (target concurrency 1), and error answers never lower it.
pub async fn auto_throttle<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    let at = ferrocrawl_frontier::AutoThrottle::default();
    let f = make(FrontierConfig {
        auto_throttle: Some(at),
        per_host: 1,
        ..quiet()
    });
    f.push((0..4).map(|i| req(&format!("http://a/{i}"))).collect())
        .await
        .unwrap();
    let wait_after = |status, latency| {
        let f = &f;
        async move {
            let l = f.lease(1).await.unwrap().leases.pop().expect("a lease");
            f.ack(
                l,
                Ack::Done {
                    status,
                    bytes: 0,
                    latency,
                },
            )
            .await
            .unwrap();
            let next = f.next_ready().await.unwrap().expect("more queued");
            let wait = next - Instant::now();
            advance(wait).await;
            wait
        }
    };
    // 0 s -> halfway to 4 s = 2 s; then halfway from 2 s to 0 s = 1 s.
    assert_eq!(
        wait_after(200, Duration::from_secs(4)).await,
        Duration::from_secs(2)
    );
    assert_eq!(
        wait_after(200, Duration::ZERO).await,
        Duration::from_secs(1)
    );
    // A fast error answer is no reason to speed up.
    assert_eq!(
        wait_after(503, Duration::ZERO).await,
        Duration::from_secs(1)
    );
}

/// Asserts that `f` has work, none of it due within a year.
async fn all_waiting_for_years<F: Frontier>(f: &F) {
    let year = Duration::from_secs(365 * 24 * 60 * 60);
    assert!(f.lease(10).await.unwrap().leases.is_empty());
    let next = f.next_ready().await.unwrap().expect("work is waiting");
    assert!(next > Instant::now() + year, "{next:?}");
    assert!(!f.is_finished().await.unwrap());
}

/// Waits too long for the clock (a huge delay, `Retry-After` or robots.txt
/// retry) hold the work back far into the future instead of panicking.
pub async fn huge_waits_never_panic<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    // Pages: the delay after a start (jittered, then adapted to latency) and
    // a throttled retry.
    let f = make(FrontierConfig {
        delay: Duration::MAX,
        jitter: true,
        auto_throttle: Some(ferrocrawl_frontier::AutoThrottle::default()),
        ..quiet()
    });
    f.push(vec![
        req("http://a/1"),
        req("http://a/2"),
        req("http://b/1"),
    ])
    .await
    .unwrap();
    let leases = f.lease(10).await.unwrap().leases;
    assert_eq!(leases.len(), 2, "one per host");
    for l in leases {
        let ack = if l.request.url.host_str() == Some("a") {
            Ack::Done {
                status: 200,
                bytes: 0,
                latency: Duration::from_secs(1),
            }
        } else {
            Ack::Retry {
                request: Box::new(l.request.clone()),
                after: Duration::MAX,
                throttled: true,
            }
        };
        f.ack(l, ack).await.unwrap();
    }
    all_waiting_for_years(&f).await;
    // robots.txt: unavailable, and a retry of its lease.
    let f = make(FrontierConfig {
        obey_robots: true,
        robots_retry_after: Duration::MAX,
        ..quiet()
    });
    f.push(vec![req("http://a/1"), req("http://b/1")])
        .await
        .unwrap();
    let leases = f.lease(10).await.unwrap().leases;
    assert_eq!(leases.len(), 2, "robots.txt of each host");
    for l in leases {
        assert_eq!(l.kind, LeaseKind::Robots);
        let ack = if l.request.url.host_str() == Some("a") {
            Ack::Robots {
                robots: Robots::disallow_all(),
                availability: Availability::TemporarilyUnavailable,
            }
        } else {
            Ack::Retry {
                request: Box::new(l.request.clone()),
                after: Duration::MAX,
                throttled: false,
            }
        };
        f.ack(l, ack).await.unwrap();
    }
    all_waiting_for_years(&f).await;
}

/// Counters follow the work.
pub async fn counts<F: Frontier>(make: impl Fn(FrontierConfig) -> F) {
    let f = make(quiet());
    f.push(vec![
        req("http://a/1"),
        req("http://b/1"),
        req("http://b/2"),
    ])
    .await
    .unwrap();
    let c = f.counts().await.unwrap();
    assert_eq!((c.queued, c.hosts), (3, 2));
    let leases = f.lease(2).await.unwrap().leases;
    assert_eq!(f.counts().await.unwrap().leased, 2);
    let mut it = leases.into_iter();
    f.ack(it.next().unwrap(), Ack::done(200, 10)).await.unwrap();
    f.ack(it.next().unwrap(), Ack::Failed).await.unwrap();
    let c = f.counts().await.unwrap();
    assert_eq!(
        (c.queued, c.leased, c.done, c.failed, c.bytes),
        (1, 0, 1, 1, 10)
    );
}

/// Expands to one `#[tokio::test]` per suite case for the frontier that
/// `$make` (a `Fn(FrontierConfig) -> F`) builds.
#[macro_export]
macro_rules! frontier_suite {
    ($make:expr) => {
        $crate::frontier_suite!(@cases $make;
            dedup, depth_budget, priority_and_order, per_host_limit, delay_between_starts,
            robots_first_and_obeyed, robots_unavailable, retries_and_throttling,
            page_and_byte_budgets, reclaim_and_finish, auto_throttle, huge_waits_never_panic,
            counts);
    };
    (@cases $make:expr; $($case:ident),*) => {
        $(
            #[tokio::test(start_paused = true)]
            async fn $case() {
                $crate::frontier_suite::$case($make).await;
            }
        )*
    };
}
