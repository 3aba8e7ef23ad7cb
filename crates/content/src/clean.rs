//! Boilerplate Readability leaves inside the article it picked: captions and
//! photo credits, bylines and timestamps, share bars, newsletter boxes,
//! "related" and "more" lists. Each rule was kept only if it raised F1 on the
//! benchmark (decision 0016, which has the figures).

use std::collections::HashSet;

use dom_query::{Document, NodeRef, Selection};

/// Elements dropped from the article with all they hold.
const DROP: &str = "aside, nav, header, footer, time, figcaption, [class*=caption], \
    [class*=byline], [class*=author], [class*=timestamp], [class*=newsletter], [class*=meta], \
    [class*=print]";

/// Sign-up boxes: dropped even when they hold more than [`MAX_SHARE`] of a
/// short article's text, as long as they hold at most half its paragraphs (a
/// wrapper around the story, `class="subscriber-content"`, holds them all).
const SIGN_UP: &str = "[class*=newsletter], [class*=subscribe], [class*=signup], \
    [class*=sign-up], [class*=optin], [id*=newsletter], [id*=subscribe], [id*=signup]";

/// Image containers: their images stay (the Markdown shows them), their text
/// (captions, credits, "Image 1 of 5") goes.
const MEDIA: &str = "figure, [class*=gallery], [class*=photo], [class*=image]";

/// Blocks whose text is at least this share link text are link lists.
const LINK_DENSITY: f64 = 0.8;

/// Blocks checked for link density.
const LINK_BLOCKS: &str = "ul, ol, div, section, p";

/// No rule removes an element holding more than this share of the article's
/// text, so a wrapper that happens to match (`class="article-image-and-text"`
/// around the story) is kept.
const MAX_SHARE: f64 = 0.3;

/// The longest text [`marked`] remembers.
const MARKED_LEN: usize = 200;

/// The texts of the page's short boilerplate elements ([`DROP`]'s),
/// remembered before Readability runs: it rebuilds a `<div>` holding only
/// text as a `<p>` without its class (`<div class="byline">By Ada</div>`
/// becomes `<p>By Ada</p>`), after which no selector can tell it.
pub(crate) fn marked(document: &Document) -> HashSet<String> {
    document
        .select(DROP)
        .nodes()
        .iter()
        .filter(|node| !node.has_name("time"))
        .map(|node| squeezed(*node))
        .filter(|text| (1..=MARKED_LEN).contains(&text.len()))
        .collect()
}

/// Drops boilerplate from the extracted article; `marked` is what [`marked`]
/// gave.
pub(crate) fn boilerplate(root: &NodeRef<'_>, marked: &HashSet<String>) {
    let scope = Selection::from(*root);
    let limit = MAX_SHARE * text_len(*root) as f64;
    let small = |node: &NodeRef<'_>| text_len(*node) as f64 <= limit;
    if !marked.is_empty() {
        for node in scope.select("p").nodes() {
            if text_len(*node) <= MARKED_LEN && small(node) && marked.contains(&squeezed(*node)) {
                node.remove_from_parent();
            }
        }
    }
    // One pass per list: a match inside a match already removed is detached
    // with it, and removing it again is harmless.
    for node in scope.select(DROP).nodes().iter().filter(|n| small(n)) {
        node.remove_from_parent();
    }
    let paragraphs = |node: NodeRef<'_>| node.descendants_it().filter(|n| n.has_name("p")).count();
    let all_paragraphs = paragraphs(*root);
    for node in scope.select(SIGN_UP).nodes() {
        if small(node) || (all_paragraphs > 0 && 2 * paragraphs(*node) <= all_paragraphs) {
            node.remove_from_parent();
        }
    }
    for node in scope.select(MEDIA).nodes().iter().filter(|n| small(n)) {
        let images: String = node
            .descendants_it()
            .filter(|n| n.has_name("img"))
            .map(|img| img.html().to_string())
            .collect();
        if !images.is_empty() {
            node.before_html(images);
        }
        node.remove_from_parent();
    }
    for node in scope
        .select(LINK_BLOCKS)
        .nodes()
        .iter()
        .filter(|n| small(n))
    {
        let all = text_len(*node);
        let linked: usize = node
            .descendants_it()
            .filter(|n| n.has_name("a"))
            .map(text_len)
            .sum();
        if all > 0 && linked as f64 >= LINK_DENSITY * all as f64 {
            node.remove_from_parent();
        }
    }
}

/// Drops what is never content from a whole page (used when no article could
/// be told apart).
pub(crate) fn whole_page(document: &Document) {
    document
        .select("script, style, noscript, template, nav, header, footer, aside, form, iframe, svg")
        .remove();
}

/// Characters of text, runs of whitespace counted as one.
fn text_len(node: NodeRef<'_>) -> usize {
    node.normalized_char_count()
}

/// Text with its whitespace runs as single spaces, trimmed.
fn squeezed(node: NodeRef<'_>) -> String {
    node.text().split_whitespace().collect::<Vec<_>>().join(" ")
}
