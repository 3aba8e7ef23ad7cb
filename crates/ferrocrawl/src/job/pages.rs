//! A job's page lines: one JSON line per page fetched or failed, per
//! request dropped, and per item no item route takes (`ferrocrawl crawl`'s
//! output), into a file or stdout, committed with the crawl state.

use std::path::Path;

use ferrocrawl_engine::PageRecord;
use ferrocrawl_frontier::Checkpoint;
use ferrocrawl_sink::{JsonlSink, Sink};
use serde::Serialize;

use super::items::{offset, offset_bytes};
use crate::{Error, ErrorKind, Result, Url};

/// The checkpoint name of the page file's committed length.
const CHECKPOINT: &str = "output";

#[derive(Serialize)]
struct ItemLine<'a> {
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    item: &'a serde_json::Value,
}

#[derive(Serialize)]
struct DroppedLine<'a> {
    url: &'a str,
    dropped: &'a str,
}

pub(crate) struct PageLines {
    sink: JsonlSink,
}

fn output_error(e: ferrocrawl_sink::Error) -> Error {
    Error::new(ErrorKind::Io, format!("cannot write the output: {e}")).with_source(e)
}

impl PageLines {
    /// Lines to `path` (stdout with `None`), cut back to the checkpoint when
    /// resuming.
    pub async fn open(path: Option<&Path>, resume: Option<&Checkpoint>) -> Result<PageLines> {
        let at = resume.map(|c| offset(c, CHECKPOINT).unwrap_or(0));
        let sink = match (path, at) {
            (None, _) => JsonlSink::stdout(),
            (Some(p), Some(at)) if p.exists() => JsonlSink::resume(p, at).await.map_err(|e| {
                let what = format!("cannot resume the output file {}", p.display());
                Error::new(ErrorKind::Io, format!("{what}: {e}")).with_source(e)
            })?,
            (Some(p), _) => JsonlSink::create(p).await.map_err(|e| {
                let what = format!("cannot create the output file {}", p.display());
                Error::new(ErrorKind::Io, format!("{what}: {e}")).with_source(e)
            })?,
        };
        Ok(PageLines { sink })
    }

    async fn push(&mut self, line: &impl Serialize) -> Result<()> {
        self.sink.write_line(line).await.map_err(output_error)
    }

    pub async fn items(
        &mut self,
        page: &Url,
        label: Option<&str>,
        items: &[serde_json::Value],
    ) -> Result<()> {
        for item in items {
            let url = page.as_str();
            self.push(&ItemLine { url, label, item }).await?;
        }
        Ok(())
    }

    pub async fn page(&mut self, page: &PageRecord) -> Result<()> {
        self.push(page).await
    }

    pub async fn dropped(&mut self, url: &Url, reason: &str) -> Result<()> {
        let url = url.as_str();
        self.push(&DroppedLine {
            url,
            dropped: reason,
        })
        .await
    }

    pub async fn commit(&mut self) -> Result<Checkpoint> {
        self.sink.flush().await.map_err(output_error)?;
        Ok(self
            .sink
            .committed()
            .map(|at| vec![(CHECKPOINT.to_owned(), offset_bytes(at))])
            .unwrap_or_default())
    }

    pub async fn close(self) -> Result<()> {
        self.sink.close().await.map_err(output_error)
    }
}
