//! ferrocrawl-content's integration tests (one binary): Markdown fidelity on
//! pages written for the purpose, charsets through the core decoder, metadata,
//! and main-content quality on the shared article-extraction corpus.

mod charset;
mod corpus;
mod limits;
mod markdown;
mod metadata;

use ferrocrawl_content::{Content, extract};
use url::Url;

/// A news-like page: navigation, a sidebar and a footer around an article
/// whose body is `article` between two paragraphs of prose, so that the
/// main-content detector has an article to find.
pub fn page(article: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test page</title></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/about">About</a></li></ul></nav>
<div class="sidebar"><h3>Popular</h3><ul><li><a href="/a">Another story</a></li><li><a href="/b">Yet another story</a></li></ul></div>
<main><article>
<p>The committee met on Tuesday to review the results of the survey, which
covered more than four thousand households across the region over the summer.</p>
{article}
<p>Members agreed to publish the full data set next month, once the remaining
questions about sampling have been answered by the statistics office.</p>
</article></main>
<footer><p>Copyright 2026 Example News. All rights reserved.</p></footer>
</body></html>"#
    )
}

/// The page URL every test resolves against.
pub fn base() -> Url {
    Url::parse("https://news.example/2026/survey/index.html").expect("a valid URL")
}

/// `extract` on [`page`]`(article)`.
pub fn content(article: &str) -> Content {
    extract(&page(article), &base())
}
