//! The crash test: a spider crawls a generated 20,000-page site into a JSON
//! Lines file and a SQLite table, and is killed with SIGKILL at 20 random
//! moments, resuming each time by running the same command again. Then every
//! page must have been fetched, and each output must hold every item exactly
//! once, as a clean run would.
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ferrocrawl_testkit::TestServer;
use serde_json::Value;

const PAGES: u64 = 20_000;
const KILLS: usize = 20;

/// A spider over the generated site: every page is one item, with `fields`
/// (TOML lines of the `page` rule) into `sink`.
fn site_spider(addr: std::net::SocketAddr, name: &str, fields: &str, sink: &str) -> String {
    format!(
        r#"
name = "{name}"
start = [{{ url = "http://{addr}/site/{PAGES}/10/0", label = "page" }}]
[settings]
concurrency = 16
per_host = 16
obey_robots = false
[rules.page]
{fields}
follow = [{{ css = "a::attr(href)", label = "page" }}]
[sink]
to = "{sink}"
table = "pages"
"#
    )
}

fn spider(addr: std::net::SocketAddr, sink: &str) -> String {
    let fields = "fields.url = { meta = \"url\" }\nfields.title = \"h1::text\"\nkey = \"url\"";
    site_spider(addr, "site", fields, sink)
}

fn start(dir: &Path, file: &str) -> Child {
    spawn_in(dir, &["run", "-q", file, "--state", "state.db"])
}

