//! The vocabulary of ferrocrawl: the stable types every other crate is built on.
//!
//! - [`Request`]: what to fetch, plus the crawl data that travels with it (label,
//!   user data, priority, depth). Serializable, because frontiers store it.
//! - [`Response`]: what came back: status, headers, final URL, the redirect
//!   chain, the body, lazily decoded text (see [`charset`]), timings, attempts.
//! - [`Outcome`]: what happens next to a request, as data (done, retry,
//!   reschedule, drop, fail, fatal).
//! - [`Error`]: one opaque error type with predicates such as
//!   [`Error::is_timeout`].
//!
//! ```
//! use ferrocrawl_core::{Method, Request};
//!
//! let req = Request::get("http://127.0.0.1:8080/api/book/".parse().unwrap())
//!     .query("limit", "18")
//!     .header("accept", "application/json")
//!     .label("LIST");
//! assert_eq!(req.method, Method::GET);
//! assert_eq!(req.url.as_str(), "http://127.0.0.1:8080/api/book/?limit=18");
//! ```

pub mod charset;
mod error;
mod outcome;
mod request;
mod response;

pub use bytes::Bytes;
pub use error::{Error, ErrorKind, Result, StateProblem, TimeoutPhase};
pub use http::{HeaderMap, Method, StatusCode, Version};
pub use outcome::{Outcome, RetryReason};
pub use request::{Body, Request, RequestKind, Timeouts};
pub use response::{Redirect, Response, Timings};
pub use url::Url;
