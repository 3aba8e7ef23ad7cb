//! Clean content for language-model and search pipelines: a page's main text
//! (boilerplate removed), the same content as faithful Markdown, and the page's
//! metadata.
//!
//! [`extract`] takes a decoded page (decode bytes with
//! `ferrocrawl_core::charset::decode`, which sniffs GBK, Shift_JIS, undeclared
//! Latin-1 and the rest) and the page's URL, and returns a [`Content`]:
//!
//! - [`Content::text`]: the article's text, one block per paragraph;
//! - [`Content::markdown`]: the article as CommonMark with GFM tables, headings
//!   at their levels, nested lists, fenced code with its language, absolute link
//!   and image URLs, and text that looks like Markdown escaped;
//! - [`Content::metadata`]: title, author, date, language, canonical URL and
//!   description.
//!
//! The page is read once, as html5gum's tokens, into a compact tree of our own
//! ([`stream`]); Mozilla's Readability algorithm (as the `dom_smoothie` crate
//! implements it) finds the article on that tree, a boilerplate pass of our own
//! cleans it, and the text and the Markdown (htmd's output, without its second
//! parse) are rendered from it. Quality was chosen by measurement on the
//! article-extraction benchmark (`docs/decisions/0016-main-content-extraction.md`),
//! speed by measurement on crawls (`docs/decisions/0020-streaming-content-extractor.md`).
//!
//! ```
//! use ferrocrawl_content::extract;
//! use url::Url;
//!
//! let html = r#"<html lang="en"><head><title>Rust 2024</title></head><body>
//!   <nav><a href="/">Home</a> <a href="/news">News</a></nav>
//!   <article><h1>Rust 2024</h1>
//!     <p>The 2024 edition is the largest edition Rust has shipped so far, and it
//!        changes how <code>impl Trait</code> captures lifetimes.</p>
//!     <p>Read the <a href="/guide">edition guide</a> before migrating a big
//!        workspace; <code>cargo fix --edition</code> does most of the work.</p>
//!   </article>
//!   <footer>Copyright 2024</footer></body></html>"#;
//! let page = extract(html, &Url::parse("https://blog.example/rust-2024")?);
//! assert!(page.text.contains("largest edition"));
//! assert!(!page.text.contains("Copyright"));
//! assert!(page.markdown.contains("[edition guide](https://blog.example/guide)"));
//! assert_eq!(page.metadata.language.as_deref(), Some("en"));
//! # Ok::<(), url::ParseError>(())
//! ```

mod clean;
mod content;
mod depth;
mod extract;
mod markdown;
mod metadata;
pub mod stream;
mod strip;
mod text;

pub use content::{Content, Metadata};
pub use extract::{Rendering, extract, extract_with, extract_with_dom};
#[doc(hidden)]
pub use markdown::{markdown_of_body, markdown_of_body_timed};
#[doc(hidden)]
pub use stream::{extract_markdown_fast, extract_text_fast};
