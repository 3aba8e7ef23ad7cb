//! [`RedisObserver`]: a crawl's progress read from Redis without taking
//! part in it, from any machine: what `ferrocrawl status` shows.
//!
//! An observer is not a worker: it never runs `open.lua` (which would take
//! back a worker's leases), and never writes. It reads the counters with
//! `status.lua` (under the configuration the crawl's workers stored in
//! `meta` when they opened it), the workers seen with their leases and
//! their acks not yet checkpointed, and the server's clock.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use ferrocrawl_core::{Error, ErrorKind, Result};
use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;

use super::builder::{Location, check_name, config_error};
use super::codec::{self, Args};
use super::scripts::Scripts;
use super::{CONNECT_TIMEOUT, RESPONSE_TIMEOUT, RedisFrontier};
use crate::config::FrontierConfig;
use crate::lease::Status;

/// What one pipeline reads besides the counters: requests ever added, the
/// workers with their last call (ms), the leases, the server's `TIME`.
type Snapshot = (Option<u64>, Vec<(String, i64)>, Vec<String>, (u64, u64));

/// A read-only view of the crawls in one Redis: [`RedisFrontier::observe`].
pub struct RedisObserver {
    shown: String,
    conn: MultiplexedConnection,
    scripts: Scripts,
}

/// One crawl's progress: [`RedisObserver::status`].
#[derive(Clone, Debug)]
pub struct CrawlStatus {
    /// The crawl's name.
    pub crawl: String,
    /// The counters over all workers, and whether the crawl is finished.
    pub status: Status,
    /// Requests ever queued: the distinct URLs the crawl has seen (and
    /// requests pushed with `dont_filter`).
    pub added: u64,
    /// The crawl's workers, most recently seen first.
    pub workers: Vec<WorkerSeen>,
    /// The Redis server's time when this was read.
    pub read_at: SystemTime,
}

/// A worker of a crawl, as Redis last saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkerSeen {
    /// Its name (`--worker`).
    pub name: String,
    /// Its last call that changed anything, by the server's clock.
    pub last_seen: SystemTime,
    /// How long before [`CrawlStatus::read_at`] that was.
    pub ago: Duration,
    /// Leases it holds.
    pub leases: u64,
    /// Its acks since its last checkpoint (undone if it restarts).
    pub uncommitted: u64,
}

// ===== impl RedisFrontier =====

impl RedisFrontier {
    /// Connects to the Redis at `url` to read its crawls' progress, taking
    /// no part in them. An unreachable server is an error that names it.
    pub async fn observe(url: &str) -> Result<RedisObserver> {
        let Location { client, shown, .. } = Location::parse(url)?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| {
                Error::new(
                    ErrorKind::Connect,
                    format!(
                        "frontier {shown}: connecting: {e}; is the Redis server up, and is \
                         this its address?"
                    ),
                )
                .with_source(e)
            })?;
        Ok(RedisObserver {
            shown,
            conn,
            scripts: Scripts::new(),
        })
    }
}

// ===== impl RedisObserver =====

impl RedisObserver {
    /// The location, without its password.
    pub fn location(&self) -> &str {
        &self.shown
    }

    /// The names of the crawls in this Redis (database), sorted.
    pub async fn crawls(&mut self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut cursor: u64 = 0;
        loop {
            let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
                .arg(cursor)
                .arg("MATCH")
                .arg("ferrocrawl:{*}:meta")
                .arg("COUNT")
                .arg(1000)
                .query_async(&mut self.conn)
                .await
                .map_err(|e| self.error("listing the crawls", e))?;
            names.extend(keys.iter().filter_map(|k| {
                k.strip_prefix("ferrocrawl:{")
                    .and_then(|k| k.strip_suffix("}:meta"))
                    .map(str::to_owned)
            }));
            if next == 0 {
                break;
            }
            cursor = next;
        }
        names.sort();
        names.dedup();
        Ok(names)
    }

