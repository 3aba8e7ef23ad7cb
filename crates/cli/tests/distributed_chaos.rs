//! Workers of one crawl on Redis, with real processes and real faults:
//! workers killed with SIGKILL and restarted under their names, politeness
//! seen from the server with four workers, and Redis itself killed and
//! restarted from its append-only file mid-crawl.
//!
//! Redis is `FERROCRAWL_REDIS_URL`, or one the test binary starts (see
//! `crates/frontier/tests/redis_server`); the Redis-restart test starts its
//! own, with persistence. PostgreSQL is `FERROCRAWL_PG_URL`: without it the
//! PostgreSQL part skips, saying so (and fails under CI, where `.ci/run`
//! provides it).
//!
//! The tests take turns (one lock): each runs several crawler processes
//! and measures what they did; run side by side they would time each other.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests assert by unwrapping"
)]

#[allow(
    dead_code,
    reason = "shared with the frontier's tests; not every helper is used here"
)]
#[path = "../../frontier/tests/redis_server/mod.rs"]
mod redis_server;

use std::collections::{BTreeMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use ferrocrawl_testkit::TestServer;
use serde_json::Value;

mod common;
use common::ferrocrawl;

/// One test at a time (see the module's docs).
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Longest a crawl may take before the test gives up on it.
const DEADLINE: Duration = Duration::from_secs(150);

/// A worker process: `ferrocrawl ARGS --worker NAME` in `dir`, its stderr
/// appended to `NAME.log` there (kept across its restarts).
struct Worker {
    name: String,
    child: Child,
    restarts: usize,
}

impl Worker {
    fn start(dir: &Path, args: &[String], name: &str) -> Worker {
        let log = File::options()
            .create(true)
            .append(true)
            .open(dir.join(format!("{name}.log")))
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_ferrocrawl"))
            .args(args)
            .args(["--worker", name])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap();
        Worker {
            name: name.to_owned(),
            child,
            restarts: 0,
        }
    }

    /// SIGKILL, then the same command again under the same name.
    fn kill_and_restart(&mut self, dir: &Path, args: &[String]) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let restarts = self.restarts + 1;
        *self = Worker::start(dir, args, &self.name);
        self.restarts = restarts;
    }

    fn log(&self, dir: &Path) -> String {
        std::fs::read_to_string(dir.join(format!("{}.log", self.name))).unwrap_or_default()
    }
}

