//! One page through the streaming extractor: the arena, the metadata, the
//! article, its text and its Markdown.

use std::collections::HashSet;

use url::Url;

use super::tree::{AttrName, NONE, Node, Source, Tag, Tree};
use super::{markdown, readability, text};
use crate::{Content, Rendering, metadata, strip};

/// The extractor's flag on a node it removed (see `readability.rs`).
const REMOVED: u8 = 1;

/// The most top-level headings remembered (for the title).
const HEADINGS: usize = 8;

/// [`crate::extract_with`].
pub(crate) fn extract(html: &str, url: &Url, rendering: Rendering) -> Content {
    // Script and style bodies, comments and SVG drawings are never content;
    // the metadata reads the JSON-LD scripts the cut leaves.
    let html = strip::scripts_and_styles(html);
    let mut tree = Tree::parse(&html);
    let headings = top_headings(&tree);
    let (meta, base) = metadata::summarized(&html, url, &headings, None);
    if rendering == Rendering::Neither {
        return Content {
            metadata: meta,
            ..Content::default()
        };
    }
    let marked = marked(&tree);
    let (mut nodes, roots) = readability::article(&mut tree);
    let src = &tree.source;
    more_boilerplate(&mut nodes, src, &roots, &marked);
    let text = match rendering {
        Rendering::Both | Rendering::Text => text::render(&nodes, src, &roots),
        Rendering::Markdown | Rendering::Neither => String::new(),
    };
    let markdown = match rendering {
        Rendering::Both | Rendering::Markdown => {
            let body = markdown::render(&nodes, src, &roots, &base);
            match dropped_title(&nodes, src, &roots, &headings, meta.title.as_deref()) {
                Some((level, title)) => titled(body, level, &title, &base),
                None => body,
            }
        }
        Rendering::Text | Rendering::Neither => String::new(),
    };
    Content {
        text,
        markdown,
        metadata: meta,
    }
}

