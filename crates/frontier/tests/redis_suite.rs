//! The shared frontier suite against the Redis frontier, on a real
//! `redis-server`: `FERROCRAWL_REDIS_URL` if set, else one this binary
//! starts on a free 127.0.0.1 port (and stops when it exits). Each case is
//! its own crawl (its own key prefix), so cases run in parallel on one
//! server. Run with `cargo test -p ferrocrawl-frontier --features redis`.

#![cfg(feature = "redis")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code asserts by unwrapping"
)]

mod redis_server;

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use ferrocrawl_core::Request;
use ferrocrawl_frontier::{
    Ack, BoxFrontier, Checkpoint, Clock, Completed, Completion, DropReason, Frontier,
    FrontierConfig, FrontierFuture, FrontierLocation, Lease, LeaseKind, Leased, ManualClock,
    PushStats, RedisFrontier, Status,
};
use ferrocrawl_robots::{Availability, Robots};
use ferrocrawl_testkit::frontier_suite::Backend;

/// Each `open` is a new crawl on the shared server; `second` is another
/// worker of it, `reopen` the first worker restarted.
struct RedisBackend {
    url: String,
    base: String,
    crawls: Cell<u64>,
}

impl RedisBackend {
    fn new() -> RedisBackend {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        RedisBackend {
            url: redis_server::url(),
            base: format!(
                "suite-{}-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed),
                fastrand::u32(..)
            ),
            crawls: Cell::new(0),
        }
    }

    fn crawl(&self) -> String {
        format!("{}-{}", self.base, self.crawls.get())
    }

    fn handle(&self, cfg: FrontierConfig, clock: &ManualClock, worker: &str) -> BoxFrontier {
        let f = RedisFrontier::builder(self.url.clone())
            .crawl(self.crawl())
            .worker(worker)
            .config(cfg)
            .clock(clock.shared())
            .build()
            .expect("a valid location");
        Arc::new(OnIoRuntime(f))
    }
}

/// The model check runs each case on a runtime with time but no I/O, and a
/// Redis frontier needs sockets: every call goes through a runtime of this
/// test binary's own instead, as a worker's runtime would have. The calls,
/// their order and their answers are the frontier's own.
struct OnIoRuntime(RedisFrontier);

fn io_runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime for the Redis connections")
    })
}

impl OnIoRuntime {
    fn call<T, F>(&self, call: impl FnOnce(RedisFrontier) -> F) -> FrontierFuture<'_, T>
    where
        T: Send + 'static,
        F: std::future::Future<Output = ferrocrawl_core::Result<T>> + Send + 'static,
    {
        let task = io_runtime().spawn(call(self.0.clone()));
        Box::pin(async move { task.await.expect("the call's task") })
    }
}

impl Frontier for OnIoRuntime {
    fn push(&self, requests: Vec<Request>) -> FrontierFuture<'_, PushStats> {
        self.call(|f| async move { f.push(requests).await })
    }
    fn lease(&self, max: usize) -> FrontierFuture<'_, Leased> {
        self.call(move |f| async move { f.lease(max).await })
    }
    fn complete(&self, completion: Completion) -> FrontierFuture<'_, Completed> {
        self.call(|f| async move { f.complete(completion).await })
    }
    fn reclaim(&self, lease: Lease, after: Duration) -> FrontierFuture<'_, bool> {
        self.call(move |f| async move { f.reclaim(lease, after).await })
    }
    fn status(&self) -> FrontierFuture<'_, Status> {
        self.call(|f| async move { f.status().await })
    }
    fn checkpoint(&self) -> FrontierFuture<'_, Checkpoint> {
        self.call(|f| async move { f.checkpoint().await })
    }
    fn acks_durable_at_once(&self) -> bool {
        self.0.acks_durable_at_once()
    }
}

impl Backend for RedisBackend {
    fn open(&self, cfg: FrontierConfig, clock: &ManualClock) -> BoxFrontier {
        self.crawls.set(self.crawls.get() + 1);
        self.handle(cfg, clock, "one")
    }

