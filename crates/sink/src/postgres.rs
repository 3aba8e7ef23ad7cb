//! PostgreSQL: one table, created and widened on demand, optional upsert by key.

use std::collections::{HashMap, HashSet};

use tokio::task::JoinHandle;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient, NoTls, Statement, Transaction};

use crate::error::Kind;
use crate::value::{Class, check_keys, classify, insert_statement, quote_ident, to_text};
use crate::{Error, Item, Sink};

/// Writes items as rows of one PostgreSQL table, over a plain (non-TLS)
/// connection.
///
/// Each batch is one transaction.
///
/// - The table is created (`CREATE TABLE IF NOT EXISTS`) from the first
///   item's fields: strings and `null` get `text`, integers `bigint` (beyond
///   `i64`: `numeric`), other numbers `double precision`, booleans `boolean`,
///   objects and arrays `jsonb`.
/// - A field seen later is added with `ALTER TABLE ... ADD COLUMN IF NOT EXISTS`.
/// - With a key, the key column gets a unique index and rows are upserted
///   (`INSERT ... ON CONFLICT (key) DO UPDATE`).
///
/// Values are sent as text and cast to the column's type in SQL, so a value
/// that does not fit its column (say `"abc"` into `bigint`) fails the batch
/// with an error for which [`Error::is_database`] holds.
#[derive(Debug)]
pub struct PostgresSink {
    client: Client,
    connection: JoinHandle<()>,
    table: String,
    key: Option<String>,
    /// Column name to its SQL type, as `format_type` prints it.
    columns: HashMap<String, String>,
    indexed: bool,
}

// ===== impl PostgresSink =====

impl PostgresSink {
    /// Connects to `url` (a `postgres://` URL or a key=value string), writing
    /// to `table`, upserting by `key` if one is given.
    pub async fn connect(
        url: &str,
        table: impl Into<String>,
        key: Option<String>,
    ) -> Result<Self, Error> {
        let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
        let connection = tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "postgres sink: connection closed with an error");
            }
        });
        let table = table.into();
        let columns = table_columns(&client, &table).await?;
        Ok(PostgresSink {
            client,
            connection,
            table,
            key,
            columns,
            indexed: false,
        })
    }
}

impl Sink for PostgresSink {
    async fn write(&mut self, batch: &[Item]) -> Result<(), Error> {
        if batch.is_empty() {
            return Ok(());
        }
        check_keys(batch, self.key.as_deref())?;
        let table = quote_ident(&self.table);
        let tx = self.client.transaction().await?;

        let mut new: Vec<(&str, Class)> = Vec::new();
        let mut seen = HashSet::new();
        for item in batch {
            for (name, value) in item {
                if !self.columns.contains_key(name) && seen.insert(name.as_str()) {
                    new.push((name, classify(value)));
                }
            }
        }
        let changed = !new.is_empty() || self.columns.is_empty();
        if self.columns.is_empty() {
            let first = batch.first().map_or(0, |item| item.len());
            let defs: Vec<String> = new
                .iter()
                .take(first.max(1))
                .map(|(name, class)| format!("{} {}", quote_ident(name), sql_type(*class)))
                .collect();
            let defs = if defs.is_empty() {
                String::from("\"_\" text")
            } else {
                defs.join(", ")
            };
            tx.batch_execute(&format!("CREATE TABLE IF NOT EXISTS {table} ({defs})"))
                .await?;
        }
        for (name, class) in &new {
            tx.batch_execute(&format!(
                "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {} {}",
                quote_ident(name),
                sql_type(*class)
            ))
            .await?;
        }
        if let (Some(key), false) = (&self.key, self.indexed) {
            let index = quote_ident(&format!("{}_{}_key", self.table, key));
            tx.batch_execute(&format!(
                "CREATE UNIQUE INDEX IF NOT EXISTS {index} ON {table} ({})",
                quote_ident(key)
            ))
            .await?;
        }
        let columns = if changed {
            table_columns(&tx, &self.table).await?
        } else {
            self.columns.clone()
        };

        insert_rows(&tx, &table, self.key.as_deref(), &columns, batch).await?;
        tx.commit().await?;

        self.columns = columns;
        self.indexed = self.key.is_some();
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), Error> {
        // Each batch commits: nothing is pending.
        if self.client.is_closed() {
            return Err(Error::new(Kind::Closed));
        }
        Ok(())
    }

    async fn close(self) -> Result<(), Error> {
        drop(self.client);
        self.connection
            .await
            .map_err(|e| Error::with(Kind::Closed, e))
    }
}

async fn insert_rows(
    tx: &Transaction<'_>,
    table: &str,
    key: Option<&str>,
    columns: &HashMap<String, String>,
    batch: &[Item],
) -> Result<(), Error> {
    let mut statements: HashMap<String, Statement> = HashMap::new();
    for item in batch {
        let sql = insert_sql(table, key, columns, item);
        let stmt = match statements.get(&sql) {
            Some(stmt) => stmt.clone(),
            None => {
                let stmt = tx.prepare(&sql).await?;
                statements.insert(sql, stmt.clone());
                stmt
            }
        };
        let texts: Vec<Option<String>> = item.values().map(to_text).collect();
        let params: Vec<&(dyn ToSql + Sync)> =
            texts.iter().map(|t| t as &(dyn ToSql + Sync)).collect();
        tx.execute(&stmt, &params).await?;
    }
    Ok(())
}

