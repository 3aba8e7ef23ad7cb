//! `ItemWriter` end to end: pipelines in front of real JSONL, CSV and SQLite
//! sinks in temporary directories, with a failures file.
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use std::path::Path;

use ferrocrawl_sink::{
    BoxSink, CsvSink, Item, ItemWriter, JsonlSink, Pipeline, Sink, SqliteSink, StageStats,
};
use rusqlite::Connection;
use serde_json::{Value, json};

fn item(v: Value) -> Item {
    v.as_object().cloned().unwrap()
}

fn items(list: &[Value]) -> Vec<Item> {
    list.iter().cloned().map(item).collect()
}

fn jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The shop pipeline of the docs: every kind of stage.
fn shop_pipeline() -> Pipeline {
    Pipeline::new()
        .rename("title", "name")
        .require(["id", "name"])
        .default_value("currency", json!("GBP"))
        .remove(["debug"])
        .transform("price_to_pence", |item| {
            let price = item
                .get("price")
                .and_then(Value::as_f64)
                .ok_or_else(|| "price is not a number".to_string())?;
            item.insert("price".into(), json!((price * 100.0).round() as i64));
            Ok(())
        })
        .validate("price_positive", |item| {
            if item.get("price").and_then(Value::as_i64) > Some(0) {
                Ok(())
            } else {
                Err("price must be > 0".into())
            }
        })
        .dedupe("id")
}

#[tokio::test]
async fn every_stage_and_the_failures_file() {
    let dir = tempfile::tempdir().unwrap();
    let (out, bad) = (
        dir.path().join("items.jsonl"),
        dir.path().join("failures.jsonl"),
    );
    let mut writer = ItemWriter::new(
        shop_pipeline(),
        JsonlSink::create(&out).await.unwrap(),
        JsonlSink::create(&bad).await.unwrap(),
    );
    writer
        .accept(
            "https://shop.example/p1",
            items(&[
                json!({"id": 1, "title": "Dune", "price": 9.99, "debug": "x"}),
                json!({"id": 2, "price": 5}),
                json!({"id": 3, "name": "Emma", "price": "n/a"}),
                json!({"id": 4, "name": "Odd", "price": 0, "currency": "EUR"}),
            ]),
        )
        .await
        .unwrap();
    writer
        .accept(
            "https://shop.example/p2",
            items(&[
                json!({"id": 1, "name": "Dune again", "price": 1}),
                json!({"id": 5, "name": "Ulysses", "price": 12, "currency": "EUR"}),
                json!({"id": "", "name": "No id", "price": 1}),
            ]),
        )
        .await
        .unwrap();
    let counts = writer.counts();
    assert_eq!(
        (
            counts.received,
            counts.written,
            counts.rejected,
            counts.refused
        ),
        (7, 2, 5, 0)
    );
    let stats = writer.pipeline().stats();
    let stat = |name: &str| stats.iter().find(|s| s.stage == name).unwrap().clone();
    assert_eq!(
        stat("require"),
        StageStats {
            stage: "require".into(),
            passed: 5,
            rejected: 2
        }
    );
    assert_eq!(
        (
            stat("price_to_pence").passed,
            stat("price_to_pence").rejected
        ),
        (4, 1)
    );
    assert_eq!(
        (
            stat("price_positive").passed,
            stat("price_positive").rejected
        ),
        (3, 1)
    );
    assert_eq!((stat("dedupe").passed, stat("dedupe").rejected), (2, 1));
    writer.close().await.unwrap();

    assert_eq!(
        jsonl(&out),
        [
            json!({"id": 1, "name": "Dune", "price": 999, "currency": "GBP"}),
            json!({"id": 5, "name": "Ulysses", "price": 1200, "currency": "EUR"}),
        ]
    );
    let failures = jsonl(&bad);
    let summary: Vec<(&str, &str, &str)> = failures
        .iter()
        .map(|f| {
            (
                f["stage"].as_str().unwrap(),
                f["reason"].as_str().unwrap(),
                f["url"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "require",
                r#"missing required field "name""#,
                "https://shop.example/p1"
            ),
            (
                "price_to_pence",
                "price is not a number",
                "https://shop.example/p1"
            ),
            (
                "price_positive",
                "price must be > 0",
                "https://shop.example/p1"
            ),
            (
                "dedupe",
                r#"duplicate "id" "1": already seen in this run"#,
                "https://shop.example/p2"
            ),
            (
                "require",
                r#"required field "id" is empty"#,
                "https://shop.example/p2"
            ),
        ]
    );
    // The failed item is kept, as the rejecting stage saw it.
    assert_eq!(failures[0]["item"], json!({"id": 2, "price": 5}));
    assert_eq!(failures[2]["item"]["price"], 0);
    assert_eq!(failures[2]["item"]["currency"], "EUR");
}

#[tokio::test]
async fn csv_sink_gets_the_items_that_pass() {
    let dir = tempfile::tempdir().unwrap();
    let (out, bad) = (
        dir.path().join("items.csv"),
        dir.path().join("failures.jsonl"),
    );
    let columns = Some(vec!["id".to_string(), "name".to_string()]);
    let mut writer = ItemWriter::new(
        Pipeline::new().require(["name"]).dedupe("id"),
        CsvSink::create(&out, columns).await.unwrap(),
        JsonlSink::create(&bad).await.unwrap(),
    );
    let batch = items(&[
        json!({"id": 1, "name": "a"}),
        json!({"id": 1, "name": "b"}),
        json!({"id": 2}),
        json!({"id": 3, "name": "c, with a comma"}),
    ]);
    writer.accept("https://x.example/", batch).await.unwrap();
    writer.flush().await.unwrap();
    // flush made both durable: read them before close.
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "id,name\n1,a\n3,\"c, with a comma\"\n"
    );
    assert_eq!(jsonl(&bad).len(), 2);
    writer.close().await.unwrap();
}