/// `ferrocrawl ARGS` in `dir`, stdout discarded, stderr kept for the test.
fn spawn_in(dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ferrocrawl"))
        .args(args)
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn kill9(child: &mut Child) {
    // Child::kill sends SIGKILL on Unix.
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Run, kill at `KILLS` random moments, then run to the end, which must
/// exit with `want`; returns how many runs were killed while still working.
async fn crash_and_resume(dir: &Path, file: &str, want: i32) -> usize {
    crash_and_resume_within(dir, file, want, KILLS, 30..300).await
}

/// [`crash_and_resume`] with `kills` kills, each `window` milliseconds into
/// its run.
async fn crash_and_resume_within(
    dir: &Path,
    file: &str,
    want: i32,
    kills: usize,
    window: std::ops::Range<u64>,
) -> usize {
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut killed = 0;
    for _ in 0..kills {
        let mut child = start(dir, file);
        let at = Instant::now() + Duration::from_millis(rng.u64(window.clone()));
        let finished = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break Some(status);
            }
            if Instant::now() >= at {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        };
        match finished {
            None => {
                kill9(&mut child);
                killed += 1;
            }
            Some(status) => {
                let err = std::io::read_to_string(child.stderr.take().unwrap()).unwrap();
                assert!(status.code() == Some(want), "a run failed: {status}: {err}");
                return killed;
            }
        }
    }
    let out = tokio::task::spawn_blocking({
        let dir = dir.to_owned();
        let file = file.to_owned();
        move || start(&dir, &file).wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        out.status.code(),
        Some(want),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    killed
}

fn expected() -> HashSet<u64> {
    (0..PAGES).collect()
}

/// Every page was fetched at least once; returns the fetches beyond one
/// per page (the work redone after kills).
fn every_page_fetched(srv: &TestServer) -> u64 {
    let missing: Vec<u64> = (0..PAGES)
        .filter(|i| srv.stats().hits(&format!("/site/{PAGES}/10/{i}")) == 0)
        .take(10)
        .collect();
    assert!(missing.is_empty(), "never fetched: {missing:?}...");
    srv.stats().requests() - PAGES
}

fn page_of(url: &str) -> u64 {
    url.rsplit('/').next().unwrap().parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_twenty_times_and_resume_into_jsonl() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("site.toml"),
        spider(srv.addr(), "items.jsonl"),
    )
    .unwrap();
    let killed = crash_and_resume(dir.path(), "site.toml", 0).await;
    let text = std::fs::read_to_string(dir.path().join("items.jsonl")).unwrap();
    let mut seen = HashSet::new();
    let mut duplicates = Vec::new();
    for line in text.lines() {
        let item: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("a torn or invalid line ({e}): {line:?}"));
        let n = page_of(item["url"].as_str().unwrap());
        assert_eq!(item["title"], format!("Page {n}"));
        if !seen.insert(n) {
            duplicates.push(n);
        }
    }
    let again = every_page_fetched(&srv);
    eprintln!("killed {killed} times; {again} duplicate fetches of {PAGES} pages");
    assert!(duplicates.is_empty(), "items written twice: {duplicates:?}");
    assert_eq!(seen, expected(), "every page's item, exactly once");
    assert!(
        killed >= KILLS / 2,
        "only {killed} runs were killed mid-crawl"
    );
    assert!(
        !dir.path().join("state.db").exists(),
        "a finished crawl leaves no state"
    );
}

/// Every page's item has one of 110 keys (its number's last two digits),
/// deduplicated: the first page of each key wins, the rest are rejected.
fn bucket_spider(addr: std::net::SocketAddr) -> String {
    let fields = r#"fields.bucket = { regex = 'Page \d*?(\d{1,2})</h1>' }
fields.url = { meta = "url" }
key = "bucket""#;
    site_spider(addr, "buckets", fields, "buckets.jsonl")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_and_resume_keeps_dedupe_keys() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("buckets.toml"), bucket_spider(srv.addr())).unwrap();
    // Exit 1: the rejected duplicates count as items that did not get through.
    // Kills late enough that runs commit first (every 500 ms, or 2,000 items):
    // the keys of a committed run must hold in the next.
    let killed = crash_and_resume_within(dir.path(), "buckets.toml", 1, 8, 600..1500).await;
    let text = std::fs::read_to_string(dir.path().join("buckets.jsonl")).unwrap();
    let mut seen = HashSet::new();
    let mut duplicates = Vec::new();
    for line in text.lines() {
        let item: Value = serde_json::from_str(line).unwrap();
        let bucket = item["bucket"].as_str().unwrap().to_owned();
        let page = page_of(item["url"].as_str().unwrap()).to_string();
        assert_eq!(bucket, page[page.len().saturating_sub(2)..], "{line}");
        if !seen.insert(bucket.clone()) {
            duplicates.push(bucket);
        }
    }
    every_page_fetched(&srv);
    assert!(killed >= 4, "only {killed} runs were killed mid-crawl");
    // Without the keys read back on resume, a key written before a kill is
    // written again by a later page after it.
    assert!(
        duplicates.is_empty(),
        "{} keys written twice, among them {:?}",
        duplicates.len(),
        &duplicates[..duplicates.len().min(10)]
    );
    // "0".."9" from pages 0-9, "00".."99" from the rest.
    assert_eq!(seen.len(), 110, "one item per key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_twenty_times_and_resume_into_sqlite() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("site.toml"), spider(srv.addr(), "items.db")).unwrap();
    let killed = crash_and_resume(dir.path(), "site.toml", 0).await;
    let conn = rusqlite::Connection::open(dir.path().join("items.db")).unwrap();
    let mut stmt = conn.prepare("select url from pages").unwrap();
    let urls: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let pages: HashSet<u64> = urls.iter().map(|u| page_of(u)).collect();
    assert_eq!(urls.len(), pages.len(), "no row twice");
    assert_eq!(pages, expected());
    let again = every_page_fetched(&srv);
    eprintln!("killed {killed} times; {again} duplicate fetches of {PAGES} pages");
    assert!(
        killed >= KILLS / 2,
        "only {killed} runs were killed mid-crawl"
    );
}

/// A slow spider over a 3,000-page site: at most 4 requests at a time with a
/// delay, so a run takes seconds.
fn slow_spider(addr: std::net::SocketAddr, name: &str) -> String {
    format!(
        r#"
name = "{name}"
start = [{{ url = "http://{addr}/site/3000/10/0", label = "page" }}]
[settings]
concurrency = 4
per_host = 4
delay = "2ms"
obey_robots = false
[rules.page]
fields.url = {{ meta = "url" }}
key = "url"
follow = [{{ css = "a::attr(href)", label = "page" }}]
[sink]
to = "{name}.jsonl"
"#
    )
}

/// Sends Ctrl-C (SIGINT) to `child` after `after`; its exit code and stderr.
async fn interrupt_after(child: Child, after: Duration) -> (Option<i32>, String) {
    tokio::time::sleep(after).await;
    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    wait(child).await
}

/// Waits for `child` to exit; its exit code and stderr.
async fn wait(child: Child) -> (Option<i32>, String) {
    let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
        .await
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn jsonl_pages(path: &Path) -> Vec<u64> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            page_of(v["url"].as_str().unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_pauses_and_the_same_command_resumes() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("slow.toml"),
        slow_spider(srv.addr(), "slow"),
    )
    .unwrap();
    let path = dir.path().to_owned();
    let run = move || spawn_in(&path, &["run", "slow.toml"]);
    let (code, err) = interrupt_after(run(), Duration::from_millis(800)).await;
    assert_eq!(code, Some(130), "{err}");
    assert!(err.contains("paused"), "{err}");
    assert!(
        err.contains("ferrocrawl run slow.toml"),
        "says how to resume: {err}"
    );
    assert!(dir.path().join("slow.state").exists());
    let before = jsonl_pages(&dir.path().join("slow.jsonl"));
    assert!(
        !before.is_empty() && before.len() < 3000,
        "{}",
        before.len()
    );

    let (code, err) = wait(run()).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("resuming from"), "{err}");
    assert!(err.contains(&format!("{} done", before.len())), "{err}");
    let mut after = jsonl_pages(&dir.path().join("slow.jsonl"));
    after.sort_unstable();
    assert_eq!(after, (0..3000).collect::<Vec<_>>(), "every page once");
    assert!(!dir.path().join("slow.state").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resuming_onto_stdout_warns() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("out.toml"), slow_spider(srv.addr(), "out")).unwrap();
    let path = dir.path().to_owned();
    let run = move || {
        spawn_in(
            &path,
            &["run", "out.toml", "--sink", "-", "--state", "out.state"],
        )
    };
    let (code, err) = interrupt_after(run(), Duration::from_millis(500)).await;
    assert_eq!(code, Some(130), "{err}");
    assert!(!err.contains("resuming onto stdout"), "{err}");

    let (code, err) = wait(run()).await;
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("warning: resuming onto stdout"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_state_files_are_refused_and_left_alone() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), slow_spider(srv.addr(), "a")).unwrap();
    std::fs::write(dir.path().join("b.toml"), slow_spider(srv.addr(), "b")).unwrap();
    let ferrocrawl = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_ferrocrawl"))
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    // Not a state file at all.
    std::fs::write(dir.path().join("notes.txt"), "my notes\n").unwrap();
    let out = ferrocrawl(&["run", "a.toml", "--state", "notes.txt"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("notes.txt"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("notes.txt")).unwrap(),
        "my notes\n"
    );
    // Another spider's state: start `a`, kill it, then point `b` at its state.
    let mut a = Command::new(env!("CARGO_BIN_EXE_ferrocrawl"))
        .args(["run", "-q", "a.toml", "--state", "shared.state"])
        .current_dir(dir.path())
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    kill9(&mut a);
    let state = std::fs::read(dir.path().join("shared.state")).unwrap();
    let out = ferrocrawl(&["run", "b.toml", "--state", "shared.state"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("shared.state") && err.contains("different crawl"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(dir.path().join("shared.state")).unwrap(),
        state
    );
    assert!(
        !dir.path().join("b.jsonl").exists(),
        "nothing was fetched or written for b"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_with_state_resumes_after_kill_9_with_every_page_line_once() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let seed = format!("http://{}/site/3000/10/0", srv.addr());
    let path = dir.path().to_owned();
    let start = move || {
        Command::new(env!("CARGO_BIN_EXE_ferrocrawl"))
            .args(["crawl", "-q", &seed, "-o", "pages.jsonl", "--state"])
            .args(["-c", "4", "--per-host", "4", "--delay", "2ms"])
            .current_dir(&path)
            .spawn()
            .unwrap()
    };
    for _ in 0..3 {
        let mut child = start();
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert!(
            child.try_wait().unwrap().is_none(),
            "the crawl ended too soon to test"
        );
        kill9(&mut child);
        assert!(dir.path().join("pages.jsonl.state").exists());
    }
    let last = start.clone();
    let status = tokio::task::spawn_blocking(move || last().wait().unwrap())
        .await
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let mut pages = jsonl_pages(&dir.path().join("pages.jsonl"));
    pages.sort_unstable();
    assert_eq!(
        pages,
        (0..3000).collect::<Vec<_>>(),
        "every page's line, once"
    );
    assert!(!dir.path().join("pages.jsonl.state").exists());
}
