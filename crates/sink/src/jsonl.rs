//! JSON Lines: one JSON object per line.

use std::path::Path;

use tokio::io::AsyncWriteExt;

use crate::resume::{committed_part, reopen};
use crate::{Error, Item, Sink};

/// Bytes buffered before they are handed to the file or stream.
const BUFFER_BYTES: usize = 64 * 1024;

/// Writes items as JSON Lines to a file or to standard output.
///
/// Each item is one compact JSON object followed by `\n`. Output is buffered;
/// [`Sink::flush`] writes the buffer and, for a file, syncs it to disk, after
/// which [`Sink::committed`] is the file's durable length. After a crash,
/// [`JsonlSink::resume`] reopens the file at that length, so each line is
/// written exactly once.
#[derive(Debug)]
pub struct JsonlSink {
    out: Output,
    buf: Vec<u8>,
    /// Bytes handed to the file so far (its length, for a file we own).
    written: u64,
    /// The file's length at the last successful flush; `None` for stdout.
    committed: Option<u64>,
}

#[derive(Debug)]
enum Output {
    File(tokio::fs::File),
    Stdout(tokio::io::Stdout),
}

// ===== impl JsonlSink =====

impl JsonlSink {
    /// Creates (or truncates) the file at `path`.
    pub async fn create(path: impl AsRef<Path>) -> Result<Self, Error> {
        let file = tokio::fs::File::create(path).await?;
        Ok(Self::with_output(Output::File(file), Some(0)))
    }

    /// Reopens the file at `path` that an earlier sink wrote, after a crash
    /// or a pause: cuts off everything after `offset` (a
    /// [`Sink::committed`] value that earlier sink reported) and appends
    /// from there.
    ///
    /// Fails, naming the file, if it does not exist, is shorter than
    /// `offset`, or `offset` does not end a line: the file was changed since
    /// the offset was recorded.
    pub async fn resume(path: impl AsRef<Path>, offset: u64) -> Result<Self, Error> {
        let file = reopen(path.as_ref(), offset).await?;
        let mut sink = Self::with_output(Output::File(file), Some(offset));
        sink.written = offset;
        Ok(sink)
    }

    /// Reads back the items in the first `upto` bytes of a file an earlier
    /// sink wrote (a committed offset), calling `each` with every one: what a
    /// resumed crawl needs to know of the output it continues, such as the
    /// dedupe keys already there ([`crate::Pipeline::remember`]).
    ///
    /// Returns how many lines were not JSON objects (a file edited by hand);
    /// they are skipped. Fails only if the file cannot be read.
    pub fn read_committed(
        path: impl AsRef<Path>,
        upto: u64,
        mut each: impl FnMut(Item),
    ) -> Result<u64, Error> {
        use std::io::BufRead;
        let mut bad = 0;
        for line in committed_part(path.as_ref(), upto)?.lines() {
            match serde_json::from_str::<Item>(&line?) {
                Ok(item) => each(item),
                Err(_) => bad += 1,
            }
        }
        Ok(bad)
    }

    /// Writes to standard output; `flush` flushes the stream.
    pub fn stdout() -> Self {
        Self::with_output(Output::Stdout(tokio::io::stdout()), None)
    }

    fn with_output(out: Output, committed: Option<u64>) -> Self {
        JsonlSink {
            out,
            buf: Vec::with_capacity(BUFFER_BYTES),
            written: 0,
            committed,
        }
    }

    async fn drain(&mut self) -> Result<(), Error> {
        if self.buf.is_empty() {
            return Ok(());
        }
        match &mut self.out {
            Output::File(f) => f.write_all(&self.buf).await?,
            Output::Stdout(s) => s.write_all(&self.buf).await?,
        }
        self.written += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }
}

impl JsonlSink {
    /// Writes any serializable value as one line, buffered like
    /// [`Sink::write`]: a caller with its own record type (a crawl's page
    /// records) needn't build an [`Item`] first.
    ///
    /// A value that fails to serialize (a map with non-string keys) is an
    /// error, and nothing of it is written.
    pub async fn write_line<T: serde::Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), Error> {
        let start = self.buf.len();
        if let Err(e) = serde_json::to_writer(&mut self.buf, value) {
            self.buf.truncate(start);
            return Err(std::io::Error::from(e).into());
        }
        self.buf.push(b'\n');
        if self.buf.len() >= BUFFER_BYTES {
            self.drain().await?;
        }
        Ok(())
    }
}

impl Sink for JsonlSink {
    async fn write(&mut self, batch: &[Item]) -> Result<(), Error> {
        for item in batch {
            self.write_line(item).await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Error> {
        self.drain().await?;
        match &mut self.out {
            Output::File(f) => {
                f.flush().await?;
                crate::resume::sync(f).await?;
                self.committed = Some(self.written);
            }
            Output::Stdout(s) => s.flush().await?,
        }
        Ok(())
    }

    async fn close(mut self) -> Result<(), Error> {
        self.flush().await
    }

    fn committed(&self) -> Option<u64> {
        self.committed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: serde_json::Value) -> Item {
        v.as_object().cloned().expect("test item is an object")
    }

    #[tokio::test]
    async fn lines_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("out.jsonl");
        let items = vec![
            item(json!({"a": 1, "b": "two\nlines", "c": {"d": [1, null]}})),
            item(
                json!({"big": 18446744073709551615u64, "neg": -9223372036854775808i64, "f": 1.5e300}),
            ),
            item(json!({})),
        ];
        let mut sink = JsonlSink::create(&path).await.expect("create");
        sink.write(&items[..2]).await.expect("write");
        sink.flush().await.expect("flush");
        sink.write(&items[2..]).await.expect("write");
        sink.close().await.expect("close");

        let text = std::fs::read_to_string(&path).expect("read");
        let back: Vec<Item> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("line is json"))
            .collect();
        assert_eq!(back, items);
        assert_eq!(text.lines().count(), 3);
    }

    #[tokio::test]
    async fn stdout_writes_and_flushes() {
        let mut sink = JsonlSink::stdout();
        sink.write(&[item(json!({"to": "stdout"}))])
            .await
            .expect("write");
        sink.close().await.expect("close");
    }

    #[tokio::test]
    async fn buffer_spills_on_large_batches() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.jsonl");
        let items: Vec<Item> = (0..5_000)
            .map(|i| item(json!({"i": i, "pad": "x".repeat(40)})))
            .collect();
        let mut sink = JsonlSink::create(&path).await.expect("create");
        sink.write(&items).await.expect("write");
        sink.close().await.expect("close");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text.lines().count(), 5_000);
    }
}
