//! The compiled expression, whichever language it is in.

use serde_json::Value;

use super::css::CssSelector;
use super::document::Document;
use super::error::FieldError;
use super::jsonpath::JsonPathSelector;
use super::regex::RegexSelector;
#[cfg(feature = "xpath")]
use super::xpath::XPathSelector;

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
    /// An XPath expression over the HTML tree (with the `xpath` feature).
    #[cfg(feature = "xpath")]
    XPath(XPathSelector),
}

// ===== impl Selector =====

impl Selector {
    /// A CSS selector (parsed by the `scraper` crate), optionally ending in a pseudo-element
    /// that means what it means in parsel (Scrapy's selectors):
    ///
    /// - `h1.title::text`: each matched element's own text nodes, each a value, with
    ///   whitespace as in the document (`<dd><span>x</span></dd>` gives nothing for
    ///   `dd::text`);
    /// - `h1 ::text` or `h1 *::text`: every text node inside the element;
    /// - `a.next::attr(href)`: the attribute's value (untrimmed), for the matched elements
    ///   that have it;
    /// - `h1::all-text` (ours): one string per element, all its text with whitespace runs
    ///   collapsed to one space and trimmed; elements with no text give nothing;
    /// - without any: each matched element's outer HTML.
    ///
    /// A group (`h1::text, h2::text`) gives the union of its members in document order.
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

    /// An XPath expression (parsed and evaluated by the `skyscraper` crate, which
    /// implements XPath 3.1, of which Scrapy's XPath 1.0 is mostly a subset), e.g.
    /// `//h1/text()`, `//a[@class="next"]/@href`, `normalize-space(//p[@class="price"])`
    /// or `//tr[th="ISBN"]/td/text()`. Each item of the result is one value:
    ///
    /// - a text node: its text, untrimmed (as in Scrapy: whitespace-only nodes included;
    ///   use `//p/text()[normalize-space()]` or a processor to drop them);
    /// - an attribute: its value;
    /// - an element: its outer HTML (as CSS without `::text` gives);
    /// - a string, number or boolean from a function: written as XPath does (`3`, `2.5`,
    ///   `true`).
    ///
    /// The page is parsed as HTML5 (so `<tbody>` is inserted into tables, as in browsers
    /// and the CSS selectors, where lxml does not), with no namespaces: `//h1` matches on
    /// XHTML pages too. An evaluation error (e.g. `string(//li)` when there are several
    /// `li`s, a type error in XPath 3.1 that XPath 1.0 allowed) yields nothing. In
    /// skyscraper 0.7 a path ending in a function step (`//code/string()`) drops repeated
    /// values: select the text nodes (`//code//text()`) or elements instead.
    #[cfg(feature = "xpath")]
    pub fn xpath(expr: &str) -> Result<Selector, FieldError> {
        XPathSelector::compile(expr).map(Selector::XPath)
    }

    /// The expression as the user wrote it.
    pub fn expression(&self) -> &str {
        match self {
            Selector::Css(s) => s.expression(),
            Selector::JsonPath(s) => s.expression(),
            Selector::Regex(s) => s.expression(),
            #[cfg(feature = "xpath")]
            Selector::XPath(s) => s.expression(),
        }
    }

    /// All values the expression yields on a document, in document order.
    pub fn select(&self, doc: &Document) -> Vec<Value> {
        match self {
            Selector::Css(s) => s.select(doc),
            Selector::JsonPath(s) => s.select(doc),
            Selector::Regex(s) => s.select(doc),
            #[cfg(feature = "xpath")]
            Selector::XPath(s) => s.select(doc),
        }
    }
}