impl Drop for Worker {
    /// A worker left running by a failing test is stopped.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for every worker to exit (within [`DEADLINE`] of `started`) and
/// asserts each exited 0, showing the logs if not.
async fn all_finish(dir: &Path, workers: &mut [Worker], started: Instant) {
    for w in workers.iter_mut() {
        let status: ExitStatus = loop {
            if let Some(s) = w.child.try_wait().unwrap() {
                break s;
            }
            if started.elapsed() > DEADLINE {
                for w in workers.iter_mut() {
                    let _ = w.child.kill();
                }
                let logs: Vec<String> = workers
                    .iter()
                    .map(|w| format!("--- {}:\n{}", w.name, w.log(dir)))
                    .collect();
                panic!(
                    "the crawl took over {DEADLINE:?}; logs:\n{}",
                    logs.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(
            status.code(),
            Some(0),
            "worker {} failed: {}",
            w.name,
            w.log(dir)
        );
    }
}

/// Page numbers of a generated site's URLs.
fn page_of(url: &str) -> u64 {
    url.rsplit('/').next().unwrap().parse().unwrap()
}

/// Every line of every `STEM.*.jsonl` in `dir` (the workers' own files).
fn worker_lines(dir: &Path, stem: &str) -> Vec<(String, Value)> {
    let mut all = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path: PathBuf = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with(&format!("{stem}.")) && name.ends_with(".jsonl") {
            let text = std::fs::read_to_string(&path).unwrap();
            for line in text.lines() {
                let v: Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{name}: a torn or invalid line ({e}): {line:?}"));
                all.push((name.clone(), v));
            }
        }
    }
    all
}

/// Fetches of `/site/{pages}/10/{i}` by page, from the server's count:
/// asserts every page was fetched, returns the fetches beyond one a page.
fn every_page_fetched(srv: &TestServer, pages: u64) -> u64 {
    let hits: Vec<u64> = (0..pages)
        .map(|i| srv.stats().hits(&format!("/site/{pages}/10/{i}")))
        .collect();
    let missing: Vec<u64> = (0..pages).filter(|&i| hits[i as usize] == 0).collect();
    assert!(
        missing.is_empty(),
        "{} pages never fetched: {:?}…",
        missing.len(),
        &missing[..missing.len().min(10)]
    );
    hits.iter().sum::<u64>() - pages
}

/// `ferrocrawl status --json` of one crawl.
async fn status(redis: &str, crawl: &str) -> Value {
    let args = ["status", "--frontier", redis, "--job", crawl, "--json"]
        .map(String::from)
        .to_vec();
    let out = ferrocrawl(args, std::env::temp_dir()).await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// PostgreSQL for the sink, or `None` after saying the part is skipped;
/// under CI (`CI` set) its absence fails the test.
fn postgres() -> Option<String> {
    match std::env::var("FERROCRAWL_PG_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("CI").is_some() => {
            panic!("FERROCRAWL_PG_URL is not set under CI: .ci/run starts PostgreSQL and sets it")
        }
        _ => {
            eprintln!(
                "skipping the PostgreSQL part: set FERROCRAWL_PG_URL (e.g. \
                 postgres://postgres@127.0.0.1:55432/postgres); .ci/run does"
            );
            None
        }
    }
}

const KILL_PAGES: u64 = 5_000;
const KILLS: usize = 20;
const WORKERS: usize = 4;
/// The host's delay between request starts (randomized 0.5–1.5×): a crawl
/// of a real site's pace, about 170 pages/s, 30 s for the 5,000 pages.
const KILL_DELAY: &str = "6ms";

/// Four workers crawl a 5,000-page site (6 ms between requests to it) into their own JSON Lines files
/// (and one PostgreSQL table, upserted by URL); 20 times a random worker is
/// killed with SIGKILL and started again under its name. Then: every page
/// was fetched, each page's item is in the workers' files exactly once and
/// in the table once, the frontier counts every page done once, and the
/// pages fetched twice (a killed worker's work since its last checkpoint,
/// and what it had in flight) stay under 2%.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_workers_lose_nothing_and_duplicate_no_item() {
    let _turn = TURN.lock().await;
    let redis = redis_server::url();
    let crawl = format!("chaos-kill-{}", std::process::id());
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pg = postgres();
    let table = format!("chaos_{}", std::process::id());
    let mut sinks = vec!["\"items.jsonl\"".to_owned()];
    if let Some(url) = &pg {
        sinks.push(format!("{{ to = \"{url}\", table = \"{table}\" }}"));
    }
    let spider = format!(
        r#"
name = "graph"
start = [{{ url = "{seed}", label = "page" }}]
sink = [{sinks}]
[settings]
concurrency = 8
per_host = 8
delay = "{DELAY}"
obey_robots = false
[rules.page]
fields.url = {{ meta = "url" }}
fields.title = "h1::text"
key = "url"
follow = [{{ css = "a::attr(href)", label = "page" }}]
"#,
        seed = srv.url(&format!("/site/{KILL_PAGES}/10/0")),
        DELAY = KILL_DELAY,
        sinks = sinks.join(", "),
    );
    std::fs::write(dir.path().join("graph.toml"), spider).unwrap();
    let args: Vec<String> = [
        "run",
        "graph.toml",
        "-q",
        "--frontier",
        &redis,
        "--job",
        &crawl,
    ]
    .map(String::from)
    .to_vec();
    let started = Instant::now();
    let mut workers: Vec<Worker> = (0..WORKERS)
        .map(|i| Worker::start(dir.path(), &args, &format!("w{i}")))
        .collect();
    // Kills spread over the crawl by its progress at the server, so all
    // land while there is work, however fast the machine.
    let mut rng = fastrand::Rng::with_seed(0x13);
    for k in 0..KILLS {
        let at = KILL_PAGES * (k as u64 + 1) / (KILLS as u64 + 3);
        while srv.stats().requests() < at {
            assert!(
                started.elapsed() < DEADLINE,
                "the crawl stalled at {} requests",
                srv.stats().requests()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        // Past a restart's first moments: a kill during start-up is a
        // kill of nothing.
        tokio::time::sleep(Duration::from_millis(rng.u64(0..150))).await;
        let w = rng.usize(0..WORKERS);
        workers[w].kill_and_restart(dir.path(), &args);
    }
    all_finish(dir.path(), &mut workers, started).await;
    let elapsed = started.elapsed();

    let again = every_page_fetched(&srv, KILL_PAGES);
    let mut seen = HashSet::new();
    let mut twice = Vec::new();
    let lines = worker_lines(dir.path(), "items");
    for (file, item) in &lines {
        let n = page_of(item["url"].as_str().unwrap());
        assert_eq!(item["title"], format!("Page {n}"), "{file}");
        if !seen.insert(n) {
            twice.push(n);
        }
    }
    let per_worker: BTreeMap<&str, usize> = lines.iter().fold(BTreeMap::new(), |mut m, (f, _)| {
        *m.entry(f.as_str()).or_default() += 1;
        m
    });
    let restarts: Vec<usize> = workers.iter().map(|w| w.restarts).collect();
    eprintln!(
        "{KILL_PAGES} pages, {WORKERS} workers, {KILLS} kills (restarts per worker {restarts:?}) \
         in {elapsed:.1?}: {again} duplicate fetches ({:.2}%); items per file {per_worker:?}",
        again as f64 * 100.0 / KILL_PAGES as f64
    );
    assert!(
        twice.is_empty(),
        "items in two files, or twice in one: {twice:?}"
    );
    assert_eq!(seen.len() as u64, KILL_PAGES, "every page's item");
    let st = status(&redis, &crawl).await;
    assert_eq!(st["state"], "finished", "{st:#}");
    assert_eq!(
        st["pages"]["done"], KILL_PAGES,
        "each page counted once: {st:#}"
    );
    if let Some(url) = &pg {
        let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .unwrap();
        tokio::spawn(conn);
        let row = client
            .query_one(
                &format!("select count(*), count(distinct url) from {table}"),
                &[],
            )
            .await
            .unwrap();
        let (n, distinct): (i64, i64) = (row.get(0), row.get(1));
        client
            .batch_execute(&format!("drop table {table}"))
            .await
            .unwrap();
        assert_eq!(
            (n, distinct),
            (KILL_PAGES as i64, KILL_PAGES as i64),
            "one row per page in PostgreSQL"
        );
    }
    redis_server::delete_crawl(&redis, &crawl);
    assert!(
        again * 50 <= KILL_PAGES,
        "{again} pages fetched again: over 2% of {KILL_PAGES}"
    );
}

/// Four workers on one host, seen from the server. With `--delay 50ms
/// --no-jitter`, any k+1 requests arrive at least k delays apart, less the
/// trip from a worker's lease to the server (`SLACK`), as from one process;
/// with `--per-host 3 --delay 0` and pages that take 250 ms, the server
/// has exactly three requests at once at most.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_keep_one_hosts_politeness() {
    const PAGES: u64 = 150;
    const DELAY: Duration = Duration::from_millis(50);
    /// A lease's start is Redis's clock; its request reaches the server
    /// later by the trip through a worker process, which varies by some
    /// milliseconds on a busy machine (two debug builds per core here).
    const SLACK: Duration = Duration::from_millis(40);
    let _turn = TURN.lock().await;
    let redis = redis_server::url();
    let pid = std::process::id();
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let crawl = |seed: &str, job: &str, politeness: &[&str]| -> Vec<String> {
        let mut args: Vec<String> = ["crawl", seed, "--ignore-robots"]
            .map(String::from)
            .to_vec();
        args.extend(politeness.iter().map(|s| s.to_string()));
        args.extend(
            [
                "--frontier",
                &redis,
                "--job",
                job,
                "-o",
                "pages.jsonl",
                "-q",
            ]
            .map(String::from),
        );
        args
    };
    let args = crawl(
        &srv.url(&format!("/site/{PAGES}/10/0")),
        &format!("chaos-delay-{pid}"),
        &["--per-host", "2", "--delay", "50ms", "--no-jitter"],
    );
    let started = Instant::now();
    let mut workers: Vec<Worker> = (0..WORKERS)
        .map(|i| Worker::start(dir.path(), &args, &format!("d{i}")))
        .collect();
    all_finish(dir.path(), &mut workers, started).await;
    assert_eq!(every_page_fetched(&srv, PAGES), 0, "each page once");
    let busy: HashSet<String> = worker_lines(dir.path(), "pages")
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert!(busy.len() >= 2, "the work was shared: {busy:?}");
    let starts: Vec<_> = srv.stats().arrivals().into_iter().map(|(t, _)| t).collect();
    // The most a span of k gaps fell short of k delays, and where.
    let mut worst = (Duration::ZERO, 0, 0);
    for i in 0..starts.len() {
        for j in i + 1..starts.len() {
            let k = (j - i) as u32;
            let span = starts[j] - starts[i];
            let short = (DELAY * k).saturating_sub(span);
            if short > worst.0 {
                worst = (short, i, j);
            }
            assert!(
                short <= SLACK,
                "requests {i} and {j} arrived {span:?} apart: {k} delays of {DELAY:?} need {:?}",
                DELAY * k
            );
        }
    }
    let total = starts[starts.len() - 1] - starts[0];
    eprintln!(
        "{PAGES} pages by {} workers, one host, {DELAY:?} apart: {total:.2?} from first to last \
         request ({:.2?} a request); the most a span fell short of its delays: {:?} (requests \
         {} to {})",
        busy.len(),
        total / (starts.len() as u32 - 1),
        worst.0,
        worst.1,
        worst.2
    );

    // Per-host concurrency: slow pages, no delay.
    let slow = TestServer::start().await.unwrap();
    let links: Vec<(&str, String)> = (0..24)
        .map(|i| ("to", format!("/delay/0.25?k={i}")))
        .collect();
    let seed = url::Url::parse_with_params(&slow.url("/links"), links)
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let args = crawl(
        &seed,
        &format!("chaos-slots-{pid}"),
        &["--per-host", "3", "--delay", "0ms"],
    );
    let started = Instant::now();
    let mut workers: Vec<Worker> = (0..WORKERS)
        .map(|i| Worker::start(dir.path(), &args, &format!("s{i}")))
        .collect();
    all_finish(dir.path(), &mut workers, started).await;
    let max = slow.stats().max_in_flight();
    eprintln!("24 pages of 250 ms by 4 workers, per host 3: at most {max} at once at the server");
    assert_eq!(slow.stats().requests(), 25, "each page once");
    assert!(max <= 3, "{max} requests at once to a host limited to 3");
    assert_eq!(max, 3, "the limit was what held them back");
    redis_server::delete_crawl(&redis, &format!("chaos-delay-{pid}"));
    redis_server::delete_crawl(&redis, &format!("chaos-slots-{pid}"));
}

/// A redis-server of the test's own, stopped (SIGKILL) when dropped, so
/// a failing test leaves none behind.
struct RedisProc(Child);

impl RedisProc {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for RedisProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A redis-server with an append-only file (`everysec`) in `dir`, on `port`.
fn start_redis(dir: &Path, port: u16) -> RedisProc {
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args([
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "everysec",
        ])
        .arg("--dir")
        .arg(dir)
        .arg("--logfile")
        .arg(dir.join("redis.log"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("the Redis restart test needs redis-server (apt-get install redis-server): {e}")
        });
    let server = RedisProc(child);
    let url = format!("redis://127.0.0.1:{port}/0");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ready = redis::Client::open(url.as_str())
            .and_then(|c| c.get_connection())
            .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c));
        if ready.is_ok() {
            return server;
        }
        assert!(
            Instant::now() < deadline,
            "redis-server did not start: {}",
            std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Redis killed with SIGKILL mid-crawl and started again a second later
/// from its append-only file (`--appendfsync everysec`: it may come back
/// without its last second). The workers ride out the outage, say so, and
/// finish the crawl: every page fetched, every page in the workers' files;
/// the pages fetched (and written) twice are counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_restart_mid_crawl_loses_nothing() {
    const PAGES: u64 = 3_000;
    let _turn = TURN.lock().await;
    let data = tempfile::tempdir().unwrap();
    let port = redis_server::closed_port();
    let redis = format!("redis://127.0.0.1:{port}/0");
    let mut server = start_redis(data.path(), port);
    let crawl = "chaos-restart";
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let args: Vec<String> = [
        "crawl",
        &srv.url(&format!("/site/{PAGES}/10/0")),
        "--ignore-robots",
        "--per-host",
        "8",
        "--frontier",
        &redis,
        "--job",
        crawl,
        "-o",
        "pages.jsonl",
    ]
    .map(String::from)
    .to_vec();
    let started = Instant::now();
    let mut workers: Vec<Worker> = (0..3)
        .map(|i| Worker::start(dir.path(), &args, &format!("r{i}")))
        .collect();
    while srv.stats().requests() < PAGES / 3 {
        assert!(started.elapsed() < DEADLINE, "the crawl stalled");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    let at = srv.stats().requests();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _server = start_redis(data.path(), port);
    all_finish(dir.path(), &mut workers, started).await;
    let elapsed = started.elapsed();
    let again = every_page_fetched(&srv, PAGES);
    let lines = worker_lines(dir.path(), "pages");
    let mut seen = HashSet::new();
    let mut twice = 0;
    for (_, line) in &lines {
        if !seen.insert(page_of(line["url"].as_str().unwrap())) {
            twice += 1;
        }
    }
    let logs: Vec<String> = workers.iter().map(|w| w.log(dir.path())).collect();
    eprintln!(
        "{PAGES} pages, Redis killed after {at} requests, back 1 s later, done in \
         {elapsed:.1?}: {again} duplicate fetches, {twice} pages written twice"
    );
    assert_eq!(seen.len() as u64, PAGES, "every page in the workers' files");
    assert!(
        logs.iter().any(|l| l.contains("Redis unreachable")),
        "the outage was logged: {logs:?}"
    );
}