    fn second(&self, _: &BoxFrontier, cfg: FrontierConfig, clock: &ManualClock) -> BoxFrontier {
        self.handle(cfg, clock, "two")
    }

    fn reopen(&self, cfg: FrontierConfig, clock: &ManualClock) -> Option<BoxFrontier> {
        Some(self.handle(cfg, clock, "one"))
    }
}

impl Drop for RedisBackend {
    fn drop(&mut self) {
        for n in 1..=self.crawls.get() {
            redis_server::delete_crawl(&self.url, &format!("{}-{n}", self.base));
        }
    }
}

ferrocrawl_testkit::frontier_suite!(RedisBackend::new());

// ===== Redis-specific =====

fn req(url: &str) -> Request {
    Request::get(url.parse().unwrap())
}

fn frontier(crawl: &str, worker: &str, cfg: FrontierConfig) -> RedisFrontier {
    RedisFrontier::builder(redis_server::url())
        .crawl(crawl)
        .worker(worker)
        .config(cfg)
        .build()
        .unwrap()
}

fn quiet() -> FrontierConfig {
    FrontierConfig {
        obey_robots: false,
        jitter: false,
        ..FrontierConfig::default()
    }
}

/// Without an injected clock the time is the server's: a lease expires
/// `lease_ttl` after Redis's `TIME`, not after the worker's clock.
#[tokio::test]
async fn time_comes_from_the_server() {
    let crawl = format!("time-{}", fastrand::u64(..));
    let ttl = Duration::from_secs(600);
    let f = frontier(
        &crawl,
        "w",
        FrontierConfig {
            lease_ttl: ttl,
            ..quiet()
        },
    );
    f.push(vec![req("http://a/1")]).await.unwrap();
    let server = redis_server::server_time(&redis_server::url());
    let lease = f.lease(1).await.unwrap().leases.pop().unwrap();
    let expected = server + ttl;
    let off = lease
        .expires
        .duration_since(expected)
        .unwrap_or_else(|e| e.duration());
    assert!(
        off < Duration::from_secs(2),
        "{:?} vs {expected:?}",
        lease.expires
    );
    redis_server::delete_crawl(&redis_server::url(), &crawl);
}

/// Every key of a crawl carries its hash tag, and the seen set holds
/// fixed-size fingerprints in buckets, not URLs.
#[tokio::test]
async fn keys_are_hash_tagged_and_the_seen_set_holds_fingerprints() {
    let crawl = format!("keys-{}", fastrand::u64(..));
    let f = frontier(&crawl, "w", quiet());
    let long = format!("http://a/{}", "x".repeat(500));
    f.push(vec![req(&long), req("http://b/1")]).await.unwrap();
    let keys = redis_server::keys(&redis_server::url(), "*");
    let ours: Vec<_> = keys.iter().filter(|k| k.contains(&crawl)).collect();
    assert!(!ours.is_empty());
    let tag = format!("ferrocrawl:{{{crawl}}}:");
    assert!(ours.iter().all(|k| k.starts_with(&tag)), "{ours:?}");
    let seen: Vec<_> = ours.iter().filter(|k| k.contains("}:s:")).collect();
    let mut fields = Vec::new();
    for k in &seen {
        fields.extend(redis_server::hash_fields(&redis_server::url(), k));
    }
    assert_eq!(fields.len(), 2, "one fingerprint per URL");
    assert!(fields.iter().all(|f| f.len() == 8), "8-byte fields");
    redis_server::delete_crawl(&redis_server::url(), &crawl);
}

/// Two crawls on one Redis don't see each other's work.
#[tokio::test]
async fn crawls_share_a_server_by_name() {
    let (one, two) = (
        format!("one-{}", fastrand::u64(..)),
        format!("two-{}", fastrand::u64(..)),
    );
    let a = frontier(&one, "w", quiet());
    let b = frontier(&two, "w", quiet());
    a.push(vec![req("http://a/1")]).await.unwrap();
    assert_eq!(b.push(vec![req("http://a/1")]).await.unwrap().added, 1);
    assert_eq!(b.status().await.unwrap().counts.queued, 1);
    assert_eq!(a.lease(10).await.unwrap().leases.len(), 1);
    assert_eq!(b.status().await.unwrap().counts.leased, 0);
    for c in [one, two] {
        redis_server::delete_crawl(&redis_server::url(), &c);
    }
}

