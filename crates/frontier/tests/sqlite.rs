//! The SQLite frontier beyond the shared suite: resume, checkpoints, and the
//! state files it must refuse without touching them.

#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ferrocrawl_core::{ErrorKind, Request, StateProblem};
use ferrocrawl_frontier::{
    Ack, Completion, Counts, DropReason, Frontier, FrontierConfig, Lease, LeaseKind,
    MemoryFrontier, Order, SqliteFrontier,
};
use ferrocrawl_robots::{Availability, Robots};

const ID: &str = "crawl http://a/ (test)";

fn req(url: &str) -> Request {
    Request::get(url.parse().unwrap())
}

fn quiet() -> FrontierConfig {
    FrontierConfig {
        obey_robots: false,
        jitter: false,
        per_host: 8,
        ..FrontierConfig::default()
    }
}

fn open(path: &Path, cfg: FrontierConfig) -> (SqliteFrontier, ferrocrawl_frontier::Resumed) {
    SqliteFrontier::open(path, cfg, ID).unwrap()
}

async fn counts(f: &impl Frontier) -> Counts {
    f.status().await.unwrap().counts
}

/// The checkpoint value saved under `name`.
async fn saved(f: &impl Frontier, name: &str) -> Option<Vec<u8>> {
    let all = f.checkpoint().await.unwrap();
    all.into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

fn paths(f: &ferrocrawl_frontier::Leased) -> Vec<String> {
    let mut v: Vec<String> = f
        .leases
        .iter()
        .map(|l| l.request.url.path().to_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn reopen_resumes_queue_seen_set_counters_and_robots() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    let cfg = FrontierConfig {
        obey_robots: true,
        ..quiet()
    };
    {
        let (f, resumed) = open(&path, cfg.clone());
        assert!(resumed.created);
        let s = f
            .push(vec![
                req("http://a/1"),
                req("http://a/private/x"),
                req("http://a/2"),
                req("http://b/1"),
            ])
            .await
            .unwrap();
        assert_eq!(s.added, 4);
        let leased = f.lease(10).await.unwrap();
        assert!(leased.leases.iter().all(|l| l.kind == LeaseKind::Robots));
        for l in leased.leases {
            if l.request.url.host_str() == Some("a") {
                let robots = Robots::parse(b"User-agent: *\nDisallow: /private\n", "ferrocrawl");
                let ack = Ack::Robots {
                    robots,
                    availability: Availability::Fetched,
                };
                f.ack(l, ack).await.unwrap();
            } else {
                f.reclaim(l, Duration::ZERO).await.unwrap();
            }
        }
        let leased = f.lease(1).await.unwrap();
        assert_eq!(paths(&leased), ["/1"]);
        for l in leased.leases {
            f.ack(l, Ack::done(200, 1234)).await.unwrap();
        }
        let c = counts(&f).await;
        assert_eq!((c.queued, c.done, c.bytes, c.hosts), (3, 1, 1234, 2));
    }
    let (f, resumed) = open(&path, cfg);
    assert!(!resumed.created);
    assert_eq!(
        (resumed.queued, resumed.returned, resumed.done, resumed.seen),
        (3, 0, 1, 4)
    );
    let c = counts(&f).await;
    assert_eq!((c.queued, c.done, c.bytes, c.hosts), (3, 1, 1234, 2));
    // The seen set survived: everything pushed before is a duplicate.
    let s = f
        .push(vec![
            req("http://a/1"),
            req("http://b/1"),
            req("http://a/3"),
        ])
        .await
        .unwrap();
    assert_eq!((s.added, s.duplicate), (1, 2));
    // a's robots.txt is cached: its pages come at once, /private dropped;
    // b's was never answered, so it is asked for first.
    let leased = f.lease(10).await.unwrap();
    let robots: Vec<_> = leased
        .leases
        .iter()
        .filter(|l| l.kind == LeaseKind::Robots)
        .map(|l| l.request.url.as_str().to_owned())
        .collect();
    assert_eq!(robots, ["http://b/robots.txt"]);
    let pages: Vec<_> = leased
        .leases
        .iter()
        .filter(|l| l.kind == LeaseKind::Page)
        .map(|l| l.request.url.path().to_owned())
        .collect();
    assert_eq!(pages, ["/2", "/3"]);
    assert_eq!(leased.dropped.len(), 1);
    assert_eq!(leased.dropped[0].reason, DropReason::Disallowed);
    assert_eq!(leased.dropped[0].request.url.path(), "/private/x");
}

#[tokio::test]
async fn robots_crawl_delay_and_give_up_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    let cfg = FrontierConfig {
        obey_robots: true,
        robots_attempts: 1,
        ..quiet()
    };
    {
        let (f, _) = open(&path, cfg.clone());
        f.push(vec![
            req("http://a/1"),
            req("http://a/2"),
            req("http://b/1"),
        ])
        .await
        .unwrap();
        for l in f.lease(10).await.unwrap().leases {
            let (robots, availability) = if l.request.url.host_str() == Some("a") {
                let robots = Robots::parse(b"User-agent: *\nCrawl-delay: 7\n", "ferrocrawl");
                (robots, Availability::Fetched)
            } else {
                (Robots::disallow_all(), Availability::TemporarilyUnavailable)
            };
            f.ack(
                l,
                Ack::Robots {
                    robots,
                    availability,
                },
            )
            .await
            .unwrap();
        }
        let leased = f.lease(10).await.unwrap();
        assert_eq!(leased.dropped.len(), 1, "b gave up on its robots.txt");
        assert_eq!(paths(&leased), ["/1"], "Crawl-delay: one at a time");
    }
    let (f, resumed) = open(&path, cfg);
    assert_eq!(
        (resumed.queued, resumed.returned, resumed.dropped),
        (2, 1, 1)
    );
    f.push(vec![req("http://b/2")]).await.unwrap();
    let leased = f.lease(10).await.unwrap();
    assert_eq!(
        paths(&leased),
        ["/1"],
        "no robots lease; still one at a time"
    );
    assert_eq!(leased.dropped.len(), 1);
    assert_eq!(leased.dropped[0].reason, DropReason::RobotsUnavailable);
    for l in leased.leases {
        f.ack(l, Ack::done(200, 0)).await.unwrap();
    }
    let wait = f.status().await.unwrap().next_ready.unwrap();
    assert!(wait > Duration::from_secs(6), "Crawl-delay 7 s: {wait:?}");
}

#[tokio::test]
async fn leased_and_retried_requests_return_to_the_queue_on_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    let cfg = FrontierConfig {
        max_pages: Some(3),
        ..quiet()
    };
    {
        let (f, _) = open(&path, cfg.clone());
        f.push((0..4).map(|i| req(&format!("http://a/{i}"))).collect())
            .await
            .unwrap();
        let mut leases = f.lease(3).await.unwrap().leases.into_iter();
        let first = leases.next().unwrap();
        let retry = Box::new(first.request.clone());
        f.ack(
            first,
            Ack::Retry {
                request: retry,
                after: Duration::from_secs(3600),
                throttled: false,
            },
        )
        .await
        .unwrap();
        // The two others stay leased when the process goes away.
        assert_eq!(counts(&f).await.leased, 2);
    }
    let (f, resumed) = open(&path, cfg);
    assert_eq!((resumed.queued, resumed.returned), (4, 2));
    // The page budget gave back the leases that never finished: 3 again.
    let leased = f.lease(10).await.unwrap();
    assert_eq!(paths(&leased), ["/0", "/1", "/2"], "in their old order");
    for l in leased.leases {
        f.ack(l, Ack::done(200, 0)).await.unwrap();
    }
    assert!(f.lease(10).await.unwrap().leases.is_empty(), "budget spent");
    assert!(f.status().await.unwrap().finished);
}

