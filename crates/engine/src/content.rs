//! The `content` setting: a page's main content and metadata in its record.
//! Runs in the page's task, beside link extraction, so the work spreads over
//! all cores instead of weighing on the single output loop.

use ferrocrawl_content::Rendering;
use ferrocrawl_core::Response;

use crate::event::{PageContent, PageRecord};
use crate::settings::ContentFormat;

/// Extracts `resp`'s main content (a successful HTML page) into `record`:
/// the content in `format`, the metadata beside it, and the article's title
/// in place of the `<title>` when one is found.
pub(crate) fn add(record: &mut PageRecord, format: ContentFormat, resp: &Response) {
    // Only the rendering asked for: the Markdown costs a second parse.
    let rendering = match format {
        ContentFormat::Markdown => Rendering::Markdown,
        ContentFormat::Text => Rendering::Text,
    };
    let content = ferrocrawl_content::extract_with(resp.text(), &resp.url, rendering);
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
    });
}
