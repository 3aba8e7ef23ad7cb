//! The state file's schema. Changing it means a new [`SCHEMA_VERSION`]:
//! files of another version are refused, never migrated in place.

/// `PRAGMA user_version` of the files this build reads and writes.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// `PRAGMA application_id` ("FCst"): marks an SQLite file as a ferrocrawl
/// state file, in the database header where `file(1)` can see it too.
pub(crate) const APPLICATION_ID: i32 = 0x4643_7374;

/// The tables, created in one transaction with the application id and
/// version.
///
/// - `meta`: `identity` (the crawl the file belongs to), `order` (`bfs` or
///   `dfs`, the sign convention of `queue.seq`), `created_by`.
/// - `counters`: one row, written with every commit.
/// - `hosts`: one row per politeness key; `id` is the scheduler's host
///   number; the robots.txt answer as what it was made from
///   (`robots_kind` 0 allow all, 1 disallow all, 2 parsed from
///   `robots_body` for `robots_agent`; NULL not known yet).
/// - `queue`: every request not finished yet, as JSON; `state` 0 queued,
///   1 leased, 2 waiting out a retry. Larger `seq` first among equal
///   priorities (BFS stores `-n`, DFS `n`). Done, failed and dropped
///   requests are deleted; `seen` remembers them.
/// - `seen`: the fingerprint (16 bytes, big-endian) of every request ever
///   queued, so dedup survives a restart. Append-only and unindexed: the
///   set in memory answers lookups, this table only reloads it, and
///   appending dirties one page per commit where a B-tree keyed by random
///   fingerprints dirties one per insert.
/// - `checkpoints`: named values saved atomically with acks
///   (`Frontier::ack_batch`), e.g. a sink's committed byte offset.
pub(crate) const SCHEMA: &str = "
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE counters (
    done INTEGER NOT NULL,
    failed INTEGER NOT NULL,
    dropped INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    pages_leased INTEGER NOT NULL,
    seq INTEGER NOT NULL
);
INSERT INTO counters VALUES (0, 0, 0, 0, 0, 0);
CREATE TABLE hosts (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,
    robots_url TEXT,
    robots_kind INTEGER,
    robots_body BLOB,
    robots_agent TEXT,
    robots_attempts INTEGER NOT NULL DEFAULT 0,
    robots_gave_up INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE queue (
    id INTEGER PRIMARY KEY,
    host INTEGER NOT NULL,
    priority INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    state INTEGER NOT NULL,
    request BLOB NOT NULL
);
CREATE INDEX queue_next ON queue (host, priority, seq) WHERE state = 0;
CREATE TABLE seen (
    fp BLOB NOT NULL
);
CREATE TABLE checkpoints (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;
";
