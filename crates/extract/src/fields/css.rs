//! CSS selectors with parsel's (Scrapy's) `::text` and `::attr(name)` endings, and
//! our own `::all-text`.
//!
//! The endings mean what they mean in parsel, which translates them to XPath:
//!
//! - `h1::text` is `h1/text()`: the element's own text nodes, each a value, with
//!   whitespace exactly as in the document (`<dd><span>x</span></dd>` gives nothing
//!   for `dd::text`; `pre::text` keeps its newlines);
//! - `h1 ::text` (or `h1 *::text`) is every text node inside `h1`, in document order;
//! - `a::attr(href)` is the attribute's value, for elements that have it;
//! - `h1::all-text` (ours, not parsel's) is one string per element: all its text, with
//!   whitespace runs collapsed to one space and the ends trimmed, as XPath's
//!   `normalize-space(.)` gives;
//! - groups (`h1::text, h2::text`) give the union in document order, as parsel's XPath
//!   `|` does.

use std::collections::HashSet;

use ego_tree::NodeId;
use scraper::error::SelectorErrorKind;
use scraper::{ElementRef, Node};
use serde_json::Value;

use super::document::Document;
use super::error::{FieldError, Kind, Language};

/// A compiled CSS selector (see [`Selector::css`](super::Selector::css)).
#[derive(Debug, Clone)]
pub struct CssSelector {
    expression: String,
    parts: Vec<Part>,
}

/// One member of a selector group, and what its matches contribute.
#[derive(Debug, Clone)]
struct Part {
    selector: scraper::Selector,
    output: Output,
}

/// What a matched element contributes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Output {
    /// The element's outer HTML.
    Html,
    /// `::text`: the element's own text nodes, as they are.
    Text,
    /// `A ::text`, `A *::text`: every text node inside the element, as they are.
    DescendantText,
    /// `::all-text`: all descendant text as one string, whitespace collapsed.
    AllText,
    /// The named attribute's value, if the element has it.
    Attr(String),
}

// ===== impl CssSelector =====

impl CssSelector {
    pub(crate) fn compile(expression: &str) -> Result<CssSelector, FieldError> {
        let error = |kind| FieldError::new(Language::Css, expression, kind);
        if expression.trim().is_empty() {
            return Err(error(Kind::Empty));
        }
        let mut parts = Vec::new();
        for group in split_groups(expression) {
            let (css, output) = split_pseudo_element(group).map_err(|m| error(Kind::Message(m)))?;
            let (css, output) = descendant_text(css, output);
            if css.trim().is_empty() {
                return Err(error(if output == Output::Html {
                    Kind::Message("an empty member in a selector group (`a, , b`)".to_owned())
                } else {
                    Kind::Message(
                        "`::text`, `::all-text` or `::attr(..)` needs a selector before it"
                            .to_owned(),
                    )
                }));
            }
            let selector = scraper::Selector::parse(css).map_err(|e| {
                let message = if css.contains("::text")
                    || css.contains("::attr(")
                    || css.contains("::all-text")
                {
                    MISPLACED.to_owned()
                } else {
                    describe(&e, css)
                };
                error(Kind::Message(message))
            })?;
            parts.push(Part { selector, output });
        }
        Ok(CssSelector {
            expression: expression.to_owned(),
            parts,
        })
    }

    /// The expression as written, pseudo-elements included.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub(crate) fn select(&self, doc: &Document) -> Vec<Value> {
        let html = doc.html();
        let values: Vec<String> = match self.parts.as_slice() {
            // One member that takes whole elements: scraper's matches are already in
            // document order.
            [part] if element_wise(&part.output) => html
                .select(&part.selector)
                .filter_map(|element| element_output(element, &part.output))
                .collect(),
            // One `::text` member whose matches don't nest (the usual
            // field): their own text nodes, match by match, are already in
            // document order; no walk over the whole tree.
            [part] if part.output == Output::Text => {
                let matched: Vec<ElementRef<'_>> = html.select(&part.selector).collect();
                let ids: HashSet<NodeId> = matched.iter().map(|e| e.id()).collect();
                let nested = matched.len() > 1
                    && matched
                        .iter()
                        .any(|e| e.ancestors().any(|a| ids.contains(&a.id())));
                if nested {
                    in_document_order(html, &self.parts)
                } else {
                    matched
                        .iter()
                        .flat_map(|e| e.children())
                        .filter_map(|n| n.value().as_text().map(|t| t.to_string()))
                        .collect()
                }
            }
            parts => in_document_order(html, parts),
        };
        values.into_iter().map(Value::String).collect()
    }
}

