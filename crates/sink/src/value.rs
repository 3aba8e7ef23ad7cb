//! Helpers shared by the sinks: JSON value classification, identifier
//! quoting and key checks.

use serde_json::Value;

use crate::{Error, Item};

/// How many characters of an item an error message shows.
const PREVIEW_CHARS: usize = 200;

/// A short, single-line rendering of an item for error messages.
pub(crate) fn preview(item: &Item) -> String {
    let full = serde_json::to_string(item).unwrap_or_else(|_| String::from("{..}"));
    if full.chars().count() <= PREVIEW_CHARS {
        return full;
    }
    let mut short: String = full.chars().take(PREVIEW_CHARS).collect();
    short.push_str("...");
    short
}

/// Quotes an SQL identifier: wraps it in double quotes and doubles any
/// double quote inside, which is the escaping both SQLite and PostgreSQL use.
pub(crate) fn quote_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    out.push('"');
    for c in name.chars() {
        if c == '"' {
            out.push('"');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Fails on the first item whose `key` field is missing or `null`.
pub(crate) fn check_keys(batch: &[Item], key: Option<&str>) -> Result<(), Error> {
    let Some(key) = key else { return Ok(()) };
    for (index, item) in batch.iter().enumerate() {
        match item.get(key) {
            None | Some(Value::Null) => return Err(Error::missing_key(key, index, item)),
            Some(_) => {}
        }
    }
    Ok(())
}

/// The storage class a JSON value maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Strings, `null` (no better guess) and nested objects/arrays (as JSON text).
    Text,
    /// Booleans and integers that fit in an `i64`.
    Integer,
    /// Other numbers: floats.
    Real,
    /// Integers beyond `i64`; stored as their decimal text so no digit is lost.
    BigInteger,
    /// `true`/`false`.
    Boolean,
    /// Objects and arrays.
    Json,
}

/// Classifies a JSON value for column typing.
pub(crate) fn classify(value: &Value) -> Class {
    match value {
        Value::Null | Value::String(_) => Class::Text,
        Value::Bool(_) => Class::Boolean,
        Value::Number(n) if n.is_i64() => Class::Integer,
        Value::Number(n) if n.is_u64() => Class::BigInteger,
        Value::Number(_) => Class::Real,
        Value::Array(_) | Value::Object(_) => Class::Json,
    }
}

/// Renders a value as text: strings as they are, `null` as `None`, anything
/// else as compact JSON.
pub(crate) fn to_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// `INSERT INTO table (names) VALUES (values)`, plus, with a key, an upsert
/// that updates every other column: the same SQL for SQLite and PostgreSQL.
/// `names` are quoted identifiers; `values` are the placeholders, in order.
pub(crate) fn insert_statement(
    table: &str,
    names: &[String],
    values: &[String],
    key: Option<&str>,
) -> String {
    let mut sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        names.join(", "),
        values.join(", ")
    );
    if let Some(key) = key {
        let key = quote_ident(key);
        let updates: Vec<String> = names
            .iter()
            .filter(|n| **n != key)
            .map(|n| format!("{n} = excluded.{n}"))
            .collect();
        sql.push_str(&format!(" ON CONFLICT ({key}) DO "));
        if updates.is_empty() {
            sql.push_str("NOTHING");
        } else {
            sql.push_str("UPDATE SET ");
            sql.push_str(&updates.join(", "));
        }
    }
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident(""), "\"\"");
    }

    #[test]
    fn preview_is_bounded() {
        let mut item = Item::new();
        item.insert("x".into(), Value::String("y".repeat(10_000)));
        assert!(preview(&item).len() < 300);
    }

    #[test]
    fn null_key_is_missing() {
        let mut item = Item::new();
        item.insert("id".into(), Value::Null);
        let err = check_keys(&[item], Some("id")).expect_err("null key");
        assert!(err.is_missing_key());
        assert!(err.to_string().contains("#0"));
    }
}