#[tokio::test]
async fn an_item_without_the_upsert_key_does_not_lose_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let (db, bad) = (
        dir.path().join("items.db"),
        dir.path().join("failures.jsonl"),
    );
    let mut writer = ItemWriter::new(
        Pipeline::new(),
        SqliteSink::open(&db, "books", Some("id".into()))
            .await
            .unwrap(),
        JsonlSink::create(&bad).await.unwrap(),
    );
    let batch = items(&[
        json!({"id": 1, "title": "a"}),
        json!({"title": "no key"}),
        json!({"id": 3, "title": "c"}),
        json!({"id": null, "title": "null key"}),
    ]);
    writer
        .accept("https://books.example/list", batch)
        .await
        .unwrap();
    let counts = writer.counts();
    assert_eq!((counts.written, counts.refused, counts.failed()), (2, 2, 2));
    writer.close().await.unwrap();

    let conn = Connection::open(&db).unwrap();
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM books ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(ids, [1, 3]);
    let failures = jsonl(&bad);
    assert_eq!(failures.len(), 2);
    for (f, title) in failures.iter().zip(["no key", "null key"]) {
        assert_eq!(f["stage"], "sink");
        assert_eq!(f["url"], "https://books.example/list");
        assert_eq!(f["item"]["title"], title);
        let reason = f["reason"].as_str().unwrap();
        assert!(reason.contains(r#"lacks key field "id""#), "{reason}");
    }
}

#[tokio::test]
async fn a_value_the_database_refuses_goes_to_failures_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let (db, bad) = (
        dir.path().join("items.db"),
        dir.path().join("failures.jsonl"),
    );
    {
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch(
            "CREATE TABLE books (id INTEGER, price INTEGER CHECK (typeof(price) = 'integer'))",
        )
        .unwrap();
    }
    // Dedupe comes first: the refused item must not claim its id.
    let mut writer: ItemWriter = ItemWriter::new(
        Pipeline::new().dedupe("id"),
        BoxSink::new(
            SqliteSink::open(&db, "books", Some("id".into()))
                .await
                .unwrap(),
        ),
        BoxSink::new(JsonlSink::create(&bad).await.unwrap()),
    );
    let batch = items(&[
        json!({"id": 1, "price": 100}),
        json!({"id": 2, "price": "£1.00"}),
        json!({"id": 3, "price": 300}),
    ]);
    writer
        .accept("https://books.example/a", batch)
        .await
        .unwrap();
    writer
        .accept(
            "https://books.example/b",
            items(&[json!({"id": 2, "price": 200})]),
        )
        .await
        .unwrap();
    assert_eq!(writer.counts().written, 3);
    assert_eq!(writer.counts().refused, 1);
    writer.close().await.unwrap();

    let conn = Connection::open(&db).unwrap();
    let rows: Vec<(i64, i64)> = conn
        .prepare("SELECT id, price FROM books ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows, [(1, 100), (2, 200), (3, 300)]);
    let failures = jsonl(&bad);
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["stage"], "sink");
    assert_eq!(failures[0]["url"], "https://books.example/a");
    assert_eq!(failures[0]["item"], json!({"id": 2, "price": "£1.00"}));
    let reason = failures[0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("database error: ") && reason.contains("CHECK constraint failed"),
        "{reason}"
    );
}