/// The INSERT (or upsert) for an item: text parameters cast to column types.
fn insert_sql(
    table: &str,
    key: Option<&str>,
    columns: &HashMap<String, String>,
    item: &Item,
) -> String {
    if item.is_empty() {
        return format!("INSERT INTO {table} DEFAULT VALUES");
    }
    let names: Vec<String> = item.keys().map(|k| quote_ident(k)).collect();
    let values: Vec<String> = item
        .keys()
        .enumerate()
        .map(|(i, k)| match columns.get(k) {
            Some(ty) => format!("${}::text::{ty}", i + 1),
            // PostgreSQL truncated a long name; text is the best guess.
            None => format!("${}::text", i + 1),
        })
        .collect();
    insert_statement(table, &names, &values, key)
}

fn sql_type(class: Class) -> &'static str {
    match class {
        Class::Text => "text",
        Class::Integer => "bigint",
        Class::BigInteger => "numeric",
        Class::Real => "double precision",
        Class::Boolean => "boolean",
        Class::Json => "jsonb",
    }
}

/// The table's columns and their types; empty if the table does not exist.
async fn table_columns(
    client: &impl GenericClient,
    table: &str,
) -> Result<HashMap<String, String>, Error> {
    let rows = client
        .query(
            "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod) \
             FROM pg_attribute a \
             WHERE a.attrelid = to_regclass($1::text) AND a.attnum > 0 AND NOT a.attisdropped",
            &[&quote_ident(table)],
        )
        .await?;
    let mut out = HashMap::new();
    for row in rows {
        let name: String = row.try_get(0)?;
        let ty: String = row.try_get(1)?;
        out.insert(name, ty);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn item(v: Value) -> Item {
        v.as_object().cloned().expect("test item is an object")
    }

    /// Connects to `FERROCRAWL_PG_URL`, or says why the test is skipped.
    async fn client() -> Option<(String, Client)> {
        let Ok(url) = std::env::var("FERROCRAWL_PG_URL") else {
            println!("skipping: set FERROCRAWL_PG_URL to run the PostgreSQL tests");
            return None;
        };
        let attempt = tokio_postgres::connect(&url, NoTls);
        match tokio::time::timeout(std::time::Duration::from_secs(5), attempt).await {
            Ok(Ok((client, conn))) => {
                tokio::spawn(conn);
                Some((url, client))
            }
            Ok(Err(e)) => {
                println!("skipping: set FERROCRAWL_PG_URL to a reachable server ({e})");
                None
            }
            Err(_) => {
                println!("skipping: set FERROCRAWL_PG_URL to a reachable server (timed out)");
                None
            }
        }
    }

    fn unique(name: &str) -> String {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        format!("ferrocrawl_{name}_{}_{nanos}", std::process::id())
    }

    #[tokio::test]
    async fn upsert_twice_has_no_duplicates_and_types_and_alter() {
        let Some((url, check)) = client().await else {
            return;
        };
        let table = unique("pg\"upsert");
        for round in 0..2 {
            let mut sink = PostgresSink::connect(&url, table.as_str(), Some("url".into()))
                .await
                .expect("connect");
            let batch: Vec<Item> = (0..3)
                .map(|i| {
                    item(json!({
                        "url": format!("https://x/{i}"), "round": round, "f": 0.5,
                        "ok": true, "o": {"a": [1, null]}, "n": null
                    }))
                })
                .collect();
            sink.write(&batch).await.expect("write");
            sink.write(&[item(
                json!({"url": "https://x/0", "la\"ter": "x", "big": 18446744073709551615u64}),
            )])
            .await
            .expect("write");
            let err = sink
                .write(&[item(json!({"round": 9}))])
                .await
                .expect_err("missing key");
            assert!(err.is_missing_key());
            sink.close().await.expect("close");
        }
        let q = quote_ident(&table);
        let row = check
            .query_one(&format!("SELECT count(*), max(round) FROM {q}"), &[])
            .await
            .expect("count");
        let (n, max): (i64, i64) = (row.get(0), row.get(1));
        assert_eq!((n, max), (3, 1));
        let cols = table_columns(&check, &table).await.expect("columns");
        assert_eq!(cols.get("round").map(String::as_str), Some("bigint"));
        assert_eq!(cols.get("o").map(String::as_str), Some("jsonb"));
        assert_eq!(cols.get("big").map(String::as_str), Some("numeric"));
        assert!(cols.contains_key("la\"ter"));
        check
            .batch_execute(&format!("DROP TABLE {q}"))
            .await
            .expect("drop");
    }

    #[tokio::test]
    async fn odd_json_does_not_panic() {
        let Some((url, check)) = client().await else {
            return;
        };
        let table = unique("odd");
        let mut sink = PostgresSink::connect(&url, table.as_str(), None)
            .await
            .expect("connect");
        sink.write(&[
            item(json!({})),
            item(json!({"deep": [[[{"a": null}]]], "neg": i64::MIN, "tiny": 5e-324})),
        ])
        .await
        .expect("write");
        // A string into a bigint column is a database error, not a panic.
        let err = sink
            .write(&[item(json!({"neg": "not a number"}))])
            .await
            .expect_err("type mismatch");
        assert!(err.is_database());
        sink.close().await.expect("close");
        check
            .batch_execute(&format!("DROP TABLE {}", quote_ident(&table)))
            .await
            .expect("drop");
    }
}
