//! A synthetic load on a frontier, to compare the memory and SQLite
//! frontiers' throughput and the SQLite frontier's memory at scale. No
//! network: pages are "fetched" by making up their links.
//!
//! - `crawl`: the shape of the lab's Rust docs site: `--pages` pages
//!   (21,633) on one host, each pushing `--links` links (100), most of them
//!   seen already (navigation), leased and acked in batches of `--batch`
//!   (64), each page's links pushed before its ack, as the engine does.
//! - `grow`: every link is new; the queue grows to `--urls` (5,000,000)
//!   requests over `--hosts` hosts (1,000), to measure memory.
//!
//! ```sh
//! cargo build --release -p ferrocrawl-frontier --example frontier_load
//! /usr/bin/time -v target/release/examples/frontier_load crawl --frontier memory
//! /usr/bin/time -v target/release/examples/frontier_load crawl --frontier sqlite
//! /usr/bin/time -v target/release/examples/frontier_load grow --frontier sqlite --urls 5000000
//! # the Redis frontier (a server of your own: the run leaves no keys behind)
//! cargo build --release -p ferrocrawl-frontier --features redis --example frontier_load
//! target/release/examples/frontier_load grow --frontier redis://127.0.0.1:6379/0 --urls 1000000
//! ```
//!
//! On Redis it also prints the server's memory for the seen set alone
//! (`seen_bytes_per_url`) and for everything (`redis_bytes_per_url`).
//!
//! Prints one line of results: pages/s over the whole run and over the time
//! spent inside frontier calls, and the peak RSS (VmHWM). Every run stops
//! after `--max-secs` (600) whatever it has done.

#![allow(clippy::unwrap_used, reason = "an example: failures end it loudly")]

use std::time::{Duration, Instant};

use ferrocrawl_core::{Request, Url};
use ferrocrawl_frontier::{
    Ack, Completion, Frontier, FrontierConfig, MemoryFrontier, SqliteFrontier,
};

#[derive(Debug, Clone)]
struct Args {
    mode: String,
    frontier: String,
    pages: usize,
    links: usize,
    batch: usize,
    urls: u64,
    hosts: usize,
    max_secs: u64,
    ack_each: bool,
    commit_ms: Option<u64>,
}

fn parse_args() -> Args {
    let mut a = Args {
        mode: "crawl".into(),
        frontier: "memory".into(),
        pages: 21_633,
        links: 100,
        batch: 64,
        urls: 5_000_000,
        hosts: 1_000,
        max_secs: 600,
        ack_each: false,
        commit_ms: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{arg} needs a value")))
        };
        let number = |v: String| {
            v.parse()
                .unwrap_or_else(|_| usage(&format!("bad number {v}")))
        };
        match arg.as_str() {
            "crawl" | "grow" => a.mode = arg.clone(),
            "--frontier" => a.frontier = value(),
            "--pages" => a.pages = number(value()) as usize,
            "--links" => a.links = number(value()) as usize,
            "--batch" => a.batch = number(value()) as usize,
            "--urls" => a.urls = number(value()),
            "--hosts" => a.hosts = number(value()).max(1) as usize,
            "--max-secs" => a.max_secs = number(value()),
            "--commit-ms" => a.commit_ms = Some(number(value())),
            "--ack-each" => a.ack_each = true,
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if !matches!(a.frontier.as_str(), "memory" | "sqlite") && !a.frontier.starts_with("redis://") {
        usage("--frontier is memory, sqlite or redis://HOST:PORT/DB");
    }
    a
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "frontier_load: {problem}\nusage: frontier_load [crawl|grow] [--frontier memory|sqlite|redis://…] \
         [--pages N] [--links N] [--batch N] [--urls N] [--hosts N] [--max-secs S] \
         [--commit-ms MS] [--ack-each]"
    );
    std::process::exit(2)
}

fn config(batch: usize) -> FrontierConfig {
    FrontierConfig {
        obey_robots: false,
        jitter: false,
        per_host: batch,
        ..FrontierConfig::default()
    }
}

/// A path of the Rust docs' length (about 60 bytes).
fn page_url(host: &str, i: usize) -> Url {
    format!("http://{host}/std/collections/hash_map/struct.Page{i:06}.html#method.entry")
        .parse()
        .unwrap()
}

/// Time spent inside frontier calls: all, and push, lease and ack apart.
#[derive(Default)]
struct Clock {
    inside: Duration,
    by_op: [Duration; 3],
}

const PUSH: usize = 0;
const LEASE: usize = 1;
const ACK: usize = 2;

impl Clock {
    async fn time<T>(&mut self, op: usize, f: impl std::future::Future<Output = T>) -> T {
        let started = Instant::now();
        let out = f.await;
        let took = started.elapsed();
        self.inside += took;
        self.by_op[op] += took;
        out
    }
}