    /// The progress of `crawl`: an error naming the crawls there are if it
    /// doesn't exist.
    pub async fn status(&mut self, crawl: &str) -> Result<CrawlStatus> {
        check_name(&self.shown, "crawl", crawl)?;
        let prefix = format!("ferrocrawl:{{{crawl}}}:");
        let exists: bool = redis::cmd("EXISTS")
            .arg(format!("{prefix}meta"))
            .query_async(&mut self.conn)
            .await
            .map_err(|e| self.error("reading the crawl", e))?;
        if !exists {
            let known = self.crawls().await?;
            let listed = if known.is_empty() {
                "there are none".to_owned()
            } else {
                format!("there are: {}", known.join(", "))
            };
            return Err(config_error(
                &self.shown,
                &format!(
                    "no crawl `{crawl}` here ({listed}); check the name (--job) and the \
                     database number in the location"
                ),
            ));
        }
        let cfg: Option<String> = redis::cmd("HGET")
            .arg(format!("{prefix}meta"))
            .arg("cfg")
            .query_async(&mut self.conn)
            .await
            .map_err(|e| self.error("reading the crawl", e))?;
        // A crawl opened by a build that didn't store its configuration:
        // the defaults (only the budgets change what `finished` says).
        let cfg = cfg.unwrap_or_else(|| codec::config_json(&FrontierConfig::default()));
        let mut args = Args::new(&prefix);
        args.push(-1i64);
        args.push(cfg);
        args.push("");
        let reply = args
            .invoke(&self.scripts.status, &mut self.conn)
            .await
            .map_err(|e| self.error("reading the counters", e))?;
        let status = codec::status(reply)?;
        let (added, seen, leases, (s, us)): Snapshot = redis::pipe()
            .cmd("HGET")
            .arg(format!("{prefix}c"))
            .arg("rid")
            .cmd("ZREVRANGE")
            .arg(format!("{prefix}workers"))
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .cmd("HVALS")
            .arg(format!("{prefix}l"))
            .cmd("TIME")
            .query_async(&mut self.conn)
            .await
            .map_err(|e| self.error("reading the workers", e))?;
        let read_at = SystemTime::UNIX_EPOCH + Duration::from_secs(s) + Duration::from_micros(us);
        // A lease is KIND, TOKEN, HOST, RID, WORKER, … (lib.lua).
        let mut held: HashMap<&str, u64> = HashMap::new();
        for l in &leases {
            if let Some(w) = l.split('\t').nth(4) {
                *held.entry(w).or_default() += 1;
            }
        }
        let mut workers = Vec::with_capacity(seen.len());
        for (name, ms) in seen {
            let uncommitted: u64 = redis::cmd("LLEN")
                .arg(format!("{prefix}j:{name}"))
                .query_async(&mut self.conn)
                .await
                .map_err(|e| self.error("reading the workers", e))?;
            let last_seen = codec::time_from_millis(ms);
            workers.push(WorkerSeen {
                leases: held.get(name.as_str()).copied().unwrap_or(0),
                ago: read_at.duration_since(last_seen).unwrap_or_default(),
                name,
                last_seen,
                uncommitted,
            });
        }
        Ok(CrawlStatus {
            crawl: crawl.to_owned(),
            status,
            added: added.unwrap_or(0),
            workers,
            read_at,
        })
    }

    fn error(&self, what: &str, e: redis::RedisError) -> Error {
        let (kind, hint) = if super::outage::is_outage(&e) {
            (ErrorKind::Connect, "is the Redis server up and reachable?")
        } else {
            (
                ErrorKind::Io,
                "is this a Redis 7 (or Valkey) server holding ferrocrawl crawls?",
            )
        };
        Error::new(
            kind,
            format!("frontier {}: {what}: {e}; {hint}", self.shown),
        )
        .with_source(e)
    }
}

impl std::fmt::Debug for RedisObserver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisObserver")
            .field("location", &self.shown)
            .finish_non_exhaustive()
    }
}
