//! The streaming main-content extractor behind [`extract_with`](crate::extract_with)
//! (decision 0020): html5gum's tokens build a compact arena tree of our own
//! (`tree.rs`), Readability's scoring and cleaning and our boilerplate rules
//! run on it (`readability.rs`, `page.rs`), and the article's text and
//! Markdown are rendered from it (`text.rs`, `markdown.rs`); the metadata
//! comes from a small document standing for the page (`metadata.rs`).
//!
//! It skips html5ever's DOM, dom_smoothie's document clones and
//! attribute-stored scores, and the subtree walks that Readability repeats:
//! subtree statistics are summed once and kept current as nodes go.
//!
//! Known differences from the html5ever path (`extract_with_dom`), measured by
//! `examples/fast_spike.rs` and `examples/md_diff.rs`:
//! - tree construction is the spec's in outline only: no adoption agency
//!   (a misnested formatting end tag closes what was opened inside it), no
//!   foster parenting of text stray in tables, no integration points in SVG;
//! - text lengths are summed per text node, so a whitespace run across two
//!   text nodes may count twice where dom_query counts it once; near
//!   Readability's thresholds (link density 0.2…) that can keep or drop a
//!   block the other path drops or keeps (rustdoc's primitive-type pages);
//! - the title compared with headings is the `<title>` (site name cut off),
//!   not JSON-LD's or Open Graph's;
//! - `javascript:` links count as link text in the link-density rules.

mod markdown;
pub(crate) mod page;
mod readability;
mod text;
mod tree;

pub use tree::tokenize_only;

use url::Url;

/// The main content's text, as [`extract_with`](crate::extract_with) with
/// [`Rendering::Text`](crate::Rendering::Text) gives it, from the streaming
/// extractor. `url` is unused by the text (kept for the Markdown to come).
pub fn extract_text_fast(html: &str, url: &Url) -> String {
    let _ = url;
    let mut tree = tree::Tree::parse(html);
    readability::extract(&mut tree)
}

/// The main content's Markdown, as [`extract_with`](crate::extract_with)
/// with [`Rendering::Markdown`](crate::Rendering::Markdown) gives it, from the
/// streaming extractor. Links and images are resolved against the page's
/// `<base href>` (an http or https one) or else `url`.
pub fn extract_markdown_fast(html: &str, url: &Url) -> String {
    let mut tree = tree::Tree::parse(html);
    let base = base_url(&tree, url);
    let (nodes, roots) = readability::article(&mut tree);
    markdown::render(&nodes, &tree.source, &roots, &base)
}

/// The whole page as Markdown, with no main-content detection (for comparing
/// renderers: see `examples/md_diff.rs`).
#[doc(hidden)]
pub fn markdown_of_body_fast(html: &str, base: &Url) -> String {
    let tree = tree::Tree::parse(html);
    markdown::render_with(&tree.nodes, &tree.source, &[0], base, false)
}

/// [`extract_markdown_fast`]'s time, in ms: parsing and extraction, then
/// the Markdown rendering alone.
#[doc(hidden)]
pub fn time_markdown(html: &str, url: &Url) -> (f64, f64) {
    let start = std::time::Instant::now();
    let mut tree = tree::Tree::parse(html);
    let base = base_url(&tree, url);
    let (nodes, roots) = readability::article(&mut tree);
    let extracted = start.elapsed().as_secs_f64() * 1e3;
    let start = std::time::Instant::now();
    std::hint::black_box(markdown::render(&nodes, &tree.source, &roots, &base));
    (extracted, start.elapsed().as_secs_f64() * 1e3)
}

/// [`markdown_of_body_fast`] and its time in ms: the parse, then the
/// rendering.
#[doc(hidden)]
pub fn markdown_of_body_fast_timed(html: &str, base: &Url) -> (String, f64, f64) {
    let start = std::time::Instant::now();
    let tree = tree::Tree::parse(html);
    let parsed = start.elapsed().as_secs_f64() * 1e3;
    let start = std::time::Instant::now();
    let markdown = markdown::render_with(&tree.nodes, &tree.source, &[0], base, false);
    (markdown, parsed, start.elapsed().as_secs_f64() * 1e3)
}

/// `metadata::base_url` on the arena: the first `<base href>`, when it
/// resolves to an http or https address.
fn base_url(tree: &tree::Tree, url: &Url) -> Url {
    tree.nodes
        .iter()
        .find(|n| n.tag == tree::Tag::Base && tree.source.attr(n, tree::AttrName::Href).is_some())
        .and_then(|n| tree.source.attr(n, tree::AttrName::Href))
        .and_then(|href| url.join(href.trim()).ok())
        .filter(|base| matches!(base.scheme(), "http" | "https"))
        .unwrap_or_else(|| url.clone())
}

#[cfg(test)]
mod markdown_tests;
#[cfg(test)]
mod tests;

/// Pages extracted and Readability attempts made so far (the spike's
/// report: a short article costs up to four attempts).
#[doc(hidden)]
pub fn attempt_counts() -> (usize, usize) {
    use std::sync::atomic::Ordering::Relaxed;
    (
        readability::COUNTS[0].load(Relaxed),
        readability::COUNTS[1].load(Relaxed),
    )
}

/// For debugging the spike: the chain of elements (tag, class, id) from the
/// root to the first text holding `needle`.
#[doc(hidden)]
pub fn path_of(html: &str, needle: &str) -> String {
    let tree = tree::Tree::parse(html);
    let src = &tree.source;
    let Some(at) = tree
        .nodes
        .iter()
        .position(|n| n.tag == tree::Tag::Text && src.text_of(n).contains(needle))
    else {
        return format!("{needle:?} not in any text node");
    };
    let mut chain = Vec::new();
    let mut n = tree.nodes[at].parent;
    while n != tree::NONE {
        let node = &tree.nodes[n as usize];
        chain.push(format!(
            "{}.{}#{}",
            node.tag.name(),
            src.attr(node, tree::AttrName::Class).unwrap_or(""),
            src.attr(node, tree::AttrName::Id).unwrap_or("")
        ));
        n = node.parent;
    }
    chain.reverse();
    chain.join(" > ")
}
