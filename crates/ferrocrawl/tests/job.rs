//! `ferrocrawl::Job` end to end on testkit's books API: the lifecycle
//! (state opened, resumed, removed), exactly-once output across a pause, and
//! the locations and files it refuses.
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

mod common;

use std::collections::HashSet;
use std::time::Duration;

use ferrocrawl::crawl::Event;
use ferrocrawl::{ErrorKind, ItemRoute, Job, Request, StateFate};
use ferrocrawl_testkit::TestServer;
use serde_json::Value;

/// The last 500 books, into `items`, with the state in `state`.
fn books(srv: &TestServer, items: &str, state: &str) -> Job {
    let start =
        Request::get(srv.url("/api/book/?limit=18&offset=9500").parse().unwrap()).label("LIST");
    Job::new("books")
        .request(start)
        .router(common::books_router())
        .configure(|s| {
            s.per_host = 8;
            s.obey_robots = false;
        })
        .items(ItemRoute::to(items).unwrap().key("id"))
        .frontier(&format!("sqlite:{state}"))
        .unwrap()
}

fn ids(path: &std::path::Path) -> Vec<i64> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_i64()
                .unwrap()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_job_resumes_and_writes_every_item_once() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (items, state) = (
        dir.path().join("books.jsonl"),
        dir.path().join("books.state"),
    );
    let (items_s, state_s) = (items.to_str().unwrap(), state.to_str().unwrap());

    // First run: pause after about a hundred items.
    let mut running = books(&srv, items_s, state_s).start().await.unwrap();
    assert!(running.resumed.unwrap().created, "a new state file");
    let mut seen = 0;
    while let Some(event) = running.next_event().await {
        if let Event::Page(_) = event {
            seen += 1;
            if seen == 100 {
                running.pause();
            }
        }
    }
    let report = running.finish().await.unwrap();
    assert!(report.summary.stopped);
    assert!(
        matches!(&report.state, StateFate::Kept { path, .. } if path == &state),
        "{:?}",
        report.state
    );
    assert!(state.exists());
    let first = report.items_written;
    assert!(first > 0 && first < 500, "{first}");

    // Second run: resumes, ends, removes its state.
    let running = books(&srv, items_s, state_s).start().await.unwrap();
    let resumed = running.resumed.unwrap();
    assert!(!resumed.created && resumed.done > 0, "{resumed:?}");
    let report = running.finish().await.unwrap();
    assert!(!report.summary.stopped);
    assert_eq!(report.failures(), 0);
    assert_eq!(report.state, StateFate::Removed(state.clone()));
    assert!(!state.exists(), "a finished crawl leaves no state");

    let written = ids(&items);
    let distinct: HashSet<i64> = written.iter().copied().collect();
    assert_eq!(written.len(), 500, "every item once, none twice");
    assert_eq!(distinct.len(), 500);
    assert_eq!(distinct.iter().min(), Some(&9501));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_drives_the_whole_lifecycle_into_sqlite() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (db, state) = (dir.path().join("books.db"), dir.path().join("books.state"));
    for _ in 0..2 {
        let job = books(&srv, db.to_str().unwrap(), state.to_str().unwrap());
        let report = tokio::time::timeout(Duration::from_secs(60), job.run())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(report.items_written, 500);
        assert_eq!(report.routes.len(), 1);
        assert!(!state.exists());
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let count: i64 = conn
        .query_row("SELECT count(*) FROM books", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 500, "upserted by id: the second run added no rows");
}

#[tokio::test]
async fn a_state_file_that_is_an_output_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.jsonl");
    std::fs::write(&out, "{\"kept\":true}\n").unwrap();
    let job = Job::new("crawl")
        .seed("http://127.0.0.1:9/")
        .pages_to(Some(out.clone()))
        .frontier(&format!("sqlite:{}", out.display()))
        .unwrap();
    let e = job.start().await.unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::Config);
    assert!(e.to_string().contains("is also an output"), "{e}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "{\"kept\":true}\n");
}

#[test]
fn a_redis_frontier_is_refused_by_name_unless_it_is_built_in() {
    let redis = Job::new("x").frontier("redis://127.0.0.1:6379/0");
    if cfg!(feature = "redis") {
        assert!(redis.is_ok());
    } else {
        let e = redis.unwrap_err();
        assert!(e.to_string().contains("`redis` feature"), "{e}");
    }
    let e = Job::new("x").frontier("crawl.state").unwrap_err();
    assert!(e.to_string().contains("sqlite:PATH"), "{e}");
}
