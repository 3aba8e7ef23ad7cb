//! ferrocrawl's frontier: what to fetch next, and when.
//!
//! A [`Frontier`] hands out [`Lease`]s only for hosts that may be fetched
//! now. Politeness is scheduling, not sleeping: per-host queues plus a heap of
//! hosts ordered by the time each may next be fetched (the Mercator design).
//!
//! - per-host concurrency, a delay between request starts (with jitter),
//!   `Crawl-delay` (capped), backoff after 429/503, and an optional adaptive
//!   throttle that follows latency (like Scrapy's AutoThrottle);
//! - robots.txt as a lease of its own: the first lease for a new host is its
//!   robots.txt, so the fetch is single-flight and takes a host slot; the
//!   host's pages wait until the answer is acked;
//! - dedup by canonical fingerprint; priorities; BFS by default, DFS as an
//!   option; depth, page and byte budgets;
//! - [`Frontier::is_finished`]: nothing queued and nothing leased.
//!
//! Two implementations share the scheduling (`scheduler.rs`, over a
//! `Store` of queued requests): [`MemoryFrontier`], and [`SqliteFrontier`],
//! which keeps the queue, seen set, leases, counters, robots.txt cache and
//! checkpoints in one SQLite file so a crawl resumes after `kill -9`
//! ([`SqliteFrontier::open`] reports what it found in [`Resumed`]).
//! [`Frontier::ack_batch`] records a checkpoint (a sink's committed offset)
//! in the transaction of its acks.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use ferrocrawl_core::Request;
//! use ferrocrawl_frontier::{Ack, Frontier, FrontierConfig, MemoryFrontier};
//!
//! let frontier = MemoryFrontier::new(FrontierConfig { obey_robots: false, ..Default::default() });
//! let seed = Request::get("http://127.0.0.1:8080/".parse().unwrap());
//! frontier.push(vec![seed.clone(), seed]).await.unwrap();
//! let leased = frontier.lease(10).await.unwrap();
//! assert_eq!(leased.leases.len(), 1, "the duplicate was dropped");
//! let lease = leased.leases.into_iter().next().unwrap();
//! frontier.ack(lease, Ack::done(200, 1024)).await.unwrap();
//! assert!(frontier.is_finished().await.unwrap());
//! # }
//! ```

mod config;
mod host;
mod lease;
mod memory;
mod scheduler;
mod sqlite;
mod store;

pub use config::{AutoThrottle, FrontierConfig, MAX_DELAY, Order};
pub use lease::{Ack, Counts, DropReason, Dropped, Lease, LeaseId, LeaseKind, Leased, PushStats};
pub use memory::MemoryFrontier;
pub use sqlite::{Resumed, SqliteFrontier};

use std::future::Future;

use ferrocrawl_core::{Request, Result};
use tokio::time::Instant;

/// The crawl's to-do list with its manners. Every implementation (memory,
/// SQLite, Redis) runs the same test suite, `ferrocrawl_testkit::frontier_suite`.
pub trait Frontier: Send + Sync + 'static {
    /// Add requests. Duplicates (by fingerprint, unless `dont_filter`) and
    /// requests past the depth budget are counted and not queued.
    fn push(&self, requests: Vec<Request>) -> impl Future<Output = Result<PushStats>> + Send;

    /// Up to `max` requests that may be fetched now, each holding its host's
    /// slot until acked or reclaimed; plus the requests dropped on the way
    /// (disallowed by robots.txt, robots.txt unavailable).
    fn lease(&self, max: usize) -> impl Future<Output = Result<Leased>> + Send;

    /// Report how a lease ended.
    fn ack(&self, lease: Lease, ack: Ack) -> impl Future<Output = Result<()>> + Send;

    /// Ack several leases at once and record `checkpoint` (e.g. a sink's
    /// committed byte offset) with them: in a durable frontier both land in
    /// one transaction, or neither does, so on resume the checkpoint read
    /// back matches exactly the pages acked.
    ///
    /// The provided implementation acks each lease in turn and ignores the
    /// checkpoint, which is all a frontier that forgets everything on exit
    /// can offer; it stops at the first lease that fails.
    fn ack_batch(
        &self,
        acks: Vec<(Lease, Ack)>,
        checkpoint: Vec<(String, Vec<u8>)>,
    ) -> impl Future<Output = Result<()>> + Send {
        async move {
            drop(checkpoint);
            for (lease, ack) in acks {
                self.ack(lease, ack).await?;
            }
            Ok(())
        }
    }

    /// Give a lease back unfinished (shutdown, expiry); it may be leased again
    /// from `not_before` on.
    fn reclaim(&self, lease: Lease, not_before: Instant)
    -> impl Future<Output = Result<()>> + Send;

    /// Nothing queued that may still be fetched, and nothing leased.
    fn is_finished(&self) -> impl Future<Output = Result<bool>> + Send;

    /// The earliest moment a lease may become available, if anything is
    /// queued; the engine sleeps until then instead of polling.
    fn next_ready(&self) -> impl Future<Output = Result<Option<Instant>>> + Send;

    /// Counters for progress displays.
    fn counts(&self) -> impl Future<Output = Result<Counts>> + Send;

    /// Make every push and ack so far durable, together with `checkpoint`
    /// (what the item sinks had committed at that moment, such as a file's
    /// byte length), in one step: after a crash, a durable frontier resumes
    /// from the last commit and hands back the checkpoint, so output past it
    /// can be cut off and redone. The engine calls it after its sinks have
    /// flushed. In-memory frontiers have nothing to make durable.
    fn commit(&self, checkpoint: Checkpoint) -> impl Future<Output = Result<()>> + Send {
        let _ = checkpoint;
        async { Ok(()) }
    }
}

/// What item sinks had durably written at a commit: named opaque values,
/// e.g. `("items.jsonl", byte length)`.
pub type Checkpoint = Vec<(String, Vec<u8>)>;
