//! [`RedisFrontier`]: the frontier in Redis 7 (or Valkey), shared by every
//! worker of a crawl, on one machine or many.
//!
//! Every call that changes anything is one Lua script (`lua/*.lua`, one file
//! per atomic operation, each prepended with `lua/lib.lua`), so a call is
//! atomic however many workers share the crawl. Politeness lives in Redis
//! too: a host's in-flight count, last start, delay, Crawl-delay, throttling
//! hold and robots.txt answer are one hash per host, read and written by the
//! scripts, never kept per worker. The data model and why it is so are in
//! `docs/decisions/0015-redis-frontier.md`.
//!
//! What Rust decides before a script runs, it decides with [`crate::policy`]
//! (dedup key, depth budget, jitter, Crawl-delay cap, robots.txt retry
//! waits, robots.txt rules); the arithmetic that needs Redis state (the gap
//! after a start, the throttling hold, AutoThrottle's step) is mirrored in
//! `lib.lua` and `ack.lua`, and the shared frontier suite checks both.

mod builder;
mod codec;
mod observe;
mod outage;
mod scripts;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ferrocrawl_core::{Error, ErrorKind, Request, Result, StateProblem};
use ferrocrawl_robots::Robots;
use ferrocrawl_url::{Fingerprint, SeenSet};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

use crate::clock::SharedClock;
use crate::config::FrontierConfig;
use crate::lease::{
    Checkpoint, Completed, Completion, Dropped, Lease, LeaseId, LeaseKind, Leased, PushStats,
    Status,
};
use crate::{Frontier, FrontierFuture, policy};

pub use builder::RedisBuilder;
use codec::{Args, LeaseRow, Reply};
pub use observe::{CrawlStatus, RedisObserver, WorkerSeen};
use scripts::Scripts;

/// The version of the data layout in Redis; a crawl written by another is
/// refused rather than misread.
const FORMAT: u32 = 1;

/// How long to wait for the server to accept a connection.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// How long to wait for a script's answer before calling it failed.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(60);

/// Most fingerprints a worker remembers as seen (see
/// `RedisFrontier::remember`): about 10 MiB.
const KNOWN_MAX: usize = 1 << 18;

/// At most this many leases are handed out by one call.
const MAX_BATCH: usize = 4096;

/// A frontier in Redis, shared by every worker of one crawl.
///
/// Several crawls share one Redis by name: every key of a crawl starts with
/// `ferrocrawl:{NAME}:`, one hash tag, so the crawl stays in one slot of a
/// Redis Cluster. Each handle is a *worker*, named uniquely among the
/// crawl's live workers: its leases, its journal of acks since its last
/// checkpoint and its checkpoint are its own, so a worker that restarts
/// under its name takes its old leases back at once and undoes its
/// uncommitted acks (its outputs are cut back to the same checkpoint).
///
/// Time is the Redis server's (`TIME`, read inside each script), so workers
/// with skewed clocks agree; a test may inject a clock instead
/// ([`RedisBuilder::clock`]).
///
/// Clones are handles of the same worker.
///
/// ```no_run
/// # async fn demo() -> ferrocrawl_core::Result<()> {
/// use ferrocrawl_frontier::{Frontier, FrontierConfig, RedisFrontier};
///
/// let frontier = RedisFrontier::builder("redis://127.0.0.1:6379/0")
///     .crawl("books")
///     .worker("host-a-1")
///     .config(FrontierConfig::default())
///     .connect()
///     .await?;
/// println!("{:?}", frontier.status().await?.counts);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisFrontier {
    inner: Arc<Inner>,
}

struct Inner {
    /// The location as given, without its password: for messages.
    shown: String,
    crawl: String,
    worker: String,
    prefix: String,
    cfg: FrontierConfig,
    cfg_json: String,
    clock: Option<SharedClock>,
    client: redis::Client,
    conn: OnceCell<ConnectionManager>,
    scripts: Scripts,
    /// Fingerprints known to be in the crawl's seen set.
    known: Mutex<SeenSet>,
    /// Parsed robots.txt rules by host, with the version they were read at.
    robots: Mutex<HashMap<String, (i64, Robots)>>,
    /// The ids of the leases this worker holds: after an outage, Redis's
    /// other leases in its name are taken back (`outage.rs`).
    held: Mutex<HashSet<u64>>,
    /// How long to ride out an outage before a call fails.
    outage: Duration,
}

// ===== impl RedisFrontier =====

impl RedisFrontier {
    /// The crawl's name.
    pub fn crawl(&self) -> &str {
        &self.inner.crawl
    }

    /// This worker's name.
    pub fn worker(&self) -> &str {
        &self.inner.worker
    }

