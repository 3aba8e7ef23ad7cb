//! The tokenizer pass: lol_html's streaming rewriter, used read-only.
//!
//! lol_html was chosen over html5ever's tokenizer by benchmark (2.2 to 2.4 times the
//! throughput, see `docs/decisions/0005-link-extractor.md`). It lexes fully only the tags
//! our selectors name, and it simulates enough of tree construction to switch into raw text
//! (`<script>`, `<style>`, `<textarea>`…) and foreign content (`<svg>`, `<math>`) correctly.
//! What it does not do, and this module adds: decoding character references in attribute
//! values and title text (see `charref.rs`), and reading `<noscript>` as markup.

use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::sync::LazyLock;

use lol_html::html_content::{Element, TextChunk};
use lol_html::{ElementContentHandlers, HtmlRewriter, Selector, Settings};

use crate::charref::decode;
use crate::collect::{Collector, TagAttrs};
use crate::links::MAX_TITLE_LEN;

/// The elements we read, one selector each, so the handler knows the tag without asking
/// lol_html for it (which allocates).
const ELEMENTS: [(&str, &str); 7] = [
    ("a", "a[href]"),
    ("area", "area[href]"),
    ("link", "link[href]"),
    ("iframe", "iframe[src]"),
    ("frame", "frame[src]"),
    ("base", "base[href]"),
    ("meta", "meta"),
];

struct Selectors {
    elements: Vec<(&'static str, Selector)>,
    title: Selector,
    foreign_title: Selector,
    noscript: Selector,
}

static SELECTORS: LazyLock<Selectors> = LazyLock::new(|| {
    let parse = |s: &str| {
        s.parse()
            .expect("the selectors are constants lol_html supports")
    };
    Selectors {
        elements: ELEMENTS
            .iter()
            .map(|(name, sel)| (*name, parse(sel)))
            .collect(),
        title: parse("title"),
        foreign_title: parse("svg title, math title"),
        noscript: parse("noscript"),
    }
});

const HTML_NS: &str = "http://www.w3.org/1999/xhtml";

/// `<noscript>` inside `<noscript>` content is scanned at most this deep.
const MAX_NOSCRIPT_DEPTH: u8 = 2;

/// Tokenizes `html` and reports start tags and title text to `collector`.
pub(crate) fn scan(html: &str, collector: &mut Collector) {
    scan_at(html, collector, 0);
}

fn scan_at(html: &str, collector: &mut Collector, depth: u8) {
    let selectors = &*SELECTORS;
    let collector = RefCell::new(collector);
    let title_raw = RefCell::new(String::new());
    let in_title = Cell::new(false);
    let foreign_title = Cell::new(false);
    let noscript_raw = RefCell::new(String::new());

    // Not strict: in strict mode lol_html gives up on markup where it cannot tell a raw
    // text element from an ignored one (`<select><xmp>`); for reading links, a best guess
    // beats losing the rest of the page.
    let mut settings = Settings::new().with_strict(false);
    for (name, selector) in &selectors.elements {
        let collector = &collector;
        settings = settings.append_element_content_handler((
            Cow::Borrowed(selector),
            ElementContentHandlers::default().element(move |el: &mut Element<'_, '_>| {
                collector.borrow_mut().start_tag(name, &ElAttrs(el));
                Ok(())
            }),
        ));
    }
    // Registered before the `title` handler, which lol_html then runs second on the same
    // element. lol_html reports an SVG <title> as HTML (it is an HTML integration point),
    // so the ancestry decides.
    settings = settings.append_element_content_handler((
        Cow::Borrowed(&selectors.foreign_title),
        ElementContentHandlers::default().element(|_: &mut Element<'_, '_>| {
            foreign_title.set(true);
            Ok(())
        }),
    ));
    settings = settings.append_element_content_handler((
        Cow::Borrowed(&selectors.title),
        ElementContentHandlers::default()
            .element(|el: &mut Element<'_, '_>| {
                // An SVG <title> is not the document's.
                let html = !foreign_title.replace(false) && el.namespace_uri() == HTML_NS;
                in_title.set(html && collector.borrow_mut().title_start());
                Ok(())
            })
            .text(|t: &mut TextChunk<'_>| {
                if !in_title.get() {
                    return Ok(());
                }
                let mut raw = title_raw.borrow_mut();
                // An unclosed <title> runs to the end of the page; keep only what the
                // (capped) title can use. References shrink when decoded, hence the slack.
                let room = (4 * MAX_TITLE_LEN).saturating_sub(raw.len());
                let text = t.as_str();
                let mut cut = text.len().min(room);
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                raw.push_str(&text[..cut]);
                if t.last_in_text_node() {
                    let mut c = collector.borrow_mut();
                    c.title_text(&decode(&raw, false));
                    c.title_end();
                    in_title.set(false);
                }
                Ok(())
            }),
    ));
    // lol_html reads <noscript> as raw text, as a browser with scripts on does. A crawler
    // runs no scripts and wants the links a script-less browser would show, so the raw
    // text is scanned again as markup.
    if depth < MAX_NOSCRIPT_DEPTH {
        settings = settings.append_element_content_handler((
            Cow::Borrowed(&selectors.noscript),
            ElementContentHandlers::default().text(|t: &mut TextChunk<'_>| {
                let mut raw = noscript_raw.borrow_mut();
                raw.push_str(t.as_str());
                if t.last_in_text_node() {
                    scan_at(&raw, &mut collector.borrow_mut(), depth + 1);
                    raw.clear();
                }
                Ok(())
            }),
        ));
    }

    let mut rewriter = HtmlRewriter::new(settings, |_: &[u8]| {});
    // One write with the whole page: lol_html then never has to buffer a tag that spans
    // two chunks, and holds nothing beyond what our handlers ask for.
    if rewriter.write(html.as_bytes()).is_ok() {
        let _ = rewriter.end();
    }
    if in_title.get() {
        // The document ended inside <title>.
        let mut c = collector.borrow_mut();
        c.title_text(&decode(&title_raw.borrow(), false));
        c.title_end();
    }
}

struct ElAttrs<'a, 'b, 'c>(&'a Element<'b, 'c>);

impl TagAttrs for ElAttrs<'_, '_, '_> {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        let raw = self.0.get_attribute(name)?;
        Some(match decode(&raw, true) {
            Cow::Borrowed(_) => Cow::Owned(raw),
            Cow::Owned(decoded) => Cow::Owned(decoded),
        })
    }
}
