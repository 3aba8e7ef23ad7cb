//! Clean content for language-model and search pipelines: a page's main text
//! (boilerplate removed), the same content as Markdown, and its metadata.
//!
//! [`ContentExt`] adds [`markdown`](ContentExt::markdown),
//! [`main_text`](ContentExt::main_text), [`metadata`](ContentExt::metadata)
//! and [`content`](ContentExt::content) to [`Response`]; the work is
//! `ferrocrawl-content`'s [`extract_with`] (decision 0016). Each call
//! extracts afresh, making only what it returns: for more than one of them,
//! call [`content`](ContentExt::content) once.
//!
//! ```
//! use ferrocrawl::prelude::*;
//! use ferrocrawl::{Bytes, HeaderMap, Request, Response, StatusCode, Url};
//!
//! let url: Url = "https://blog.example/posts/rust-2024".parse()?;
//! let html = r#"<html lang="en"><head><title>Rust 2024 | Blog</title></head><body>
//!   <nav><a href="/">Home</a> <a href="/archive">Archive</a></nav>
//!   <article><h1>What the 2024 edition changes</h1>
//!     <p>The 2024 edition is the largest edition Rust has shipped so far, and it
//!        changes how <code>impl Trait</code> captures lifetimes.</p>
//!     <p>Read the <a href="/guide">edition guide</a> before migrating a big
//!        workspace; <code>cargo fix --edition</code> does most of the work.</p>
//!   </article>
//!   <footer>Copyright 2024</footer></body></html>"#;
//! // A response as a fetch returns it (here built by hand).
//! let resp = Response::new(
//!     Request::get(url.clone()),
//!     StatusCode::OK,
//!     HeaderMap::new(),
//!     url,
//!     Bytes::from(html),
//! );
//! let md = resp.markdown();
//! assert!(md.starts_with("# What the 2024 edition changes\n"));
//! assert!(md.contains("[edition guide](https://blog.example/guide)"));
//! assert!(!md.contains("Copyright") && !md.contains("Archive"));
//! assert!(resp.main_text().contains("largest edition"));
//! assert_eq!(resp.metadata().language.as_deref(), Some("en"));
//! # Ok::<(), ferrocrawl::Error>(())
//! ```

pub use ferrocrawl_content::{Content, Metadata, Rendering, extract, extract_with};

use crate::Response;

/// A page's main content from a [`Response`]: `use ferrocrawl::ContentExt`
/// (or `ferrocrawl::prelude::*`) and call `resp.markdown()`.
///
/// The body is decoded by the response's charset pipeline (BOM, header,
/// `<meta>`, detection), and relative links resolve against its final URL.
/// Meant for HTML pages; any other body yields whatever text it has.
pub trait ContentExt {
    /// The main content, its Markdown and its metadata, extracted once.
    fn content(&self) -> Content;

    /// The main content as plain text, boilerplate removed: blocks
    /// separated by blank lines.
    fn main_text(&self) -> String;

    /// The main content as CommonMark with GFM tables: headings at their
    /// levels, nested lists, fenced code with its language, absolute links
    /// and images, and text that looks like Markdown escaped.
    fn markdown(&self) -> String;

    /// The page's title, author, date, language, canonical URL and
    /// description.
    fn metadata(&self) -> Metadata;
}

impl ContentExt for Response {
    fn content(&self) -> Content {
        extract(self.text(), &self.url)
    }

    fn main_text(&self) -> String {
        extract_with(self.text(), &self.url, Rendering::Text).text
    }

    fn markdown(&self) -> String {
        extract_with(self.text(), &self.url, Rendering::Markdown).markdown
    }

    fn metadata(&self) -> Metadata {
        extract_with(self.text(), &self.url, Rendering::Neither).metadata
    }
}
