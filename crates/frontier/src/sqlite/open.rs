//! Opening a state file: refuse anything that isn't this crawl's (without
//! touching it), create a new one, or resume an old one.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use ferrocrawl_core::{Error, ErrorKind, Result, StateProblem, Url};
use ferrocrawl_robots::Robots;
use ferrocrawl_url::{Fingerprint, SeenSet};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, params};

use super::Resumed;
use super::schema::{APPLICATION_ID, SCHEMA, SCHEMA_VERSION};
use super::store::{
    ASIDE, LEASED, QUEUED, ROBOTS_ALLOW_ALL, ROBOTS_DISALLOW_ALL, ROBOTS_PARSED, SqliteStore,
    io_error,
};
use crate::config::{FrontierConfig, Order};
use crate::lease::Counts;
use crate::scheduler::Restored;

/// The first 16 bytes of every SQLite database.
const MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// SQLite's page cache for the state file: the queue's hot pages and the
/// index; the OS page cache holds the rest.
const CACHE_KIB: i64 = 16 * 1024;

/// Identities are opaque and may be long; messages show this much.
const SHOWN_IDENTITY: usize = 120;

/// Open, validate and load the state file at `path`.
pub(crate) fn open(
    path: &Path,
    cfg: &FrontierConfig,
    identity: &str,
) -> Result<(SqliteStore, Restored, Resumed)> {
    check_magic(path)?;
    // A WAL left by a process that was killed holds committed work. Until
    // the file is known to be ours it must not be folded into the file;
    // without one, SQLite's own close removes the empty WAL it creates.
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let keep_wal = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
    let conn = connect(path, keep_wal)?;
    let created = match inspect(&conn, path, identity)? {
        Found::Empty => {
            create(&conn, path, cfg, identity)?;
            true
        }
        Found::Ours => {
            check_integrity(&conn, path)?;
            false
        }
    };
    // The file is ours and whole from here on: let SQLite fold the WAL in at close.
    let tune = conn
        .set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, false)
        .and_then(|_| conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0)))
        .and_then(|_| conn.pragma_update(None, "synchronous", "NORMAL"))
        .and_then(|()| conn.pragma_update(None, "cache_size", -CACHE_KIB));
    tune.map_err(|e| io_error(path, "setting up", e))?;
    let mut conn = conn;
    let (restored, resumed) = load(&mut conn, path, cfg, created)?;
    Ok((SqliteStore::new(conn, path.to_owned()), restored, resumed))
}

/// What [`inspect`] found in a file it may use.
enum Found {
    /// No tables: a new file (or one whose creation never committed).
    Empty,
    /// A state file of this crawl and schema.
    Ours,
}

fn state_error(problem: StateProblem, message: String) -> Error {
    Error::new(ErrorKind::State(problem), message)
}

/// Refuse, before SQLite sees it, a file that is not an SQLite database.
fn check_magic(path: &Path) -> Result<()> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(path, "reading", e)),
    };
    if meta.is_dir() {
        return Err(Error::new(
            ErrorKind::Io,
            format!(
                "state file {} is a directory; pass a file path (it is created if missing)",
                path.display()
            ),
        ));
    }
    if meta.len() == 0 {
        return Ok(()); // nothing in it to lose
    }
    let mut head = [0u8; 16];
    let read = std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head));
    match read {
        Ok(()) if &head == MAGIC => Ok(()),
        Ok(()) => Err(not_sqlite(path)),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(not_sqlite(path)),
        Err(e) => Err(io_error(path, "reading", e)),
    }
}

fn not_sqlite(path: &Path) -> Error {
    state_error(
        StateProblem::NotSqlite,
        format!(
            "{} is not a ferrocrawl state file (not an SQLite database); it was left untouched: \
             pass another --state file",
            path.display()
        ),
    )
}

/// Open with the lock that keeps other processes out for as long as the
/// connection lives; with `keep_wal`, an existing WAL is not folded into the
/// file at close (so a file we refuse is left exactly as it was).
fn connect(path: &Path, keep_wal: bool) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn =
        Connection::open_with_flags(path, flags).map_err(|e| io_error(path, "opening", e))?;
    let setup = conn
        .set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, keep_wal)
        .and_then(|_| conn.busy_timeout(Duration::ZERO))
        // Before the first read: the lock taken then is held until close,
        // and WAL mode then needs no shared-memory file.
        .and_then(|()| {
            conn.query_row("PRAGMA locking_mode = EXCLUSIVE", [], |r| {
                r.get::<_, String>(0)
            })
        });
    setup.map_err(|e| io_error(path, "opening", e))?;
    if conn
        .is_readonly("main")
        .map_err(|e| io_error(path, "opening", e))?
    {
        return Err(Error::new(
            ErrorKind::Io,
            format!(
                "state file {} is read-only; make it writable or pass another --state file",
                path.display()
            ),
        ));
    }
    Ok(conn)
}