    /// The crawl's workers, each with the time of its last call that
    /// changed anything (by the server's clock, or the injected one), most
    /// recent first: for a status display's "workers seen recently".
    pub async fn workers(&self) -> Result<Vec<(String, SystemTime)>> {
        let key = format!("{}workers", self.inner.prefix);
        let seen: Vec<(String, i64)> = self
            .call("reading the workers", |mut conn| {
                let key = key.clone();
                async move {
                    redis::cmd("ZREVRANGE")
                        .arg(key)
                        .arg(0)
                        .arg(-1)
                        .arg("WITHSCORES")
                        .query_async(&mut conn)
                        .await
                }
            })
            .await?;
        Ok(seen
            .into_iter()
            .map(|(w, ms)| (w, codec::time_from_millis(ms)))
            .collect())
    }

    /// The connection, made on first use (see [`RedisFrontier::open`]).
    async fn conn(&self) -> Result<ConnectionManager> {
        let conn = self.inner.conn.get_or_try_init(|| self.open()).await?;
        Ok(conn.clone())
    }

    /// Connects, then opens this worker's part of the crawl (`open.lua`):
    /// its leases from before are taken back and its uncommitted acks
    /// undone. A crawl in another data format is refused.
    async fn open(&self) -> Result<ConnectionManager> {
        let i = &self.inner;
        // A script may run long on a busy server (a large completion, a
        // restarted worker's journal): redis-rs's 500 ms default would
        // report as failed a call that then succeeds.
        // Reconnecting is retried by `call` (`outage.rs`), which logs and
        // bounds it: the manager itself tries once, rather than its own
        // six times with backoff (about 6 s) unseen inside each attempt.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1);
        let mut conn = ConnectionManager::new_with_config(i.client.clone(), config)
            .await
            .map_err(|e| self.error("connecting", e))?;
        let mut args = self.args();
        args.push(i64::from(FORMAT));
        let opened = args.invoke(&i.scripts.open, &mut conn).await;
        match opened {
            Ok(_) => Ok(conn),
            Err(e) => match (e.code(), e.detail()) {
                (Some("FERROCRAWL_FORMAT"), Some(found)) => Err(Error::new(
                    ErrorKind::State(StateProblem::Version {
                        found: found.parse().unwrap_or(0),
                        supported: FORMAT,
                    }),
                    format!(
                        "frontier {}: crawl `{}` was written in another data format \
                         ({found}; this build reads and writes {FORMAT}); finish it with the \
                         build that started it, or choose another crawl name",
                        i.shown, i.crawl
                    ),
                )),
                _ => Err(self.error("opening the crawl", e)),
            },
        }
    }

    fn error(&self, what: &str, e: redis::RedisError) -> Error {
        let i = &self.inner;
        let connection = e.is_connection_refusal() || e.is_connection_dropped() || e.is_io_error();
        let hint = if connection {
            "is the Redis server up and reachable?"
        } else {
            "a script failed: were the crawl's keys changed by another program?"
        };
        let kind = if connection {
            ErrorKind::Connect
        } else {
            ErrorKind::Io
        };
        Error::new(
            kind,
            format!(
                "frontier {} (crawl `{}`): {what}: {e}; {hint}",
                i.shown, i.crawl
            ),
        )
        .with_source(e)
    }

    /// The common head of every script's arguments: the time (or -1: the
    /// server's), the config, the worker.
    fn args(&self) -> Args {
        let i = &self.inner;
        let now = i
            .clock
            .as_ref()
            .map_or(-1, |c| codec::millis_since_epoch(c.now()));
        let mut args = Args::new(&i.prefix);
        args.push(now);
        args.push(i.cfg_json.as_str());
        args.push(i.worker.as_str());
        args
    }

    /// Runs `script`, riding out an outage (`outage.rs`).
    async fn run(&self, script: &redis::Script, args: Args, what: &str) -> Result<Reply> {
        let args = &args;
        self.call(what, move |mut conn| async move {
            args.invoke(script, &mut conn).await
        })
        .await
    }

    /// Requests past the depth budget, and those this worker knows the
    /// crawl has seen, are counted here; the rest go to `args` (6
    /// arguments each). Returns what went: its fingerprints, to remember
    /// once the call succeeded ([`RedisFrontier::remember`]), and how many.
    fn push_args(
        &self,
        args: &mut Args,
        requests: &[Request],
        stats: &mut PushStats,
    ) -> Result<(Vec<Fingerprint>, i64)> {
        let mut sent = Vec::new();
        let mut n = 0;
        let known = self.lock_known();
        for r in requests {
            if policy::too_deep(&self.inner.cfg, r) {
                stats.too_deep += 1;
                continue;
            }
            let fp = policy::dedup_key(r);
            if let Some(fp) = fp {
                if known.contains(fp) {
                    stats.duplicate += 1;
                    continue;
                }
                sent.push(fp);
            }
            codec::push_request(args, fp, r)?;
            n += 1;
        }
        Ok((sent, n))
    }

