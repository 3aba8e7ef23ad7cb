//! XPath selectors, evaluated by `skyscraper` over its own HTML tree.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use serde_json::Value;
use skyscraper::xpath::grammar::data_model::{AnyAtomicType, XpathItem};
use skyscraper::xpath::grammar::{DisplayFormatting, XpathItemTreeNode as Node};
use skyscraper::xpath::{Xpath, XpathItemTree};

use super::document::Document;
use super::error::{FieldError, Kind, Language};

/// A compiled XPath expression (see [`Selector::xpath`](super::Selector::xpath)).
#[derive(Clone)]
pub struct XPathSelector {
    expression: String,
    // skyscraper's expression type is not `Clone`; selectors are cloned with spiders.
    xpath: Arc<Xpath>,
}

// ===== impl XPathSelector =====

impl XPathSelector {
    pub(crate) fn compile(expression: &str) -> Result<XPathSelector, FieldError> {
        let error = |kind| FieldError::new(Language::XPath, expression, kind);
        if expression.trim().is_empty() {
            return Err(error(Kind::Empty));
        }
        let parsed = catch_unwind(|| skyscraper::xpath::parse(expression))
            .map_err(|_| error(Kind::Message("the XPath parser failed on it".to_owned())))?;
        let xpath =
            parsed.map_err(|e| error(Kind::Message(describe(expression, &e.to_string()))))?;
        Ok(XPathSelector {
            expression: expression.to_owned(),
            xpath: Arc::new(xpath),
        })
    }

    /// The expression as written.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub(crate) fn select(&self, doc: &Document) -> Vec<Value> {
        let Some(tree) = doc.xpath_tree() else {
            return Vec::new();
        };
        // skyscraper is young and has `expect`s on paths we have not seen taken (none fired
        // on the 1,063 html5lib tree-construction cases nor on our pages). A panic there
        // would take down the page's task; the contract here is "yields nothing" instead.
        catch_unwind(AssertUnwindSafe(|| self.evaluate(tree))).unwrap_or_default()
    }

    /// Runs the expression; an evaluation error (a type error such as `string()` of
    /// several nodes, which XPath 3.1 forbids) yields nothing, like a page that has no
    /// match.
    fn evaluate(&self, tree: &XpathItemTree) -> Vec<Value> {
        let Ok(items) = self.xpath.apply(tree) else {
            return Vec::new();
        };
        items
            .into_iter()
            .filter_map(|item| string_of(item, tree))
            .map(Value::String)
            .collect()
    }
}

/// One result as a string: an element's outer HTML, a text node's or attribute's raw
/// value, a comment's text, and atomic values as XPath writes them. Function items and
/// doctype/processing-instruction nodes give nothing.
fn string_of(item: XpathItem<'_>, tree: &XpathItemTree) -> Option<String> {
    match item {
        XpathItem::Node(node) => match node {
            Node::ElementNode(_) => Some(node.display(tree, DisplayFormatting::Raw, 0)),
            Node::TextNode(text) => Some(text.content.clone()),
            Node::AttributeNode(attr) => Some(attr.value.clone()),
            Node::CommentNode(comment) => Some(comment.content.clone()),
            Node::DocumentNode(doc) => Some(doc.text_content(tree)),
            Node::PINode(_) | Node::DoctypeNode(_) => None,
        },
        XpathItem::AnyAtomicType(atomic) => Some(match atomic {
            AnyAtomicType::Boolean(b) => b.to_string(),
            AnyAtomicType::Integer(i) => i.to_string(),
            AnyAtomicType::Float(f) => number(f64::from(f.0)),
            AnyAtomicType::Double(d) => number(d.0),
            AnyAtomicType::String(s) => s,
            other => format!("{other}"),
        }),
        XpathItem::Function(_) => None,
    }
}

/// A number the way XPath's `string()` writes it: integers without a fraction.
fn number(n: f64) -> String {
    if n == 0.0 {
        "0".to_owned()
    } else if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else if n.is_nan() {
        "NaN".to_owned()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else {
        n.to_string()
    }
}

/// A one-line message for skyscraper's parse error, which is either "unexpected trailing
/// input" (we turn the rest into a position) or a dump of its parser-combinator state.
fn describe(expression: &str, message: &str) -> String {
    if let Some(rest) = message
        .split_once("unexpected trailing input: ")
        .map(|(_, rest)| rest)
    {
        let rest: String = rest.trim().trim_matches('"').replace("\\\"", "\"");
        if let Some(at) = expression.rfind(rest.as_str()) {
            let column = expression[..at].chars().count() + 1;
            return format!(
                "cannot parse from column {column} (`{}`): an unclosed bracket, a missing operand or an unknown construct",
                truncate(&expression[at..])
            );
        }
    }
    "cannot parse the expression (it is not XPath 3.1 syntax, of which XPath 1.0 is a part)"
        .to_owned()
}

fn truncate(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_owned()
    } else {
        s.chars().take(MAX).chain(['…']).collect()
    }
}

impl fmt::Debug for XPathSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("XPathSelector")
            .field("expression", &self.expression)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_xpath() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(-0.0), "0");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(f64::NAN), "NaN");
        assert_eq!(number(f64::INFINITY), "Infinity");
    }

    #[test]
    fn parse_errors_name_the_column() {
        let err = XPathSelector::compile("//a[@href").unwrap_err().to_string();
        assert!(err.contains("column 4 (`[@href`)"), "{err}");
        let err = XPathSelector::compile("@").unwrap_err().to_string();
        assert!(err.contains("cannot parse the expression"), "{err}");
        assert!(!err.contains("VerboseError"), "{err}");
    }
}
