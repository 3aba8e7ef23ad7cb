//! The [`Sink`] trait every output implements.

use std::future::Future;

use crate::Error;

/// An item: one JSON object, field name to value.
pub type Item = serde_json::Map<String, serde_json::Value>;

/// Where scraped items go.
///
/// Writes may buffer; [`Sink::flush`] makes everything written so far durable
/// and [`Sink::close`] flushes and releases the sink. The futures are `Send`,
/// so a sink can be driven from a spawned task.
pub trait Sink: Send {
    /// Writes a batch; may buffer.
    ///
    /// When the sink has a key field, an item lacking it (or holding `null`)
    /// is an error naming the item, and no item of the batch is written.
    fn write(&mut self, batch: &[Item]) -> impl Future<Output = Result<(), Error>> + Send;

    /// Makes everything written so far durable.
    fn flush(&mut self) -> impl Future<Output = Result<(), Error>> + Send;

    /// Flushes and releases the sink.
    fn close(self) -> impl Future<Output = Result<(), Error>> + Send
    where
        Self: Sized;

    /// For a sink that writes one file, the byte length of that file that is
    /// durable: what the last successful [`Sink::flush`] made so (at first,
    /// the length it was created or resumed with). Recorded with a crawl's
    /// state, it is the offset to resume the file at after a crash (see
    /// [`JsonlSink::resume`](crate::JsonlSink::resume)).
    ///
    /// `None` for sinks that have no such offset (databases, which commit
    /// each batch, and standard output).
    fn committed(&self) -> Option<u64> {
        None
    }
}
