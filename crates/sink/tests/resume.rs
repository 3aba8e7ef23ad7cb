//! Exactly-once file output after a crash: flush, note the committed offset,
//! write more without flushing, "crash", resume at the offset.
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use std::io::Write;
use std::path::Path;

use ferrocrawl_sink::{BoxSink, CsvSink, Item, JsonlSink, Sink, SqliteSink};
use serde_json::{Value, json};

fn item(v: Value) -> Item {
    v.as_object().cloned().unwrap()
}

/// Enough items to spill the sinks' 64 KiB buffers to the file, so the
/// crash leaves unflushed bytes on disk.
fn spill(tag: &str) -> Vec<Item> {
    (0..2_000)
        .map(|i| item(json!({"id": format!("{tag}{i}"), "name": "x".repeat(40)})))
        .collect()
}

/// Appends half a line, as a crash in the middle of a write leaves it.
fn append_torn_line(path: &Path, bytes: &[u8]) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(bytes).unwrap();
}

fn len(path: &Path) -> u64 {
    std::fs::metadata(path).unwrap().len()
}

#[tokio::test]
async fn jsonl_resume_keeps_exactly_the_flushed_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.jsonl");
    let mut sink = JsonlSink::create(&path).await.unwrap();
    assert_eq!(sink.committed(), Some(0));
    let first: Vec<Item> = (0..3).map(|i| item(json!({"id": i}))).collect();
    sink.write(&first).await.unwrap();
    assert_eq!(
        sink.committed(),
        Some(0),
        "nothing is committed before a flush"
    );
    sink.flush().await.unwrap();
    let offset = sink.committed().unwrap();
    assert_eq!(offset, len(&path));
    assert_eq!(offset, 3 * "{\"id\":0}\n".len() as u64);

    // The crash: more rows reach the file, never flushed, then half a line.
    sink.write(&spill("lost")).await.unwrap();
    drop(sink);
    append_torn_line(&path, b"{\"id\":\"torn");
    assert!(len(&path) > offset + 64 * 1024);

    let mut sink = JsonlSink::resume(&path, offset).await.unwrap();
    assert_eq!(sink.committed(), Some(offset));
    assert_eq!(len(&path), offset, "the uncommitted tail is cut at once");
    sink.write(&[item(json!({"id": "after"}))]).await.unwrap();
    sink.flush().await.unwrap();
    let end = sink.committed().unwrap();
    sink.close().await.unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text,
        "{\"id\":0}\n{\"id\":1}\n{\"id\":2}\n{\"id\":\"after\"}\n"
    );
    assert_eq!(end, text.len() as u64);
}

#[tokio::test]
async fn jsonl_resume_at_zero_and_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.jsonl");
    std::fs::write(&path, "{\"a\":1}\n").unwrap();
    let sink = JsonlSink::resume(&path, 8).await.unwrap();
    sink.close().await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"a\":1}\n");
    let mut sink = JsonlSink::resume(&path, 0).await.unwrap();
    sink.write(&[item(json!({"b": 2}))]).await.unwrap();
    sink.close().await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"b\":2}\n");
}

#[tokio::test]
async fn jsonl_resume_refuses_a_changed_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.jsonl");
    std::fs::write(&path, "{\"a\":1}\n{\"a\":2}\n").unwrap();

    let err = JsonlSink::resume(&path, 100).await.unwrap_err();
    let msg = format!("{}", std::error::Error::source(&err).unwrap());
    assert!(err.is_io());
    assert!(
        msg.contains("items.jsonl") && msg.contains("shorter than the committed offset 100"),
        "{msg}"
    );
    assert!(msg.contains("changed since the crawl was paused"), "{msg}");

    let err = JsonlSink::resume(&path, 5).await.unwrap_err();
    let msg = format!("{}", std::error::Error::source(&err).unwrap());
    assert!(msg.contains("not at the end of a line"), "{msg}");
    // Refusing leaves the file as it was.
    assert_eq!(len(&path), 16);

    let err = JsonlSink::resume(dir.path().join("gone.jsonl"), 0)
        .await
        .unwrap_err();
    let msg = format!("{}", std::error::Error::source(&err).unwrap());
    assert!(msg.contains("gone.jsonl"), "{msg}");
}

#[tokio::test]
async fn csv_resume_keeps_its_header_and_writes_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.csv");
    let mut sink = CsvSink::create(&path, None).await.unwrap();
    sink.write(&[
        item(json!({"name": "a, b", "id": "1"})),
        item(json!({"id": "2", "name": "line\nbreak"})),
    ])
    .await
    .unwrap();
    sink.flush().await.unwrap();
    let offset = sink.committed().unwrap();
    assert_eq!(offset, len(&path));

    sink.write(&spill("lost")).await.unwrap();
    drop(sink);
    append_torn_line(&path, b"torn,\"row");

    let mut sink = CsvSink::resume(&path, None, offset).await.unwrap();
    // The header is the first item's fields, in its order.
    assert_eq!(
        sink.columns(),
        Some(&["name".to_string(), "id".to_string()][..])
    );
    // Keys in another order, and one outside the header: the header holds.
    sink.write(&[item(json!({"name": "c", "extra": 1, "id": "3"}))])
        .await
        .unwrap();
    assert_eq!(sink.dropped_fields(), 1);
    sink.close().await.unwrap();

    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, "name,id\n\"a, b\",1\n\"line\nbreak\",2\nc,3\n");
    assert_eq!(text.matches("name,id").count(), 1);
}

