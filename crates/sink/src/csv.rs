//! CSV with a stable header.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;
use tokio::io::AsyncWriteExt;

use crate::resume::{changed, committed_part, read_head, reopen};
use crate::value::to_text;
use crate::{Error, Item, Sink};

/// Bytes of encoded rows buffered before they are written to the file.
const BUFFER_BYTES: usize = 64 * 1024;

/// Longest header [`CsvSink::resume`] reads back from a file.
const MAX_HEADER_BYTES: u64 = 1 << 20;

/// Writes items as CSV rows under one fixed header.
///
/// The header is the columns given to [`CsvSink::create`], or else the keys
/// of the first item, in order. It never changes: a later item's missing
/// keys become empty cells, and values under keys outside the header are
/// dropped, counted in [`CsvSink::dropped_fields`] and logged once per key.
/// Strings are written as they are, `null` as an empty cell, and every other
/// value as compact JSON.
///
/// [`Sink::flush`] writes the buffered rows and syncs the file to disk, after
/// which [`Sink::committed`] is its durable length; [`CsvSink::resume`]
/// reopens the file at that length after a crash, under the header it has.
#[derive(Debug)]
pub struct CsvSink {
    file: tokio::fs::File,
    encoder: ::csv::Writer<Vec<u8>>,
    columns: Option<Vec<String>>,
    header_written: bool,
    dropped: u64,
    warned: HashSet<String>,
    /// Bytes handed to the file so far: its length.
    written: u64,
    /// The file's length at the last successful flush.
    committed: u64,
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
        let mut sink = CsvSink::new(file, columns, 0);
        sink.write_header()?;
        Ok(sink)
    }

    /// Reopens the file at `path` that an earlier sink wrote, after a crash
    /// or a pause: cuts off everything after `offset` (a
    /// [`Sink::committed`] value that earlier sink reported) and appends
    /// rows from there, under the header read from the file's first record,
    /// so no second header is written. If `offset` is 0 the file starts
    /// over as with [`CsvSink::create`].
    ///
    /// Fails, naming the file, if it does not exist, is shorter than
    /// `offset`, `offset` does not end a line, or `columns` are given and
    /// differ from the file's header.
    pub async fn resume(
        path: impl AsRef<Path>,
        columns: Option<Vec<String>>,
        offset: u64,
    ) -> Result<Self, Error> {
        let path = path.as_ref();
        let mut file = reopen(path, offset).await?;
        if offset == 0 {
            let mut sink = CsvSink::new(file, columns, 0);
            sink.write_header()?;
            return Ok(sink);
        }
        let head = read_head(&mut file, offset.min(MAX_HEADER_BYTES), offset).await?;
        let header = first_record(&head, offset, path)?;
        if let Some(columns) = &columns
            && *columns != header
        {
            return Err(changed(format!(
                "{} has the header {header:?}, not the columns given {columns:?}; \
                 resume with the same columns, or none",
                path.display()
            )));
        }
        let mut sink = CsvSink::new(file, Some(header), offset);
        sink.header_written = true;
        Ok(sink)
    }

    fn new(file: tokio::fs::File, columns: Option<Vec<String>>, offset: u64) -> Self {
        CsvSink {
            file,
            encoder: ::csv::Writer::from_writer(Vec::with_capacity(BUFFER_BYTES)),
            columns,
            header_written: false,
            dropped: 0,
            warned: HashSet::new(),
            written: offset,
            committed: offset,
        }
    }

    /// Reads back the rows in the first `upto` bytes of a file an earlier
    /// sink wrote (a committed offset), calling `each` with every one as an
    /// item of text values keyed by the header: what a resumed crawl needs to
    /// know of the output it continues, such as the dedupe keys already there
    /// ([`crate::Pipeline::remember`]).
    ///
    /// Returns how many records could not be read (a file edited by hand);
    /// they are skipped. Fails only if the file cannot be read.
    pub fn read_committed(
        path: impl AsRef<Path>,
        upto: u64,
        mut each: impl FnMut(Item),
    ) -> Result<u64, Error> {
        let mut reader = ::csv::ReaderBuilder::new()
            .flexible(true)
            .from_reader(committed_part(path.as_ref(), upto)?);
        let header = reader.headers()?.clone();
        let mut bad = 0;
        for record in reader.records() {
            match record {
                Ok(record) => each(
                    header
                        .iter()
                        .zip(record.iter())
                        .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
                        .collect(),
                ),
                Err(e) if e.is_io_error() => return Err(e.into()),
                Err(_) => bad += 1,
            }
        }
        Ok(bad)
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
            self.written += bytes.len() as u64;
        }
        Ok(())
    }
}

/// The first CSV record of `head` (the first bytes of a file whose committed
/// length is `offset`), which must end within it.
fn first_record(head: &[u8], offset: u64, path: &Path) -> Result<Vec<String>, Error> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(head);
    let mut record = ::csv::StringRecord::new();
    let found = reader.read_record(&mut record).map_err(|e| {
        changed(format!(
            "{}: cannot read the header to resume: {e}",
            path.display()
        ))
    })?;
    let end = reader.position().byte();
    // A header is complete if the reader stopped before the end of what we
    // read, or what we read is the whole committed file (which ends a line).
    let complete = end < head.len() as u64 || head.len() as u64 == offset;
    if !found || !complete {
        return Err(changed(format!(
            "{}: no complete header line in the first {} bytes; resume needs the file's header",
            path.display(),
            head.len()
        )));
    }
    Ok(record.iter().map(String::from).collect())
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
        crate::resume::sync(&self.file).await?;
        self.committed = self.written;
        Ok(())
    }

    async fn close(mut self) -> Result<(), Error> {
        self.flush().await
    }

    fn committed(&self) -> Option<u64> {
        Some(self.committed)
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
        // The first item's fields in its order (serde_json's `preserve_order`).
        assert_eq!(rows[0], ["b", "a"]);
        assert_eq!(rows[1], ["1", "x"]);
        assert_eq!(rows[2], ["", "y"]);
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
