//! What [`extract`](crate::extract) returns.

use url::Url;

/// A page's main content and metadata.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Content {
    /// The main text: blocks (paragraphs, headings, list items, table rows)
    /// separated by blank lines, whitespace inside a block collapsed except in
    /// preformatted text. Empty when the page has no text.
    pub text: String,
    /// The main content as CommonMark (GFM tables), links and images absolute.
    pub markdown: String,
    /// The page's metadata.
    pub metadata: Metadata,
}

/// A page's metadata, from its `<head>`, Open Graph, JSON-LD and byline.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    /// The article's title (the site's name trimmed off the `<title>` where it
    /// can be told apart).
    pub title: Option<String>,
    /// The author or byline.
    pub author: Option<String>,
    /// The publication date as the page gives it (usually ISO 8601).
    pub date: Option<String>,
    /// The page's language as given: `<html lang>`, else
    /// `<meta http-equiv="content-language">`, else Open Graph's `og:locale`
    /// (`en_US` written `en-US`).
    pub language: Option<String>,
    /// `<link rel="canonical">`, resolved against the page URL.
    pub canonical_url: Option<Url>,
    /// `<meta name="description">`, else its Open Graph counterpart.
    pub description: Option<String>,
}