/// Whether an output is one value per matched element (not per text node).
fn element_wise(output: &Output) -> bool {
    !matches!(output, Output::Text | Output::DescendantText)
}

fn element_output(element: ElementRef<'_>, output: &Output) -> Option<String> {
    match output {
        Output::Html => Some(element.html()),
        Output::AllText => {
            let text = collapse_whitespace(element.text());
            // An element with no text gives nothing, so a `default` can fill the field.
            (!text.is_empty()).then_some(text)
        }
        Output::Attr(name) => element.attr(name).map(str::to_owned),
        Output::Text | Output::DescendantText => None,
    }
}

/// Every member's values, merged in document order with each node counted once, as an
/// XPath union is: one walk over the tree, which also keeps text nodes in the order
/// they appear when the matched elements nest.
fn in_document_order(html: &scraper::Html, parts: &[Part]) -> Vec<String> {
    let matched: Vec<HashSet<NodeId>> = parts
        .iter()
        .map(|p| html.select(&p.selector).map(|e| e.id()).collect())
        .collect();
    // For each member that takes descendant text: how many matched elements the walk
    // is inside of.
    let mut inside = vec![0usize; parts.len()];
    let mut out = Vec::new();
    for edge in html.tree.root().traverse() {
        match edge {
            ego_tree::iter::Edge::Open(node) => match node.value() {
                Node::Element(_) => {
                    let Some(element) = ElementRef::wrap(node) else {
                        continue;
                    };
                    let mut given: Vec<&Output> = Vec::new();
                    for (i, part) in parts.iter().enumerate() {
                        if !matched[i].contains(&node.id()) {
                            continue;
                        }
                        if part.output == Output::DescendantText {
                            inside[i] += 1;
                        } else if element_wise(&part.output) && !given.contains(&&part.output) {
                            given.push(&part.output);
                            out.extend(element_output(element, &part.output));
                        }
                    }
                }
                Node::Text(text) => {
                    let parent = node.parent().map(|p| p.id());
                    let wanted = parts.iter().enumerate().any(|(i, part)| match part.output {
                        Output::Text => parent.is_some_and(|p| matched[i].contains(&p)),
                        Output::DescendantText => inside[i] > 0,
                        _ => false,
                    });
                    if wanted {
                        out.push(text.to_string());
                    }
                }
                _ => {}
            },
            ego_tree::iter::Edge::Close(node) => {
                for (i, part) in parts.iter().enumerate() {
                    if part.output == Output::DescendantText && matched[i].contains(&node.id()) {
                        inside[i] -= 1;
                    }
                }
            }
        }
    }
    out
}

