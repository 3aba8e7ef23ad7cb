//! [`FrontierConfig`]: politeness, order and budgets.

use std::time::Duration;

/// Which queued request of a host goes first among equal priorities.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Order {
    /// Breadth-first: oldest first.
    #[default]
    Bfs,
    /// Depth-first: newest first.
    Dfs,
}

/// An adaptive per-host delay that follows latency, as Scrapy's AutoThrottle
/// does: the delay moves halfway toward `latency / target_concurrency` after
/// each response, never below the configured delay nor above `max_delay`.
/// Error responses may raise the delay but never lower it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AutoThrottle {
    /// Requests the server should be handling from us at once, on average. Default 1.0.
    pub target_concurrency: f64,
    /// Upper bound of the delay. Default 60 s.
    pub max_delay: Duration,
}

impl Default for AutoThrottle {
    fn default() -> Self {
        AutoThrottle {
            target_concurrency: 1.0,
            max_delay: Duration::from_secs(60),
        }
    }
}

/// The longest per-host delay the CLI and spider files accept. Longer is a
/// typo, not politeness: the crawl would never end. (The frontier itself
/// saturates whatever it is given.)
pub const MAX_DELAY: Duration = Duration::from_secs(24 * 60 * 60);

/// How the frontier schedules. The library default is neutral; the CLI sets
/// its own polite defaults.
#[derive(Clone, Debug)]
pub struct FrontierConfig {
    /// Requests in flight at once per host (`host:port`), robots.txt included. Default 2.
    pub per_host: usize,
    /// Minimum time between the starts of two requests to one host. Default 0.
    pub delay: Duration,
    /// Multiply each delay by a random factor in 0.5..1.5, so request times
    /// don't form a detectable beat. Default on.
    pub jitter: bool,
    /// Fetch and obey robots.txt. Default on.
    pub obey_robots: bool,
    /// Longest `Crawl-delay` honoured; larger values are cut to this. Default 30 s.
    pub max_crawl_delay: Duration,
    /// Wait before asking again for a robots.txt that answered 5xx or could not be reached. Default 60 s.
    pub robots_retry_after: Duration,
    /// Attempts at such a robots.txt before the host's pages are dropped. Default 3.
    pub robots_attempts: u32,
    /// BFS or DFS among equal priorities. Default BFS.
    pub order: Order,
    /// Stop leasing pages after this many. Default none.
    pub max_pages: Option<u64>,
    /// Stop leasing a host's pages after this many of them; its other pages
    /// stay queued. Default none (crawls set a generous one: a trap on one
    /// host can't keep a crawl going forever).
    pub max_pages_per_host: Option<u64>,
    /// Don't queue requests deeper than this (seeds are depth 0). Default none.
    pub max_depth: Option<u32>,
    /// Stop leasing pages once this many body bytes were downloaded. Default none.
    pub max_bytes: Option<u64>,
    /// Adaptive throttling. Default off.
    pub auto_throttle: Option<AutoThrottle>,
    /// Requests an in-memory frontier keeps queued in memory; past this,
    /// its queue moves to a temporary file on disk, so memory stays bounded
    /// however large the queue grows (the seen set stays in memory: 16
    /// bytes a URL). Default 100,000; `None` never moves it.
    pub spill_after: Option<u64>,
    /// How long a lease is held before the frontier may take it back and
    /// lease it again (a worker that died, or hung). It must outlast the
    /// longest page: its fetch with every timeout, its handler and its
    /// output. Default 10 minutes.
    pub lease_ttl: Duration,
}

impl Default for FrontierConfig {
    fn default() -> Self {
        FrontierConfig {
            per_host: 2,
            delay: Duration::ZERO,
            jitter: true,
            obey_robots: true,
            max_crawl_delay: Duration::from_secs(30),
            robots_retry_after: Duration::from_secs(60),
            robots_attempts: 3,
            order: Order::Bfs,
            max_pages: None,
            max_pages_per_host: None,
            max_depth: None,
            max_bytes: None,
            auto_throttle: None,
            spill_after: Some(100_000),
            lease_ttl: Duration::from_secs(600),
        }
    }
}
