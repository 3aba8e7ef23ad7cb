//! ferrocrawl's downloader.
//!
//! - [`Client`]: one attempt of a [`Request`]: connection pooling, HTTP/1.1 and
//!   HTTP/2, TLS (rustls), gzip/brotli/zstd/deflate, cookies, proxies, redirects
//!   followed and recorded, a body cap enforced while streaming (after
//!   decompression), connect/read/total timeouts per client and per request.
//! - [`RetryPolicy`]: decides from an attempt's result whether and when to try
//!   again: exponential backoff with jitter, `Retry-After` in both forms, and
//!   throttling (429, 503 with `Retry-After`) that does not use up the budget.
//! - [`HostLimiter`]: a per-host concurrency limit (reqwest has none).
//! - [`Fetcher`]: runs a batch of requests with a global limit, per-host limits
//!   and retries, yielding each result as it completes. Retry waits happen in
//!   the scheduler with no slot held, never inside a download.
//!
//! ```no_run
//! # async fn demo() -> ferrocrawl_core::Result<()> {
//! use ferrocrawl_fetch::{Client, Fetcher, Request};
//!
//! let client = Client::builder().max_body(8 << 20).build()?;
//! let fetcher = Fetcher::builder(client).concurrency(500).per_host(100).build();
//! let urls = (0..100).map(|_| "http://127.0.0.1:8081/delay/5".parse().unwrap());
//! let mut results = fetcher.run(urls.enumerate().map(|(i, u)| (i, Request::get(u))));
//! while let Some((i, fetched)) = results.recv().await {
//!     match fetched.result {
//!         Ok(resp) => println!("{i}: {} in {:?}", resp.status, resp.timings.total),
//!         Err(e) => println!("{i}: {e}"),
//!     }
//! }
//! # Ok(()) }
//! ```

mod batch;
mod body;
mod client;
mod config;
mod error;
mod fetcher;
mod guard;
mod limit;
mod redirect;
mod retry;

pub use client::Client;
pub use config::ClientBuilder;
pub use fetcher::{Fetched, Fetcher, FetcherBuilder};
pub use guard::{AddrPolicy, is_forbidden};
pub use limit::{HostLimiter, HostPermit};
pub use redirect::redirected;
pub use retry::{RetryPolicy, parse_retry_after};

pub use ferrocrawl_core::{Error, ErrorKind, Request, Response, Result, Timeouts};