/// Refuse a state file of ours whose contents are damaged before anything
/// is written to it (a write would fold its WAL in and change it).
fn check_integrity(conn: &Connection, path: &Path) -> Result<()> {
    let damaged = |why: String| {
        state_error(
            StateProblem::Damaged,
            format!(
                "{} is damaged ({why}); it was left as it was: move it aside (or delete it) to \
                 start the crawl over, or pass another --state file",
                path.display()
            ),
        )
    };
    match conn.query_row("PRAGMA quick_check(1)", [], |r| r.get::<_, String>(0)) {
        Ok(answer) if answer == "ok" => Ok(()),
        Ok(answer) => Err(damaged(format!("SQLite's check says: {answer}"))),
        Err(e) => Err(damaged(e.to_string())),
    }
}

/// Read (never write) what the file is; take the exclusive lock on the way.
fn inspect(conn: &Connection, path: &Path, identity: &str) -> Result<Found> {
    let sql_error = |e: rusqlite::Error| match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => state_error(
            StateProblem::Locked,
            format!(
                "{} is in use by another running crawl; wait for it to end or pass another \
                 --state file",
                path.display()
            ),
        ),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => not_sqlite(path),
        _ => io_error(path, "reading", e),
    };
    conn.execute_batch("BEGIN EXCLUSIVE").map_err(sql_error)?;
    let facts = read_facts(conn).map_err(sql_error);
    // Nothing was written: ending the transaction changes nothing.
    conn.execute_batch("COMMIT").map_err(sql_error)?;
    let (application_id, version, tables, stored_identity) = facts?;
    if tables.is_empty() && application_id == 0 && version == 0 {
        return Ok(Found::Empty);
    }
    if application_id != APPLICATION_ID {
        let mut shown = tables
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        if tables.len() > 5 {
            shown.push_str(", …");
        }
        return Err(state_error(
            StateProblem::Foreign,
            format!(
                "{} is an SQLite database but not a ferrocrawl state file (it has tables: {}); \
                 it was left untouched: pass another --state file",
                path.display(),
                if shown.is_empty() { "none" } else { &shown }
            ),
        ));
    }
    if version != SCHEMA_VERSION {
        let (who, advice) = if version > SCHEMA_VERSION {
            ("a newer", "resume it with that version")
        } else {
            ("an older", "finish it with that version")
        };
        return Err(state_error(
            StateProblem::Version {
                found: version,
                supported: SCHEMA_VERSION,
            },
            format!(
                "{} was written by {who} ferrocrawl (state schema version {version}; this one \
                 reads version {SCHEMA_VERSION}); {advice}, or delete the file to start over",
                path.display()
            ),
        ));
    }
    let Some(stored) = stored_identity else {
        return Err(state_error(
            StateProblem::Foreign,
            format!(
                "{} is marked as a ferrocrawl state file but has no crawl identity; it was left \
                 untouched: pass another --state file or delete it to start over",
                path.display()
            ),
        ));
    };
    if stored != identity {
        return Err(state_error(
            StateProblem::OtherCrawl,
            format!(
                "{} belongs to a different crawl: it was started for `{}`, this crawl is `{}`; \
                 pass another --state file or delete it to start over",
                path.display(),
                shorten(&stored),
                shorten(identity)
            ),
        ));
    }
    Ok(Found::Ours)
}

type Facts = (i32, u32, Vec<String>, Option<String>);

fn read_facts(conn: &Connection) -> rusqlite::Result<Facts> {
    let application_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'
         ORDER BY name",
    )?;
    let tables = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let identity = if application_id == APPLICATION_ID && tables.iter().any(|t| t == "meta") {
        conn.query_row("SELECT value FROM meta WHERE key = 'identity'", [], |r| {
            r.get(0)
        })
        .optional()?
    } else {
        None
    };
    // Versions are small and positive; a negative one is foreign anyway.
    Ok((
        application_id,
        u32::try_from(version).unwrap_or(u32::MAX),
        tables,
        identity,
    ))
}

