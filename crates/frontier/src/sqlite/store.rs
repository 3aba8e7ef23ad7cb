//! [`SqliteStore`]: the scheduler's [`Store`] in an SQLite database.
//!
//! Writes go into one open transaction that the frontier commits (see
//! `SqliteFrontier`); the counters are written with every commit, so what is
//! on disk is always the state after some whole frontier call.

use std::path::{Path, PathBuf};
use std::time::Instant as StdInstant;

use ferrocrawl_core::{Error, ErrorKind, Request, Result, Url};
use ferrocrawl_robots::RobotsSource;
use ferrocrawl_url::Fingerprint;
use rusqlite::{Connection, OptionalExtension, params};

use crate::host::{Host, RobotsState};
use crate::lease::Counts;
use crate::store::{Slot, Store};

/// `queue.state`: waiting to be leased.
pub(crate) const QUEUED: i64 = 0;
/// `queue.state`: leased to the process that wrote it.
pub(crate) const LEASED: i64 = 1;
/// `queue.state`: waiting out a retry backoff.
pub(crate) const ASIDE: i64 = 2;

/// `hosts.robots_kind` for [`RobotsSource`].
pub(crate) const ROBOTS_ALLOW_ALL: i64 = 0;
pub(crate) const ROBOTS_DISALLOW_ALL: i64 = 1;
pub(crate) const ROBOTS_PARSED: i64 = 2;

/// The next request of a host. `+?1`, not `?1`: compared with the ORDER
/// BY terms, a bare parameter makes SQLite expire the statement on every
/// new binding and compile it again (a third of a lease's time).
const POP: &str = "SELECT id, request FROM queue WHERE host = +?1 AND state = 0
    ORDER BY priority DESC, seq DESC LIMIT 1";

/// What is written with every commit besides the rows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Totals {
    pub counts: Counts,
    pub pages_leased: u64,
    pub seq: i64,
}

/// The scheduler's store on an open, validated state file.
/// SQLite's page cache once a spill file holds the seen index.
const SPILL_CACHE_KIB: i64 = 64 * 1024;

pub(crate) struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    in_tx: bool,
    last_commit: StdInstant,
    /// The first storage error; the frontier stops using the store after it.
    pub(crate) broken: Option<String>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .field("in_tx", &self.in_tx)
            .finish_non_exhaustive()
    }
}

