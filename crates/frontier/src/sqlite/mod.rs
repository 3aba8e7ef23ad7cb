//! [`SqliteFrontier`]: the durable frontier, in one SQLite file (WAL mode).
//!
//! The state of a resumable crawl: the queue, the seen set, the leases, the
//! counters, the robots.txt cache and checkpoints live on disk; a crawl
//! killed with `kill -9` resumes by opening the same file again. What stays
//! in memory is small or rebuilt on open: per-host politeness timing, the
//! ready heap, and the seen set's fingerprints (16 bytes each, for dedup at
//! memory speed). See `docs/decisions/0007-durable-frontier.md`.
//!
//! Every call does its SQLite work synchronously under the frontier's lock:
//! with WAL and `synchronous=NORMAL` statements take microseconds, and a
//! blocking task would let tokio's paused test clock run ahead.

mod open;
mod schema;
pub(crate) mod store;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ferrocrawl_core::{Error, ErrorKind, Request, Result};

use crate::clock::{SharedClock, TokioClock};
use crate::config::FrontierConfig;
use crate::lease::{Completed, Completion, Lease, Leased, PushStats, Status};
use crate::scheduler::Scheduler;
use crate::{Checkpoint, Frontier, FrontierFuture};
use store::{SqliteStore, Totals, io_error};

/// A frontier kept in an SQLite file, so a crawl can stop at any moment
/// (even `kill -9`) and resume with nothing lost.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> ferrocrawl_core::Result<()> {
/// use ferrocrawl_core::Request;
/// use ferrocrawl_frontier::{Frontier, FrontierConfig, SqliteFrontier};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("crawl.state");
/// let cfg = FrontierConfig { obey_robots: false, ..Default::default() };
/// let (frontier, resumed) = SqliteFrontier::open(&path, cfg.clone(), "crawl http://a/")?;
/// assert!(resumed.created);
/// frontier.push(vec![Request::get("http://a/".parse().unwrap())]).await?;
/// let lease = frontier.lease(1).await?.leases.pop().unwrap();
/// drop(frontier); // or kill -9: the lease was never acked
///
/// let (frontier, resumed) = SqliteFrontier::open(&path, cfg, "crawl http://a/")?;
/// assert_eq!((resumed.queued, resumed.returned), (1, 1));
/// # let _ = (lease, frontier); Ok(()) }
/// ```
///
/// Clones are handles on the same open file (the file itself is locked
/// against other processes).
#[derive(Clone, Debug)]
pub struct SqliteFrontier {
    shared: Arc<Shared>,
    clock: SharedClock,
}

#[derive(Debug)]
struct Shared {
    // Order matters: the connection closes before the directory goes.
    inner: Mutex<Inner>,
    /// Removed (after the connection closed) when the last handle goes.
    _temp_dir: Option<TempDir>,
}

/// A directory removed with everything in it when dropped.
#[derive(Debug)]
pub(crate) struct TempDir(pub(crate) PathBuf);

/// A new store in a state file under a fresh temporary directory (removed
/// with the returned guard), for a frontier spilling its queue to disk.
pub(crate) fn temporary_store(cfg: &FrontierConfig) -> Result<(store::SqliteStore, TempDir)> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let base = std::env::temp_dir();
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = base.join(format!(
        "ferrocrawl-spill-{}-{stamp}-{n}",
        std::process::id()
    ));
    std::fs::create_dir(&dir).map_err(|e| io_error(&dir, "creating a spill directory", e))?;
    let dir = TempDir(dir);
    let (mut store, _, _) = open::open(&dir.0.join("queue.sqlite"), cfg, "spill")?;
    store.tune_for_spill()?;
    Ok((store, dir))
}

#[derive(Debug)]
struct Inner {
    sched: Scheduler<SqliteStore>,
    /// Why the frontier stopped working: a write failed, so memory and disk
    /// may disagree. The file holds the last committed state.
    poisoned: Option<String>,
    commit_interval: Duration,
    /// Commit only when told ([`Frontier::commit`], [`Frontier::ack_batch`]
    /// with a checkpoint, [`SqliteFrontier::flush`]); see
    /// [`SqliteFrontier::set_manual_commit`].
    manual: bool,
}

/// What [`SqliteFrontier::open`] found in the file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resumed {
    /// The file was new (or empty): a new crawl starts.
    pub created: bool,
    /// Requests queued, `returned` included.
    pub queued: u64,
    /// Leases the previous process held when it stopped (in flight), now
    /// queued again.
    pub returned: u64,
    /// Pages done so far.
    pub done: u64,
    /// Pages failed so far.
    pub failed: u64,
    /// Requests dropped so far (robots.txt).
    pub dropped: u64,
    /// Distinct requests seen so far (the dedup set).
    pub seen: u64,
}