/// A queued redirect hop keeps its count across a restart, so a resumed
/// crawl still stops an endless redirect chain at the cap.
#[tokio::test]
async fn redirect_hops_survive_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    {
        let (f, _) = open(&path, quiet());
        let mut hop = req("http://a/r?n=4");
        hop.redirects = 4;
        f.push(vec![hop, req("http://a/link")]).await.unwrap();
    }
    let (f, _) = open(&path, quiet());
    let leased = f.lease(10).await.unwrap();
    let mut hops: Vec<_> = leased
        .leases
        .iter()
        .map(|l| (l.request.url.path(), l.request.redirects))
        .collect();
    hops.sort();
    assert_eq!(hops, [("/link", 0), ("/r", 4)]);
}

#[tokio::test]
async fn a_completion_lands_with_its_checkpoint_and_skips_stale_acks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    {
        let (f, _) = open(&path, quiet());
        f.set_manual_commit(true);
        assert_eq!(saved(&f, "sink").await, None);
        f.push((0..4).map(|i| req(&format!("http://a/{i}"))).collect())
            .await
            .unwrap();
        let mut leases = f.lease(4).await.unwrap().leases.into_iter();
        let (l0, l1, l2, l3) = (
            leases.next().unwrap(),
            leases.next().unwrap(),
            leases.next().unwrap(),
            leases.next().unwrap(),
        );
        let stale = Lease {
            request: l0.request.clone(),
            ..l0
        };
        let done = f
            .complete(Completion {
                children: vec![req("http://a/child")],
                acks: vec![(l0, Ack::done(200, 10)), (l1, Ack::Failed)],
                checkpoint: Some(vec![("sink".to_owned(), b"offset 100".to_vec())]),
            })
            .await
            .unwrap();
        assert_eq!((done.pushed.added, done.acked, done.stale), (1, 2, 0));
        assert_eq!(saved(&f, "sink").await.unwrap(), b"offset 100");
        // A stale ack in a batch is skipped; the rest lands, but only with
        // the next checkpoint, which never comes before the "crash".
        let done = f
            .complete(Completion {
                acks: vec![(l2, Ack::done(200, 1)), (stale, Ack::done(200, 1))],
                ..Completion::default()
            })
            .await
            .unwrap();
        assert_eq!((done.acked, done.stale), (1, 1));
        let c = counts(&f).await;
        assert_eq!((c.done, c.failed, c.leased, c.stale), (2, 1, 1, 1));
        drop(l3);
    }
    let (f, resumed) = open(&path, quiet());
    assert_eq!(saved(&f, "sink").await.unwrap(), b"offset 100");
    assert_eq!(
        (
            resumed.done,
            resumed.failed,
            resumed.returned,
            resumed.queued
        ),
        (1, 1, 2, 3)
    );
    assert_eq!(paths(&f.lease(10).await.unwrap()), ["/2", "/3", "/child"]);
}