/// An I/O error on the state file at `path` while doing `what`.
pub(crate) fn io_error(path: &Path, what: &str, e: impl Into<BoxError>) -> Error {
    Error::new(
        ErrorKind::Io,
        format!("state file {}: {what} failed", path.display()),
    )
    .with_source(e)
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

// ===== impl SqliteStore =====

impl SqliteStore {
    pub fn new(conn: Connection, path: PathBuf) -> SqliteStore {
        SqliteStore {
            conn,
            path,
            in_tx: false,
            last_commit: StdInstant::now(),
            broken: None,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Records the failure so the frontier can stop, and returns it.
    fn fail(&mut self, what: &str, e: impl Into<BoxError>) -> Error {
        let e = io_error(&self.path, what, e);
        if self.broken.is_none() {
            self.broken = Some(e.display_chain());
        }
        e
    }

    fn begin(&mut self) -> Result<()> {
        if !self.in_tx {
            if let Err(e) = self.conn.execute_batch("BEGIN") {
                return Err(self.fail("starting a transaction", e));
            }
            self.in_tx = true;
        }
        Ok(())
    }

    /// Run one write statement inside the open transaction.
    fn write(&mut self, what: &str, sql: &str, params: impl rusqlite::Params) -> Result<usize> {
        self.begin()?;
        let done = self
            .conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(params));
        done.map_err(|e| self.fail(what, e))
    }

    /// Commit the open transaction if `force`, or if `interval` has passed
    /// since the last commit; `totals` are written with it.
    pub fn commit(
        &mut self,
        totals: Totals,
        force: bool,
        interval: std::time::Duration,
    ) -> Result<()> {
        if !self.in_tx || !(force || self.last_commit.elapsed() >= interval) {
            return Ok(());
        }
        let c = totals.counts;
        self.write(
            "saving counters",
            "UPDATE counters SET done = ?1, failed = ?2, dropped = ?3, bytes = ?4,
                pages_leased = ?5, seq = ?6",
            params![
                to_i64(c.done),
                to_i64(c.failed),
                to_i64(c.dropped),
                to_i64(c.bytes),
                to_i64(totals.pages_leased),
                totals.seq
            ],
        )?;
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            return Err(self.fail("committing", e));
        }
        self.in_tx = false;
        self.last_commit = StdInstant::now();
        Ok(())
    }

    /// Throw away the open transaction, after a failure.
    pub fn rollback(&mut self) {
        if self.in_tx {
            // The connection rolls back on its own when this fails too.
            let _ = self.conn.execute_batch("ROLLBACK");
            self.in_tx = false;
        }
    }

    /// Queue a row kept aside (state 2) for `request` on `host`; its slot.
    /// For a spilled in-memory frontier: its leased and delayed requests.
    /// Settings for a spill file, which is never resumed: no fsyncs, and a
    /// larger cache for the seen index's random inserts (memory still
    /// bounded: the cache is fixed). Call before the first write.
    pub fn tune_for_spill(&mut self) -> Result<()> {
        let tuned = self
            .conn
            .pragma_update(None, "synchronous", "OFF")
            .and_then(|()| {
                self.conn
                    .pragma_update(None, "cache_size", -SPILL_CACHE_KIB)
            });
        tuned.map_err(|e| self.fail("setting up a spill file", e))
    }

    /// Creates the indexed seen table a spilled memory frontier dedups
    /// against ([`Store::seen_insert`]), holding `fps`. The durable
    /// frontier's own `seen` table is append-only, for reloading; this one
    /// is a B-tree, for lookups.
    pub fn index_seen(&mut self, fps: impl Iterator<Item = Fingerprint>) -> Result<()> {
        self.write(
            "creating the seen index",
            "CREATE TABLE IF NOT EXISTS seen_index (fp BLOB PRIMARY KEY) WITHOUT ROWID",
            [],
        )?;
        for fp in fps {
            self.seen_insert(fp)?;
        }
        Ok(())
    }

    pub fn insert_aside(&mut self, host: usize, request: &Request) -> Result<Slot> {
        let json = serde_json::to_vec(request).map_err(|e| self.fail("encoding a request", e))?;
        self.write(
            "keeping a request aside",
            "INSERT INTO queue (host, priority, seq, state, request) VALUES (?1, ?2, 0, 2, ?3)",
            params![to_i64(host as u64), request.priority, json],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Record named checkpoints in the open transaction.
    pub fn save_checkpoints(&mut self, checkpoint: &[(String, Vec<u8>)]) -> Result<()> {
        for (name, value) in checkpoint {
            self.write(
                "saving a checkpoint",
                "INSERT INTO checkpoints (name, value) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )?;
        }
        Ok(())
    }

    /// Every checkpoint saved, by name.
    pub fn checkpoints(&self) -> Result<Vec<(String, Vec<u8>)>> {
        self.conn
            .prepare_cached("SELECT name, value FROM checkpoints ORDER BY name")
            .and_then(|mut stmt| {
                stmt.query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
                    .collect()
            })
            .map_err(|e| io_error(&self.path, "reading the checkpoints", e))
    }
}

impl Store for SqliteStore {
    fn add_host(&mut self, id: usize, key: &str, robots_url: Option<&Url>) -> Result<()> {
        self.write(
            "adding a host",
            "INSERT INTO hosts (id, key, robots_url) VALUES (?1, ?2, ?3)",
            params![to_i64(id as u64), key, robots_url.map(Url::as_str)],
        )?;
        Ok(())
    }

    fn add(
        &mut self,
        host: usize,
        fp: Option<Fingerprint>,
        seq: i64,
        request: Request,
    ) -> Result<()> {
        let json = serde_json::to_vec(&request).map_err(|e| self.fail("encoding a request", e))?;
        if let Some(fp) = fp {
            self.write(
                "recording a seen request",
                "INSERT INTO seen (fp) VALUES (?1)",
                [&fp.to_bytes()[..]],
            )?;
        }
        self.write(
            "queueing a request",
            "INSERT INTO queue (host, priority, seq, state, request) VALUES (?1, ?2, ?3, 0, ?4)",
            params![to_i64(host as u64), request.priority, seq, json],
        )?;
        Ok(())
    }

    /// `INSERT OR IGNORE` into the indexed seen table [`SqliteStore::index_seen`]
    /// made: one statement tests and sets.
    fn seen_insert(&mut self, fp: Fingerprint) -> Result<bool> {
        let changed = self.write(
            "recording a seen request",
            "INSERT OR IGNORE INTO seen_index (fp) VALUES (?1)",
            [&fp.to_bytes()[..]],
        )?;
        Ok(changed == 1)
    }

    fn pop(&mut self, host: usize) -> Result<Option<(Slot, Request)>> {
        let row = self.conn.prepare_cached(POP).and_then(|mut stmt| {
            stmt.query_row([to_i64(host as u64)], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, Vec<u8>>(1)?))
            })
            .optional()
        });
        let Some((slot, json)) = row.map_err(|e| self.fail("reading the queue", e))? else {
            return Ok(None);
        };
        let request = serde_json::from_slice(&json)
            .map_err(|e| self.fail(&format!("decoding queued request {slot}"), e))?;
        self.write(
            "leasing a request",
            "UPDATE queue SET state = 1 WHERE id = ?1",
            [slot],
        )?;
        Ok(Some((slot, request)))
    }

    fn remove(&mut self, slot: Slot) -> Result<()> {
        self.write(
            "removing a finished request",
            "DELETE FROM queue WHERE id = ?1",
            [slot],
        )?;
        Ok(())
    }

    fn set_aside(&mut self, slot: Slot, host: usize, request: Request) -> Result<Slot> {
        let json = serde_json::to_vec(&request).map_err(|e| self.fail("encoding a request", e))?;
        self.write(
            "keeping a retry",
            "UPDATE queue SET state = 2, host = ?2, priority = ?3, request = ?4 WHERE id = ?1",
            params![slot, to_i64(host as u64), request.priority, json],
        )?;
        Ok(slot)
    }

    fn requeue(&mut self, slot: Slot, seq: i64) -> Result<()> {
        self.write(
            "queueing a retry again",
            "UPDATE queue SET state = 0, seq = ?2 WHERE id = ?1",
            [slot, seq],
        )?;
        Ok(())
    }

    fn save_robots(&mut self, id: usize, host: &Host) -> Result<()> {
        let (kind, body, agent) = match &host.robots {
            RobotsState::Known(robots) => match robots.source() {
                RobotsSource::Parsed { body, user_agent } => {
                    (Some(ROBOTS_PARSED), Some(body), Some(user_agent))
                }
                RobotsSource::AllowAll => (Some(ROBOTS_ALLOW_ALL), None, None),
                RobotsSource::DisallowAll => (Some(ROBOTS_DISALLOW_ALL), None, None),
            },
            _ => (None, None, None),
        };
        let (id, attempts, gave_up) = (
            to_i64(id as u64),
            i64::from(host.robots_attempts),
            host.robots_gave_up,
        );
        self.write(
            "saving robots.txt",
            "UPDATE hosts SET robots_kind = ?2, robots_body = ?3, robots_agent = ?4,
                robots_attempts = ?5, robots_gave_up = ?6 WHERE id = ?1",
            params![id, kind, body, agent, attempts, gave_up],
        )?;
        Ok(())
    }
}

/// Counters are `u64` in memory and `INTEGER` (i64) on disk; they never get
/// near 2^63, and saturate rather than wrap if they did.
pub(crate) fn to_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;

    use super::*;
    use crate::config::FrontierConfig;

    fn req(url: &str) -> Request {
        Request::get(url.parse().expect("valid test URL"))
    }

    /// Regression: the lease query was compiled again on every call.
    #[test]
    fn hot_statements_are_compiled_once() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("s");
        let cfg = FrontierConfig::default();
        let (mut store, _, _) = super::super::open::open(&path, &cfg, "t").expect("open");
        store.add_host(0, "a:80", None).expect("host a");
        store.add_host(1, "b:80", None).expect("host b");
        for i in 0..20 {
            let url = format!("http://{}/{i}", if i % 2 == 0 { "a" } else { "b" });
            store.add(i % 2, None, -(i as i64), req(&url)).expect("add");
        }
        for i in 0..20 {
            let (slot, _) = store.pop(i % 2).expect("pop").expect("queued");
            store.remove(slot).expect("remove");
        }
        let stmt = store.conn.prepare_cached(POP).expect("cached");
        assert_eq!(stmt.get_status(StatementStatus::RePrepare), 0);
    }
}
