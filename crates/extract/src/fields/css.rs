//! CSS selectors with Scrapy's `::text` and `::attr(name)` endings.

use scraper::ElementRef;
use scraper::error::SelectorErrorKind;
use serde_json::Value;

use super::document::Document;
use super::error::{FieldError, Kind, Language};

/// A compiled CSS selector (see [`Selector::css`](super::Selector::css)).
#[derive(Debug, Clone)]
pub struct CssSelector {
    expression: String,
    selector: scraper::Selector,
    output: Output,
}

/// What a matched element contributes.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Output {
    /// The element's outer HTML.
    Html,
    /// All descendant text, whitespace collapsed.
    Text,
    /// The named attribute's value, if the element has it.
    Attr(String),
}

// ===== impl CssSelector =====

impl CssSelector {
    pub(crate) fn compile(expression: &str) -> Result<CssSelector, FieldError> {
        let error = |kind| FieldError::new(Language::Css, expression, kind);
        let (css, output) =
            split_pseudo_element(expression).map_err(|m| error(Kind::Message(m)))?;
        if css.trim().is_empty() {
            return Err(error(if output == Output::Html {
                Kind::Empty
            } else {
                Kind::Message("`::text` or `::attr(..)` needs a selector before it".to_owned())
            }));
        }
        let selector = scraper::Selector::parse(css).map_err(|e| {
            let message = if css.contains("::text") || css.contains("::attr(") {
                MISPLACED.to_owned()
            } else {
                describe(&e, css)
            };
            error(Kind::Message(message))
        })?;
        Ok(CssSelector {
            expression: expression.to_owned(),
            selector,
            output,
        })
    }

    /// The expression as written, pseudo-element included.
    pub fn expression(&self) -> &str {
        &self.expression
    }

    pub(crate) fn select(&self, doc: &Document) -> Vec<Value> {
        doc.html()
            .select(&self.selector)
            .filter_map(|element| self.output_of(element))
            .map(Value::String)
            .collect()
    }

    fn output_of(&self, element: ElementRef<'_>) -> Option<String> {
        match &self.output {
            Output::Html => Some(element.html()),
            Output::Text => {
                let text = collapse_whitespace(element.text());
                // An element with no text gives nothing, as in Scrapy, so a `Default`
                // processor can fill the field.
                (!text.is_empty()).then_some(text)
            }
            Output::Attr(name) => element.attr(name).map(str::to_owned),
        }
    }
}

/// Splits a trailing `::text` or `::attr(name)` off the selector.
///
/// These are not CSS, so scraper would reject them; they are only recognised at the very
/// end (after trailing whitespace), which is where Scrapy users write them; anywhere else
/// they make the CSS fail to parse, and [`MISPLACED`] explains why.
fn split_pseudo_element(expression: &str) -> Result<(&str, Output), String> {
    let trimmed = expression.trim_end();
    if let Some(css) = trimmed.strip_suffix("::text") {
        return Ok((css, Output::Text));
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
    Ok((expression, Output::Html))
}

/// The message for `::text` / `::attr(..)` left inside the CSS part, e.g. in a group
/// (`h1::text, h2::text`), which scraper would report as a bare "unexpected token".
const MISPLACED: &str =
    "`::text` and `::attr(name)` are only supported once, at the end of the selector";

/// Joins the text pieces, turning every run of whitespace (including between pieces) into
/// one space and trimming the ends, so that markup indentation does not leak into fields.
fn collapse_whitespace<'a>(pieces: impl Iterator<Item = &'a str>) -> String {
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
    use super::*;

    #[test]
    fn splits_trailing_pseudo_elements() {
        assert_eq!(
            split_pseudo_element("h1::text").unwrap(),
            ("h1", Output::Text)
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
    fn rejects_bad_attribute_names() {
        for bad in ["a::attr()", "a::attr(a b)", "a::attr(\"\")"] {
            assert!(split_pseudo_element(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn explains_misplaced_pseudo_elements() {
        for bad in ["h1::text, h2::text", "h1::text > b", "a::attr(href) b"] {
            let err = CssSelector::compile(bad).unwrap_err();
            assert!(
                err.to_string().contains("only supported once, at the end"),
                "{err}"
            );
        }
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
