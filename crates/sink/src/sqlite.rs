//! SQLite: one table, created and widened on demand, optional upsert by key.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, Transaction, params_from_iter};
use serde_json::Value;

use crate::error::Kind;
use crate::value::{Class, check_keys, classify, insert_statement, quote_ident};
use crate::{Error, Item, Sink};

/// How long a write waits for another connection's lock before failing.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// Writes items as rows of one SQLite table.
///
/// The database runs in WAL mode with `synchronous=FULL`, and each batch is
/// one transaction, so a batch is durable once [`Sink::write`] returns.
///
/// - The table is created from the first item's fields if it does not exist:
///   strings, `null`, objects and arrays (as JSON text) and integers beyond
///   `i64` (as decimal text) get `TEXT`; booleans (0/1) and other integers
///   `INTEGER`; other numbers `REAL`.
/// - A field seen later is added with `ALTER TABLE ... ADD COLUMN`.
/// - With a key, the key column gets a unique index and rows are upserted
///   (`INSERT ... ON CONFLICT(key) DO UPDATE`), so re-running never
///   duplicates rows and the latest values win. Fields an item lacks keep
///   their stored value.
///
/// SQLite is synchronous: every call runs on Tokio's blocking pool, never on
/// the async runtime. If a `write` future is dropped before it completes, the
/// sink is lost and later calls return an error for which
/// [`Error::is_closed`] holds.
#[derive(Debug)]
pub struct SqliteSink {
    inner: Option<Inner>,
}

#[derive(Debug)]
struct Inner {
    conn: Connection,
    table: String,
    key: Option<String>,
    /// Columns of the table, ASCII-lowercased (SQLite compares names so).
    columns: HashSet<String>,
    /// Whether the table exists (has columns).
    exists: bool,
    /// Whether the key's unique index is known to exist.
    indexed: bool,
}

// ===== impl SqliteSink =====

impl SqliteSink {
    /// Opens (or creates) the database at `path`, writing to `table`,
    /// upserting by `key` if one is given.
    pub async fn open(
        path: impl AsRef<Path>,
        table: impl Into<String>,
        key: Option<String>,
    ) -> Result<Self, Error> {
        let path: PathBuf = path.as_ref().to_owned();
        let table = table.into();
        let inner = tokio::task::spawn_blocking(move || Inner::open(&path, table, key))
            .await
            .map_err(|e| Error::with(Kind::Closed, e))??;
        Ok(SqliteSink { inner: Some(inner) })
    }

    /// Runs `f` on the blocking pool with the connection, then takes it back.
    async fn run<T, F>(&mut self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&mut Inner) -> Result<T, Error> + Send + 'static,
    {
        let mut inner = self.inner.take().ok_or_else(|| Error::new(Kind::Closed))?;
        let (inner, out) = tokio::task::spawn_blocking(move || {
            let out = f(&mut inner);
            (inner, out)
        })
        .await
        .map_err(|e| Error::with(Kind::Closed, e))?;
        self.inner = Some(inner);
        out
    }
}

impl Sink for SqliteSink {
    async fn write(&mut self, batch: &[Item]) -> Result<(), Error> {
        if batch.is_empty() {
            return Ok(());
        }
        let key = self.inner.as_ref().and_then(|i| i.key.as_deref());
        check_keys(batch, key)?;
        let batch = batch.to_vec();
        self.run(move |inner| inner.write(&batch)).await
    }

    async fn flush(&mut self) -> Result<(), Error> {
        // Each batch commits with synchronous=FULL: nothing is pending.
        match self.inner {
            Some(_) => Ok(()),
            None => Err(Error::new(Kind::Closed)),
        }
    }

    async fn close(mut self) -> Result<(), Error> {
        let inner = self.inner.take().ok_or_else(|| Error::new(Kind::Closed))?;
        tokio::task::spawn_blocking(move || inner.conn.close().map_err(|(_, e)| Error::from(e)))
            .await
            .map_err(|e| Error::with(Kind::Closed, e))?
    }
}

// ===== impl Inner =====

impl Inner {
    fn open(path: &Path, table: String, key: Option<String>) -> Result<Self, Error> {
        let conn = Connection::open(path)?;
        conn.busy_timeout(BUSY_TIMEOUT)?;
        let _mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
        conn.execute_batch("PRAGMA synchronous=FULL")?;
        let columns = table_columns(&conn, &table)?;
        Ok(Inner {
            exists: !columns.is_empty(),
            conn,
            table,
            key,
            columns,
            indexed: false,
        })
    }