struct Report {
    pages: u64,
    pushed: u64,
    added: u64,
    queued: u64,
    wall: Duration,
    clock: Clock,
}

async fn crawl<F: Frontier>(f: &F, a: &Args) -> Report {
    let host = "docs.local:8082";
    // Every page's request, built once: link building is the engine's cost,
    // the same for both frontiers, and is kept out of the frontier's time.
    let pool: Vec<Request> = (0..a.pages)
        .map(|i| Request::get(page_url(host, i)))
        .collect();
    let index = |r: &Request| -> usize {
        let path = r.url.path();
        path[path.len() - 11..path.len() - 5].parse().unwrap()
    };
    let mut rng = fastrand::Rng::with_seed(7);
    let mut clock = Clock::default();
    let (mut pages, mut pushed, mut added) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(a.max_secs);
    clock
        .time(PUSH, f.push(vec![pool[0].clone()]))
        .await
        .unwrap();
    while Instant::now() < deadline {
        let leased = clock.time(LEASE, f.lease(a.batch)).await.unwrap();
        if leased.leases.is_empty() {
            assert!(
                clock.time(LEASE, f.status()).await.unwrap().finished,
                "nothing waits"
            );
            break;
        }
        let mut acks = Vec::with_capacity(leased.leases.len());
        for lease in leased.leases {
            let i = index(&lease.request);
            // Two children make every page reachable; the rest is mostly
            // navigation (the first 300 pages) and some cross links.
            let mut targets = vec![2 * i + 1, 2 * i + 2];
            while targets.len() < a.links {
                let t = if rng.u8(0..10) < 8 {
                    rng.usize(0..300)
                } else {
                    rng.usize(0..a.pages)
                };
                targets.push(t);
            }
            let links: Vec<Request> = targets
                .into_iter()
                .filter(|&t| t < a.pages)
                .map(|t| {
                    let mut r = pool[t].clone();
                    r.depth = lease.request.depth + 1;
                    r.referrer = Some(lease.request.url.clone());
                    r
                })
                .collect();
            pushed += links.len() as u64;
            added += clock.time(PUSH, f.push(links)).await.unwrap().added as u64;
            pages += 1;
            let ack = Ack::done(200, 20_000);
            if a.ack_each {
                clock.time(ACK, f.ack(lease, ack)).await.unwrap();
            } else {
                acks.push((lease, ack));
            }
        }
        if !acks.is_empty() {
            clock
                .time(
                    ACK,
                    f.complete(Completion {
                        acks,
                        ..Completion::default()
                    }),
                )
                .await
                .unwrap();
        }
    }
    let queued = f.status().await.unwrap().counts.queued;
    Report {
        pages,
        pushed,
        added,
        queued,
        wall: started.elapsed(),
        clock,
    }
}

async fn grow<F: Frontier>(f: &F, a: &Args) -> Report {
    let mut clock = Clock::default();
    let (mut pages, mut pushed, mut added) = (0u64, 0u64, 0u64);
    let mut next = 0u64;
    let started = Instant::now();
    let deadline = started + Duration::from_secs(a.max_secs);
    let mut new_link = |depth| {
        next += 1;
        let host = format!("h{:04}.example:80", next as usize % a.hosts);
        let mut r = Request::get(page_url(&host, next as usize));
        r.depth = depth;
        r
    };
    let seeds = (0..a.hosts).map(|_| new_link(0)).collect();
    added += clock.time(PUSH, f.push(seeds)).await.unwrap().added as u64;
    while added < a.urls && Instant::now() < deadline {
        let leased = clock.time(LEASE, f.lease(a.batch)).await.unwrap();
        assert!(!leased.leases.is_empty(), "the queue only grows");
        let mut acks = Vec::with_capacity(leased.leases.len());
        for lease in leased.leases {
            let n = a.links.min((a.urls - added) as usize);
            let links: Vec<Request> = (0..n)
                .map(|_| {
                    let mut r = new_link(lease.request.depth + 1);
                    r.referrer = Some(lease.request.url.clone());
                    r
                })
                .collect();
            pushed += links.len() as u64;
            added += clock.time(PUSH, f.push(links)).await.unwrap().added as u64;
            pages += 1;
            acks.push((lease, Ack::done(200, 20_000)));
        }
        clock
            .time(
                ACK,
                f.complete(Completion {
                    acks,
                    ..Completion::default()
                }),
            )
            .await
            .unwrap();
    }
    let queued = f.status().await.unwrap().counts.queued;
    Report {
        pages,
        pushed,
        added,
        queued,
        wall: started.elapsed(),
        clock,
    }
}