/// Splits a selector group at its top-level commas (not those in brackets, parentheses
/// or quotes).
fn split_groups(expression: &str) -> Vec<&str> {
    let mut groups = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, None::<char>, 0);
    let mut chars = expression.char_indices();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '(' | '[') => depth += 1,
            (None, ')' | ']') => depth -= 1,
            (None, ',') if depth == 0 => {
                groups.push(&expression[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    groups.push(&expression[start..]);
    groups
}

/// `A ::text` and `A *::text` take every text node inside `A` (parsel's
/// `descendant-or-self`), and a bare `::text` every text node of the page.
fn descendant_text(css: &str, output: Output) -> (&str, Output) {
    if output != Output::Text {
        return (css, output);
    }
    if css.trim().is_empty() {
        return (":root", Output::DescendantText);
    }
    let stripped = css.trim_end();
    let stripped = match stripped.strip_suffix('*') {
        Some(before) if before.ends_with(char::is_whitespace) => before.trim_end(),
        _ if stripped.len() < css.len() => stripped,
        _ => return (css, output),
    };
    if stripped.is_empty() || stripped.ends_with(['>', '+', '~']) {
        // `*::text` alone, or `A > *::text`: plain CSS.
        return (css, output);
    }
    (stripped, Output::DescendantText)
}

/// Splits a trailing `::text`, `::all-text` or `::attr(name)` off a group member.
///
/// These are not CSS, so scraper would reject them; they are only recognised at the very
/// end of a member (after trailing whitespace), which is where Scrapy users write them;
/// anywhere else they make the CSS fail to parse, and [`MISPLACED`] explains why.
fn split_pseudo_element(expression: &str) -> Result<(&str, Output), String> {
    let trimmed = expression.trim();
    if let Some(css) = trimmed.strip_suffix("::text") {
        return Ok((css, Output::Text));
    }
    if let Some(css) = trimmed.strip_suffix("::all-text") {
        return Ok((css, Output::AllText));
    }
    if let Some(rest) = trimmed.strip_suffix(')')
        && let Some(at) = rest.rfind("::attr(")
    {
        let (css, name) = (&rest[..at], rest[at + "::attr(".len()..].trim());
        let name = name
            .strip_prefix(['"', '\''])
            .and_then(|n| n.strip_suffix(['"', '\'']))
            .unwrap_or(name);
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || "()\"'=".contains(c)) {
            return Err(format!(
                "`::attr(..)` needs one attribute name, got `{name}`"
            ));
        }
        return Ok((css, Output::Attr(name.to_ascii_lowercase())));
    }
    Ok((trimmed, Output::Html))
}

/// The message for `::text` / `::attr(..)` left inside the CSS part (`h1::text > b`),
/// which scraper would report as a bare "unexpected token".
const MISPLACED: &str = "`::text`, `::all-text` and `::attr(name)` go at the end of a selector \
                         (or of each member of a group: `h1::text, h2::text`)";

/// Joins the text pieces, turning every run of whitespace (including between pieces) into
/// one space and trimming the ends, so that markup indentation does not leak into fields.
pub(crate) fn collapse_whitespace<'a>(pieces: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    let mut pending_space = false;
    for piece in pieces {
        for ch in piece.chars() {
            if ch.is_whitespace() {
                pending_space = !out.is_empty();
            } else {
                if pending_space {
                    out.push(' ');
                    pending_space = false;
                }
                out.push(ch);
            }
        }
    }
    out
}

