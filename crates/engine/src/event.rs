//! What the crawl reports as it goes.

use std::time::Duration;

use ferrocrawl_core::Url;
use serde::Serialize;

/// One fetched (or failed) page.
#[derive(Clone, Debug, Serialize)]
pub struct PageRecord {
    /// The URL requested.
    pub url: Url,
    /// HTTP status, if a response came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Links followed from the seed to reach it.
    pub depth: u32,
    /// The page it was found on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub referrer: Option<Url>,
    /// `<title>` text; with the `content` setting on, the article's title
    /// when one is found (the site's name trimmed off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// `Content-Type` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Body bytes.
    pub bytes: u64,
    /// Links found on the page (before scope and dedup).
    pub links: usize,
    /// Where a redirect pointed (crawls follow redirects through the frontier).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect: Option<Url>,
    /// Time to the response headers.
    #[serde(with = "secs")]
    pub ttfb: Duration,
    /// Time to the last body byte.
    #[serde(with = "secs")]
    pub elapsed: Duration,
    /// Attempts made.
    pub attempts: u32,
    /// What went wrong, if the page failed: `{kind, message}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorRecord>,
    /// The page's main content and metadata, with the `content` setting on
    /// (successful HTML pages only); its keys sit beside the others.
    #[serde(flatten)]
    pub content: Option<PageContent>,
    /// The body, kept only when the crawler was asked to (`keep_bodies`).
    #[serde(skip)]
    pub body: Option<ferrocrawl_core::Bytes>,
}

/// A page's main content, boilerplate removed, and its metadata (the
/// `content` setting). The title goes in [`PageRecord::title`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct PageContent {
    /// The main content as Markdown (`content = "markdown"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub markdown: Option<String>,
    /// The main content as plain text (`content = "text"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// The author or byline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    /// The publication date as the page gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The page's language (`<html lang>`, `content-language`, `og:locale`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// `<link rel="canonical">`, absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canonical_url: Option<Url>,
    /// `<meta name="description">` or Open Graph's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Why the content is missing when extraction failed (the page itself
    /// did not: its record is complete otherwise).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_error: Option<String>,
}

impl PageRecord {
    /// The record of a request that failed before any response came.
    pub fn failed(request: &ferrocrawl_core::Request, kind: &str, message: String) -> PageRecord {
        PageRecord {
            url: request.url.clone(),
            status: None,
            depth: request.depth,
            referrer: request.referrer.clone(),
            title: None,
            content_type: None,
            bytes: 0,
            links: 0,
            redirect: None,
            ttfb: Duration::ZERO,
            elapsed: Duration::ZERO,
            attempts: request.attempts,
            error: Some(ErrorRecord {
                kind: kind.to_owned(),
                message,
            }),
            content: None,
            body: None,
        }
    }
}

/// An error in a record.
#[derive(Clone, Debug, Serialize)]
pub struct ErrorRecord {
    /// Stable kind name (`connect`, `read_timeout`, …).
    pub kind: String,
    /// What happened.
    pub message: String,
}

/// Something the crawl reports.
#[derive(Clone, Debug)]
pub enum Event {
    /// A page was fetched, or failed for good.
    Page(Box<PageRecord>),
    /// A handler emitted an item.
    Item {
        /// The page it came from.
        url: Url,
        /// The label of the request that led there.
        label: Option<String>,
        /// The item, a JSON object.
        item: serde_json::Value,
    },
    /// A request was dropped on purpose (robots.txt).
    Dropped {
        /// The URL.
        url: Url,
        /// Why.
        reason: String,
    },
}

mod secs {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e6)
    }
}