/// The location names the crawl and the worker; a bad name or no name is
/// refused before anything connects; an unreachable server is an error
/// naming the location.
#[tokio::test]
async fn locations_and_errors_name_what_to_fix() {
    let loc: FrontierLocation = "redis://127.0.0.1:6379/0?crawl=books&worker=w1"
        .parse()
        .unwrap();
    assert!(loc.not_built_in().is_none(), "built with the redis feature");
    let f = RedisFrontier::builder(loc.to_string()).build().unwrap();
    assert_eq!((f.crawl(), f.worker()), ("books", "w1"));
    let e = RedisFrontier::builder("redis://127.0.0.1:6379/0")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("?crawl=NAME"), "{e}");
    let e = RedisFrontier::builder("redis://127.0.0.1:6379/0")
        .crawl("a b")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("invalid crawl name `a b`"), "{e}");
    let e = RedisFrontier::builder("rediss://127.0.0.1:6379/0?crawl=x")
        .build()
        .unwrap_err();
    assert!(e.to_string().contains("TLS"), "{e}");
    let closed = format!("redis://127.0.0.1:{}/0", redis_server::closed_port());
    let e = RedisFrontier::builder(&closed)
        .crawl("x")
        .connect()
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(msg.contains(&closed) && msg.contains("reachable"), "{msg}");
}

/// Politeness and robots.txt are the host's, not a worker's: robots.txt is
/// leased once for the crawl and its rules, stored by the worker that
/// fetched it, are obeyed by the others; the delay after one worker's
/// request holds every worker back, and so does a throttled retry.
#[tokio::test]
async fn politeness_and_robots_are_shared_by_workers() {
    let crawl = format!("polite-{}", fastrand::u64(..));
    let clock = ManualClock::new();
    let cfg = FrontierConfig {
        obey_robots: true,
        jitter: false,
        per_host: 4,
        delay: Duration::from_secs(2),
        ..FrontierConfig::default()
    };
    let worker = |name: &str| {
        RedisFrontier::builder(redis_server::url())
            .crawl(&crawl)
            .worker(name)
            .config(cfg.clone())
            .clock(clock.shared())
            .build()
            .unwrap()
    };
    let (one, two) = (worker("one"), worker("two"));
    let urls = [
        "http://a/private/x",
        "http://a/1",
        "http://a/2",
        "http://a/3",
    ];
    one.push(urls.iter().map(|u| req(u)).collect())
        .await
        .unwrap();
    let robots = one.lease(10).await.unwrap().leases;
    assert_eq!(robots.len(), 1);
    assert_eq!(robots[0].kind, LeaseKind::Robots);
    assert!(
        two.lease(10).await.unwrap().leases.is_empty(),
        "robots.txt is single-flight for the whole crawl"
    );
    let rules = Robots::parse(b"User-agent: *\nDisallow: /private\n", "ferrocrawl");
    let ack = Ack::Robots {
        robots: rules,
        availability: Availability::Fetched,
    };
    assert!(
        two.ack(robots.into_iter().next().unwrap(), ack)
            .await
            .unwrap()
    );
    let leased = one.lease(10).await.unwrap();
    assert_eq!(leased.dropped.len(), 1, "the rules another worker stored");
    assert_eq!(leased.dropped[0].reason, DropReason::Disallowed);
    assert_eq!(leased.leases.len(), 1, "then the delay");
    assert_eq!(leased.leases[0].request.url.path(), "/1");
    assert!(
        two.lease(10).await.unwrap().leases.is_empty(),
        "the host's delay"
    );
    assert_eq!(
        two.status().await.unwrap().next_ready,
        Some(Duration::from_secs(2))
    );
    clock.advance(Duration::from_secs(2));
    let second = two.lease(10).await.unwrap().leases;
    assert_eq!(second.len(), 1);
    // A 429 seen by one worker holds the host for every worker.
    let first = leased.leases.into_iter().next().unwrap();
    let retry = Ack::Retry {
        request: Box::new(first.request.clone()),
        after: Duration::from_secs(60),
        throttled: true,
    };
    assert!(one.ack(first, retry).await.unwrap());
    clock.advance(Duration::from_secs(2));
    assert!(two.lease(10).await.unwrap().leases.is_empty(), "held back");
    let wait = two.status().await.unwrap().next_ready.unwrap();
    assert_eq!(wait, Duration::from_secs(58));
    let c = one.status().await.unwrap().counts;
    assert_eq!((c.leased, c.waiting, c.queued, c.dropped), (1, 1, 1, 1));
    redis_server::delete_crawl(&redis_server::url(), &crawl);
}