fn shorten(s: &str) -> String {
    match s.char_indices().nth(SHOWN_IDENTITY) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

fn order_name(order: Order) -> &'static str {
    match order {
        Order::Bfs => "bfs",
        Order::Dfs => "dfs",
    }
}

/// Give an empty file the schema, in one transaction: it either becomes a
/// whole state file or stays empty.
fn create(conn: &Connection, path: &Path, cfg: &FrontierConfig, identity: &str) -> Result<()> {
    let setup = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get::<_, String>(0))
        .and_then(|_| {
            conn.execute_batch(&format!(
                "BEGIN;
                 {SCHEMA}
                 PRAGMA application_id = {APPLICATION_ID};
                 PRAGMA user_version = {SCHEMA_VERSION};"
            ))
        })
        .and_then(|()| {
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('identity', ?1), ('order', ?2),
                    ('created_by', ?3)",
                params![
                    identity,
                    order_name(cfg.order),
                    concat!("ferrocrawl ", env!("CARGO_PKG_VERSION"))
                ],
            )
        })
        .and_then(|_| conn.execute_batch("COMMIT"));
    if let Err(e) = setup {
        let _ = conn.execute_batch("ROLLBACK");
        return Err(io_error(path, "creating", e));
    }
    Ok(())
}

/// Return the leases of the process that wrote the file to the queue, and
/// read everything the scheduler keeps in memory.
fn load(
    conn: &mut Connection,
    path: &Path,
    cfg: &FrontierConfig,
    created: bool,
) -> Result<(Restored, Resumed)> {
    // One message for every step: what to do, not which step failed.
    let err = |e: rusqlite::Error| {
        Error::new(
            ErrorKind::Io,
            format!(
                "state file {} could not be resumed ({e}); move it aside (or delete it) to \
                 start the crawl over, or pass another --state file",
                path.display()
            ),
        )
    };
    let tx = conn.transaction().map_err(err)?;
    // The previous process is gone: what it held is queued again, where it
    // was in the order (its seq is kept). Retries wait no longer.
    let returned = tx
        .execute(
            &format!("UPDATE queue SET state = {QUEUED} WHERE state = {LEASED}"),
            [],
        )
        .map_err(err)? as u64;
    tx.execute(
        &format!("UPDATE queue SET state = {QUEUED} WHERE state = {ASIDE}"),
        [],
    )
    .map_err(err)?;
    let stored_order: Option<String> = tx
        .query_row("SELECT value FROM meta WHERE key = 'order'", [], |r| {
            r.get(0)
        })
        .optional()
        .map_err(err)?;
    if stored_order.as_deref() != Some(order_name(cfg.order)) {
        // BFS and DFS store seq with opposite signs.
        tx.execute("UPDATE queue SET seq = -seq", [])
            .and_then(|_| {
                tx.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('order', ?1)",
                    [order_name(cfg.order)],
                )
            })
            .map_err(err)?;
    }
    let (mut counts, mut pages_leased, seq) = tx
        .query_row(
            "SELECT done, failed, dropped, bytes, pages_leased, seq FROM counters",
            [],
            |r| {
                let counts = Counts {
                    done: r.get::<_, i64>(0)?.unsigned_abs(),
                    failed: r.get::<_, i64>(1)?.unsigned_abs(),
                    dropped: r.get::<_, i64>(2)?.unsigned_abs(),
                    bytes: r.get::<_, i64>(3)?.unsigned_abs(),
                    ..Counts::default()
                };
                Ok((
                    counts,
                    r.get::<_, i64>(4)?.unsigned_abs(),
                    r.get::<_, i64>(5)?,
                ))
            },
        )
        .map_err(err)?;
    // The returned page leases are no longer spent from the page budget.
    pages_leased = pages_leased.saturating_sub(returned);
    tx.execute(
        "UPDATE counters SET pages_leased = ?1",
        [super::store::to_i64(pages_leased)],
    )
    .map_err(err)?;
    tx.commit().map_err(err)?;

    let hosts = load_hosts(conn, path, cfg)?;
    let seen = load_seen(conn, path)?;
    counts.queued = hosts.iter().map(|(_, h)| h.queued as u64).sum();
    let resumed = Resumed {
        created,
        queued: counts.queued,
        returned,
        done: counts.done,
        failed: counts.failed,
        dropped: counts.dropped,
        seen: seen.len() as u64,
    };
    let restored = Restored {
        hosts,
        seen,
        seq: seq.abs(),
        pages_leased,
        counts,
    };
    Ok((restored, resumed))
}

