//! ferrocrawl: a fast, polite, resumable web crawling and scraping framework.
//!
//! This is the crate to depend on. It re-exports the vocabulary
//! ([`Request`], [`Response`], [`Outcome`], [`Error`]), the downloader
//! ([`Client`], [`Fetcher`], [`RetryPolicy`]) and, under [`crawl`], the
//! crawl engine ([`crawl::Crawler`]). [`ContentExt`] gives a [`Response`]
//! its main content: `resp.markdown()`, `resp.main_text()`, `resp.metadata()`.
//!
//! ```no_run
//! # async fn demo() -> ferrocrawl::Result<()> {
//! use ferrocrawl::{Client, Request};
//!
//! let client = Client::builder().build()?;
//! let resp = client.execute(&Request::get("http://127.0.0.1:8080/".parse()?)).await?;
//! println!("{} {} bytes, charset {}", resp.status, resp.body.len(), resp.decoded().encoding.name());
//! # Ok(()) }
//! ```

pub use ferrocrawl_core::{
    Body, Bytes, Error, ErrorKind, HeaderMap, Method, Outcome, Redirect, Request, Response, Result,
    RetryReason, StatusCode, TimeoutPhase, Timeouts, Timings, Url, Version, charset,
};
pub use ferrocrawl_fetch::{
    AddrPolicy, Client, ClientBuilder, Fetched, Fetcher, FetcherBuilder, HostLimiter, HostPermit,
    RetryPolicy, parse_retry_after,
};
pub use ferrocrawl_frontier::AutoThrottle;

pub mod content;
pub mod job;
mod output;

pub use content::ContentExt;
pub use job::{ItemRoute, Job, JobReport, RunningJob, StateFate};

/// What most programs use, in one `use ferrocrawl::prelude::*;`: the
/// vocabulary, the client and [`ContentExt`] (so `resp.markdown()` works).
pub mod prelude {
    pub use crate::content::ContentExt;
    pub use crate::{Client, Error, Job, Request, Response, Result, Url};
}

/// Crawling: the engine, the frontier, scope, links and robots.txt.
pub mod crawl {
    pub use crate::output::SinkOutput;
    pub use ferrocrawl_engine::{
        AsyncHandler, ContentFormat, Context, CrawlOrder, Crawler, CrawlerBuilder, Event, Handled,
        Handler, HandlerFuture, Output, PageContent, PageRecord, Router, SETTINGS_DOCS,
        ScopeSetting, Settings, Stats, Stopper, Summary, ThrottleScope, parse_delay,
        parse_duration, parse_size,
    };
    pub use ferrocrawl_extract::{Link, LinkKind, LinkOptions, PageLinks, extract_links};
    pub use ferrocrawl_frontier::{
        Ack, BoxFrontier, Checkpoint, Clock, Completed, Completion, Counts, Frontier,
        FrontierConfig, FrontierLocation, Lease, LeaseKind, MAX_DELAY, ManualClock, MemoryFrontier,
        Order, Resumed, SqliteFrontier, Status, policy,
    };
    /// The Redis frontier: many workers, one crawl; and a read-only view
    /// of the crawls in a Redis (`ferrocrawl status`).
    #[cfg(feature = "redis")]
    pub use ferrocrawl_frontier::{CrawlStatus, RedisFrontier, RedisObserver, WorkerSeen};
    pub use ferrocrawl_robots::Robots;
    pub use ferrocrawl_url::{Canonicalizer, Scope, ScopeMode, fingerprint, registrable_domain};
}

/// Declarative spiders: a crawl written as a TOML file.
pub mod spider {
    pub use ferrocrawl_spider::{
        Output, STARTER, Settings, SinkKind, SinkSpec, Spider, SpiderError, starter,
    };
}

/// Field extraction: compiled selectors (CSS with `::text`/`::attr(name)`,
/// JSONPath, regex) over a page's [`Document`](fields::Document), and the
/// [`Processor`](fields::Processor)s that clean their values up.
pub mod fields {
    #[cfg(feature = "xpath")]
    pub use ferrocrawl_extract::fields::XPathSelector;
    pub use ferrocrawl_extract::fields::{
        Applied, CssSelector, Document, FieldError, JsonPathSelector, Pattern, Problem, Processor,
        RegexSelector, Selector, apply, apply_checked, apply_keeping,
    };
}

/// Header name and value types, to validate user input early.
pub mod header {
    pub use http::header::{HeaderName, HeaderValue};
}

/// Where items go: JSON Lines, CSV, SQLite and PostgreSQL, with upsert by
/// key, behind an item [`Pipeline`](sink::Pipeline) with a failures sink.
pub mod sink {
    pub use ferrocrawl_sink::{
        BoxSink, Counts, CsvSink, Error, Item, ItemWriter, JsonlSink, Pipeline, PostgresSink,
        Rejected, SharedSink, Sink, SqliteSink, StageStats,
    };
}
