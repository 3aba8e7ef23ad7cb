//! Link and sitemap extraction for ferrocrawl.
//!
//! - [`extract_links`] reads an HTML page and returns its outgoing links ([`PageLinks`]):
//!   anchors, image-map areas, `<link rel=next|prev|alternate>`, frames and meta refresh,
//!   resolved against the page's `<base>`, filtered by [`LinkOptions`] and de-duplicated.
//!   It tokenizes the page with `html5gum` (chosen by benchmark, see
//!   `docs/decisions/0009-html5gum.md`) and never fails.
//! - [`parse_sitemap`] reads an XML, gzip or text sitemap into a [`Sitemap`]; a broken
//!   one gives an [`Error`] that still carries the entries read before the problem.
//!
//! ```
//! use ferrocrawl_extract::{LinkKind, LinkOptions, extract_links};
//! use url::Url;
//!
//! let page = Url::parse("https://example.com/blog/").expect("valid URL");
//! let html = r#"<title> My  blog </title>
//!     <a href="post?id=1&amp;x=2#comments">One</a>
//!     <a href="mailto:me@example.com">Mail</a>
//!     <link rel="next" href="/blog/page/2">"#;
//! let found = extract_links(html, &page, &LinkOptions::default());
//! assert_eq!(found.title.as_deref(), Some("My blog"));
//! let urls: Vec<_> = found.links.iter().map(|l| (l.url.as_str(), l.kind)).collect();
//! assert_eq!(urls, [
//!     ("https://example.com/blog/post?id=1&x=2", LinkKind::Anchor),
//!     ("https://example.com/blog/page/2", LinkKind::LinkRel),
//! ]);
//! ```

mod collect;
mod error;
pub mod fields;
mod links;
mod reader;
mod refresh;
mod scan;
mod sitemap;

pub use error::Error;
pub use links::{
    KnownLinks, Link, LinkKind, LinkMemo, LinkOptions, MAX_LINK_LEN, MAX_TITLE_LEN, PageLinks,
    extract_links, extract_links_in, extract_links_with,
};
/// The tokenizer's input the link extractor reads pages through, for the
/// content extractor's tokenizer (decision 0012).
#[doc(hidden)]
pub use reader::PageReader;
pub use sitemap::{MAX_SITEMAP_SIZE, Sitemap, parse_sitemap};
