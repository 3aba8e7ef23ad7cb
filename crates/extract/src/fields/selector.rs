//! The compiled expression, whichever language it is in.

use serde_json::Value;

use super::css::CssSelector;
use super::document::Document;
use super::error::FieldError;
use super::jsonpath::JsonPathSelector;
use super::regex::RegexSelector;

/// A compiled expression; compile once, apply to many pages.
///
/// Compiling checks the expression and returns a [`FieldError`] naming it and the
/// problem; [`Selector::select`] never fails (a page that does not parse as what the
/// selector expects just yields nothing).
#[derive(Debug, Clone)]
pub enum Selector {
    /// A CSS selector over the HTML tree.
    Css(CssSelector),
    /// A JSONPath query over the JSON value.
    JsonPath(JsonPathSelector),
    /// A regular expression over the raw text.
    Regex(RegexSelector),
}

// ===== impl Selector =====

impl Selector {
    /// A CSS selector (parsed by the `scraper` crate), optionally ending in a Scrapy-style
    /// pseudo-element:
    ///
    /// - `h1.title::text`: each matched element's descendant text, with whitespace runs
    ///   collapsed to one space and trimmed; elements with no text give nothing;
    /// - `a.next::attr(href)`: the attribute's value (untrimmed), for the matched elements
    ///   that have it;
    /// - without either: each matched element's outer HTML.
    pub fn css(expr: &str) -> Result<Selector, FieldError> {
        CssSelector::compile(expr).map(Selector::Css)
    }

    /// A JSONPath query as in RFC 9535 (parsed by `serde_json_path`), e.g.
    /// `$.results[*].authors[*].name`. Each node found is one value, in document order.
    pub fn jsonpath(expr: &str) -> Result<Selector, FieldError> {
        JsonPathSelector::compile(expr).map(Selector::JsonPath)
    }

    /// A regular expression (`regex` crate syntax) over the page text. Every match gives
    /// a value: its first capture group if the pattern has groups, else the whole match.
    pub fn regex(expr: &str) -> Result<Selector, FieldError> {
        RegexSelector::compile(expr).map(Selector::Regex)
    }

    /// The expression as the user wrote it.
    pub fn expression(&self) -> &str {
        match self {
            Selector::Css(s) => s.expression(),
            Selector::JsonPath(s) => s.expression(),
            Selector::Regex(s) => s.expression(),
        }
    }

    /// All values the expression yields on a document, in document order.
    pub fn select(&self, doc: &Document) -> Vec<Value> {
        match self {
            Selector::Css(s) => s.select(doc),
            Selector::JsonPath(s) => s.select(doc),
            Selector::Regex(s) => s.select(doc),
        }
    }
}