// ===== impl SqliteFrontier =====

impl SqliteFrontier {
    /// How long writes may wait for a commit by default: each call's writes
    /// are committed at the latest with the first call this long after the
    /// previous commit (and always by [`ack_batch`](Frontier::ack_batch),
    /// [`flush`](Self::flush), a finished frontier and drop). A crash loses
    /// at most this much work, which is redone on resume: pushes precede
    /// the ack of their page, and commits keep that order.
    pub const COMMIT_INTERVAL: Duration = Duration::from_millis(100);

    /// The version of the state files this build reads and writes (kept in
    /// `PRAGMA user_version`); files of another version are refused with
    /// [`StateProblem::Version`](ferrocrawl_core::StateProblem::Version).
    pub const SCHEMA_VERSION: u32 = schema::SCHEMA_VERSION;

    /// Open the state file at `path`, creating it if missing, for the crawl
    /// named `identity` (an opaque string, e.g. a hash of the spider and its
    /// command line). The file is locked until the frontier is dropped.
    ///
    /// An existing file resumes: requests leased by the process that wrote
    /// it are queued again, and [`Resumed`] tells how much there is.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::State`] when the file can't be used, with the file left
    /// untouched: not an SQLite file, an SQLite file that isn't a state
    /// file, another schema version, another crawl's file, or a file in use
    /// by another process. [`ErrorKind::Io`] when it can't be read or
    /// written.
    pub fn open(
        path: impl AsRef<Path>,
        cfg: FrontierConfig,
        identity: &str,
    ) -> Result<(SqliteFrontier, Resumed)> {
        Self::open_with_clock(path, cfg, identity, TokioClock::shared())
    }

    /// [`SqliteFrontier::open`], reading the time from `clock`.
    pub fn open_with_clock(
        path: impl AsRef<Path>,
        cfg: FrontierConfig,
        identity: &str,
        clock: SharedClock,
    ) -> Result<(SqliteFrontier, Resumed)> {
        Self::open_in(path.as_ref(), cfg, identity, clock, None)
    }

    fn open_in(
        path: &Path,
        cfg: FrontierConfig,
        identity: &str,
        clock: SharedClock,
        temp_dir: Option<TempDir>,
    ) -> Result<(SqliteFrontier, Resumed)> {
        let (store, restored, resumed) = open::open(path, &cfg, identity)?;
        let now = clock.now();
        let shared = Shared {
            inner: Mutex::new(Inner {
                sched: Scheduler::restore(cfg, store, restored, now),
                poisoned: None,
                commit_interval: Self::COMMIT_INTERVAL,
                manual: false,
            }),
            _temp_dir: temp_dir,
        };
        let frontier = SqliteFrontier {
            shared: Arc::new(shared),
            clock,
        };
        Ok((frontier, resumed))
    }

    /// A frontier in a new file under the system's temporary directory,
    /// deleted when the frontier is dropped: memory stays bounded however
    /// large the queue grows, for a crawl that needn't resume.
    pub fn temporary(cfg: FrontierConfig) -> Result<SqliteFrontier> {
        Self::temporary_with_clock(cfg, TokioClock::shared())
    }

    /// [`SqliteFrontier::temporary`], reading the time from `clock`.
    pub fn temporary_with_clock(cfg: FrontierConfig, clock: SharedClock) -> Result<SqliteFrontier> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let base = std::env::temp_dir();
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let mut last_error = None;
        for _ in 0..16 {
            let n = NEXT.fetch_add(1, Ordering::Relaxed);
            let dir = base.join(format!(
                "ferrocrawl-frontier-{}-{stamp}-{n}",
                std::process::id()
            ));
            match std::fs::create_dir(&dir) {
                Ok(()) => {
                    let path = dir.join("state.sqlite");
                    let dir = Some(TempDir(dir));
                    let (frontier, _) = Self::open_in(&path, cfg, "temporary", clock, dir)?;
                    return Ok(frontier);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last_error = Some(e),
                Err(e) => return Err(io_error(&dir, "creating a temporary directory", e)),
            }
        }
        let e = last_error.unwrap_or_else(|| std::io::ErrorKind::AlreadyExists.into());
        Err(io_error(&base, "creating a temporary directory", e))
    }

