//! [`ItemWriter`]: a pipeline in front of a sink, with a failures sink for
//! everything that does not get through.

use crate::pipeline::{Claims, Pipeline, Rejected};
use crate::{BoxSink, Error, Item, Sink};

/// The stage name in failure records for items the sink refused.
const SINK_STAGE: &str = "sink";

/// Runs items through a [`Pipeline`] into a sink, and writes every item that
/// does not make it (rejected by a stage, or refused by the sink) to a
/// failures sink, with the stage, the reason and the page's URL:
///
/// ```json
/// {"stage": "require", "reason": "missing required field \"name\"", "url": "https://…", "item": {…}}
/// ```
///
/// When the sink refuses a batch because of its items (an item lacks the
/// upsert key, the database rejects a value), the batch is written again
/// item by item and only the items that fail go to the failures sink, with
/// the sink's error as the reason: one bad item never loses the others.
/// Errors that are not about an item (i/o, a closed connection, a failing
/// failures sink) are returned, and nothing is counted as written.
///
/// ```
/// use ferrocrawl_sink::{ItemWriter, JsonlSink, Pipeline};
/// use serde_json::json;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), ferrocrawl_sink::Error> {
/// let dir = tempfile::tempdir()?;
/// let mut writer = ItemWriter::new(
///     Pipeline::new().require(["title"]),
///     JsonlSink::create(dir.path().join("items.jsonl")).await?,
///     JsonlSink::create(dir.path().join("failures.jsonl")).await?,
/// );
/// let items = [json!({"title": "Dune"}), json!({"title": ""})]
///     .into_iter()
///     .filter_map(|v| v.as_object().cloned())
///     .collect();
/// writer.accept("https://books.example/1", items).await?;
/// assert_eq!((writer.counts().written, writer.counts().rejected), (1, 1));
/// writer.close().await?;
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct ItemWriter<S = BoxSink, F = BoxSink> {
    pipeline: Pipeline,
    sink: S,
    failures: F,
    counts: Counts,
}

/// What an [`ItemWriter`] did with the items it was given.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Items given to [`ItemWriter::accept`].
    pub received: u64,
    /// Items written to the sink.
    pub written: u64,
    /// Items a pipeline stage rejected (see [`Pipeline::stats`] per stage).
    pub rejected: u64,
    /// Items the sink refused.
    pub refused: u64,
}

impl Counts {
    /// Items written to the failures sink: rejected plus refused.
    pub fn failed(&self) -> u64 {
        self.rejected + self.refused
    }
}

// ===== impl ItemWriter =====

impl<S: Sink, F: Sink> ItemWriter<S, F> {
    /// Items go through `pipeline` into `sink`; what fails goes to `failures`.
    pub fn new(pipeline: Pipeline, sink: S, failures: F) -> Self {
        ItemWriter {
            pipeline,
            sink,
            failures,
            counts: Counts::default(),
        }
    }

    /// Runs a page's items through the pipeline, writes those that pass to
    /// the sink and failure records (naming `url`) for the others to the
    /// failures sink. Both sinks may buffer: [`ItemWriter::flush`] makes the
    /// result durable.
    ///
    /// An error means a sink failed as a whole (see the type's docs); the
    /// items of this call may then be partly written.
    pub async fn accept(&mut self, url: &str, items: Vec<Item>) -> Result<(), Error> {
        let urls = vec![url; items.len()];
        self.accept_many(&urls, items).await
    }

    /// Like [`ItemWriter::accept`] for items of several pages at once, in
    /// one sink write: `urls[i]` is the page of `items[i]`. Batching many
    /// pages' items makes database sinks commit far less often.
    pub async fn accept_many(&mut self, urls: &[&str], items: Vec<Item>) -> Result<(), Error> {
        debug_assert_eq!(urls.len(), items.len());
        self.counts.received += items.len() as u64;
        let mut passed = Vec::with_capacity(items.len());
        let mut passed_urls = Vec::with_capacity(items.len());
        let mut claims = Vec::with_capacity(items.len());
        let mut failed = Vec::new();
        for (item, url) in items.into_iter().zip(urls) {
            match self.pipeline.admit(item) {
                Ok((item, claim)) => {
                    passed.push(item);
                    passed_urls.push(*url);
                    claims.push(claim);
                }
                Err(rejected) => {
                    self.counts.rejected += 1;
                    failed.push(rejected.into_record(Some(url)));
                }
            }
        }

        match self.sink.write(&passed).await {
            Ok(()) => self.counts.written += passed.len() as u64,
            Err(e) if is_about_items(&e) => {
                tracing::debug!(error = %e, "sink refused a batch; writing it item by item");
                self.write_one_by_one(&passed_urls, passed, claims, &mut failed)
                    .await?;
            }
            Err(e) => {
                self.release(claims);
                return Err(e);
            }
        }
        if !failed.is_empty() {
            self.failures.write(&failed).await?;
        }
        Ok(())
    }

    /// Writes each item on its own; those the sink refuses become failure
    /// records with its error as the reason, and their dedupe keys are
    /// released.
    async fn write_one_by_one(
        &mut self,
        urls: &[&str],
        items: Vec<Item>,
        claims: Vec<Claims>,
        failed: &mut Vec<Item>,
    ) -> Result<(), Error> {
        let mut claims = claims.into_iter();
        for (item, url) in items.into_iter().zip(urls) {
            let claim = claims.next().unwrap_or_default();
            match self.sink.write(std::slice::from_ref(&item)).await {
                Ok(()) => self.counts.written += 1,
                Err(e) if is_about_items(&e) => {
                    self.counts.refused += 1;
                    self.pipeline.release(claim);
                    let rejected = Rejected {
                        item,
                        stage: SINK_STAGE.to_owned(),
                        reason: chain(&e),
                    };
                    failed.push(rejected.into_record(Some(url)));
                }
                Err(e) => {
                    self.pipeline.release(claim);
                    self.release(claims.collect());
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Releases the dedupe keys of items that were not written.
    fn release(&mut self, claims: Vec<Claims>) {
        for claim in claims {
            self.pipeline.release(claim);
        }
    }

    /// Flushes the sink, then the failures sink.
    pub async fn flush(&mut self) -> Result<(), Error> {
        self.sink.flush().await?;
        self.failures.flush().await
    }

    /// Flushes and closes both sinks; both are closed even if the first
    /// fails, and the first error is returned.
    pub async fn close(self) -> Result<(), Error> {
        let sink = self.sink.close().await;
        let failures = self.failures.close().await;
        sink.and(failures)
    }

    /// What happened to the items so far.
    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The pipeline, for its per-stage [`Pipeline::stats`].
    pub fn pipeline(&self) -> &Pipeline {
        &self.pipeline
    }

    /// The sink, e.g. for its [`Sink::committed`] offset.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The failures sink.
    pub fn failures(&self) -> &F {
        &self.failures
    }
}

/// Whether the sink refused the batch because of what is in it, so that
/// writing the items one by one can save the good ones.
fn is_about_items(e: &Error) -> bool {
    e.is_missing_key() || e.is_database() || e.is_csv()
}

/// The error and its causes on one line: `database error: CHECK constraint failed: price > 0`.
fn chain(e: &Error) -> String {
    let mut out = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        source = cause.source();
    }
    out
}