/// A user-facing message for scraper's error, whose own `Display` is terse and for some
/// cases prints a debugging dump.
fn describe(error: &SelectorErrorKind, css: &str) -> String {
    match error {
        SelectorErrorKind::UnexpectedToken => "unexpected token".to_owned(),
        SelectorErrorKind::EndOfLine => "selector ends too early".to_owned(),
        SelectorErrorKind::ExpectedColonOnPseudoElement
        | SelectorErrorKind::ExpectedIdentityOnPseudoElement => {
            "malformed pseudo-element (only `::text` and `::attr(name)` at the end are supported)"
                .to_owned()
        }
        SelectorErrorKind::UnexpectedSelectorParseError(inner) => {
            let detail = format!("{inner:?}");
            if css.contains("::") && detail.contains("UnsupportedPseudoClassOrElement") {
                // e.g. `a::before`: CSS pseudo-elements select nothing in a static page.
                format!(
                    "unsupported pseudo-element ({detail}); only `::text` and `::attr(name)` at the end are supported"
                )
            } else {
                format!("unsupported or malformed selector ({detail})")
            }
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use url::Url;

    use super::*;

    fn select(css: &str, html: &str) -> Vec<Value> {
        let url = Url::parse("https://example.com/").unwrap();
        CssSelector::compile(css)
            .unwrap_or_else(|e| panic!("{e}"))
            .select(&Document::new(html, &url))
    }

    #[test]
    fn splits_trailing_pseudo_elements() {
        assert_eq!(
            split_pseudo_element("h1::text").unwrap(),
            ("h1", Output::Text)
        );
        assert_eq!(
            split_pseudo_element("h1::all-text").unwrap(),
            ("h1", Output::AllText)
        );
        assert_eq!(
            split_pseudo_element("a.next ::attr( href ) ").unwrap(),
            ("a.next ", Output::Attr("href".to_owned()))
        );
        assert_eq!(
            split_pseudo_element(r#"img::attr("data-SRC")"#).unwrap(),
            ("img", Output::Attr("data-src".to_owned()))
        );
        assert_eq!(
            split_pseudo_element("div > p").unwrap(),
            ("div > p", Output::Html)
        );
        // An attribute selector whose value merely mentions the suffix is plain CSS.
        assert_eq!(
            split_pseudo_element(r#"a[title="x::text"]"#).unwrap().1,
            Output::Html
        );
    }

    #[test]
    fn text_is_the_elements_own_text_nodes_as_written() {
        let html = "<h1>  A <b>bold</b> tail\n</h1><dd><span>x</span></dd><pre>a\n  b</pre><p></p>";
        assert_eq!(
            select("h1::text", html),
            json!(["  A ", " tail\n"]).as_array().unwrap().clone()
        );
        assert!(select("dd::text", html).is_empty());
        assert_eq!(select("pre::text", html), vec![json!("a\n  b")]);
        assert!(select("p::text", html).is_empty());
        assert_eq!(
            select("h1 ::text", html),
            vec![json!("  A "), json!("bold"), json!(" tail\n")]
        );
        assert_eq!(select("h1 *::text", html), select("h1 ::text", html));
        assert_eq!(select("h1::all-text", html), vec![json!("A bold tail")]);
        assert_eq!(
            select("b::text, pre::text", html),
            vec![json!("bold"), json!("a\n  b")]
        );
        // The union is in document order, whichever member comes first.
        assert_eq!(
            select("pre::text, b::text", html),
            vec![json!("bold"), json!("a\n  b")]
        );
    }

    #[test]
    fn nested_matches_keep_document_order_and_count_each_node_once() {
        let html = "<div>a<div>b</div>c</div>";
        assert_eq!(
            select("div::text", html),
            vec![json!("a"), json!("b"), json!("c")]
        );
        assert_eq!(
            select("div ::text", html),
            vec![json!("a"), json!("b"), json!("c")]
        );
        assert_eq!(select("div::text, div ::text", html).len(), 3);
    }

    #[test]
    fn rejects_bad_attribute_names() {
        for bad in ["a::attr()", "a::attr(a b)", "a::attr(\"\")"] {
            assert!(split_pseudo_element(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn explains_misplaced_pseudo_elements() {
        for bad in ["h1::text > b", "a::attr(href) b", "h1::all-text p"] {
            let err = CssSelector::compile(bad).unwrap_err();
            assert!(err.to_string().contains("go at the end"), "{err}");
        }
        assert!(CssSelector::compile("a, , b").is_err());
        assert!(CssSelector::compile("::attr(href)").is_err());
    }

    #[test]
    fn groups_split_at_top_level_commas_only() {
        assert_eq!(split_groups("a, b"), ["a", " b"]);
        assert_eq!(
            split_groups(r#"a[title="x, y"], b:is(c, d)"#),
            [r#"a[title="x, y"]"#, " b:is(c, d)"]
        );
        assert_eq!(split_groups("a"), ["a"]);
    }

    #[test]
    fn collapses_whitespace_across_pieces() {
        let pieces = ["  A  Light\n", "\tin", " the Attic  "];
        assert_eq!(
            collapse_whitespace(pieces.into_iter()),
            "A Light in the Attic"
        );
        assert_eq!(collapse_whitespace(["ab", "cd"].into_iter()), "abcd");
        assert_eq!(collapse_whitespace([" \n "].into_iter()), "");
    }
}
