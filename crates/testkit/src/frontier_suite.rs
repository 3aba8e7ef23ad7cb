//! The frontier test suite: every [`Frontier`] implementation runs it.
//!
//! ```ignore
//! ferrocrawl_testkit::frontier_suite!(ferrocrawl_testkit::frontier_suite::MemoryBackend);
//! ```
//! expands to one `#[tokio::test]` per case, and a property test against a
//! reference model (`frontier_model`). Time is a [`ManualClock`] the cases
//! move; nothing sleeps. A new backend implements [`Backend`] and runs the
//! cases unchanged.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code asserts by unwrapping"
)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrocrawl_core::{Request, RequestKind};
use ferrocrawl_frontier::{
    Ack, BoxFrontier, Completion, Counts, DropReason, FrontierConfig, Lease, LeaseKind,
    ManualClock, MemoryFrontier, Order, SqliteFrontier,
};
use ferrocrawl_robots::{Availability, Robots};

/// How the suite makes frontiers of one backend. Each case makes one
/// backend value, so a backend may keep per-case state (a file, a key
/// prefix).
pub trait Backend {
    /// A new, empty frontier on `clock`.
    fn open(&self, cfg: FrontierConfig, clock: &ManualClock) -> BoxFrontier;

    /// A second handle on the same frontier, as a second worker process
    /// would open it. By default a clone of the first.
    fn second(&self, f: &BoxFrontier, cfg: FrontierConfig, clock: &ManualClock) -> BoxFrontier {
        let _ = (cfg, clock);
        Arc::clone(f)
    }

    /// Open the frontier again after every handle is gone, as a crashed
    /// crawl is resumed: `None` for a backend that keeps nothing.
    fn reopen(&self, cfg: FrontierConfig, clock: &ManualClock) -> Option<BoxFrontier>;
}

/// The in-memory frontier: clones are the second handle; nothing survives.
#[derive(Debug, Default)]
pub struct MemoryBackend;

impl Backend for MemoryBackend {
    fn open(&self, cfg: FrontierConfig, clock: &ManualClock) -> BoxFrontier {
        Arc::new(MemoryFrontier::with_clock(cfg, clock.shared()))
    }

    fn reopen(&self, _: FrontierConfig, _: &ManualClock) -> Option<BoxFrontier> {
        None
    }
}

/// The in-memory frontier with a tiny spill threshold: its queue moves to
/// disk after three requests, so every case runs on the spilled store.
#[derive(Debug, Default)]
pub struct SpillingMemoryBackend;

impl Backend for SpillingMemoryBackend {
    fn open(&self, cfg: FrontierConfig, clock: &ManualClock) -> BoxFrontier {
        let cfg = FrontierConfig {
            spill_after: Some(3),
            ..cfg
        };
        Arc::new(MemoryFrontier::with_clock(cfg, clock.shared()))
    }

    fn reopen(&self, _: FrontierConfig, _: &ManualClock) -> Option<BoxFrontier> {
        None
    }
}

/// The SQLite frontier on a state file in a temporary directory, in
/// manual-commit mode (as crawls with outputs use it): only checkpoints
/// make work durable, and dropping every handle is a crash.
/// Each `open` makes a new file; `reopen` opens the last one again.
#[derive(Debug)]
pub struct SqliteBackend {
    dir: tempfile_dir::Dir,
    files: std::cell::Cell<u32>,
}

impl Default for SqliteBackend {
    fn default() -> Self {
        SqliteBackend {
            dir: tempfile_dir::Dir::new(),
            files: std::cell::Cell::new(0),
        }
    }
}

impl SqliteBackend {
    fn path(&self) -> PathBuf {
        self.dir.0.join(format!("crawl-{}.state", self.files.get()))
    }

    fn open_file(&self, cfg: FrontierConfig, clock: &ManualClock) -> BoxFrontier {
        let (f, _) = SqliteFrontier::open_with_clock(self.path(), cfg, "suite", clock.shared())
            .expect("a state file in a fresh directory");
        f.set_manual_commit(true);
        Arc::new(f)
    }
}

impl Backend for SqliteBackend {
    fn open(&self, cfg: FrontierConfig, clock: &ManualClock) -> BoxFrontier {
        self.files.set(self.files.get() + 1);
        self.open_file(cfg, clock)
    }

    fn reopen(&self, cfg: FrontierConfig, clock: &ManualClock) -> Option<BoxFrontier> {
        Some(self.open_file(cfg, clock))
    }
}

