//! A fetched page, parsed on demand as HTML and/or JSON.

use std::cell::OnceCell;
use std::fmt;

use scraper::Html;
use serde_json::Value;
use url::Url;

use super::nesting::{MAX_DEPTH, html_prefix};

/// A parsed page: the body text, its URL, and the HTML tree and JSON value built from
/// that text the first time a selector needs them.
///
/// Parsing is lazy because a spider usually applies only one kind of selector to a page:
/// an API response is never parsed as HTML, and an HTML page is parsed once however many
/// CSS fields it has. Both parses accept any text: broken HTML is repaired the way
/// browsers do, and text that is not JSON simply has no JSON value.
///
/// HTML that nests deeper than [`MAX_DEPTH`] elements is read only up to the first tag
/// past that depth: building the tree takes time quadratic in the depth (100,000 nested
/// `<div>`s take over a minute), and real pages nest a few dozen levels.
///
/// A `Document` is `Send` but not `Sync` (the parse caches are not shared between
/// threads); build one per page in the task that handles the page.
pub struct Document {
    text: String,
    url: Url,
    html: OnceCell<Html>,
    json: OnceCell<Option<Value>>,
    base: OnceCell<Url>,
    /// skyscraper's own tree for XPath (it cannot query scraper's); `None` if it refused
    /// the text.
    #[cfg(feature = "xpath")]
    xpath: OnceCell<Option<skyscraper::xpath::XpathItemTree>>,
}

// ===== impl Document =====

impl Document {
    /// Wraps a page's (decoded) body text and the URL it was fetched from.
    pub fn new(text: &str, url: &Url) -> Document {
        Document {
            text: text.to_owned(),
            url: url.clone(),
            html: OnceCell::new(),
            json: OnceCell::new(),
            base: OnceCell::new(),
            #[cfg(feature = "xpath")]
            xpath: OnceCell::new(),
        }
    }

    /// The body text, as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The URL the page was fetched from.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The URL that relative links on the page resolve against: the first `<base href>`
    /// (itself resolved against the page URL) if the page is HTML and has a usable one,
    /// otherwise the page URL. Pass this to [`apply`](super::apply) for
    /// [`Processor::AbsoluteUrl`](super::Processor::AbsoluteUrl).
    ///
    /// Only HTML-looking text is parsed for this, so calling it on a JSON document costs
    /// nothing.
    pub fn base_url(&self) -> &Url {
        self.base.get_or_init(|| {
            if !self.looks_like_html() {
                return self.url.clone();
            }
            self.html()
                .select(base_selector())
                .filter_map(|e| e.attr("href"))
                .next()
                .and_then(|href| self.url.join(href.trim()).ok())
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .unwrap_or_else(|| self.url.clone())
        })
    }

    /// The page parsed as an HTML document (parsed on first use).
    pub(crate) fn html(&self) -> &Html {
        self.html
            .get_or_init(|| Html::parse_document(self.html_text()))
    }

    /// The page parsed by skyscraper for XPath (on first use), or `None` if it could
    /// not be parsed (or its parser failed).
    #[cfg(feature = "xpath")]
    pub(crate) fn xpath_tree(&self) -> Option<&skyscraper::xpath::XpathItemTree> {
        self.xpath
            .get_or_init(|| {
                let text = self.html_text();
                std::panic::catch_unwind(|| skyscraper::html::parse(text))
                    .ok()
                    .and_then(Result::ok)
            })
            .as_ref()
    }

    /// The text the HTML trees are built from: all of it unless it nests too deep.
    fn html_text(&self) -> &str {
        html_prefix(&self.text, MAX_DEPTH)
    }

    /// The page parsed as JSON (on first use), or `None` if it is not JSON.
    pub(crate) fn json(&self) -> Option<&Value> {
        self.json
            .get_or_init(|| serde_json::from_str(&self.text).ok())
            .as_ref()
    }

    /// A cheap test that avoids building an HTML tree for `<base>` on JSON or text
    /// bodies; a false positive just costs the parse.
    fn looks_like_html(&self) -> bool {
        self.html.get().is_some() || self.text.contains('<')
    }
}

impl fmt::Debug for Document {
    // The body can be megabytes; show where it came from and how big it is.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Document")
            .field("url", &self.url.as_str())
            .field("len", &self.text.len())
            .finish_non_exhaustive()
    }
}

/// `base[href]`, compiled once for the process.
fn base_selector() -> &'static scraper::Selector {
    static BASE: std::sync::LazyLock<scraper::Selector> = std::sync::LazyLock::new(|| {
        scraper::Selector::parse("base[href]").expect("`base[href]` is a valid selector")
    });
    &BASE
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn base_href_overrides_page_url() {
        let doc = Document::new(
            r#"<html><head><base href="/shop/"></head><body></body></html>"#,
            &url("https://example.com/a/b.html"),
        );
        assert_eq!(doc.base_url().as_str(), "https://example.com/shop/");
    }

    #[test]
    fn no_or_unusable_base_falls_back_to_page_url() {
        let page = url("https://example.com/a/b.html");
        for text in [
            "<p>no base</p>",
            r#"<base href="javascript:void(0)">"#,
            r#"{"json": true}"#,
            "",
        ] {
            assert_eq!(doc_base(text, &page), page, "{text}");
        }
    }

    fn doc_base(text: &str, page: &Url) -> Url {
        Document::new(text, page).base_url().clone()
    }

    #[test]
    fn json_is_parsed_only_if_valid() {
        let page = url("https://example.com/api");
        assert!(Document::new(r#"{"a": 1}"#, &page).json().is_some());
        assert!(Document::new(r#"{"a": 1"#, &page).json().is_none());
        assert!(Document::new("<html></html>", &page).json().is_none());
    }

    #[test]
    fn document_is_send() {
        // Spiders hold a page across `.await`s in spawned tasks; scraper's `atomic`
        // feature is what makes its tree `Send`.
        fn send<T: Send>() {}
        send::<Document>();
    }

    #[test]
    fn hundred_thousand_nested_divs_stop_at_max_depth() {
        // Unguarded, this took 38 s to parse and 66 s more for `div::text` (release).
        let text = "<div>".repeat(100_000) + "deep" + &"</div>".repeat(100_000);
        let doc = Document::new(&text, &url("https://example.com/"));
        assert_eq!(
            doc.html().tree.values().filter(|n| n.is_element()).count(),
            MAX_DEPTH + 3
        );
        let texts = super::super::Selector::css("div::text")
            .unwrap()
            .select(&doc);
        assert!(texts.is_empty(), "the text is past the limit");
    }

    #[test]
    fn debug_does_not_print_the_body() {
        let doc = Document::new("secret body", &url("https://example.com/"));
        let shown = format!("{doc:?}");
        assert!(shown.contains("example.com") && !shown.contains("secret"));
    }
}