#[tokio::test]
async fn memory_frontier_completes_every_lease_and_keeps_no_checkpoint() {
    let f = MemoryFrontier::new(quiet());
    f.push(vec![req("http://a/1"), req("http://a/2")])
        .await
        .unwrap();
    let acks = f
        .lease(10)
        .await
        .unwrap()
        .leases
        .into_iter()
        .map(|l| (l, Ack::done(200, 5)))
        .collect();
    let checkpoint = Some(vec![("ignored".to_owned(), vec![1])]);
    f.complete(Completion {
        acks,
        checkpoint,
        ..Completion::default()
    })
    .await
    .unwrap();
    let c = counts(&f).await;
    assert_eq!((c.done, c.bytes, c.leased), (2, 10, 0));
    assert!(f.status().await.unwrap().finished);
    assert!(f.checkpoint().await.unwrap().is_empty());
}

#[tokio::test]
async fn changing_the_order_on_resume_keeps_the_queue_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    let cfg = |order| FrontierConfig {
        order,
        per_host: 1,
        ..quiet()
    };
    {
        let (f, _) = open(&path, cfg(Order::Bfs));
        f.push((1..=3).map(|i| req(&format!("http://a/{i}"))).collect())
            .await
            .unwrap();
    }
    let (f, _) = open(&path, cfg(Order::Dfs));
    f.push(vec![req("http://a/4")]).await.unwrap();
    let mut got = Vec::new();
    for _ in 0..4 {
        let leased = f.lease(1).await.unwrap();
        got.extend(paths(&leased));
        for l in leased.leases {
            f.ack(l, Ack::done(200, 0)).await.unwrap();
        }
    }
    assert_eq!(got, ["/4", "/3", "/2", "/1"], "newest first, old rows too");
}

