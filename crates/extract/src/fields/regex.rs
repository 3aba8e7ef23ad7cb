//! Regular expressions over the raw page text.

use regex::Regex;
use serde_json::Value;

use super::document::Document;
use super::error::{FieldError, Kind, Language};

/// A compiled regular expression (see [`Selector::regex`](super::Selector::regex)).
#[derive(Debug, Clone)]
pub struct RegexSelector {
    regex: Regex,
}

/// Upper bound on the compiled program, well below the `regex` default (10 MiB): user
/// patterns like `\w{1000}{1000}` would otherwise take seconds and memory to compile.
const SIZE_LIMIT: usize = 1 << 20;

// ===== impl RegexSelector =====

impl RegexSelector {
    pub(crate) fn compile(expression: &str) -> Result<RegexSelector, FieldError> {
        let error = |kind| FieldError::new(Language::Regex, expression, kind);
        if expression.is_empty() {
            return Err(error(Kind::Empty));
        }
        let regex = regex::RegexBuilder::new(expression)
            .size_limit(SIZE_LIMIT)
            .build()
            .map_err(|e| error(Kind::Message(one_line(&e))))?;
        Ok(RegexSelector { regex })
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        self.regex.as_str()
    }

    /// Every non-overlapping match in the text: the first capture group if the pattern
    /// has groups (a match where that group did not take part gives nothing), otherwise
    /// the whole match.
    pub(crate) fn select(&self, doc: &Document) -> Vec<Value> {
        let text = doc.text();
        if self.regex.captures_len() > 1 {
            self.regex
                .captures_iter(text)
                .filter_map(|c| c.get(1))
                .map(|m| Value::String(m.as_str().to_owned()))
                .collect()
        } else {
            self.regex
                .find_iter(text)
                .map(|m| Value::String(m.as_str().to_owned()))
                .collect()
        }
    }
}

/// `regex`'s syntax errors are multi-line, with the pattern and a caret under the
/// problem; that reads well in a terminal but we quote the expression ourselves, so keep
/// only the description line(s) after the caret.
fn one_line(error: &regex::Error) -> String {
    let text = error.to_string();
    let kept: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("regex parse error") && !l.chars().all(|c| c == '^')
        })
        .collect();
    match kept.as_slice() {
        // Lines are: the pattern, the caret, then "error: ...".
        [.., last] if last.starts_with("error:") => last["error:".len()..].trim().to_owned(),
        _ => text.replace('\n', " "),
    }
}
