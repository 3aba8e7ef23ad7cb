//! [`SinkOutput`]: a crawl's items straight into one sink.

use ferrocrawl_engine::Output;
use ferrocrawl_frontier::Checkpoint;
use ferrocrawl_sink::{Item, Sink};

use crate::{Error, ErrorKind, Result, Url};

/// Items per sink write.
const BATCH: usize = 1_000;

/// An [`Output`] that writes every item to one sink, in batches, committed
/// before the pages they came from are acked: give it to
/// [`Crawler::run_into`](crate::crawl::Crawler::run_into).
///
/// Its checkpoint is the sink's committed length (for JSONL and CSV), under
/// `name`, so a durable frontier can resume the file exactly. For item
/// pipelines and a failures file, see [`ItemWriter`](crate::sink::ItemWriter).
///
/// ```no_run
/// # async fn demo(crawler: ferrocrawl::crawl::Crawler) -> Result<(), Box<dyn std::error::Error>> {
/// use ferrocrawl::crawl::SinkOutput;
/// use ferrocrawl::sink::{Sink, SqliteSink};
///
/// let sink = SqliteSink::open("books.db", "books", Some("id".into())).await?;
/// let (events, _) = tokio::sync::mpsc::channel(1);
/// let (summary, out) = crawler.run_into(events, SinkOutput::new(sink)).await?;
/// println!("{} items from {} pages", out.written(), summary.pages);
/// out.into_inner().close().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct SinkOutput<S> {
    sink: S,
    name: String,
    batch: Vec<Item>,
    written: u64,
}

impl<S: Sink + 'static> SinkOutput<S> {
    /// Items go to `sink`; its checkpoint is named `"items"`.
    pub fn new(sink: S) -> SinkOutput<S> {
        SinkOutput::named(sink, "items")
    }

    /// Items go to `sink`; its checkpoint is named `name`.
    pub fn named(sink: S, name: impl Into<String>) -> SinkOutput<S> {
        SinkOutput {
            sink,
            name: name.into(),
            batch: Vec::new(),
            written: 0,
        }
    }

    /// Items written to the sink so far (committed or about to be).
    pub fn written(&self) -> u64 {
        self.written
    }

    /// The sink, to close it (the crawl has committed everything).
    pub fn into_inner(self) -> S {
        self.sink
    }

    async fn write(&mut self) -> Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.sink.write(&self.batch).await.map_err(sink_error)?;
        self.written += self.batch.len() as u64;
        self.batch.clear();
        Ok(())
    }
}

fn sink_error(e: ferrocrawl_sink::Error) -> Error {
    Error::new(ErrorKind::Io, format!("cannot write items: {e}")).with_source(e)
}

impl<S: Sink + 'static> Output for SinkOutput<S> {
    async fn accept(
        &mut self,
        _page: &Url,
        _label: Option<&str>,
        items: Vec<serde_json::Value>,
    ) -> Result<()> {
        self.batch.extend(items.into_iter().filter_map(|v| match v {
            serde_json::Value::Object(item) => Some(item),
            _ => None,
        }));
        if self.batch.len() >= BATCH {
            self.write().await?;
        }
        Ok(())
    }

    async fn commit(&mut self) -> Result<Checkpoint> {
        self.write().await?;
        self.sink.flush().await.map_err(sink_error)?;
        Ok(self
            .sink
            .committed()
            .map(|at| vec![(self.name.clone(), at.to_le_bytes().to_vec())])
            .unwrap_or_default())
    }
}