/// A worker that restarts under its name takes its leases back at once
/// and undoes its acks since its last checkpoint; another worker's leases
/// and acks are left alone.
#[tokio::test]
async fn a_restarted_worker_gives_back_only_its_own_work() {
    let crawl = format!("restart-{}", fastrand::u64(..));
    let clock = ManualClock::new();
    let worker = |name: &str| {
        RedisFrontier::builder(redis_server::url())
            .crawl(&crawl)
            .worker(name)
            .config(FrontierConfig {
                per_host: 8,
                ..quiet()
            })
            .clock(clock.shared())
            .build()
            .unwrap()
    };
    let (one, two) = (worker("one"), worker("two"));
    one.push((0..4).map(|i| req(&format!("http://a/{i}"))).collect())
        .await
        .unwrap();
    let mut mine = one.lease(2).await.unwrap().leases.into_iter();
    let theirs = two.lease(2).await.unwrap().leases;
    let kept = mine.next().unwrap();
    one.complete(Completion {
        acks: vec![(kept, Ack::done(200, 5))],
        checkpoint: Some(vec![("out".into(), b"1".to_vec())]),
        ..Completion::default()
    })
    .await
    .unwrap();
    assert!(
        one.ack(mine.next().unwrap(), Ack::done(200, 5))
            .await
            .unwrap()
    );
    let mut theirs = theirs.into_iter();
    assert!(two.ack(theirs.next().unwrap(), Ack::Failed).await.unwrap());
    drop(one);
    let again = worker("one");
    assert_eq!(
        again.checkpoint().await.unwrap(),
        vec![("out".to_owned(), b"1".to_vec())]
    );
    assert_eq!(two.checkpoint().await.unwrap(), Vec::new(), "its own");
    let c = again.status().await.unwrap().counts;
    assert_eq!(
        (c.done, c.failed, c.bytes, c.queued, c.leased),
        (1, 1, 5, 1, 1),
        "one's uncommitted ack undone; two's lease and ack kept"
    );
    clock.advance(Duration::from_secs(1));
    assert!(
        two.ack(theirs.next().unwrap(), Ack::done(200, 0))
            .await
            .unwrap()
    );
    clock.advance(Duration::from_secs(5));
    again.status().await.unwrap();
    let seen = again.workers().await.unwrap();
    let names: Vec<&str> = seen.iter().map(|(w, _)| w.as_str()).collect();
    assert_eq!(
        names,
        ["two", "one"],
        "most recent first; a status read is no work"
    );
    assert_eq!(seen[0].1, clock.now() - Duration::from_secs(5));
    redis_server::delete_crawl(&redis_server::url(), &crawl);
}