    /// Set how long writes may wait for a commit ([`Self::COMMIT_INTERVAL`]
    /// by default); zero commits every call.
    pub fn set_commit_interval(&self, interval: Duration) {
        self.lock().commit_interval = interval;
    }

    /// Commit only when told: by [`Frontier::commit`] (which the engine
    /// calls after its item sinks have flushed), by [`Frontier::ack_batch`]
    /// with a checkpoint, or by [`SqliteFrontier::flush`]; never on a timer,
    /// at the end of the crawl or on drop. Then the file never records a page
    /// as done before its items were stored: work since the last commit is
    /// rolled back when the process dies, and redone on resume.
    pub fn set_manual_commit(&self, manual: bool) {
        self.lock().manual = manual;
    }

    /// Commit everything written so far.
    pub fn flush(&self) -> Result<()> {
        self.run(true, |_, _| Ok(()))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic can't leave memory and disk apart for long: the open
        // transaction is only committed by a call that finished.
        self.shared.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Run one frontier call: its writes join the open transaction, which
    /// is committed if `force` or the commit interval has passed. A storage
    /// failure rolls back and stops the frontier.
    fn run<T>(
        &self,
        force: bool,
        call: impl FnOnce(&mut Scheduler<SqliteStore>, SystemTime) -> Result<T>,
    ) -> Result<T> {
        let mut g = self.lock();
        g.check()?;
        let out = call(&mut g.sched, self.clock.now());
        let out = out.and_then(|v| g.commit(force).map(|()| v));
        if let Some(why) = g.sched.store.broken.clone() {
            g.sched.store.rollback();
            g.poisoned = Some(why);
        }
        out
    }
}

impl Drop for Shared {
    fn drop(&mut self) {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if g.poisoned.is_none() && !g.manual {
            // Nothing to report to: a failure here leaves the last committed
            // state, which resumes all the same.
            let _ = g.commit(true);
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // Best effort: a leftover directory in the temporary area is harmless.
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

// ===== impl Inner =====

impl Inner {
    fn check(&self) -> Result<()> {
        match &self.poisoned {
            None => Ok(()),
            Some(why) => Err(Error::new(
                ErrorKind::Io,
                format!(
                    "state file {}: an earlier write failed ({why}); stop this crawl and run it \
                     again to resume from the last saved state",
                    self.sched.store.path().display()
                ),
            )),
        }
    }

    fn commit(&mut self, force: bool) -> Result<()> {
        if self.manual && !force {
            return Ok(());
        }
        let totals = Totals {
            counts: self.sched.counts,
            pages_leased: self.sched.pages_leased,
            seq: self.sched.seq,
        };
        self.sched.store.commit(totals, force, self.commit_interval)
    }
}

impl Frontier for SqliteFrontier {
    fn push(&self, requests: Vec<Request>) -> FrontierFuture<'_, PushStats> {
        ready(self.run(false, |s, now| s.push(requests, now)))
    }

    fn lease(&self, max: usize) -> FrontierFuture<'_, Leased> {
        ready(self.run(false, |s, now| s.lease(max, now)))
    }

    fn complete(&self, completion: Completion) -> FrontierFuture<'_, Completed> {
        // A checkpoint is committed at once, so a caller may rely on it from
        // the moment this returns; the rest waits for the next commit.
        let force = completion.checkpoint.is_some();
        ready(self.run(force, |s, now| {
            if let Some(checkpoint) = &completion.checkpoint {
                s.store.save_checkpoints(checkpoint)?;
            }
            s.complete(completion, now)
        }))
    }

    fn reclaim(&self, lease: Lease, after: Duration) -> FrontierFuture<'_, bool> {
        ready(self.run(false, |s, now| s.reclaim(lease, after, now)))
    }

    fn status(&self) -> FrontierFuture<'_, Status> {
        let status = self.run(false, |s, now| Ok(s.status(now)));
        let manual = self.lock().manual;
        if let Ok(Status { finished: true, .. }) = status
            && !manual
        {
            // The end of the crawl is worth saving at once.
            if let Err(e) = self.flush() {
                return ready(Err(e));
            }
        }
        ready(status)
    }

    fn checkpoint(&self) -> FrontierFuture<'_, Checkpoint> {
        let g = self.lock();
        let out = g.check().and_then(|()| g.sched.store.checkpoints());
        ready(out)
    }
}

fn ready<T: Send + 'static>(out: Result<T>) -> FrontierFuture<'static, T> {
    Box::pin(std::future::ready(out))
}