#[tokio::test]
async fn a_state_file_with_100k_queued_requests_reopens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    let n = 100_000;
    {
        let (f, _) = open(&path, quiet());
        for batch in 0..100 {
            let requests = (0..n / 100)
                .map(|i| req(&format!("http://h{}/p/{batch}/{i}", i % 50)))
                .collect();
            assert_eq!(f.push(requests).await.unwrap().added, n / 100);
        }
        assert_eq!(counts(&f).await.queued, n as u64);
    }
    let started = std::time::Instant::now();
    let (f, resumed) = open(&path, quiet());
    let took = started.elapsed();
    assert_eq!((resumed.queued, resumed.seen), (n as u64, n as u64));
    let c = counts(&f).await;
    assert_eq!((c.queued, c.hosts), (n as u64, 50));
    eprintln!("reopened 100k queued requests in {took:?}");
    let leased = f.lease(100).await.unwrap();
    assert_eq!(leased.leases.len(), 100);
    assert_eq!(
        f.push(vec![req("http://h7/p/42/7")])
            .await
            .unwrap()
            .duplicate,
        1
    );
}

// ===== bad state files =====

/// Every file in `dir` with its length and a digest of its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, usize, u64)> {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            let bytes = std::fs::read(&p).unwrap();
            let mut h = DefaultHasher::new();
            bytes.hash(&mut h);
            (p, bytes.len(), h.finish())
        })
        .collect();
    files.sort();
    files
}

/// Opening `path` fails with `problem`, names the file, and leaves the
/// directory byte for byte as it was.
fn refused(path: &Path, identity: &str, problem: StateProblem) -> String {
    let dir = path.parent().unwrap();
    let before = snapshot(dir);
    let err = SqliteFrontier::open(path, quiet(), identity).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::State(problem), "{err}");
    assert!(err.is_state());
    let message = err.to_string();
    assert!(
        message.contains(&path.display().to_string()),
        "names the file: {message}"
    );
    assert_eq!(snapshot(dir), before, "untouched: {message}");
    message
}

/// Issue 16: a state file of this crawl with damaged contents was refused,
/// but only after its resume had begun writing ("returning leases failed"),
/// which folded its WAL in. It is refused before anything is written, with
/// a message that says what to do, and left byte for byte as it was.
#[tokio::test]
async fn a_damaged_state_file_is_refused_untouched_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    {
        let (f, _) = open(&path, quiet());
        f.push(
            (0..3000)
                .map(|i| req(&format!("http://a/{i}/{}", "x".repeat(200))))
                .collect(),
        )
        .await
        .unwrap();
        f.lease(10).await.unwrap();
        f.flush().unwrap();
    }
    // Damage the pages after the first two (the schema and meta stay readable).
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 64 * 1024, "{} bytes", bytes.len());
    for b in &mut bytes[16 * 1024..48 * 1024] {
        *b = 0xA5;
    }
    std::fs::write(&path, &bytes).unwrap();
    let dir_path = dir.path();
    let before = snapshot(dir_path);
    let err = SqliteFrontier::open(&path, quiet(), ID).unwrap_err();
    assert!(err.is_state(), "{err}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("delete it"), "says what to do: {message}");
    assert!(!message.contains("returning leases"), "{message}");
    assert_eq!(snapshot(dir_path), before, "untouched: {message}");
}

#[test]
fn not_sqlite_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    let contents: [&[u8]; 3] = [
        b"these are my notes, please don't overwrite them\n",
        b"SQLite",
        &[0x8e; 4096],
    ];
    for bytes in contents {
        std::fs::write(&path, bytes).unwrap();
        let msg = refused(&path, ID, StateProblem::NotSqlite);
        assert!(msg.contains("not an SQLite database"), "{msg}");
    }
    // The right magic with garbage after it.
    let mut fake = b"SQLite format 3\0".to_vec();
    fake.extend([0xa5; 8192]);
    std::fs::write(&path, &fake).unwrap();
    refused(&path, ID, StateProblem::NotSqlite);
}

