//! Query-string access for the route handlers.

use std::fmt::Display;
use std::str::FromStr;

use crate::response::BadRequest;

/// The decoded `key=value` pairs of a request's query string, in order.
#[derive(Debug, Default)]
pub(crate) struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Decodes a raw query string (without the `?`).
    pub(crate) fn parse(raw: Option<&str>) -> Self {
        let pairs = raw
            .map(|raw| {
                url::form_urlencoded::parse(raw.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        Query { pairs }
    }

    /// All pairs in the order they appeared.
    pub(crate) fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The last value given for `key` (later values win, as in most
    /// frameworks).
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Parses `key` as `T`, `default` when absent, or a complaint naming
    /// the key.
    pub(crate) fn parse_or<T>(&self, key: &str, default: T) -> Result<T, BadRequest>
    where
        T: FromStr,
        T::Err: Display,
    {
        match self.get(key) {
            None => Ok(default),
            Some(raw) => raw
                .parse()
                .map_err(|e| BadRequest::new(format!("query parameter {key}={raw:?}: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_and_last_value_wins() {
        let q = Query::parse(Some("a=1&b=x%20y&a=2&c"));
        assert_eq!(q.get("a"), Some("2"));
        assert_eq!(q.get("b"), Some("x y"));
        assert_eq!(q.get("c"), Some(""));
        assert_eq!(q.get("d"), None);
        assert_eq!(q.parse_or("a", 0u32).ok(), Some(2));
        assert_eq!(q.parse_or("d", 7u32).ok(), Some(7));
        assert!(q.parse_or::<u32>("b", 0).is_err());
    }
}
