//! `ferrocrawl crawl|run --frontier redis://…`: several processes, one
//! crawl, on a real redis-server (`FERROCRAWL_REDIS_URL`, or one started
//! for the test binary; without either the tests fail and say how to fix it).
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

#[allow(
    dead_code,
    reason = "shared with the frontier's tests; not every helper is used here"
)]
#[path = "../../frontier/tests/redis_server/mod.rs"]
mod redis_server;

use std::collections::BTreeSet;
use std::path::Path;

use ferrocrawl_testkit::TestServer;
use serde_json::Value;

mod common;
use common::ferrocrawl;

fn urls(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["url"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// Two workers of one crawl: each page is fetched once, by one of them,
/// each worker writes its own file, both share the work, and both end
/// when the crawl does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_crawl_each_page_once() {
    let redis = redis_server::url();
    let crawl = format!("cli-two-{}", std::process::id());
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let worker = |name: &str| {
        let args: Vec<String> = [
            "crawl",
            &srv.url("/site/120/4/0"),
            "--ignore-robots",
            "--per-host",
            "4",
            "--delay",
            "10ms",
            "--frontier",
            &redis,
            "--job",
            &crawl,
            "--worker",
            name,
            "-o",
            "pages.jsonl",
            "-q",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        ferrocrawl(args, dir.path().into())
    };
    let (a, b) = tokio::join!(worker("a"), worker("b"));
    for out in [&a, &b] {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let (from_a, from_b) = (
        urls(&dir.path().join("pages.a.jsonl")),
        urls(&dir.path().join("pages.b.jsonl")),
    );
    assert!(
        !dir.path().join("pages.jsonl").exists(),
        "one file per worker"
    );
    let all: BTreeSet<&String> = from_a.iter().chain(&from_b).collect();
    assert_eq!(all.len(), 120, "every page");
    assert_eq!(from_a.len() + from_b.len(), 120, "each page once");
    assert!(
        !from_a.is_empty() && !from_b.is_empty(),
        "both workers took work: {} and {}",
        from_a.len(),
        from_b.len()
    );
    // What `status` says once they are done: every page, both workers.
    let status = status_json(&redis, Some(&crawl)).await;
    assert_eq!(status["state"], "finished", "{status:#}");
    assert_eq!(status["pages"]["done"], 120, "{status:#}");
    assert_eq!(status["queue"]["queued"], 0, "{status:#}");
    assert_eq!(status["queue"]["leased"], 0, "{status:#}");
    assert_eq!(status["queue"]["seen"], 120, "{status:#}");
    let mut names: Vec<&str> = status["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["a", "b"], "{status:#}");
    redis_server::delete_crawl(&redis, &crawl);
}

/// `ferrocrawl status --frontier URL [--job NAME] --json`, parsed.
async fn status_json(redis: &str, job: Option<&str>) -> Value {
    let mut args = vec!["status", "--frontier", redis, "--json"];
    if let Some(job) = job {
        args.extend(["--job", job]);
    }
    let out = ferrocrawl(
        args.into_iter().map(String::from).collect(),
        std::env::temp_dir(),
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// A crawl caught mid-way (ten pages pushed, three leased by worker `w1`):
/// `status` shows the queue, the leases and who holds them, as JSON and as
/// text; without `--job` it lists the crawl; a crawl that isn't there and a
/// Redis that isn't there are errors that say what to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_shows_a_crawl_in_progress() {
    use ferrocrawl::crawl::{Frontier, FrontierConfig, RedisFrontier};

    let redis = redis_server::url();
    let crawl = format!("cli-status-{}", std::process::id());
    let cfg = FrontierConfig {
        obey_robots: false,
        delay: std::time::Duration::ZERO,
        per_host: 8,
        ..FrontierConfig::default()
    };
    let w1 = RedisFrontier::builder(redis.as_str())
        .crawl(crawl.as_str())
        .worker("w1")
        .config(cfg)
        .connect()
        .await
        .unwrap();
    let requests = (0..10)
        .map(|i| {
            let url = format!("http://127.0.0.1:9/page/{i}").parse().unwrap();
            ferrocrawl::Request::get(url)
        })
        .collect();
    w1.push(requests).await.unwrap();
    let leased = w1.lease(3).await.unwrap();
    assert_eq!(leased.leases.len(), 3);

    let status = status_json(&redis, Some(&crawl)).await;
    assert_eq!(status["state"], "running", "{status:#}");
    assert_eq!(status["finished"], false, "{status:#}");
    assert_eq!(status["queue"]["queued"], 7, "{status:#}");
    assert_eq!(status["queue"]["leased"], 3, "{status:#}");
    assert_eq!(status["queue"]["seen"], 10, "{status:#}");
    assert_eq!(status["pages"]["done"], 0, "{status:#}");
    let workers = status["workers"].as_array().unwrap();
    assert_eq!(workers.len(), 1, "{status:#}");
    assert_eq!(workers[0]["name"], "w1");
    assert_eq!(workers[0]["leases"], 3);
    assert_eq!(workers[0]["active"], true);
    assert!(workers[0]["last_seen_ago_ms"].as_u64().unwrap() < 30_000);

    let text = |args: &[&str]| {
        let mut all = vec!["status", "--frontier", redis.as_str()];
        all.extend(args);
        ferrocrawl(
            all.into_iter().map(String::from).collect(),
            std::env::temp_dir(),
        )
    };
    let out = text(&["--job", &crawl]).await;
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains(&format!("crawl `{crawl}`")), "{shown}");
    assert!(shown.contains("7 queued, 3 leased"), "{shown}");
    assert!(shown.contains("w1"), "{shown}");

    let listed = status_json(&redis, None).await;
    let ours = listed["crawls"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["crawl"] == crawl.as_str())
        .unwrap_or_else(|| panic!("{crawl} listed: {listed:#}"));
    assert_eq!(ours["queue"]["leased"], 3);
    let out = text(&[]).await;
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        shown.contains(&crawl) && shown.contains("running"),
        "{shown}"
    );

    let out = text(&["--job", "no-such-crawl"]).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no crawl `no-such-crawl`") && err.contains(&crawl),
        "names the crawls there are: {err}"
    );

    let nowhere = format!("redis://127.0.0.1:{}/0", redis_server::closed_port());
    let out = ferrocrawl(
        ["status", "--frontier", &nowhere]
            .map(String::from)
            .to_vec(),
        std::env::temp_dir(),
    )
    .await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains(&nowhere) && err.contains("is the Redis server up"),
        "{err}"
    );
    redis_server::delete_crawl(&redis, &crawl);
}

/// An SQLite sink can't be shared by workers: refused, saying what to use.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sqlite_sink_is_refused_with_a_shared_frontier() {
    let redis = redis_server::url();
    let dir = tempfile::tempdir().unwrap();
    let spider = "start = [{ url = \"http://127.0.0.1:9/\", label = \"p\" }]\n[rules.p]\nfields.t = \"h1::text\"\n";
    std::fs::write(dir.path().join("s.toml"), spider).unwrap();
    let args = ["run", "s.toml", "--frontier", &redis]
        .map(String::from)
        .to_vec();
    let out = ferrocrawl(args, dir.path().into()).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("SQLite sink") && err.contains("PostgreSQL"),
        "{err}"
    );
}
