//! CSV with a stable header.

use std::collections::HashSet;
use std::path::Path;

use tokio::io::AsyncWriteExt;

use crate::value::to_text;
use crate::{Error, Item, Sink};

/// Bytes of encoded rows buffered before they are written to the file.
const BUFFER_BYTES: usize = 64 * 1024;

/// Writes items as CSV rows under one fixed header.
///
/// The header is the columns given to [`CsvSink::create`], or else the keys
/// of the first item, in order. It never changes: a later item's missing
/// keys become empty cells, and values under keys outside the header are
/// dropped, counted in [`CsvSink::dropped_fields`] and logged once per key.
/// Strings are written as they are, `null` as an empty cell, and every other
/// value as compact JSON.
#[derive(Debug)]
pub struct CsvSink {
    file: tokio::fs::File,
    encoder: ::csv::Writer<Vec<u8>>,
    columns: Option<Vec<String>>,
    header_written: bool,
    dropped: u64,
    warned: HashSet<String>,
}

// ===== impl CsvSink =====

impl CsvSink {
    /// Creates (or truncates) the file at `path`. With `columns`, the header
    /// is written at once; without, it comes from the first item.
    pub async fn create(
        path: impl AsRef<Path>,
        columns: Option<Vec<String>>,
    ) -> Result<Self, Error> {
        let file = tokio::fs::File::create(path).await?;
        let mut sink = CsvSink {
            file,
            encoder: ::csv::Writer::from_writer(Vec::with_capacity(BUFFER_BYTES)),
            columns,
            header_written: false,
            dropped: 0,
            warned: HashSet::new(),
        };
        sink.write_header()?;
        Ok(sink)
    }

    /// How many field values were dropped so far because their key is not a
    /// column of the header.
    pub fn dropped_fields(&self) -> u64 {
        self.dropped
    }

    /// The header, once known.
    pub fn columns(&self) -> Option<&[String]> {
        self.columns.as_deref()
    }

    fn write_header(&mut self) -> Result<(), Error> {
        if self.header_written {
            return Ok(());
        }
        if let Some(columns) = &self.columns {
            self.encoder.write_record(columns)?;
            self.header_written = true;
        }
        Ok(())
    }

    fn encode(&mut self, item: &Item) -> Result<(), Error> {
        if self.columns.is_none() {
            self.columns = Some(item.keys().cloned().collect());
            self.write_header()?;
        }
        let Some(columns) = &self.columns else {
            return Ok(());
        };
        let record = columns
            .iter()
            .map(|c| item.get(c).and_then(to_text).unwrap_or_default());
        self.encoder.write_record(record)?;
        for key in item.keys().filter(|k| !columns.contains(k)) {
            self.dropped += 1;
            if self.warned.insert(key.clone()) {
                tracing::warn!(field = %key, "csv sink: field not in header, dropping its values");
            }
        }
        Ok(())
    }

    async fn drain(&mut self) -> Result<(), Error> {
        let full = std::mem::replace(
            &mut self.encoder,
            ::csv::Writer::from_writer(Vec::with_capacity(BUFFER_BYTES)),
        );
        let bytes = full.into_inner().map_err(|e| e.into_error())?;
        if !bytes.is_empty() {
            self.file.write_all(&bytes).await?;
        }
        Ok(())
    }
}

impl Sink for CsvSink {
    async fn write(&mut self, batch: &[Item]) -> Result<(), Error> {
        for item in batch {
            self.encode(item)?;
            if self.encoder.get_ref().len() >= BUFFER_BYTES {
                self.drain().await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Error> {
        self.drain().await?;
        self.file.flush().await?;
        self.file.sync_all().await?;
        Ok(())
    }

    async fn close(mut self) -> Result<(), Error> {
        self.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: serde_json::Value) -> Item {
        v.as_object().cloned().expect("test item is an object")
    }

    fn read(path: &Path) -> Vec<Vec<String>> {
        let mut reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .from_path(path)
            .expect("open csv");
        reader
            .records()
            .map(|r| r.expect("record").iter().map(String::from).collect())
            .collect()
    }

    #[tokio::test]
    async fn header_is_stable_with_missing_and_extra_keys() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.csv");
        let mut sink = CsvSink::create(&path, None).await.expect("create");
        sink.write(&[item(json!({"b": 1, "a": "x"}))])
            .await
            .expect("write");
        sink.write(&[
            item(json!({"a": "y", "extra": true, "more": 1})),
            item(json!({"extra": 2})),
        ])
        .await
        .expect("write");
        assert_eq!(sink.dropped_fields(), 3);
        sink.close().await.expect("close");

        let rows = read(&path);
        // Map order: serde_json sorts keys unless its `preserve_order` is on.
        assert_eq!(rows[0], ["a", "b"]);
        assert_eq!(rows[1], ["x", "1"]);
        assert_eq!(rows[2], ["y", ""]);
        assert_eq!(rows[3], ["", ""]);
        assert_eq!(rows.len(), 4);
    }

    #[tokio::test]
    async fn given_columns_and_quoting() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("q.csv");
        let columns = vec!["text".to_string(), "obj".to_string(), "n".to_string()];
        let mut sink = CsvSink::create(&path, Some(columns)).await.expect("create");
        let tricky = "a, \"quoted\"\nnew line";
        sink.write(&[item(json!({
            "obj": {"k": [1, "two", null]},
            "text": tricky,
            "n": null,
        }))])
        .await
        .expect("write");
        sink.close().await.expect("close");

        let rows = read(&path);
        assert_eq!(rows[0], ["text", "obj", "n"]);
        assert_eq!(rows[1], [tricky, r#"{"k":[1,"two",null]}"#, ""]);
    }

    #[tokio::test]
    async fn header_written_even_without_items() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("empty.csv");
        let sink = CsvSink::create(&path, Some(vec!["a".into()]))
            .await
            .expect("create");
        sink.close().await.expect("close");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "a\n");
    }

    #[tokio::test]
    async fn odd_json_does_not_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("odd.csv");
        let mut sink = CsvSink::create(&path, None).await.expect("create");
        sink.write(&[
            item(json!({})),
            item(json!({"big": 18446744073709551615u64, "f": -1.0e-300, "deep": [[[[{}]]]]})),
        ])
        .await
        .expect("write");
        sink.close().await.expect("close");
        // The first item was empty, so the header is empty too; rows are empty.
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(!text.contains("big"));
    }
}
