//! ferrocrawl's crawl loop.
//!
//! [`Crawler`] leases requests from a [`Frontier`], fetches them with the
//! downloader, decides retries, extracts links from HTML, canonicalizes and
//! scopes them, and pushes them back. Every page, drop and failure becomes an
//! [`Event`]. The crawl ends when the frontier is finished: nothing queued,
//! nothing leased, nothing in flight.
//!
//! ```no_run
//! # async fn demo() -> ferrocrawl_core::Result<()> {
//! use ferrocrawl_engine::{Crawler, Event};
//!
//! let crawler = Crawler::builder()
//!     .seed("http://127.0.0.1:8082/")
//!     .per_host(16)
//!     .build()
//!     .await?;
//! let (events, mut rx) = tokio::sync::mpsc::channel(1024);
//! let run = tokio::spawn(async move { crawler.run(events).await });
//! while let Some(event) = rx.recv().await {
//!     if let Event::Page(page) = event {
//!         println!("{} {} {:?}", page.status.unwrap_or(0), page.url, page.title);
//!     }
//! }
//! let summary = run.await.expect("crawl task")?;
//! println!("{} pages", summary.pages);
//! # Ok(()) }
//! ```
//!
//! [`Frontier`]: ferrocrawl_frontier::Frontier

mod builder;
mod content;
mod crawler;
mod event;
mod handler;
mod neardup;
mod output;
mod page;
mod recent;
mod settings;
mod sitemap;
mod stats;

pub use builder::CrawlerBuilder;
pub use crawler::{Crawler, Stopper, Summary};
pub use event::{Event, PageContent, PageRecord};
pub use handler::{AsyncHandler, Context, Handled, Handler, HandlerFuture, Router};
pub use output::Output;
pub use settings::{
    ContentFormat, CrawlOrder, DOCS as SETTINGS_DOCS, ScopeSetting, Settings, ThrottleScope,
    parse_delay, parse_duration, parse_size,
};
pub use stats::Stats;