/// A run on the Redis frontier, as one worker of a crawl of its own, and
/// the server's memory: the seen set's buckets alone, and everything the
/// crawl added (`INFO memory`), per URL added. The crawl's keys are removed.
async fn on_redis(a: &Args, cfg: FrontierConfig) -> (Report, String) {
    #[cfg(feature = "redis")]
    {
        let crawl = format!("frontier-load-{}", std::process::id());
        let client = redis::Client::open(a.frontier.as_str()).unwrap();
        let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
        let mut conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .unwrap();
        async fn used(conn: &mut redis::aio::MultiplexedConnection) -> i64 {
            let info: String = redis::cmd("INFO")
                .arg("memory")
                .query_async(conn)
                .await
                .unwrap();
            let line = info
                .lines()
                .find(|l| l.starts_with("used_memory:"))
                .unwrap();
            line["used_memory:".len()..].trim().parse().unwrap()
        }
        let before = used(&mut conn).await;
        let f = ferrocrawl_frontier::RedisFrontier::builder(a.frontier.as_str())
            .crawl(&crawl)
            .worker("load")
            .config(cfg)
            .connect()
            .await
            .unwrap();
        let report = run(&f, a).await;
        let all = used(&mut conn).await - before;
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("ferrocrawl:{{{crawl}}}:*"))
            .query_async(&mut conn)
            .await
            .unwrap();
        let mut seen = 0i64;
        for k in &keys {
            if k.contains("}:s:") {
                let n: Option<i64> = redis::cmd("MEMORY")
                    .arg("USAGE")
                    .arg(k)
                    .arg("SAMPLES")
                    .arg(0)
                    .query_async(&mut conn)
                    .await
                    .unwrap();
                seen += n.unwrap_or(0);
            }
        }
        for chunk in keys.chunks(1000) {
            let _: i64 = redis::cmd("UNLINK")
                .arg(chunk)
                .query_async(&mut conn)
                .await
                .unwrap();
        }
        let per = |b: i64| b as f64 / report.added.max(1) as f64;
        let memory = format!(
            " seen_bytes_per_url={:.1} redis_bytes_per_url={:.0}",
            per(seen),
            per(all)
        );
        (report, memory)
    }
    #[cfg(not(feature = "redis"))]
    {
        let _ = (a, cfg);
        usage("this build has no Redis frontier: build with --features redis")
    }
}

/// Peak resident memory so far, from /proc (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

async fn run<F: Frontier>(f: &F, a: &Args) -> Report {
    match a.mode.as_str() {
        "grow" => grow(f, a).await,
        _ => crawl(f, a).await,
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let a = parse_args();
    let cfg = config(a.batch);
    let mut file_mib = None;
    let mut redis_memory = String::new();
    let report = if a.frontier == "sqlite" {
        let dir = std::env::temp_dir().join(format!("frontier_load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("state.sqlite");
        let report = {
            let (f, _) = SqliteFrontier::open(&path, cfg, "frontier_load").unwrap();
            if let Some(ms) = a.commit_ms {
                f.set_commit_interval(Duration::from_millis(ms));
            }
            let report = run(&f, &a).await;
            f.flush().unwrap();
            report
        };
        file_mib = std::fs::metadata(&path)
            .ok()
            .map(|m| m.len() as f64 / 1048576.0);
        std::fs::remove_dir_all(&dir).unwrap();
        report
    } else if a.frontier.starts_with("redis://") {
        let (report, memory) = on_redis(&a, cfg).await;
        redis_memory = memory;
        report
    } else {
        run(&MemoryFrontier::new(cfg), &a).await
    };
    let secs = |d: Duration| d.as_secs_f64().max(1e-9);
    let us_per_page = |d: Duration| d.as_secs_f64() * 1e6 / report.pages.max(1) as f64;
    println!(
        "mode={} frontier={} pages={} links_pushed={} added={} queued={} wall_s={:.2} \
         frontier_s={:.2} pages_per_s={:.0} frontier_pages_per_s={:.0} \
         frontier_us_per_page={:.1} (push {:.1} lease {:.1} ack {:.1}) peak_rss_mib={:.0} \
         file_mib={}{redis_memory}",
        a.mode,
        a.frontier,
        report.pages,
        report.pushed,
        report.added,
        report.queued,
        secs(report.wall),
        secs(report.clock.inside),
        report.pages as f64 / secs(report.wall),
        report.pages as f64 / secs(report.clock.inside),
        us_per_page(report.clock.inside),
        us_per_page(report.clock.by_op[PUSH]),
        us_per_page(report.clock.by_op[LEASE]),
        us_per_page(report.clock.by_op[ACK]),
        peak_rss_mib().unwrap_or(f64::NAN),
        file_mib.map_or("-".to_owned(), |m| format!("{m:.0}")),
    );
}
