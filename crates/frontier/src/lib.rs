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
//! - [`Frontier::status`]: finished (nothing queued, nothing leased), when
//!   the next lease may come, and the counters, in one call.
//!
//! # Protocol v2
//!
//! The trait is object-safe ([`BoxFrontier`]) so a backend can live outside
//! the process. Time is wall-clock or a [`Duration`], read from an injected
//! [`Clock`]. A [`Lease`] carries an id, a fencing token and an expiry: after
//! expiry any handle may take the request back and lease it again, and an
//! ack with the old token is stale: counted and ignored, never an error.
//! [`Frontier::complete`] pushes a page's children, acks its lease and
//! records the sinks' checkpoint in one atomic step. The policy every
//! backend must reproduce (dedup key, politeness arithmetic, robots
//! decision) is public and pure in [`policy`]. `docs/decisions/0013` has
//! what a backend guarantees and what the engine assumes.
//!
//! Two implementations share the scheduling (`scheduler.rs`, over a
//! `Store` of queued requests): [`MemoryFrontier`], and (feature `sqlite`,
//! on by default) `SqliteFrontier`, which keeps the queue, seen set,
//! counters, robots.txt cache and checkpoints in one SQLite file so a crawl
//! resumes after `kill -9`. With the feature `redis` (off by default),
//! `RedisFrontier` keeps one crawl in Redis for many workers: every
//! mutation one Lua script, time from the server, politeness per host shared
//! by all of them.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use ferrocrawl_core::Request;
//! use ferrocrawl_frontier::{Ack, Completion, Frontier, FrontierConfig, MemoryFrontier};
//!
//! let frontier = MemoryFrontier::new(FrontierConfig { obey_robots: false, ..Default::default() });
//! let seed = Request::get("http://127.0.0.1:8080/".parse().unwrap());
//! frontier.push(vec![seed.clone(), seed]).await.unwrap();
//! let leased = frontier.lease(10).await.unwrap();
//! assert_eq!(leased.leases.len(), 1, "the duplicate was dropped");
//! let lease = leased.leases.into_iter().next().unwrap();
//! let child = Request::get("http://127.0.0.1:8080/next".parse().unwrap());
//! let done = frontier
//!     .complete(Completion { children: vec![child], acks: vec![(lease, Ack::done(200, 1024))], checkpoint: None })
//!     .await
//!     .unwrap();
//! assert_eq!((done.pushed.added, done.acked), (1, 1));
//! assert!(!frontier.status().await.unwrap().finished, "the child is queued");
//! # }
//! ```

mod clock;
mod config;
mod host;
mod lease;
mod location;
mod memory;
pub mod policy;
#[cfg(feature = "redis")]
mod redis;
mod scheduler;
#[cfg(feature = "sqlite")]
mod sqlite;
mod store;

pub use clock::{Clock, ManualClock, SharedClock, SystemClock, TokioClock};
pub use config::{AutoThrottle, FrontierConfig, MAX_DELAY, Order};
pub use lease::{
    Ack, Checkpoint, Completed, Completion, Counts, DropReason, Dropped, Lease, LeaseId, LeaseKind,
    Leased, PushStats, Status,
};
pub use location::FrontierLocation;
pub use memory::MemoryFrontier;
#[cfg(feature = "redis")]
pub use redis::{CrawlStatus, RedisBuilder, RedisFrontier, RedisObserver, WorkerSeen};
#[cfg(feature = "sqlite")]
pub use sqlite::{Resumed, SqliteFrontier};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use ferrocrawl_core::{Request, Result};

/// The future a [`Frontier`] call returns: boxed, so the trait is
/// object-safe and a backend may do I/O.
pub type FrontierFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A frontier behind a pointer: any backend, chosen at run time. Clones are
/// handles on the same frontier.
pub type BoxFrontier = Arc<dyn Frontier>;

/// The crawl's to-do list with its manners. Every implementation runs the
/// same test suite, `ferrocrawl_testkit::frontier_suite`.
///
/// What a backend guarantees (decision 0013):
/// - a request is leased to one holder at a time; its host's slot is held
///   until the lease is acked, reclaimed or expired;
/// - acks and reclaims of stale leases are counted and ignored;
/// - each call is atomic; [`Frontier::complete`] pushes its children before
///   applying its acks, in one step;
/// - durability (for backends that have it): a completion with a
///   checkpoint is durable, with every call before it, when it returns, and
///   the checkpoint read back by [`Frontier::checkpoint`] after a crash
///   matches exactly the acks that survived. Acks between checkpoints may be
///   lost in a crash (their pages are fetched again), never reordered
///   before the children they came with.
pub trait Frontier: Send + Sync + 'static {
    /// Add requests. Duplicates (by [`policy::dedup_key`], unless
    /// `dont_filter`) and requests past the depth budget are counted and not
    /// queued.
    fn push(&self, requests: Vec<Request>) -> FrontierFuture<'_, PushStats>;

    /// Up to `max` requests that may be fetched now, each holding its host's
    /// slot until acked, reclaimed or expired; plus the requests dropped on
    /// the way (disallowed by robots.txt, robots.txt unavailable). Expired
    /// leases are taken back first.
    fn lease(&self, max: usize) -> FrontierFuture<'_, Leased>;

    /// Push children, apply acks and record a checkpoint, as one step (see
    /// [`Completion`]).
    fn complete(&self, completion: Completion) -> FrontierFuture<'_, Completed>;

    /// Give a lease back unfinished (shutdown); it may be leased again
    /// `after` from now. `false` if the lease was stale (ignored).
    fn reclaim(&self, lease: Lease, after: Duration) -> FrontierFuture<'_, bool>;

    /// Finished or not, when the next lease may come, and the counters.
    fn status(&self) -> FrontierFuture<'_, Status>;

    /// The checkpoint of the last durable completion (empty for a new crawl
    /// or a frontier that keeps nothing), to resume outputs from.
    fn checkpoint(&self) -> FrontierFuture<'_, Checkpoint>;

    /// Whether an ack is durable as soon as its call returns. Such a backend
    /// can't roll an ack back with the outputs, so the engine holds a page's
    /// ack until the page's output is durable. Backends whose acks become
    /// durable only with the next checkpoint (and memory) say `false`.
    fn acks_durable_at_once(&self) -> bool {
        false
    }

    /// One ack: [`Frontier::complete`] with nothing else. `false` if stale.
    fn ack(&self, lease: Lease, ack: Ack) -> FrontierFuture<'_, bool> {
        let done = self.complete(Completion {
            acks: vec![(lease, ack)],
            ..Completion::default()
        });
        Box::pin(async move { Ok(done.await?.acked == 1) })
    }

    /// Make everything so far durable with `checkpoint`:
    /// [`Frontier::complete`] with only a checkpoint.
    fn commit(&self, checkpoint: Checkpoint) -> FrontierFuture<'_, ()> {
        let done = self.complete(Completion {
            checkpoint: Some(checkpoint),
            ..Completion::default()
        });
        Box::pin(async move { done.await.map(drop) })
    }
}