/// The page's top-level headings (its `h1`s, else its `h2`s; at most
/// [`HEADINGS`]) as (level, text), in document order.
fn top_headings(tree: &Tree) -> Vec<(u8, String)> {
    for (tag, level) in [(Tag::H1, 1), (Tag::H2, 2)] {
        let found: Vec<(u8, String)> = tree
            .nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.tag == tag)
            .filter_map(|(i, _)| {
                let text = squeeze(&text::render(&tree.nodes, &tree.source, &[i as u32]));
                (!text.is_empty()).then_some((level, text))
            })
            .take(HEADINGS)
            .collect();
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// The page's heading that names the article's title, when the article lost
/// it (Readability drops a heading that repeats the title wherever it is):
/// the Markdown starts with it, as the page does. Nothing is made up: a page
/// whose headings never name the title gets none.
fn dropped_title(
    nodes: &[Node],
    src: &Source,
    roots: &[u32],
    headings: &[(u8, String)],
    title: Option<&str>,
) -> Option<(u8, String)> {
    let title = title?;
    let (level, text) = headings
        .iter()
        .find(|(_, text)| crate::markdown::similar(text, title))?;
    let mut stack: Vec<u32> = if roots == [0] {
        children(nodes, 0)
    } else {
        roots.to_vec()
    };
    while let Some(n) = stack.pop() {
        let node = &nodes[n as usize];
        if node.flags & REMOVED != 0 {
            continue;
        }
        if matches!(node.tag, Tag::H1 | Tag::H2 | Tag::H3)
            && squeeze(&text::render(nodes, src, &[n])) == *text
        {
            return None;
        }
        stack.extend(children(nodes, n));
    }
    Some((*level, text.clone()))
}

fn children(nodes: &[Node], n: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut c = nodes[n as usize].first_child;
    while c != NONE {
        out.push(c);
        c = nodes[c as usize].next;
    }
    out
}

/// `body` with the heading `# title` (at `level`) before it, escaped as the
/// renderer escapes headings.
fn titled(body: String, level: u8, title: &str, base: &Url) -> String {
    let escaped = title
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let heading = Tree::parse(&format!("<h{level}>{escaped}</h{level}>"));
    let heading_md = markdown::render(&heading.nodes, &heading.source, &[0], base);
    if body.is_empty() {
        heading_md
    } else {
        format!("{heading_md}\n\n{body}")
    }
}

/// Text with its whitespace runs as single spaces, trimmed.
fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Class fragments of boilerplate elements (as `clean.rs`'s `DROP`).
const BOILERPLATE_CLASSES: [&str; 7] = [
    "caption",
    "byline",
    "author",
    "timestamp",
    "newsletter",
    "meta",
    "print",
];

/// Class and id fragments of sign-up boxes.
const SIGN_UP: [&str; 5] = ["newsletter", "subscribe", "signup", "sign-up", "optin"];

/// The longest text [`marked`] remembers.
const MARKED_LEN: usize = 200;

/// No rule here removes an element holding more than this share of the
/// article's text (a wrapper that happens to match).
const MAX_SHARE: f64 = 0.3;

/// The texts of the page's short boilerplate elements, remembered before
/// Readability runs: it rebuilds a `<div>` holding only text as a new `<p>`
/// (`<div class="byline">By Ada</div>` becomes `<p>By Ada</p>`), which no
/// class rule can tell afterwards.
fn marked(tree: &Tree) -> HashSet<String> {
    let src = &tree.source;
    tree.nodes
        .iter()
        .enumerate()
        // Only a `<div>` is rebuilt that way; other elements keep their class.
        .filter(|(_, n)| {
            n.tag == Tag::Div && has_fragment(src.attr(n, AttrName::Class), &BOILERPLATE_CLASSES)
        })
        .map(|(i, _)| squeeze(&text::render(&tree.nodes, src, &[i as u32])))
        .filter(|t| (1..=MARKED_LEN).contains(&t.len()))
        .collect()
}

/// Our rules after Readability's: paragraphs whose whole text is a
/// [`marked`] boilerplate text, and sign-up boxes, even in a short article
/// where they hold more than [`MAX_SHARE`] of its text, as long as they hold
/// at most half its paragraphs (a wrapper around the story,
/// `class="subscriber-content"`, holds them all).
fn more_boilerplate(nodes: &mut [Node], src: &Source, roots: &[u32], marked: &HashSet<String>) {
    let article = preorder(nodes, roots);
    let chars = |nodes: &[Node], n: u32| squeeze(&text::render(nodes, src, &[n])).chars().count();
    let total: usize = roots.iter().map(|&r| chars(nodes, r)).sum();
    let limit = MAX_SHARE * total as f64;
    let paragraphs = |nodes: &[Node], n: u32| {
        preorder(nodes, &[n])
            .into_iter()
            .filter(|&d| nodes[d as usize].tag == Tag::P)
            .count()
    };
    let all_paragraphs: usize = roots.iter().map(|&r| paragraphs(nodes, r)).sum();
    for n in article {
        let node = nodes[n as usize];
        if node.flags & REMOVED != 0 || node.tag == Tag::Text {
            continue;
        }
        let drop = if node.tag == Tag::P && !marked.is_empty() {
            let text = squeeze(&text::render(nodes, src, &[n]));
            text.len() <= MARKED_LEN
                && text.chars().count() as f64 <= limit
                && marked.contains(&text)
        } else {
            false
        };
        let sign_up = has_fragment(src.attr(&node, AttrName::Class), &SIGN_UP)
            || has_fragment(src.attr(&node, AttrName::Id), &SIGN_UP[..3]);
        let drop = drop
            || sign_up
                && (chars(nodes, n) as f64 <= limit
                    || all_paragraphs > 0 && 2 * paragraphs(nodes, n) <= all_paragraphs);
        if drop {
            super::tree::detach(nodes, n);
            nodes[n as usize].flags |= REMOVED;
        }
    }
}

/// Whether an attribute value holds one of `fragments` (ASCII
/// case-insensitive).
fn has_fragment(value: Option<&str>, fragments: &[&str]) -> bool {
    value.is_some_and(|v| {
        let v = v.as_bytes();
        fragments.iter().any(|f| {
            v.windows(f.len())
                .any(|w| w.eq_ignore_ascii_case(f.as_bytes()))
        })
    })
}

/// The nodes under `roots` (`[0]`: the root's children), in document order,
/// without the subtrees of removed ones.
fn preorder(nodes: &[Node], roots: &[u32]) -> Vec<u32> {
    let mut out = Vec::new();
    let mut stack: Vec<u32> = if roots == [0] {
        children(nodes, 0)
    } else {
        roots.to_vec()
    };
    stack.reverse();
    while let Some(n) = stack.pop() {
        if nodes[n as usize].flags & REMOVED != 0 {
            continue;
        }
        out.push(n);
        let mut kids = children(nodes, n);
        kids.reverse();
        stack.extend(kids);
    }
    out
}