    fn write(&mut self, batch: &[Item]) -> Result<(), Error> {
        let table = quote_ident(&self.table);
        let mut columns = self.columns.clone();
        let tx = self.conn.transaction()?;

        // Schema first: create from the first item, then widen.
        let mut new: Vec<(&str, Class)> = Vec::new();
        let mut seen = HashSet::new();
        for item in batch {
            for (name, value) in item {
                let lower = name.to_ascii_lowercase();
                if !columns.contains(&lower) && seen.insert(lower) {
                    new.push((name, classify(value)));
                }
            }
        }
        let mut new = new.into_iter().peekable();
        if !self.exists {
            let first = batch.first().map_or(0, |item| item.len());
            let defs: Vec<String> = new
                .by_ref()
                .take(first.max(1))
                .map(|(name, class)| {
                    columns.insert(name.to_ascii_lowercase());
                    format!("{} {}", quote_ident(name), sql_type(class))
                })
                .collect();
            if defs.is_empty() {
                // An empty first item and no key: SQLite needs one column.
                tx.execute_batch(&format!("CREATE TABLE IF NOT EXISTS {table} (\"_\" TEXT)"))?;
                columns.insert("_".into());
            } else {
                tx.execute_batch(&format!(
                    "CREATE TABLE IF NOT EXISTS {table} ({})",
                    defs.join(", ")
                ))?;
            }
        }
        for (name, class) in new {
            tx.execute_batch(&format!(
                "ALTER TABLE {table} ADD COLUMN {} {}",
                quote_ident(name),
                sql_type(class)
            ))?;
            columns.insert(name.to_ascii_lowercase());
        }
        if let (Some(key), false) = (&self.key, self.indexed) {
            let index = quote_ident(&format!("{}_{}_key", self.table, key));
            tx.execute_batch(&format!(
                "CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {table} ({})",
                quote_ident(key)
            ))?;
        }

        insert_rows(&tx, &table, self.key.as_deref(), batch)?;
        tx.commit()?;

        // Only now that the schema change is committed does the cache follow it.
        self.columns = columns;
        self.exists = true;
        self.indexed = self.key.is_some();
        Ok(())
    }
}

fn insert_rows(
    tx: &Transaction<'_>,
    table: &str,
    key: Option<&str>,
    batch: &[Item],
) -> Result<(), Error> {
    let mut statements = HashMap::new();
    for item in batch {
        let sql = insert_sql(table, key, item);
        let stmt = match statements.entry(sql) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let stmt = tx.prepare(e.key())?;
                e.insert(stmt)
            }
        };
        stmt.execute(params_from_iter(item.values().map(to_sql)))?;
    }
    Ok(())
}

/// The INSERT (or upsert) for an item's set of fields, in the item's order.
fn insert_sql(table: &str, key: Option<&str>, item: &Item) -> String {
    if item.is_empty() {
        return format!("INSERT INTO {table} DEFAULT VALUES");
    }
    let names: Vec<String> = item.keys().map(|k| quote_ident(k)).collect();
    let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
    insert_statement(table, &names, &marks, key)
}

fn sql_type(class: Class) -> &'static str {
    match class {
        Class::Integer | Class::Boolean => "INTEGER",
        Class::Real => "REAL",
        Class::Text | Class::Json | Class::BigInteger => "TEXT",
    }
}

