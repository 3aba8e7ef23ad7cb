//! [`BoxSink`]: any sink, chosen at run time.

use std::future::Future;
use std::pin::Pin;

use crate::{Error, Item, Sink};

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The object-safe face of [`Sink`], implemented for every sink.
trait DynSink: Send {
    fn write_dyn<'a>(&'a mut self, batch: &'a [Item]) -> BoxFuture<'a, Result<(), Error>>;
    fn flush_dyn(&mut self) -> BoxFuture<'_, Result<(), Error>>;
    fn close_dyn(self: Box<Self>) -> BoxFuture<'static, Result<(), Error>>;
    fn committed_dyn(&self) -> Option<u64>;
}

impl<S: Sink + 'static> DynSink for S {
    fn write_dyn<'a>(&'a mut self, batch: &'a [Item]) -> BoxFuture<'a, Result<(), Error>> {
        Box::pin(self.write(batch))
    }

    fn flush_dyn(&mut self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(self.flush())
    }

    fn close_dyn(self: Box<Self>) -> BoxFuture<'static, Result<(), Error>> {
        Box::pin((*self).close())
    }

    fn committed_dyn(&self) -> Option<u64> {
        self.committed()
    }
}

/// A sink whose kind is decided at run time (by a config file or a flag),
/// itself a [`Sink`].
///
/// ```
/// use ferrocrawl_sink::{BoxSink, JsonlSink, Sink};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ferrocrawl_sink::Error> {
/// let dir = tempfile::tempdir()?;
/// let mut sink = BoxSink::new(JsonlSink::create(dir.path().join("items.jsonl")).await?);
/// sink.write(&[]).await?;
/// sink.close().await?;
/// # Ok(())
/// # }
/// ```
pub struct BoxSink(Box<dyn DynSink>);

impl BoxSink {
    /// Box `sink`.
    pub fn new(sink: impl Sink + 'static) -> BoxSink {
        BoxSink(Box::new(sink))
    }
}

impl std::fmt::Debug for BoxSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BoxSink")
    }
}

impl Sink for BoxSink {
    async fn write(&mut self, batch: &[Item]) -> Result<(), Error> {
        self.0.write_dyn(batch).await
    }

    fn flush(&mut self) -> impl Future<Output = Result<(), Error>> + Send {
        self.0.flush_dyn()
    }

    fn close(self) -> impl Future<Output = Result<(), Error>> + Send {
        self.0.close_dyn()
    }

    fn committed(&self) -> Option<u64> {
        self.0.committed_dyn()
    }
}