#[tokio::test]
async fn csv_resume_checks_given_columns_and_starts_over_at_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.csv");
    let columns = vec!["id".to_string(), "name".to_string()];
    let mut sink = CsvSink::create(&path, Some(columns.clone())).await.unwrap();
    sink.write(&[item(json!({"id": 1, "name": "a"}))])
        .await
        .unwrap();
    sink.close().await.unwrap();
    let offset = len(&path);

    let err = CsvSink::resume(&path, Some(vec!["id".into()]), offset)
        .await
        .unwrap_err();
    let msg = format!("{}", std::error::Error::source(&err).unwrap());
    assert!(
        msg.contains("items.csv") && msg.contains("not the columns given"),
        "{msg}"
    );

    let mut sink = CsvSink::resume(&path, Some(columns.clone()), offset)
        .await
        .unwrap();
    sink.write(&[item(json!({"id": 2, "name": "b"}))])
        .await
        .unwrap();
    sink.close().await.unwrap();
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "id,name\n1,a\n2,b\n"
    );

    // Nothing was committed (a crash before the first flush): start over.
    let mut sink = CsvSink::resume(&path, None, 0).await.unwrap();
    sink.write(&[item(json!({"x": 1}))]).await.unwrap();
    sink.close().await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "x\n1\n");
}

#[tokio::test]
async fn csv_resume_refuses_a_shorter_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.csv");
    std::fs::write(&path, "id\n1\n").unwrap();
    let err = CsvSink::resume(&path, None, 50).await.unwrap_err();
    let msg = format!("{}", std::error::Error::source(&err).unwrap());
    assert!(
        msg.contains("items.csv") && msg.contains("changed since the crawl was paused"),
        "{msg}"
    );
}

#[tokio::test]
async fn committed_through_box_sink_and_for_other_sinks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("items.jsonl");
    let mut sink = BoxSink::new(JsonlSink::create(&path).await.unwrap());
    sink.write(&[item(json!({"a": 1}))]).await.unwrap();
    sink.flush().await.unwrap();
    assert_eq!(sink.committed(), Some(8));
    sink.close().await.unwrap();

    assert_eq!(JsonlSink::stdout().committed(), None);
    let db = SqliteSink::open(dir.path().join("x.db"), "t", None)
        .await
        .unwrap();
    assert_eq!(BoxSink::new(db).committed(), None);
}

/// `-o /dev/null` (a benchmark's favourite) can't be synced; that is fine.
#[tokio::test]
async fn a_device_that_cannot_sync_is_no_error() {
    let mut sink = JsonlSink::create("/dev/null").await.unwrap();
    let item = serde_json::json!({"a": 1}).as_object().cloned().unwrap();
    sink.write(&[item]).await.unwrap();
    sink.flush().await.unwrap();
    sink.close().await.unwrap();
}

/// What a resumed run reads back to seed its dedupe keys: the committed
/// items only, from JSONL and CSV alike, and a pipeline that remembers them
/// rejects them again.
#[tokio::test]
async fn committed_items_read_back_and_remembered() {
    use ferrocrawl_sink::Pipeline;
    let dir = tempfile::tempdir().unwrap();
    let items: Vec<Item> = (0..5)
        .map(|i| item(json!({"id": i, "name": format!("n{i}")})))
        .collect();

    let jsonl = dir.path().join("items.jsonl");
    let mut sink = JsonlSink::create(&jsonl).await.unwrap();
    sink.write(&items[..3]).await.unwrap();
    sink.flush().await.unwrap();
    let jsonl_at = sink.committed().unwrap();
    sink.write(&items[3..]).await.unwrap();
    sink.close().await.unwrap();
    append_torn_line(&jsonl, b"not json\n");

    let csv = dir.path().join("items.csv");
    let mut sink = CsvSink::create(&csv, None).await.unwrap();
    sink.write(&items[..3]).await.unwrap();
    sink.flush().await.unwrap();
    let csv_at = sink.committed().unwrap();
    sink.write(&items[3..]).await.unwrap();
    sink.close().await.unwrap();

    let mut from_jsonl = Vec::new();
    let bad = JsonlSink::read_committed(&jsonl, jsonl_at, |i| from_jsonl.push(i)).unwrap();
    assert_eq!((from_jsonl.as_slice(), bad), (&items[..3], 0));
    let mut all = Vec::new();
    let bad = JsonlSink::read_committed(&jsonl, len(&jsonl), |i| all.push(i)).unwrap();
    assert_eq!(
        (all.len(), bad),
        (5, 1),
        "a line that is not JSON is counted"
    );

    let mut from_csv = Vec::new();
    let bad = CsvSink::read_committed(&csv, csv_at, |i| from_csv.push(i)).unwrap();
    assert_eq!(bad, 0);
    let ids: Vec<&Value> = from_csv.iter().map(|i| &i["id"]).collect();
    assert_eq!(
        ids,
        [&json!("0"), &json!("1"), &json!("2")],
        "CSV reads text"
    );

    // Keys compare as text, so a CSV "1" and a JSON 1 are the same key.
    for read in [&from_jsonl, &from_csv] {
        let mut p = Pipeline::new().dedupe("id");
        for i in read {
            p.remember(i);
        }
        let rejected = p.process(items[1].clone()).unwrap_err();
        assert_eq!(rejected.stage, "dedupe");
        assert!(p.process(items[4].clone()).is_ok(), "an unseen key passes");
    }
}
