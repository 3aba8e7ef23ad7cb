//! Riding out a Redis outage: a worker whose Redis goes away (restarted,
//! failed over, a network cut) retries each call with backoff, logging once,
//! for up to [`RedisBuilder::outage`](super::RedisBuilder::outage), instead
//! of ending its crawl on the first connection error.
//!
//! Retrying is safe because every call is either fenced or idempotent: a
//! push is deduplicated, an ack or a reclaim names its lease's token (a
//! repeat is stale), a checkpoint is overwritten. The one call whose first
//! attempt may have run unseen is `lease` (its answer lost with the
//! connection): before the next attempt the worker *resyncs*
//! (`lua/resync.lua`), taking back every lease Redis holds in its name that
//! it doesn't know of. The same step takes back leases whose acks Redis
//! lost, when it restarted from its append-only file without its last
//! second of writes; and the fingerprints the worker remembers as seen are
//! forgotten, since those writes may be gone too.

use std::future::Future;
use std::time::{Duration, Instant};

use ferrocrawl_core::{Error, ErrorKind, Result};
use redis::RetryMethod;
use redis::aio::ConnectionManager;

use super::RedisFrontier;
use super::codec;

/// How long a worker rides out an outage by default.
pub(super) const OUTAGE_MAX: Duration = Duration::from_secs(120);

/// The first wait before retrying; it doubles up to [`LONGEST_WAIT`].
const FIRST_WAIT: Duration = Duration::from_millis(100);

/// The longest wait between two attempts.
const LONGEST_WAIT: Duration = Duration::from_secs(2);

/// An error a later attempt may not meet: no connection, a dropped one, a
/// timeout, or a server busy loading its data after a restart.
pub(super) fn is_outage(e: &redis::RedisError) -> bool {
    e.is_io_error()
        || e.is_connection_refusal()
        || e.is_connection_dropped()
        || e.is_timeout()
        || matches!(e.retry_method(), RetryMethod::WaitAndRetry)
}

// ===== impl RedisFrontier =====

impl RedisFrontier {
    /// Runs `attempt` on the connection until it succeeds, fails for
    /// another reason than an outage, or the outage lasts longer than the
    /// worker may wait. After an outage, the worker resyncs before its next
    /// attempt (see the module's docs).
    pub(super) async fn call<T, F, Fut>(&self, what: &str, mut attempt: F) -> Result<T>
    where
        F: FnMut(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.conn().await?;
        let i = &self.inner;
        let mut since: Option<Instant> = None;
        let mut wait = FIRST_WAIT;
        loop {
            let result = match since {
                Some(_) => match self.resync(conn.clone()).await {
                    Ok(()) => attempt(conn.clone()).await,
                    Err(e) => Err(e),
                },
                None => attempt(conn.clone()).await,
            };
            let e = match result {
                Ok(v) => {
                    if let Some(t) = since {
                        tracing::warn!(
                            "frontier {} (crawl `{}`, worker `{}`): Redis answers again after \
                             {:.1}s; carrying on",
                            i.shown,
                            i.crawl,
                            i.worker,
                            t.elapsed().as_secs_f64()
                        );
                    }
                    return Ok(v);
                }
                Err(e) if is_outage(&e) => e,
                Err(e) => return Err(self.error(what, e)),
            };
            // Redis may come back without its last writes: what this worker
            // remembers as in the seen set may no longer be there.
            self.forget_known();
            let started = *since.get_or_insert_with(|| {
                tracing::warn!(
                    "frontier {} (crawl `{}`, worker `{}`): Redis unreachable while {what} \
                     ({e}); retrying for up to {}s",
                    i.shown,
                    i.crawl,
                    i.worker,
                    i.outage.as_secs()
                );
                Instant::now()
            });
            if started.elapsed() >= i.outage {
                return Err(Error::new(
                    ErrorKind::Connect,
                    format!(
                        "frontier {} (crawl `{}`): {what}: Redis unreachable for {}s ({e}); \
                         is the Redis server up and reachable? Once it is, start this worker \
                         again with the same --worker name (`{}`): it takes its work back",
                        i.shown,
                        i.crawl,
                        started.elapsed().as_secs(),
                        i.worker
                    ),
                )
                .with_source(e));
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(LONGEST_WAIT);
        }
    }

    /// `resync.lua` with the leases this worker holds.
    async fn resync(&self, mut conn: ConnectionManager) -> redis::RedisResult<()> {
        let held: Vec<u64> = self.lock_held().iter().copied().collect();
        let mut args = self.args();
        args.push(held.len() as i64);
        for id in held {
            args.push(id as i64);
        }
        let reply = args.invoke(&self.inner.scripts.resync, &mut conn).await?;
        let taken = codec::int(reply).unwrap_or(0);
        if taken > 0 {
            tracing::warn!(
                "frontier {} (crawl `{}`, worker `{}`): took back {taken} leases Redis still \
                 held for this worker (their acks were lost with the outage): they will be \
                 fetched again",
                self.inner.shown,
                self.inner.crawl,
                self.inner.worker
            );
        }
        Ok(())
    }
}