    /// Fingerprints now in the crawl's seen set (a push that sent them
    /// succeeded, adding them or finding them there): pushed again by this
    /// worker, they are duplicates without a round trip. The seen set only
    /// grows, so this can't be wrong while the crawl's keys live; it is
    /// emptied when it grows past [`KNOWN_MAX`].
    fn remember(&self, sent: Vec<Fingerprint>) {
        let mut known = self.lock_known();
        if known.len() + sent.len() > KNOWN_MAX {
            *known = SeenSet::new();
        }
        for fp in sent {
            known.insert(fp);
        }
    }

    fn lock_known(&self) -> std::sync::MutexGuard<'_, SeenSet> {
        self.inner.known.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Forgets every fingerprint remembered as seen: after an outage, Redis
    /// may have come back without them.
    fn forget_known(&self) {
        *self.lock_known() = SeenSet::new();
    }

    fn lock_held(&self) -> std::sync::MutexGuard<'_, HashSet<u64>> {
        self.inner.held.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The rules of `host` at `version`, from this worker's cache or Redis.
    async fn robots(&self, host: &str, version: i64) -> Result<Robots> {
        if let Some((_, r)) = self.lock_robots().get(host).filter(|(v, _)| *v == version) {
            return Ok(r.clone());
        }
        let key = format!("{}rb:{host}", self.inner.prefix);
        let (kind, body, agent): (Option<String>, Option<Vec<u8>>, Option<String>) = self
            .call("reading a robots.txt", |mut conn| {
                let key = key.clone();
                async move {
                    redis::cmd("HMGET")
                        .arg(key)
                        .arg("kind")
                        .arg("body")
                        .arg("agent")
                        .query_async(&mut conn)
                        .await
                }
            })
            .await?;
        let robots = match kind.as_deref() {
            Some("p") => Robots::parse(
                body.as_deref().unwrap_or_default(),
                agent.as_deref().unwrap_or_default(),
            ),
            Some("d") => Robots::disallow_all(),
            _ => Robots::allow_all(),
        };
        self.lock_robots()
            .insert(host.to_owned(), (version, robots.clone()));
        Ok(robots)
    }

    fn lock_robots(&self) -> std::sync::MutexGuard<'_, HashMap<String, (i64, Robots)>> {
        self.inner.robots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// One round of `lease.lua`, then the pages robots.txt disallows given
    /// back (`drop.lua`) and reported.
    async fn lease_round(&self, max: usize, out: &mut Leased) -> Result<usize> {
        let i = &self.inner;
        let mut args = self.args();
        args.push(max as i64);
        let jitters: Vec<String> = (0..max.min(64))
            .map(|_| policy::jitter_factor(i.cfg.jitter, fastrand::f64()).to_string())
            .collect();
        args.push(jitters.join(","));
        let reply = self.run(&i.scripts.lease, args, "leasing").await?;
        let (rows, dropped) = codec::leased(reply)?;
        out.dropped.extend(dropped);
        self.lock_held().extend(rows.iter().map(|r| r.id));
        let mut disallowed = Vec::new();
        let mut granted = 0;
        for row in rows {
            let LeaseRow {
                id,
                kind,
                expires_ms,
                host,
                request,
                robots_version,
            } = row;
            let lease = Lease {
                id: LeaseId(id),
                token: id,
                expires: codec::time_from_millis(expires_ms),
                kind,
                request,
            };
            if kind == LeaseKind::Page && robots_version > 0 {
                let robots = self.robots(&host, robots_version).await?;
                if let Some(reason) = policy::robots_decision(&robots, false, &lease.request.url) {
                    disallowed.push((lease, reason));
                    continue;
                }
            }
            granted += 1;
            out.leases.push(lease);
        }
        if !disallowed.is_empty() {
            let mut args = self.args();
            args.push(disallowed.len() as i64);
            for (l, _) in &disallowed {
                args.push(l.id.0 as i64);
                args.push(l.token as i64);
            }
            self.run(&i.scripts.drop, args, "dropping disallowed pages")
                .await?;
            let mut held = self.lock_held();
            for (l, _) in &disallowed {
                held.remove(&l.id.0);
            }
            drop(held);
            out.dropped
                .extend(disallowed.into_iter().map(|(l, reason)| Dropped {
                    request: l.request,
                    reason,
                }));
        }
        Ok(granted)
    }
}

