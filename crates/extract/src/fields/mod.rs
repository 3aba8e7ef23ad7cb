//! Field extraction: compiled expressions that pull values out of a page, and processors
//! that clean them up.
//!
//! A declarative spider compiles each user expression once into a [`Selector`] (CSS with
//! parsel's (Scrapy's) `::text` / `::attr(name)` endings and our `::all-text`, JSONPath per RFC 9535, a regular
//! expression, or, with the `xpath` feature, XPath), runs it over every page's [`Document`] to get the raw values, and passes
//! them through [`apply`] with a list of [`Processor`]s to get the field's final value.
//!
//! Compiling is the only step that can fail (an invalid expression is a [`FieldError`]
//! naming it); selecting and processing take any input, and malformed HTML or JSON just
//! yields nothing. HTML nested deeper than [`MAX_DEPTH`] elements is only read up to that
//! depth (see [`Document`]).
//!
//! ```
//! use ferrocrawl_extract::fields::{Document, Processor, Selector, apply};
//! use serde_json::json;
//! use url::Url;
//!
//! let url = Url::parse("https://books.example/catalogue/page-1.html").expect("valid URL");
//! let doc = Document::new(
//!     r#"<h1 class="title">  A Light
//!          in the Attic </h1><p class="price">£51.77</p><a class="next" href="page-2.html">next</a>"#,
//!     &url,
//! );
//! let title = Selector::css("h1.title::text")?.select(&doc);
//! assert_eq!(apply(title.clone(), &[Processor::First], &doc.base_url()), json!("  A Light\n         in the Attic "));
//! assert_eq!(apply(title, &[Processor::First, Processor::Normalize], &doc.base_url()), json!("A Light in the Attic"));
//! let price = Selector::css("p.price::text")?.select(&doc);
//! assert_eq!(apply(price, &[Processor::First, Processor::ParseNumber], &doc.base_url()), json!(51.77));
//! let next = Selector::css("a.next::attr(href)")?.select(&doc);
//! assert_eq!(
//!     apply(next, &[Processor::First, Processor::AbsoluteUrl], &doc.base_url()),
//!     json!("https://books.example/catalogue/page-2.html"),
//! );
//! # Ok::<(), ferrocrawl_extract::fields::FieldError>(())
//! ```

mod css;
mod document;
mod error;
mod jsonpath;
mod nesting;
mod processor;
mod regex;
mod selector;
#[cfg(feature = "xpath")]
mod xpath;

pub use css::CssSelector;
pub use document::Document;
pub use error::FieldError;
pub use jsonpath::JsonPathSelector;
pub use nesting::MAX_DEPTH;
pub use processor::{Applied, Pattern, Problem, Processor, apply, apply_checked, apply_keeping};
pub use regex::RegexSelector;
pub use selector::Selector;
#[cfg(feature = "xpath")]
pub use xpath::XPathSelector;