fn load_hosts(
    conn: &Connection,
    path: &Path,
    cfg: &FrontierConfig,
) -> Result<Vec<(String, crate::host::Host)>> {
    let err = |e: rusqlite::Error| io_error(path, "reading the hosts", e);
    let corrupt = |what: String| {
        Error::new(
            ErrorKind::Io,
            format!(
                "state file {} is damaged: {what}; delete it to start over",
                path.display()
            ),
        )
    };
    let now = std::time::SystemTime::UNIX_EPOCH; // Scheduler::restore sets the time
    let mut hosts = Vec::new();
    let mut stmt = conn
        .prepare(
            "SELECT id, key, robots_url, robots_kind, robots_body, robots_agent,
                robots_attempts, robots_gave_up FROM hosts ORDER BY id",
        )
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    while let Some(row) = rows.next().map_err(err)? {
        let id: i64 = row.get(0).map_err(err)?;
        let key: String = row.get(1).map_err(err)?;
        if id != hosts.len() as i64 {
            return Err(corrupt(format!(
                "host {key} has id {id}, expected {}",
                hosts.len()
            )));
        }
        let robots_url = match row.get::<_, Option<String>>(2).map_err(err)? {
            Some(s) => {
                Some(Url::parse(&s).map_err(|e| corrupt(format!("robots.txt URL {s:?}: {e}")))?)
            }
            None => None,
        };
        let mut host = crate::host::Host::new(now, cfg.delay, cfg.obey_robots, robots_url);
        if cfg.obey_robots {
            let kind: Option<i64> = row.get(3).map_err(err)?;
            let robots = match kind {
                None => None,
                Some(ROBOTS_ALLOW_ALL) => Some(Robots::allow_all()),
                Some(ROBOTS_DISALLOW_ALL) => Some(Robots::disallow_all()),
                Some(ROBOTS_PARSED) => {
                    let body: Vec<u8> = row
                        .get::<_, Option<Vec<u8>>>(4)
                        .map_err(err)?
                        .unwrap_or_default();
                    let agent: String = row
                        .get::<_, Option<String>>(5)
                        .map_err(err)?
                        .unwrap_or_default();
                    Some(Robots::parse(&body, &agent))
                }
                Some(other) => return Err(corrupt(format!("host {key} has robots kind {other}"))),
            };
            if let Some(robots) = robots {
                host.apply_robots(cfg, robots);
            }
            host.robots_attempts = u32::try_from(row.get::<_, i64>(6).map_err(err)?).unwrap_or(0);
            host.robots_gave_up = row.get(7).map_err(err)?;
        }
        hosts.push((key, host));
    }
    drop(rows);
    let mut stmt = conn
        .prepare(&format!(
            "SELECT host, count(*) FROM queue WHERE state = {QUEUED} GROUP BY host"
        ))
        .map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    while let Some(row) = rows.next().map_err(err)? {
        let id: i64 = row.get(0).map_err(err)?;
        let n: i64 = row.get(1).map_err(err)?;
        let host = usize::try_from(id)
            .ok()
            .and_then(|id| hosts.get_mut(id))
            .ok_or_else(|| corrupt(format!("queued requests for unknown host {id}")))?;
        host.1.queued = usize::try_from(n).unwrap_or(0);
    }
    Ok(hosts)
}

fn load_seen(conn: &Connection, path: &Path) -> Result<SeenSet> {
    let err = |e: rusqlite::Error| io_error(path, "reading the seen set", e);
    let n: i64 = conn
        .query_row("SELECT count(*) FROM seen", [], |r| r.get(0))
        .map_err(err)?;
    let mut seen = SeenSet::with_capacity(usize::try_from(n).unwrap_or(0));
    let mut stmt = conn.prepare("SELECT fp FROM seen").map_err(err)?;
    let mut rows = stmt.query([]).map_err(err)?;
    while let Some(row) = rows.next().map_err(err)? {
        let bytes: [u8; 16] = row.get(0).map_err(err)?;
        seen.insert(Fingerprint::from_bytes(bytes));
    }
    Ok(seen)
}
