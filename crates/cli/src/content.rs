//! `ferrocrawl extract --content`: a page's main content, as text or Markdown.

use std::io::{BufWriter, Write};

use ferrocrawl::Url;
use ferrocrawl_content::Content;
use serde_json::json;

use crate::args::ContentFormat;

/// Prints the content: as it is, or with `json` one object holding the page's
/// URL, its metadata and the content under `text` or `markdown`.
pub fn print(
    content: &Content,
    format: ContentFormat,
    url: &Url,
    json: bool,
) -> std::io::Result<()> {
    let (key, body) = match format {
        ContentFormat::Text => ("text", &content.text),
        ContentFormat::Markdown => ("markdown", &content.markdown),
    };
    let mut out = BufWriter::new(std::io::stdout().lock());
    if json {
        let meta = &content.metadata;
        let object = json!({
            "url": url.as_str(),
            "title": meta.title,
            "author": meta.author,
            "date": meta.date,
            "language": meta.language,
            "canonical_url": meta.canonical_url.as_ref().map(Url::as_str),
            "description": meta.description,
            key: body,
        });
        serde_json::to_writer(&mut out, &object)?;
        writeln!(out)?;
    } else if !body.is_empty() {
        writeln!(out, "{body}")?;
    }
    out.flush()
}