#[test]
fn foreign_sqlite_databases_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("app.db");
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO users (name) VALUES ('ada');",
        )
        .unwrap();
    }
    let msg = refused(&path, ID, StateProblem::Foreign);
    assert!(msg.contains("users"), "says what it found: {msg}");
    // A database with our name on a table but not our marker is foreign too.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("CREATE TABLE meta (key TEXT, value TEXT);")
            .unwrap();
    }
    refused(&path, ID, StateProblem::Foreign);
}

#[test]
fn other_schema_versions_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    drop(open(&path, quiet()));
    for version in [SqliteFrontier::SCHEMA_VERSION + 1, 0] {
        {
            let conn = rusqlite::Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", version).unwrap();
        }
        let msg = refused(
            &path,
            ID,
            StateProblem::Version {
                found: version,
                supported: SqliteFrontier::SCHEMA_VERSION,
            },
        );
        assert!(msg.contains("delete the file to start over"), "{msg}");
    }
}

#[test]
fn another_crawls_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    drop(open(&path, quiet()));
    let msg = refused(&path, "crawl http://other/", StateProblem::OtherCrawl);
    assert!(msg.contains("belongs to a different crawl"), "{msg}");
    assert!(
        msg.contains("pass another --state file or delete it"),
        "{msg}"
    );
    // The right crawl still opens it.
    open(&path, quiet());
}

#[test]
fn a_file_open_in_this_process_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    let (held, _) = open(&path, quiet());
    let err = SqliteFrontier::open(&path, quiet(), ID).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::State(StateProblem::Locked), "{err}");
    drop(held);
    open(&path, quiet());
}

#[test]
fn empty_files_become_state_files_and_bad_paths_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.state");
    std::fs::write(&path, b"").unwrap();
    let (_, resumed) = open(&path, quiet());
    assert!(resumed.created);

    let err = SqliteFrontier::open(dir.path(), quiet(), ID).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Io);
    assert!(err.to_string().contains("is a directory"), "{err}");
    let missing = dir.path().join("no/such/dir/crawl.state");
    let err = SqliteFrontier::open(&missing, quiet(), ID).unwrap_err();
    assert_eq!(err.kind(), &ErrorKind::Io);
    assert!(err.to_string().contains("no/such/dir"), "{err}");
}

// ===== another process =====

/// The environment variable that turns `child_process` into a helper.
const CHILD: &str = "FERROCRAWL_FRONTIER_TEST_CHILD";

/// Runs this test binary's `child_process` with `mode`, and waits (at most
/// 60 s) for it to print `READY`.
fn spawn_child(mode: &str) -> Child {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_process",
            "--include-ignored",
            "--nocapture",
        ])
        .env(CHILD, mode)
        .stdout(Stdio::piped())
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line == "READY" {
                let _ = tx.send(());
                return;
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the child process got ready");
    child
}

/// A helper, not a test of its own: with `CHILD` set it opens the state
/// file, does its part, says READY and waits to be killed (at most 60 s).
#[test]
#[ignore = "run by other tests as a child process"]
fn child_process() {
    let Ok(mode) = std::env::var(CHILD) else {
        return;
    };
    let (what, path) = mode.split_once(':').unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let (f, _) = open(Path::new(path), quiet());
    if what == "work" {
        rt.block_on(async {
            f.push((0..5).map(|i| req(&format!("http://a/{i}"))).collect())
                .await
                .unwrap();
            let mut leases = f.lease(4).await.unwrap().leases.into_iter();
            let acks = vec![
                (leases.next().unwrap(), Ack::done(200, 7)),
                (leases.next().unwrap(), Ack::done(200, 7)),
            ];
            let checkpoint = Some(vec![("out.jsonl".to_owned(), b"2 lines".to_vec())]);
            f.complete(Completion {
                acks,
                checkpoint,
                ..Completion::default()
            })
            .await
            .unwrap();
            // After the committed batch: an ack and a push that wait for a
            // group commit that never comes. One lease stays in flight.
            f.set_commit_interval(Duration::from_secs(3600));
            f.ack(leases.next().unwrap(), Ack::done(200, 7))
                .await
                .unwrap();
            f.push(vec![req("http://a/new")]).await.unwrap();
            std::mem::forget(leases);
        });
    }
    println!("READY");
    let mut line = String::new();
    // Returns when the parent closes stdin or kills us.
    let _ = std::io::stdin().read_line(&mut line);
    std::mem::forget(f);
}

