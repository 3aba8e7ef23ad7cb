//! A loopback HTTP/1.1 server for ferrocrawl's integration tests (started
//! in-process with [`TestServer::start`]) and benchmarks (the
//! `ferrocrawl-testkit` binary).
//!
//! It serves one task per connection with keep-alive and handles tens of
//! thousands of concurrent connections; [`Stats`] counts requests,
//! connections and concurrency so tests can assert on what a crawler did.
//! All sleeps use tokio's clock, so paused-clock tests work.
//!
//! Endpoints (unknown paths answer 404):
//!
//! | path | answer |
//! | --- | --- |
//! | `/` | 200 `ok` |
//! | `/delay/{secs}` | sleeps, then `slept {secs}` |
//! | `/status/{code}` | that status |
//! | `/redirect/{n}?status=&absolute=1` | chain of `n` redirects, then `done` |
//! | `/redirect-forever/{n}` | redirect to `/redirect-forever/{n+1}`, endlessly |
//! | `/redirect-to?url=&status=` | redirect to `url` |
//! | `/redirect-loop`, `/redirect-loop-b` | redirect to each other |
//! | `/throttle/{k}?key=&status=&retry_after=&form=secs\|date` | first `k` refused with `Retry-After` |
//! | `/flaky?rate=&seed=&mode=5xx\|reset\|stall&key=` | seeded random failures |
//! | `/bytes/{n}?seed=` | `n` seeded random bytes |
//! | `/gzip-bomb?mb=` | gzip of `mb` MiB of zeros (default 1024) |
//! | `/gzip`, `/deflate`, `/brotli`, `/zstd` | small JSON with that `Content-Encoding` |
//! | `/drip?bytes=&chunk=&interval_ms=&chunked=1` | slow streamed body, chunked (no `Content-Length`) with `chunked=1` |
//! | `/charset/{enc}/{header\|meta\|http-equiv\|none}` | [`charset_sample`] in that encoding |
//! | `/json` | a small JSON document |
//! | `/anything[/…]` | the request echoed as JSON |
//! | `/headers`, `/user-agent` | request headers as JSON |
//! | `/cookies/set?name=value`, `/cookies` | set cookies, show cookies |
//! | `/__stats` | the [`Stats`] counters as JSON |
//! | `/robots.txt` | what [`TestServer::set_robots`] set, else 404 |
//! | `/site/{pages}/{fanout}/{i}` | page `i` of a generated site graph: children, parent, home, self |
//! | `/page?html=…`, `/links?to=URL…` | arbitrary HTML; a page linking to each `to` |
//! | `/trap/…`, `/calendar?day=N` | endless depth and an endless calendar |
//! | `/api/book/?limit=18&offset=N`, `/api/book/{id}` | a 10,000-book catalogue as JSON: `{count, next, previous, results}` and full records |
//! | `/books/?page=N`, `/books/{id}` | the same catalogue as HTML list and detail pages |
//!
//! [`frontier_suite!`] runs the shared frontier test suite against any
//! `Frontier` implementation.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use ferrocrawl_testkit::{TestServer, charset_sample};
//!
//! let server = TestServer::start().await?;
//! let start = server.url("/redirect/3?status=301");
//! assert!(start.starts_with("http://127.0.0.1:"));
//! // … point the crawler under test at `start`, then check what it did:
//! assert_eq!(server.stats().hits("/redirect/0"), 0);
//! assert!(charset_sample("shift_jis").is_some());
//! # Ok(())
//! # }
//! ```

mod bomb;
pub mod books;
mod charset_pages;
mod drip;
mod flaky;
pub mod frontier_model;
pub mod frontier_suite;
mod query;
mod response;
mod routes;
mod server;
mod stats;
mod throttle;

pub use charset_pages::charset_sample;
pub use server::TestServer;
pub use stats::Stats;

/// `http://127.0.0.1:PORT{path}` on a port where nothing listens (bound,
/// then closed): connections to it are refused.
///
/// # Panics
///
/// If no loopback port can be bound at all.
#[allow(clippy::expect_used, reason = "a test helper: no port means no test")]
pub fn closed_url(path: &str) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().expect("a bound address");
    drop(listener);
    format!("http://{addr}{path}")
}

/// The shared conformance corpus entry `rel` (a file or folder below
/// `$FERROCRAWL_CORPORA`, else `../shared/corpora` beside the workspace), or
/// `None` after printing that the caller's test is skipped.
pub fn corpus(rel: &str) -> Option<std::path::PathBuf> {
    let root = std::env::var_os("FERROCRAWL_CORPORA").map_or_else(
        || {
            std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpora"
            ))
        },
        std::path::PathBuf::from,
    );
    let path = root.join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipping: corpus not found at {}", path.display());
        None
    }
}
