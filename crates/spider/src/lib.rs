//! Declarative spiders: a crawl written as a TOML file instead of a program.
//!
//! A spider file names start URLs (with ranges and templates), rules chosen
//! by a request's label or URL pattern, the fields each rule extracts (CSS,
//! JSONPath or regex, with processors), the requests it follows, the item
//! key, and the sinks. [`Spider::parse`] compiles it at once: every
//! expression, template and reference is checked, and a mistake is a
//! [`SpiderError`] with its line and column. A compiled [`Spider`] gives a
//! [`ferrocrawl_engine::CrawlerBuilder`] with its rules as handlers.
//!
//! ```toml
//! name = "books"
//! [[start]]
//! url = "http://127.0.0.1:8090/api/book/?limit=18&offset={offset}"
//! vars.offset = { from = 0, to = 9990, step = 18 }
//! label = "list"
//! [rules.list]
//! follow = [{ jsonpath = "$.results[*].id", template = "/api/book/{}", label = "book" }]
//! [rules.book]
//! items = { jsonpath = "$" }
//! key = "id"
//! [sink]
//! to = "books.db"
//! table = "books"
//! ```
//!
//! The full reference is [`STARTER`], the commented file `ferrocrawl new`
//! writes, and `docs/spiders.md`.

mod compile;
mod error;
mod file;
mod read;
mod rules;
mod spider;
mod template;

pub use error::{Mistake, SpiderError};
pub use rules::PROBLEMS_KEY;
pub use spider::{Output, Settings, SinkKind, SinkSpec, Spider, Unmatched};

/// A commented starter spider: `{name}` is the spider's name. Every key is
/// shown, most commented out; the file compiles as it is.
pub const STARTER: &str = include_str!("starter.toml");

/// The starter spider for `name`.
pub fn starter(name: &str) -> String {
    STARTER.replace("{name}", name)
}