/// A crawl written in another data format is refused by name, untouched.
/// A worker that reaches Redis again after losing its connection takes
/// back the leases Redis holds in its name that it doesn't hold (here from
/// a lease call whose answer it never got, played by a second handle under
/// the same name), and keeps its own.
#[tokio::test]
async fn a_worker_back_from_an_outage_takes_back_the_leases_it_lost() {
    let server = redis_server::Private::start();
    let handle = || {
        RedisFrontier::builder(server.url.as_str())
            .crawl("outage")
            .worker("one")
            .config(FrontierConfig {
                per_host: 8,
                ..quiet()
            })
            .build()
            .unwrap()
    };
    let (lost, one) = (handle(), handle());
    lost.status().await.unwrap();
    one.push((0..4).map(|i| req(&format!("http://a/{i}"))).collect())
        .await
        .unwrap();
    assert_eq!(lost.lease(2).await.unwrap().leases.len(), 2);
    let kept = one.lease(1).await.unwrap().leases;
    assert_eq!(kept.len(), 1);
    server.cut_clients();
    let c = one.status().await.unwrap().counts;
    assert_eq!(
        (c.leased, c.queued, c.expired),
        (1, 3, 2),
        "the two leases `one` never got are queued again; its own stays"
    );
    let kept = kept.into_iter().next().unwrap();
    assert!(one.ack(kept, Ack::done(200, 0)).await.unwrap());
}

/// A Redis that stays away: the worker retries for as long as it was told
/// (`outage`), then its call fails with an error that names the location
/// and says what to do.
#[tokio::test]
async fn an_outage_longer_than_allowed_is_an_error_that_says_what_to_do() {
    let server = redis_server::Private::start();
    let url = server.url.clone();
    let one = RedisFrontier::builder(url.as_str())
        .crawl("gone")
        .worker("one")
        .config(quiet())
        .outage(Duration::from_millis(800))
        .build()
        .unwrap();
    one.status().await.unwrap();
    drop(server);
    let started = std::time::Instant::now();
    let err = one.status().await.unwrap_err();
    let waited = started.elapsed();
    let shown = err.to_string();
    assert!(
        waited >= Duration::from_millis(800) && waited < Duration::from_secs(4),
        "gave up after {waited:?}"
    );
    assert!(
        shown.contains(&url)
            && shown.contains("Redis unreachable")
            && shown.contains("--worker name (`one`)"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_crawl_in_another_format_is_refused() {
    let crawl = format!("format-{}", fastrand::u64(..));
    let url = redis_server::url();
    redis_server::set_hash(
        &url,
        &format!("ferrocrawl:{{{crawl}}}:meta"),
        "version",
        "99",
    );
    let e = RedisFrontier::builder(url.clone())
        .crawl(&crawl)
        .connect()
        .await
        .unwrap_err();
    let msg = e.to_string();
    assert!(e.is_state(), "{msg}");
    assert!(
        msg.contains(&crawl) && msg.contains("another data format"),
        "{msg}"
    );
    assert_eq!(
        redis_server::keys(&url, &format!("ferrocrawl:{{{crawl}}}:*")).len(),
        1
    );
    redis_server::delete_crawl(&url, &crawl);
}

/// A worker remembers the fingerprints it pushed: pushing them again is a
/// duplicate without asking Redis (navigation links, pushed by every page).
/// Shown by taking them out of Redis's seen set by hand: the worker that
/// pushed them still counts them as duplicates, a fresh one adds them.
#[tokio::test]
async fn a_worker_answers_known_duplicates_itself() {
    let crawl = format!("known-{}", fastrand::u64(..));
    let url = redis_server::url();
    let f = frontier(&crawl, "w", quiet());
    let links = || vec![req("http://a/nav"), req("http://a/home")];
    assert_eq!(f.push(links()).await.unwrap().added, 2);
    for k in redis_server::keys(&url, &format!("ferrocrawl:{{{crawl}}}:s:*")) {
        redis_server::delete_key(&url, &k);
    }
    let again = f.push(links()).await.unwrap();
    assert_eq!((again.added, again.duplicate), (0, 2));
    let mut mixed = links();
    mixed.push(req("http://a/new"));
    let c = f
        .complete(Completion {
            children: mixed,
            ..Completion::default()
        })
        .await
        .unwrap();
    assert_eq!((c.pushed.added, c.pushed.duplicate), (1, 2));
    let fresh = frontier(&crawl, "v", quiet());
    assert_eq!(
        fresh.push(links()).await.unwrap().added,
        2,
        "Redis forgot them"
    );
    redis_server::delete_crawl(&url, &crawl);
}
