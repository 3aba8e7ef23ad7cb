//! [`SharedSink`]: one sink written by several owners.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use crate::{BoxSink, Error, Item, Sink};

/// A handle to a sink shared by several writers (rules of a spider writing
/// to one file, or one failures file for all of them). Clones write to the
/// same sink, one batch at a time; batches never interleave.
///
/// `close` on a handle flushes; the sink itself closes when the last handle
/// is closed.
#[derive(Clone, Debug)]
pub struct SharedSink {
    sink: Arc<Mutex<Option<BoxSink>>>,
    /// The sink's [`Sink::committed`] after the last flush through any
    /// handle; `u64::MAX` for none.
    committed: Arc<AtomicU64>,
}

impl SharedSink {
    /// Shares `sink`.
    pub fn new(sink: impl Sink + 'static) -> SharedSink {
        let committed = sink.committed().unwrap_or(u64::MAX);
        SharedSink {
            sink: Arc::new(Mutex::new(Some(BoxSink::new(sink)))),
            committed: Arc::new(AtomicU64::new(committed)),
        }
    }
}

impl Sink for SharedSink {
    async fn write(&mut self, batch: &[Item]) -> Result<(), Error> {
        match self.sink.lock().await.as_mut() {
            Some(s) => s.write(batch).await,
            None => Err(Error::new(crate::error::Kind::Closed)),
        }
    }

    async fn flush(&mut self) -> Result<(), Error> {
        match self.sink.lock().await.as_mut() {
            Some(s) => {
                s.flush().await?;
                let at = s.committed().unwrap_or(u64::MAX);
                self.committed.store(at, Ordering::Release);
                Ok(())
            }
            None => Err(Error::new(crate::error::Kind::Closed)),
        }
    }

    fn committed(&self) -> Option<u64> {
        match self.committed.load(Ordering::Acquire) {
            u64::MAX => None,
            at => Some(at),
        }
    }

    async fn close(self) -> Result<(), Error> {
        let mut guard = self.sink.lock().await;
        // Other handles still write: flush for this one, close with the last.
        if Arc::strong_count(&self.sink) > 1 {
            return match guard.as_mut() {
                Some(s) => s.flush().await,
                None => Ok(()),
            };
        }
        match guard.take() {
            Some(s) => s.close().await,
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::JsonlSink;

    #[tokio::test]
    async fn clones_write_one_file_and_the_last_close_closes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.jsonl");
        let mut a = SharedSink::new(JsonlSink::create(&path).await.unwrap());
        let mut b = a.clone();
        let item = |n: i64| {
            serde_json::json!({ "n": n })
                .as_object()
                .cloned()
                .unwrap_or_default()
        };
        a.write(&[item(1)]).await.unwrap();
        b.write(&[item(2), item(3)]).await.unwrap();
        b.flush().await.unwrap();
        let len = std::fs::metadata(&path).unwrap().len();
        assert_eq!(a.committed(), Some(len), "every handle sees the flush");
        a.close().await.unwrap();
        b.write(&[item(4)]).await.unwrap();
        b.close().await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
    }
}
