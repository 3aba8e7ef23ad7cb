//! The `content` setting: a page's main content and metadata in its record.
//!
//! Extraction is CPU work (the page's tree, Readability's scoring, the
//! Markdown): a fraction of a millisecond for most pages, a third of a second
//! and about 150 MiB for a 10 MB one. It runs on tokio's blocking threads, one page per core at a
//! time, so a page's task waits for it without holding a runtime worker (the
//! fetches, timers and politeness of every other page go on meanwhile) and
//! memory stays bounded by the cores, not by the requests in flight.

use ferrocrawl_content::{Content, Rendering};
use ferrocrawl_core::Response;

use crate::builder::Ctx;
use crate::event::{PageContent, PageRecord};
use crate::settings::ContentFormat;

/// How many extractions run at once: the machine's cores.
pub(crate) fn parallelism() -> usize {
    std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get)
}

/// `resp`'s main content in `format` (a successful HTML page), or why it
/// could not be extracted.
pub(crate) async fn extract(
    ctx: &Ctx,
    format: ContentFormat,
    resp: &Response,
) -> Result<Content, String> {
    // Only the rendering asked for.
    let rendering = match format {
        ContentFormat::Markdown => Rendering::Markdown,
        ContentFormat::Text => Rendering::Text,
    };
    // The semaphore is never closed: a failed acquire cannot happen, and
    // would only mean running without the bound.
    let _permit = ctx.extracting.acquire().await.ok();
    let html = resp.text().to_owned();
    let url = resp.url.clone();
    tokio::task::spawn_blocking(move || ferrocrawl_content::extract_with(&html, &url, rendering))
        .await
        .map_err(|e| {
            let why = e
                .try_into_panic()
                .ok()
                .and_then(|p| {
                    p.downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                })
                .unwrap_or_else(|| "cancelled".to_owned());
            format!(
                "main-content extraction failed ({why}); the page's other fields are complete \
                 (a bug in ferrocrawl: please report it with the page)"
            )
        })
}

/// Puts what [`extract`] gave into `record`: the content in `format`, the
/// metadata beside it, and the article's title in place of the `<title>`
/// when one is found.
pub(crate) fn add(
    ctx: &Ctx,
    record: &mut PageRecord,
    format: ContentFormat,
    content: Result<Content, String>,
) {
    let content = match content {
        Ok(content) => content,
        Err(why) => {
            ctx.stats
                .content_failed
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::warn!(url = %record.url, "{why}");
            record.content = Some(PageContent {
                content_error: Some(why),
                ..PageContent::default()
            });
            return;
        }
    };
    let meta = content.metadata;
    let (markdown, text) = match format {
        ContentFormat::Markdown => (Some(content.markdown), None),
        ContentFormat::Text => (None, Some(content.text)),
    };
    if meta.title.is_some() {
        record.title = meta.title;
    }
    record.content = Some(PageContent {
        markdown,
        text,
        author: meta.author,
        date: meta.date,
        language: meta.language,
        canonical_url: meta.canonical_url,
        description: meta.description,
        content_error: None,
    });
}