/// A directory removed when dropped (the suite's own: testkit doesn't
/// depend on tempfile outside tests).
mod tempfile_dir {
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicU64, Ordering};

    #[derive(Debug)]
    pub struct Dir(pub PathBuf);

    impl Dir {
        pub fn new() -> Dir {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!(
                "ferrocrawl-suite-{}-{n}-{}",
                std::process::id(),
                fastrand::u64(..)
            ));
            std::fs::create_dir_all(&dir).expect("a directory in the temporary area");
            Dir(dir)
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

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

/// A frontier of `B` on a fresh manual clock.
fn open<B: Backend>(b: &B, cfg: FrontierConfig) -> (BoxFrontier, ManualClock) {
    let clock = ManualClock::new();
    (b.open(cfg, &clock), clock)
}

async fn ack(f: &BoxFrontier, lease: Lease, ack: Ack) -> bool {
    f.ack(lease, ack).await.unwrap()
}

async fn lease_urls(f: &BoxFrontier, max: usize) -> Vec<String> {
    let leased = f.lease(max).await.unwrap();
    let urls = leased
        .leases
        .iter()
        .map(|l| l.request.url.path().to_owned())
        .collect();
    for l in leased.leases {
        assert!(ack(f, l, Ack::done(200, 0)).await);
    }
    urls
}

async fn finished(f: &BoxFrontier) -> bool {
    f.status().await.unwrap().finished
}

async fn next_ready(f: &BoxFrontier) -> Option<Duration> {
    f.status().await.unwrap().next_ready
}

async fn counts_of(f: &BoxFrontier) -> Counts {
    f.status().await.unwrap().counts
}

/// Identical requests are queued once; `dont_filter` bypasses that.
pub async fn dedup<B: Backend>(b: B) {
    let (f, _clock) = open(&b, quiet());
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
pub async fn depth_budget<B: Backend>(b: B) {
    let (f, _clock) = open(
        &b,
        FrontierConfig {
            max_depth: Some(1),
            ..quiet()
        },
    );
    let mut deep = req("http://a/deep");
    deep.depth = 2;
    let mut ok = req("http://a/ok");
    ok.depth = 1;
    let s = f.push(vec![deep, ok]).await.unwrap();
    assert_eq!((s.added, s.too_deep), (1, 1));
}

/// Higher priority first; BFS oldest first, DFS newest first.
pub async fn priority_and_order<B: Backend>(b: B) {
    for (order, expect) in [
        (Order::Bfs, ["/hi", "/1", "/2", "/3"]),
        (Order::Dfs, ["/hi", "/3", "/2", "/1"]),
    ] {
        let (f, _clock) = open(
            &b,
            FrontierConfig {
                per_host: 1,
                order,
                ..quiet()
            },
        );
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
pub async fn per_host_limit<B: Backend>(b: B) {
    let (f, _clock) = open(
        &b,
        FrontierConfig {
            per_host: 2,
            ..quiet()
        },
    );
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
pub async fn delay_between_starts<B: Backend>(b: B) {
    let (f, clock) = open(
        &b,
        FrontierConfig {
            delay: Duration::from_secs(2),
            ..quiet()
        },
    );
    f.push(vec![
        req("http://a/1"),
        req("http://a/2"),
        req("http://b/1"),
    ])
    .await
    .unwrap();
    assert_eq!(lease_urls(&f, 10).await.len(), 2, "one per host");
    assert!(f.lease(10).await.unwrap().leases.is_empty());
    let next = next_ready(&f).await.expect("a/2 is waiting");
    assert!(next >= Duration::from_millis(1990), "{next:?}");
    clock.advance(Duration::from_secs(2));
    assert_eq!(lease_urls(&f, 10).await, ["/2"]);
}

/// The first lease of a host is its robots.txt; pages wait for the answer,
/// then disallowed ones are dropped and Crawl-delay applies (capped).
pub async fn robots_first_and_obeyed<B: Backend>(b: B) {
    let cfg = FrontierConfig {
        obey_robots: true,
        max_crawl_delay: Duration::from_secs(5),
        ..quiet()
    };
    let (f, _clock) = open(&b, cfg);
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
    let wait = next_ready(&f).await.unwrap();
    assert!(
        wait >= Duration::from_secs(4) && wait <= Duration::from_secs(5),
        "capped Crawl-delay: {wait:?}"
    );
}

/// A robots.txt answering 5xx is asked again later; after the configured
/// attempts the host's pages are dropped, and the frontier finishes.
pub async fn robots_unavailable<B: Backend>(b: B) {
    let cfg = FrontierConfig {
        obey_robots: true,
        robots_attempts: 2,
        robots_retry_after: Duration::from_secs(30),
        ..quiet()
    };
    let (f, clock) = open(&b, cfg);
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
            assert!(!finished(&f).await);
            clock.advance(Duration::from_secs(30));
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
    assert!(finished(&f).await);
}

/// A throttled retry holds back the whole host; a plain retry only the request.
pub async fn retries_and_throttling<B: Backend>(b: B) {
    let (f, clock) = open(&b, quiet());
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
    assert!(!finished(&f).await, "retries are still pending");
    clock.advance(Duration::from_secs(10));
    let mut rest = lease_urls(&f, 10).await;
    rest.sort();
    assert_eq!(rest, ["/1", "/1", "/2"]);
    assert!(finished(&f).await);
}

/// The page budget stops leasing; the frontier then counts as finished.
pub async fn page_and_byte_budgets<B: Backend>(b: B) {
    let (f, _clock) = open(
        &b,
        FrontierConfig {
            max_pages: Some(3),
            ..quiet()
        },
    );
    f.push((0..10).map(|i| req(&format!("http://a/{i}"))).collect())
        .await
        .unwrap();
    assert_eq!(lease_urls(&f, 100).await.len(), 3);
    assert!(f.lease(100).await.unwrap().leases.is_empty());
    assert!(finished(&f).await);

    let (f, _clock) = open(
        &b,
        FrontierConfig {
            max_bytes: Some(1000),
            per_host: 1,
            ..quiet()
        },
    );
    f.push((0..10).map(|i| req(&format!("http://a/{i}"))).collect())
        .await
        .unwrap();
    let l = f.lease(10).await.unwrap().leases.pop().unwrap();
    f.ack(l, Ack::done(200, 1500)).await.unwrap();
    assert!(f.lease(10).await.unwrap().leases.is_empty());
    assert!(finished(&f).await);
}

/// A reclaimed lease goes back to the queue; a lease can't be acked twice.
pub async fn reclaim_and_finish<B: Backend>(b: B) {
    let (f, _clock) = open(&b, quiet());
    assert!(finished(&f).await, "empty is finished");
    f.push(vec![req("http://a/1")]).await.unwrap();
    assert!(!finished(&f).await, "queued is not finished");
    let l = f.lease(10).await.unwrap().leases.pop().unwrap();
    assert!(!finished(&f).await, "leased is not finished");
    assert!(f.reclaim(l, Duration::ZERO).await.unwrap());
    let l = f
        .lease(10)
        .await
        .unwrap()
        .leases
        .pop()
        .expect("reclaimed lease is back");
    let copy = Lease {
        request: l.request.clone(),
        ..l
    };
    assert!(ack(&f, l, Ack::done(200, 0)).await);
    assert!(finished(&f).await);
    assert!(!ack(&f, copy, Ack::Failed).await, "a second ack is stale");
    let c = counts_of(&f).await;
    assert_eq!((c.done, c.failed, c.stale), (1, 0, 1), "and ignored");
}

/// The adaptive throttle moves a host's delay halfway toward its latency
/// (target concurrency 1), and error answers never lower it.
pub async fn auto_throttle<B: Backend>(b: B) {
    let at = ferrocrawl_frontier::AutoThrottle::default();
    let (f, clock) = open(
        &b,
        FrontierConfig {
            auto_throttle: Some(at),
            per_host: 1,
            ..quiet()
        },
    );
    f.push((0..4).map(|i| req(&format!("http://a/{i}"))).collect())
        .await
        .unwrap();
    let wait_after = |status, latency| {
        let (f, clock) = (&f, &clock);
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
            let wait = next_ready(f).await.expect("more queued");
            clock.advance(wait);
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
async fn all_waiting_for_years(f: &BoxFrontier) {
    let year = Duration::from_secs(365 * 24 * 60 * 60);
    assert!(f.lease(10).await.unwrap().leases.is_empty());
    let next = next_ready(f).await.expect("work is waiting");
    assert!(next > year, "{next:?}");
    assert!(!finished(f).await);
}

/// Waits too long for the clock (a huge delay, `Retry-After` or robots.txt
/// retry) hold the work back far into the future instead of panicking.
pub async fn huge_waits_never_panic<B: Backend>(b: B) {
    // Pages: the delay after a start (jittered, then adapted to latency) and
    // a throttled retry.
    let (f, _clock) = open(
        &b,
        FrontierConfig {
            delay: Duration::MAX,
            jitter: true,
            auto_throttle: Some(ferrocrawl_frontier::AutoThrottle::default()),
            ..quiet()
        },
    );
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
    let (f, _clock) = open(
        &b,
        FrontierConfig {
            obey_robots: true,
            robots_retry_after: Duration::MAX,
            ..quiet()
        },
    );
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
pub async fn counts<B: Backend>(b: B) {
    let (f, _clock) = open(&b, quiet());
    f.push(vec![
        req("http://a/1"),
        req("http://b/1"),
        req("http://b/2"),
    ])
    .await
    .unwrap();
    let c = counts_of(&f).await;
    assert_eq!((c.queued, c.hosts), (3, 2));
    let leases = f.lease(2).await.unwrap().leases;
    assert_eq!(counts_of(&f).await.leased, 2);
    let mut it = leases.into_iter();
    f.ack(it.next().unwrap(), Ack::done(200, 10)).await.unwrap();
    f.ack(it.next().unwrap(), Ack::Failed).await.unwrap();
    let c = counts_of(&f).await;
    assert_eq!(
        (c.queued, c.leased, c.done, c.failed, c.bytes),
        (1, 0, 1, 1, 10)
    );
}

/// Two handles on one backend (two workers): each sees the other's work,
/// a request is leased to one of them only, per-host limits hold across
/// both, and a lease may be acked through either.
pub async fn two_handles<B: Backend>(b: B) {
    let cfg = FrontierConfig {
        per_host: 2,
        ..quiet()
    };
    let (one, clock) = open(&b, cfg.clone());
    let two = b.second(&one, cfg, &clock);
    one.push((0..4).map(|i| req(&format!("http://a/{i}"))).collect())
        .await
        .unwrap();
    assert_eq!(
        two.push(vec![req("http://a/0")]).await.unwrap().duplicate,
        1
    );
    let first = one.lease(1).await.unwrap().leases;
    let second = two.lease(10).await.unwrap().leases;
    assert_eq!(
        (first.len(), second.len()),
        (1, 1),
        "two per host, both handles"
    );
    assert_ne!(first[0].request.url, second[0].request.url);
    assert!(one.lease(10).await.unwrap().leases.is_empty(), "a is full");
    assert_eq!(counts_of(&two).await.leased, 2);
    // Acked through the other handle.
    for l in first.into_iter().chain(second) {
        assert!(ack(&two, l, Ack::done(200, 0)).await);
    }
    let mut rest = lease_urls(&one, 10).await;
    rest.extend(lease_urls(&two, 10).await);
    assert_eq!(rest.len(), 2);
    assert!(finished(&one).await && finished(&two).await);
    assert_eq!(counts_of(&one).await.done, 4);
}

/// A lease that outlives its expiry is handed to the next worker that asks;
/// the late ack of the first holder is stale: counted, and it changes
/// nothing. The page counts as done once.
pub async fn lease_expiry_hands_over<B: Backend>(b: B) {
    let cfg = FrontierConfig {
        lease_ttl: Duration::from_secs(30),
        per_host: 1,
        ..quiet()
    };
    let (one, clock) = open(&b, cfg.clone());
    let two = b.second(&one, cfg, &clock);
    one.push(vec![req("http://a/slow")]).await.unwrap();
    let lost = one.lease(1).await.unwrap().leases.pop().unwrap();
    assert_eq!(
        next_ready(&two).await,
        Some(Duration::from_secs(30)),
        "an idle worker wakes when the lease expires"
    );
    clock.advance(Duration::from_secs(29));
    assert!(two.lease(1).await.unwrap().leases.is_empty(), "not yet");
    clock.advance(Duration::from_secs(1));
    let taken = two
        .lease(1)
        .await
        .unwrap()
        .leases
        .pop()
        .expect("handed over");
    assert_eq!(taken.request.url, lost.request.url);
    assert_ne!(taken.token, lost.token, "a new fencing token");
    assert!(taken.expires > lost.expires);
    assert_eq!(counts_of(&one).await.expired, 1);
    // The first holder wakes up and acks, then reclaims: both ignored.
    let copy = Lease {
        request: lost.request.clone(),
        ..lost
    };
    assert!(!ack(&one, lost, Ack::Failed).await, "stale ack");
    assert!(
        !one.reclaim(copy, Duration::ZERO).await.unwrap(),
        "stale reclaim"
    );
    assert_eq!(
        counts_of(&one).await.leased,
        1,
        "the new holder still holds it"
    );
    assert!(ack(&two, taken, Ack::done(200, 0)).await);
    let c = counts_of(&one).await;
    assert_eq!((c.done, c.failed, c.stale, c.leased), (1, 0, 2, 0));
    assert!(finished(&one).await);
}

/// Acks of leases that are not held (acked already, a made-up token, the
/// same lease twice in one completion) are stale: counted, never errors.
pub async fn stale_acks_are_counted_and_ignored<B: Backend>(b: B) {
    let (f, _clock) = open(&b, quiet());
    f.push(vec![req("http://a/1"), req("http://a/2")])
        .await
        .unwrap();
    let mut leases = f.lease(10).await.unwrap().leases;
    let l2 = leases.pop().unwrap();
    let l1 = leases.pop().unwrap();
    let forged = Lease {
        token: l1.token + 1000,
        request: l1.request.clone(),
        ..l1
    };
    let twice = Lease {
        request: l2.request.clone(),
        ..l2
    };
    let done = f
        .complete(Completion {
            acks: vec![
                (forged, Ack::Failed),
                (l2, Ack::done(200, 0)),
                (twice, Ack::Failed),
            ],
            ..Completion::default()
        })
        .await
        .unwrap();
    assert_eq!((done.acked, done.stale), (1, 2));
    assert!(
        ack(&f, l1, Ack::done(200, 0)).await,
        "the real lease still acks"
    );
    let c = counts_of(&f).await;
    assert_eq!((c.done, c.failed, c.stale), (2, 0, 2));
    assert!(finished(&f).await);
}

/// `complete` pushes children and acks in one step, and a crash after any
/// durable point loses nothing: children pushed before the crash are
/// queued after it, the unacked parent is queued again, and the checkpoint
/// read back is the last one committed.
pub async fn crash_between_push_and_ack_loses_nothing<B: Backend>(b: B) {
    let (f, clock) = open(&b, quiet());
    f.push(vec![req("http://a/seed")]).await.unwrap();
    let seed = f.lease(1).await.unwrap().leases.pop().unwrap();
    // The page's children are pushed and made durable; then the process dies
    // before its ack.
    let children: Vec<Request> = (0..3).map(|i| req(&format!("http://a/c{i}"))).collect();
    f.push(children).await.unwrap();
    f.commit(vec![("out".into(), b"1".to_vec())]).await.unwrap();
    drop(seed);
    drop(f);
    let Some(f) = b.reopen(quiet(), &clock) else {
        eprintln!("skipped: this backend keeps nothing across a crash");
        return;
    };
    assert_eq!(
        f.checkpoint().await.unwrap(),
        vec![("out".to_owned(), b"1".to_vec())]
    );
    let c = counts_of(&f).await;
    assert_eq!(
        (c.queued, c.leased, c.done),
        (4, 0, 0),
        "seed again, and its children"
    );
    let mut got = lease_urls(&f, 10).await;
    got.sort();
    assert_eq!(got, ["/c0", "/c1", "/c2", "/seed"]);
    assert!(finished(&f).await);
}

/// A completion with a checkpoint is durable with everything before it;
/// work after the last checkpoint is redone on resume, and the checkpoint
/// read back matches exactly the acks that survived.
pub async fn resume_with_checkpoint<B: Backend>(b: B) {
    let (f, clock) = open(&b, quiet());
    f.push((0..4).map(|i| req(&format!("http://a/{i}"))).collect())
        .await
        .unwrap();
    let mut leases = f.lease(10).await.unwrap().leases.into_iter();
    let first = leases.next().unwrap();
    let found = req("http://a/found");
    let done = f
        .complete(Completion {
            children: vec![found],
            acks: vec![(first, Ack::done(200, 7))],
            checkpoint: Some(vec![("items".into(), 1u64.to_le_bytes().to_vec())]),
        })
        .await
        .unwrap();
    assert_eq!((done.pushed.added, done.acked), (1, 1));
    // Acked after the checkpoint, never committed: redone after the crash.
    let second = leases.next().unwrap();
    assert!(ack(&f, second, Ack::done(200, 7)).await);
    drop(leases);
    drop(f);
    let Some(f) = b.reopen(quiet(), &clock) else {
        eprintln!("skipped: this backend keeps nothing across a crash");
        return;
    };
    assert_eq!(
        f.checkpoint().await.unwrap(),
        vec![("items".to_owned(), 1u64.to_le_bytes().to_vec())]
    );
    let c = counts_of(&f).await;
    assert_eq!((c.done, c.bytes, c.queued), (1, 7, 4));
    assert_eq!(
        f.push(vec![req("http://a/0"), req("http://a/found")])
            .await
            .unwrap()
            .duplicate,
        2,
        "the seen set survived"
    );
    assert_eq!(lease_urls(&f, 10).await.len(), 4);
    assert!(finished(&f).await);
    assert_eq!(counts_of(&f).await.done, 5);
}

/// A host past its page budget leases no more; its other pages stay queued
/// (counted apart), other hosts go on, and the frontier then finishes.
pub async fn per_host_page_budget<B: Backend>(b: B) {
    let (f, _clock) = open(
        &b,
        FrontierConfig {
            max_pages_per_host: Some(2),
            ..quiet()
        },
    );
    let mut batch: Vec<Request> = (0..5).map(|i| req(&format!("http://a/{i}"))).collect();
    batch.push(req("http://b/0"));
    f.push(batch).await.unwrap();
    let mut got = lease_urls(&f, 10).await;
    got.extend(lease_urls(&f, 10).await);
    assert_eq!(got.len(), 3, "two of a, one of b: {got:?}");
    let c = counts_of(&f).await;
    assert_eq!((c.queued, c.full_hosts, c.queued_on_full_hosts), (3, 1, 3));
    assert!(finished(&f).await, "what is left is past its budget");
}

/// A host whose robots.txt can't be fetched at all is asked again soon,
/// then its pages fail with the error (they are not robots drops); a refused
/// address fails at once.
pub async fn unreachable_robots_fail_the_hosts_pages<B: Backend>(b: B) {
    use ferrocrawl_core::{Error, ErrorKind};
    let (f, clock) = open(
        &b,
        FrontierConfig {
            obey_robots: true,
            robots_attempts: 3,
            ..quiet()
        },
    );
    f.push(vec![
        req("http://a/1"),
        req("http://a/2"),
        req("http://b/1"),
    ])
    .await
    .unwrap();
    let mut dropped = Vec::new();
    let mut asked = std::collections::HashMap::new();
    for _ in 0..10 {
        let leased = f.lease(10).await.unwrap();
        dropped.extend(leased.dropped);
        for l in leased.leases {
            assert_eq!(l.kind, LeaseKind::Robots);
            let host = l.request.url.host_str().unwrap().to_owned();
            let error = if host == "b" {
                Error::new(ErrorKind::Forbidden, "refusing to connect to b")
            } else {
                Error::new(ErrorKind::Connect, "connection refused")
            };
            *asked.entry(host).or_insert(0) += 1;
            assert!(ack(&f, l, Ack::RobotsFailed { error }).await);
        }
        if finished(&f).await {
            break;
        }
        let wait = next_ready(&f).await.expect("asked again");
        assert!(wait <= Duration::from_secs(4), "soon: {wait:?}");
        clock.advance(wait);
    }
    assert_eq!(
        (asked["a"], asked["b"]),
        (3, 1),
        "a refused address is not asked again"
    );
    let mut kinds: Vec<_> = dropped
        .iter()
        .map(|d| match &d.reason {
            DropReason::Unreachable { kind, .. } => *kind,
            other => panic!("not a failure: {other:?}"),
        })
        .collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["connect", "connect", "forbidden_address"]);
    assert!(dropped.iter().all(|d| d.reason.is_failure()));
    assert!(finished(&f).await);
}

/// Expands to one `#[tokio::test]` per suite case, and the model-based
/// property test, for the backend that `$make` (an expression, evaluated
/// once per case) makes.
#[macro_export]
macro_rules! frontier_suite {
    ($make:expr) => {
        $crate::frontier_suite!(@cases $make;
            dedup, depth_budget, priority_and_order, per_host_limit, delay_between_starts,
            robots_first_and_obeyed, robots_unavailable, retries_and_throttling,
            page_and_byte_budgets, reclaim_and_finish, auto_throttle, huge_waits_never_panic,
            counts, two_handles, lease_expiry_hands_over, stale_acks_are_counted_and_ignored,
            crash_between_push_and_ack_loses_nothing, resume_with_checkpoint,
            per_host_page_budget, unreachable_robots_fail_the_hosts_pages);

        #[test]
        fn matches_the_reference_model() {
            $crate::frontier_model::check(|| $make);
        }
    };
    (@cases $make:expr; $($case:ident),*) => {
        $(
            #[tokio::test]
            async fn $case() {
                $crate::frontier_suite::$case($make).await;
            }
        )*
    };
}