fn to_sql(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => SqlValue::Integer(i),
            (None, _) if n.is_u64() => SqlValue::Text(n.to_string()),
            (None, Some(f)) => SqlValue::Real(f),
            (None, None) => SqlValue::Text(n.to_string()),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// The table's column names, lowercased; empty if the table does not exist.
fn table_columns(conn: &Connection, table: &str) -> Result<HashSet<String>, Error> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
    let names = stmt.query_map([table], |r| r.get::<_, String>(0))?;
    let mut out = HashSet::new();
    for name in names {
        out.insert(name?.to_ascii_lowercase());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn item(v: Value) -> Item {
        v.as_object().cloned().expect("test item is an object")
    }

    fn db(dir: &tempfile::TempDir) -> PathBuf {
        dir.path().join("items.db")
    }

    fn column_types(path: &Path, table: &str) -> Vec<(String, String)> {
        let conn = Connection::open(path).expect("open");
        let mut stmt = conn
            .prepare("SELECT name, type FROM pragma_table_info(?1)")
            .expect("prepare");
        stmt.query_map([table], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    fn count(path: &Path, table: &str) -> i64 {
        let conn = Connection::open(path).expect("open");
        conn.query_row(
            &format!("SELECT count(*) FROM {}", quote_ident(table)),
            [],
            |r| r.get(0),
        )
        .expect("count")
    }

    #[tokio::test]
    async fn creates_table_with_types_and_alters_for_new_fields() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = db(&dir);
        let mut sink = SqliteSink::open(&path, "items", None).await.expect("open");
        sink.write(&[item(json!({
            "s": "text", "i": 7, "f": 1.5, "b": true, "o": {"x": [1]}, "n": null
        }))])
        .await
        .expect("write");
        sink.write(&[item(json!({"s": "again", "later": 3}))])
            .await
            .expect("write");
        sink.close().await.expect("close");

        let types = column_types(&path, "items");
        // The first item's fields in its order (serde_json's
        // `preserve_order`), then the added one.
        let expected = [
            ("s", "TEXT"),
            ("i", "INTEGER"),
            ("f", "REAL"),
            ("b", "INTEGER"),
            ("o", "TEXT"),
            ("n", "TEXT"),
            ("later", "INTEGER"),
        ];
        let expected: Vec<(String, String)> = expected
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        assert_eq!(types, expected);
        assert_eq!(count(&path, "items"), 2);

        let conn = Connection::open(&path).expect("open");
        let (o, b): (String, i64) = conn
            .query_row("SELECT o, b FROM items WHERE s = 'text'", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("row");
        assert_eq!(o, r#"{"x":[1]}"#);
        assert_eq!(b, 1);
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
    }

    #[tokio::test]
    async fn upsert_twice_has_no_duplicates_and_second_values_win() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = db(&dir);
        for round in 0..2 {
            let mut sink = SqliteSink::open(&path, "pages", Some("url".into()))
                .await
                .expect("open");
            let batch: Vec<Item> = (0..3)
                .map(|i| item(json!({"url": format!("https://x/{i}"), "round": round})))
                .collect();
            sink.write(&batch).await.expect("write");
            // The same key twice in one batch: the later one wins too.
            sink.write(&[item(
                json!({"url": "https://x/0", "round": round, "title": "t"}),
            )])
            .await
            .expect("write");
            sink.close().await.expect("close");
        }
        assert_eq!(count(&path, "pages"), 3);
        let conn = Connection::open(&path).expect("open");
        let rounds: Vec<i64> = conn
            .prepare("SELECT round FROM pages ORDER BY url")
            .expect("prepare")
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(rounds, [1, 1, 1]);
    }

    #[tokio::test]
    async fn items_missing_the_key_are_errors() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = db(&dir);
        let mut sink = SqliteSink::open(&path, "t", Some("id".into()))
            .await
            .expect("open");
        let err = sink
            .write(&[item(json!({"id": 1})), item(json!({"name": "no id here"}))])
            .await
            .expect_err("missing key");
        assert!(err.is_missing_key());
        let msg = err.to_string();
        assert!(msg.contains("no id here") && msg.contains("#1"), "{msg}");
        // Nothing of the failed batch was written, and the sink still works.
        sink.write(&[item(json!({"id": 2}))]).await.expect("write");
        sink.close().await.expect("close");
        assert_eq!(count(&path, "t"), 1);
    }

    #[tokio::test]
    async fn weird_table_and_column_names_are_quoted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = db(&dir);
        let table = "it\"em s; DROP TABLE x; --";
        let key = "k\"e y";
        let mut sink = SqliteSink::open(&path, table, Some(key.into()))
            .await
            .expect("open");
        let odd = item(json!({key: "a", "col\"umn": 1, "": "empty", "Ünï 🦀": 2.5}));
        sink.write(std::slice::from_ref(&odd)).await.expect("write");
        sink.write(&[odd]).await.expect("write");
        sink.close().await.expect("close");
        assert_eq!(count(&path, table), 1);
        let names: Vec<String> = column_types(&path, table)
            .into_iter()
            .map(|c| c.0)
            .collect();
        assert!(names.contains(&"col\"umn".to_string()), "{names:?}");
    }

    #[tokio::test]
    async fn odd_json_does_not_panic() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = db(&dir);
        let mut sink = SqliteSink::open(&path, "odd", None).await.expect("open");
        sink.write(&[
            item(json!({})),
            item(json!({"big": 18446744073709551615u64, "neg": i64::MIN, "tiny": 5e-324})),
            item(json!({"deep": [[[[{"a": null}]]]], "big": "now a string"})),
            item(json!({"n": null})),
        ])
        .await
        .expect("write");
        sink.write(&[]).await.expect("empty batch");
        sink.flush().await.expect("flush");
        sink.close().await.expect("close");
        assert_eq!(count(&path, "odd"), 4);
        let conn = Connection::open(&path).expect("open");
        let big: String = conn
            .query_row("SELECT big FROM odd WHERE neg IS NOT NULL", [], |r| {
                r.get(0)
            })
            .expect("big");
        assert_eq!(big, "18446744073709551615");
    }

    #[tokio::test]
    async fn existing_table_is_reused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = db(&dir);
        {
            let conn = Connection::open(&path).expect("open");
            conn.execute_batch("CREATE TABLE pre (id TEXT, x INTEGER)")
                .expect("create");
        }
        let mut sink = SqliteSink::open(&path, "pre", Some("id".into()))
            .await
            .expect("open");
        sink.write(&[item(json!({"id": "a", "x": 1, "y": "new"}))])
            .await
            .expect("write");
        sink.close().await.expect("close");
        assert_eq!(column_types(&path, "pre").len(), 3);
    }
}
