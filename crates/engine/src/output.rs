//! [`Output`]: where a crawl's items go, committed before their pages count
//! as done.

use std::future::Future;

use ferrocrawl_core::{Result, Url};
use ferrocrawl_frontier::Checkpoint;
use serde_json::Value;

use crate::event::PageRecord;

/// Where a crawl's items go when the engine writes them itself
/// ([`Crawler::run_into`](crate::Crawler::run_into)), instead of sending
/// them as events.
///
/// The engine hands over a page's items before it acks the page, and calls
/// [`Output::commit`] every so often and at the end; then it commits the
/// frontier with the checkpoint `commit` returned. A durable frontier thus
/// never records a page as done before its items are durable: after a crash,
/// pages past the last commit are fetched again, and their items are written
/// again (idempotent for upserting sinks; file sinks cut back to the
/// checkpoint first).
pub trait Output: Send + 'static {
    /// Takes the items a page's handler emitted; may buffer them.
    fn accept(
        &mut self,
        page: &Url,
        label: Option<&str>,
        items: Vec<Value>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Takes the record of a fetched (or failed) page, before the page is
    /// acked, like its items. By default records are only sent as events.
    fn page(&mut self, record: &PageRecord) -> impl Future<Output = Result<()>> + Send {
        let _ = record;
        async { Ok(()) }
    }

    /// Takes a request the frontier dropped (robots.txt), before the
    /// frontier's next commit. By default drops are only sent as events.
    fn dropped(&mut self, url: &Url, reason: &str) -> impl Future<Output = Result<()>> + Send {
        let _ = (url, reason);
        async { Ok(()) }
    }

    /// Makes everything accepted so far durable and says what is committed
    /// (e.g. each file's length), for the frontier to store. An error stops
    /// the crawl: items that can't be stored must not be acked.
    fn commit(&mut self) -> impl Future<Output = Result<Checkpoint>> + Send;
}

/// The output of [`Crawler::run`](crate::Crawler::run): items go out as
/// events, so there is nothing to commit.
pub(crate) struct NoOutput;

impl Output for NoOutput {
    async fn accept(&mut self, _: &Url, _: Option<&str>, _: Vec<Value>) -> Result<()> {
        Ok(())
    }

    async fn commit(&mut self) -> Result<Checkpoint> {
        Ok(Vec::new())
    }
}