#[test]
fn a_file_open_in_another_live_process_is_refused_until_it_dies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    drop(open(&path, quiet()));
    let mut child = spawn_child(&format!("hold:{}", path.display()));
    let msg = refused(&path, ID, StateProblem::Locked);
    assert!(msg.contains("in use by another running crawl"), "{msg}");
    child.kill().unwrap(); // SIGKILL: the lock goes with the process
    child.wait().unwrap();
    open(&path, quiet());
}

#[test]
fn kill_9_keeps_committed_batches_and_checkpoints_and_returns_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crawl.state");
    let mut child = spawn_child(&format!("work:{}", path.display()));
    child.kill().unwrap();
    child.wait().unwrap();
    // What the killed process committed is still in its WAL: another crawl
    // is refused without folding it in or touching either file.
    let wal = dir.path().join("crawl.state-wal");
    assert!(std::fs::metadata(&wal).unwrap().len() > 0);
    refused(&path, "another crawl", StateProblem::OtherCrawl);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let (f, resumed) = open(&path, quiet());
    // The batch and its checkpoint are there; the uncommitted ack and push
    // are not: their lease is back in the queue, the new URL unseen.
    let checkpoint = rt.block_on(f.checkpoint()).unwrap();
    assert_eq!(checkpoint, [("out.jsonl".to_owned(), b"2 lines".to_vec())]);
    assert_eq!(
        (resumed.done, resumed.returned, resumed.queued, resumed.seen),
        (2, 2, 3, 5)
    );
    rt.block_on(async {
        assert_eq!(counts(&f).await.bytes, 14);
        let leased = f.lease(10).await.unwrap();
        assert_eq!(paths(&leased), ["/2", "/3", "/4"]);
        assert_eq!(f.push(vec![req("http://a/new")]).await.unwrap().added, 1);
    });
}

/// Issue 16: an in-memory frontier's queue grew without bound. Past its
/// threshold it moves to a temporary file, in order, leases and all.
#[tokio::test]
async fn a_memory_frontier_moves_its_queue_to_disk_past_its_threshold() {
    let f = MemoryFrontier::new(FrontierConfig {
        spill_after: Some(50),
        per_host: 4,
        ..quiet()
    });
    f.push((0..40).map(|i| req(&format!("http://a/{i:03}"))).collect())
        .await
        .unwrap();
    let held = f.lease(4).await.unwrap().leases;
    assert!(!f.spilled());
    f.push(
        (40..100)
            .map(|i| req(&format!("http://a/{i:03}")))
            .collect(),
    )
    .await
    .unwrap();
    assert!(f.spilled(), "past 50 queued");
    // The leases taken before the move still ack.
    for l in held {
        assert!(f.ack(l, Ack::done(200, 1)).await.unwrap());
    }
    let mut order = Vec::new();
    loop {
        let leased = f.lease(4).await.unwrap().leases;
        if leased.is_empty() {
            break;
        }
        for l in leased {
            order.push(l.request.url.path().to_owned());
            f.ack(l, Ack::done(200, 1)).await.unwrap();
        }
    }
    assert_eq!(order.len(), 96);
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "breadth-first order kept across the move");
    assert!(f.status().await.unwrap().finished);
    assert_eq!(counts(&f).await.done, 100);
    // The seen set moved with the queue: URLs met before the move, and
    // after it, are still duplicates; new ones are not.
    let again = f
        .push((0..100).map(|i| req(&format!("http://a/{i:03}"))).collect())
        .await
        .unwrap();
    assert_eq!((again.added, again.duplicate), (0, 100));
    let fresh: Vec<_> = (100..130)
        .map(|i| req(&format!("http://a/{i:03}")))
        .collect();
    let first = f.push(fresh.clone()).await.unwrap();
    let second = f.push(fresh).await.unwrap();
    assert_eq!((first.added, second.duplicate), (30, 30));
}
