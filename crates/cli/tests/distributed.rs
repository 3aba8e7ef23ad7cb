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
