//! The seed's job end to end: the books API walked list -> detail and
//! upserted into a real SQLite file and a real PostgreSQL, twice.
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

mod common;

use ferrocrawl::Request;
use ferrocrawl::crawl::{Crawler, SinkOutput};
use ferrocrawl::sink::{PostgresSink, Sink, SqliteSink};
use ferrocrawl_testkit::TestServer;

/// Crawl the last 1,000 books into `sink` through `SinkOutput`; returns
/// the items written.
async fn run<S: Sink + 'static>(srv: &TestServer, sink: S) -> u64 {
    let start =
        Request::get(srv.url("/api/book/?limit=18&offset=9000").parse().unwrap()).label("LIST");
    let crawler = Crawler::builder()
        .request(start)
        .router(common::books_router())
        .per_host(16)
        .obey_robots(false);
    let (tx, _) = tokio::sync::mpsc::channel(1);
    let crawler = crawler.build().await.unwrap();
    let (summary, out) = crawler.run_into(tx, SinkOutput::new(sink)).await.unwrap();
    assert_eq!(summary.failed, 0);
    assert_eq!(summary.items, out.written());
    let written = out.written();
    out.into_inner().close().await.unwrap();
    written
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_into_sqlite_twice_without_duplicates() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("books.db");
    for _ in 0..2 {
        let sink = SqliteSink::open(&db, "books", Some("id".into()))
            .await
            .unwrap();
        assert_eq!(run(&srv, sink).await, 1000);
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    assert_eq!(count("SELECT count(*) FROM books"), 1000);
    assert_eq!(count("SELECT count(DISTINCT id) FROM books"), 1000);
    assert_eq!(count("SELECT min(id) FROM books"), 9001);
    let (name, isbn): (String, String) = conn
        .query_row("SELECT name, isbn FROM books WHERE id = 9500", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let expected = ferrocrawl_testkit::books::detail(9500);
    assert_eq!(
        (name.as_str(), isbn.as_str()),
        (
            expected["name"].as_str().unwrap(),
            expected["isbn"].as_str().unwrap()
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn books_into_postgres_twice_without_duplicates() {
    let Ok(url) = std::env::var("FERROCRAWL_PG_URL") else {
        eprintln!(
            "skipping: set FERROCRAWL_PG_URL (e.g. postgres://postgres@127.0.0.1:55432/postgres); .ci/run does"
        );
        return;
    };
    let srv = TestServer::start().await.unwrap();
    let table = format!("books_{}", std::process::id());
    for _ in 0..2 {
        let sink = PostgresSink::connect(&url, table.as_str(), Some("id".into()))
            .await
            .unwrap();
        assert_eq!(run(&srv, sink).await, 1000);
    }
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let row = client
        .query_one(
            &format!("SELECT count(*), count(DISTINCT id) FROM \"{table}\""),
            &[],
        )
        .await
        .unwrap();
    assert_eq!((row.get::<_, i64>(0), row.get::<_, i64>(1)), (1000, 1000));
    client
        .execute(&format!("DROP TABLE \"{table}\""), &[])
        .await
        .unwrap();
}
