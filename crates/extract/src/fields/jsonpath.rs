//! JSONPath queries (RFC 9535) over JSON documents.

use serde_json::Value;
use serde_json_path::JsonPath;

use super::document::Document;
use super::error::{FieldError, Kind, Language};

/// A compiled JSONPath query (see [`Selector::jsonpath`](super::Selector::jsonpath)).
#[derive(Debug, Clone)]
pub struct JsonPathSelector {
    expression: String,
    path: JsonPath,
}

// ===== impl JsonPathSelector =====

impl JsonPathSelector {
    pub(crate) fn compile(expression: &str) -> Result<JsonPathSelector, FieldError> {
        let error = |kind| FieldError::new(Language::JsonPath, expression, kind);
        if expression.trim().is_empty() {
            return Err(error(Kind::Empty));
        }
        // RFC 9535 allows no surrounding whitespace; users' TOML often has some.
        let path = JsonPath::parse(expression.trim()).map_err(|e| {
            let hint = if expression.trim_start().starts_with('$') {
                ""
            } else {
                " (a JSONPath starts with `$`)"
            };
            error(Kind::Message(format!("{e}{hint}")))
        })?;
        Ok(JsonPathSelector {
            expression: expression.to_owned(),
            path,
        })
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub(crate) fn select(&self, doc: &Document) -> Vec<Value> {
        let Some(json) = doc.json() else {
            return Vec::new();
        };
        self.path.query(json).all().into_iter().cloned().collect()
    }
}