#[tokio::test]
async fn a_failing_failures_sink_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("failures.db");
    {
        let conn = Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE failures (stage TEXT CHECK (0))")
            .unwrap();
    }
    let mut writer = ItemWriter::new(
        Pipeline::new().require(["id"]),
        JsonlSink::create(dir.path().join("items.jsonl"))
            .await
            .unwrap(),
        SqliteSink::open(&db, "failures", None).await.unwrap(),
    );
    let err = writer
        .accept("https://x.example/", items(&[json!({"id": 1}), json!({})]))
        .await
        .unwrap_err();
    assert!(err.is_database(), "{err:?}");
    writer.close().await.unwrap();
}

#[tokio::test]
async fn an_empty_page_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (out, bad) = (
        dir.path().join("items.jsonl"),
        dir.path().join("failures.jsonl"),
    );
    let mut writer = ItemWriter::new(
        Pipeline::new(),
        JsonlSink::create(&out).await.unwrap(),
        JsonlSink::create(&bad).await.unwrap(),
    );
    writer
        .accept("https://x.example/", Vec::new())
        .await
        .unwrap();
    writer.flush().await.unwrap();
    assert_eq!(writer.sink().committed(), Some(0));
    assert_eq!(writer.failures().committed(), Some(0));
    writer.close().await.unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "");
    assert_eq!(std::fs::read_to_string(&bad).unwrap(), "");
}

/// Several pages' items in one write: a refused item is found item by item
/// and its failure record names its own page.
#[tokio::test]
async fn accept_many_keeps_each_items_page() {
    let dir = tempfile::tempdir().unwrap();
    let (db, bad) = (dir.path().join("b.db"), dir.path().join("bad.jsonl"));
    let mut writer = ItemWriter::new(
        Pipeline::new().dedupe("id"),
        SqliteSink::open(&db, "books", Some("id".into()))
            .await
            .unwrap(),
        JsonlSink::create(&bad).await.unwrap(),
    );
    writer
        .accept_many(
            &["http://a/1", "http://a/2", "http://a/3", "http://a/4"],
            items(&[
                json!({"id": 1, "name": "x"}),
                json!({"name": "no id"}),
                json!({"id": 3, "name": "z"}),
                json!({"id": 1, "name": "again"}),
            ]),
        )
        .await
        .unwrap();
    writer.close().await.unwrap();
    let failures = jsonl(&bad);
    let mut pages: Vec<&str> = failures
        .iter()
        .map(|f| f["url"].as_str().unwrap())
        .collect();
    pages.sort_unstable();
    assert_eq!(pages, ["http://a/2", "http://a/4"], "{failures:?}");
    let rows: i64 = Connection::open(&db)
        .unwrap()
        .query_row("select count(*) from books", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 2);
}
