//! robots.txt for ferrocrawl: which URLs a host lets us fetch, how slowly,
//! and where its sitemaps are (RFC 9309).
//!
//! - [`Robots`]: a host's rules for our agent, parsed once, cheap to clone;
//!   [`Robots::source`] gives what they were made from, to store them.
//! - [`from_fetch`]: what a robots.txt fetch result means ([`FetchResult`]
//!   in, rules and their [`Availability`] out).
//! - [`robots_url`]: where a page's robots.txt lives.
//! - [`product_token`]: the name our agent is matched by.
//!
//! Parsing and matching are the [`robotxt`] crate's; this crate adapts the
//! body to it where it differs from the reference behaviour (see
//! `docs/decisions/0004-robots-crate.md` and the conformance suite in
//! `tests/google.rs`).
//!
//! ```
//! use ferrocrawl_robots::{Availability, FetchResult, from_fetch, robots_url};
//! use url::Url;
//!
//! let page = Url::parse("https://example.com/private/page.html").unwrap();
//! let robots_txt = robots_url(&page).unwrap();
//! assert_eq!(robots_txt.as_str(), "https://example.com/robots.txt");
//!
//! let body = b"User-agent: *\nDisallow: /private/\nCrawl-delay: 2\n";
//! let (robots, availability) = from_fetch(FetchResult::Status(200, body), "ferrocrawl/0.1");
//! assert_eq!(availability, Availability::Fetched);
//! assert!(!robots.is_allowed(&page));
//! assert_eq!(robots.crawl_delay(), Some(std::time::Duration::from_secs(2)));
//! ```

mod agent;
mod body;
mod fetch;
mod location;
mod robots;

pub use agent::product_token;
pub use body::MAX_BODY;
pub use fetch::{Availability, FetchResult, from_fetch};
pub use location::robots_url;
pub use robots::{Robots, RobotsSource};