impl fmt::Debug for RedisFrontier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisFrontier")
            .field("location", &self.inner.shown)
            .field("crawl", &self.inner.crawl)
            .field("worker", &self.inner.worker)
            .finish_non_exhaustive()
    }
}

impl Frontier for RedisFrontier {
    fn push(&self, requests: Vec<Request>) -> FrontierFuture<'_, PushStats> {
        Box::pin(async move {
            let mut stats = PushStats::default();
            let mut body = Args::detached();
            let (sent, n) = self.push_args(&mut body, &requests, &mut stats)?;
            if n == 0 {
                return Ok(stats);
            }
            let mut args = self.args();
            args.push(n);
            args.append(body);
            let added = codec::int(self.run(&self.inner.scripts.push, args, "pushing").await?)?;
            self.remember(sent);
            stats.added = usize::try_from(added).unwrap_or(0);
            stats.duplicate += usize::try_from(n).unwrap_or(0) - stats.added;
            Ok(stats)
        })
    }

    fn lease(&self, max: usize) -> FrontierFuture<'_, Leased> {
        Box::pin(async move {
            let max = max.min(MAX_BATCH);
            let mut out = Leased::default();
            // Pages robots.txt disallows were given back: ask again for as
            // many, until a round brings no drop or nothing more.
            loop {
                let want = max - out.leases.len();
                let dropped_before = out.dropped.len();
                let granted = self.lease_round(want, &mut out).await?;
                let disallowed = out.dropped.len() - dropped_before;
                if want == 0 || granted == want || disallowed == 0 {
                    return Ok(out);
                }
            }
        })
    }

    fn complete(&self, completion: Completion) -> FrontierFuture<'_, Completed> {
        Box::pin(async move {
            let Completion {
                children,
                acks,
                checkpoint,
            } = completion;
            let mut pushed = PushStats::default();
            let mut body = Args::detached();
            let (sent, n) = self.push_args(&mut body, &children, &mut pushed)?;
            let mut args = self.args();
            args.push(n);
            args.append(body);
            args.push(acks.len() as i64);
            for (lease, ack) in &acks {
                codec::push_ack(&mut args, &self.inner.cfg, lease, ack)?;
            }
            match &checkpoint {
                Some(c) => {
                    args.push(1);
                    args.push(codec::encode_checkpoint(c));
                }
                None => args.push(0),
            }
            let reply = self
                .run(&self.inner.scripts.complete, args, "completing")
                .await?;
            self.remember(sent);
            let mut held = self.lock_held();
            for (lease, _) in &acks {
                held.remove(&lease.id.0);
            }
            drop(held);
            let [added, duplicate, acked, stale] = codec::ints(reply)?;
            pushed.added = added as usize;
            pushed.duplicate += duplicate as usize;
            Ok(Completed {
                pushed,
                acked: acked as usize,
                stale: stale as usize,
            })
        })
    }

    fn reclaim(&self, lease: Lease, after: Duration) -> FrontierFuture<'_, bool> {
        Box::pin(async move {
            let mut args = self.args();
            args.push(lease.id.0 as i64);
            args.push(lease.token as i64);
            args.push(codec::millis(after));
            let reply = self
                .run(&self.inner.scripts.reclaim, args, "reclaiming a lease")
                .await?;
            self.lock_held().remove(&lease.id.0);
            Ok(codec::int(reply)? == 1)
        })
    }

    fn status(&self) -> FrontierFuture<'_, Status> {
        Box::pin(async move {
            let args = self.args();
            let reply = self
                .run(&self.inner.scripts.status, args, "reading the status")
                .await?;
            codec::status(reply)
        })
    }

    fn checkpoint(&self) -> FrontierFuture<'_, Checkpoint> {
        Box::pin(async move {
            let key = format!("{}ck:{}", self.inner.prefix, self.inner.worker);
            let raw: Option<Vec<u8>> = self
                .call("reading the checkpoint", |mut conn| {
                    let key = key.clone();
                    async move { redis::cmd("GET").arg(key).query_async(&mut conn).await }
                })
                .await?;
            match raw {
                None => Ok(Vec::new()),
                Some(raw) => codec::decode_checkpoint(&raw).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Io,
                        format!(
                            "frontier {}: the checkpoint at {key} is damaged; delete the \
                             crawl's keys to start over",
                            self.inner.shown
                        ),
                    )
                }),
            }
        })
    }

    /// No: an ack is final only with its worker's next checkpoint. Until
    /// then it sits in the worker's journal, and a worker that restarts
    /// under its name undoes it (its outputs are cut back to the same
    /// checkpoint), so the engine may send acks as pages finish.
    fn acks_durable_at_once(&self) -> bool {
        false
    }
}
