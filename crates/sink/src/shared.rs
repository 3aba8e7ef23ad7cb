//! [`SharedSink`]: one sink written by several owners.

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::{BoxSink, Error, Item, Sink};

/// A handle to a sink shared by several writers (rules of a spider writing
/// to one file, or one failures file for all of them). Clones write to the
/// same sink, one batch at a time; batches never interleave.
///
/// `close` on a handle flushes; the sink itself closes when the last handle
/// is closed.
#[derive(Clone, Debug)]
pub struct SharedSink(Arc<Mutex<Option<BoxSink>>>);

impl SharedSink {
    /// Shares `sink`.
    pub fn new(sink: impl Sink + 'static) -> SharedSink {
        SharedSink(Arc::new(Mutex::new(Some(BoxSink::new(sink)))))
    }
}

impl Sink for SharedSink {
    async fn write(&mut self, batch: &[Item]) -> Result<(), Error> {
        match self.0.lock().await.as_mut() {
            Some(s) => s.write(batch).await,
            None => Err(Error::new(crate::error::Kind::Closed)),
        }
    }

    async fn flush(&mut self) -> Result<(), Error> {
        match self.0.lock().await.as_mut() {
            Some(s) => s.flush().await,
            None => Err(Error::new(crate::error::Kind::Closed)),
        }
    }

    async fn close(self) -> Result<(), Error> {
        let mut guard = self.0.lock().await;
        // Other handles still write: flush for this one, close with the last.
        if Arc::strong_count(&self.0) > 1 {
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
        a.close().await.unwrap();
        b.write(&[item(4)]).await.unwrap();
        b.close().await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
    }
}
