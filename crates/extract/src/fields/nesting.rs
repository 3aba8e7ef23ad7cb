//! The guard against pathologically deep HTML: how much of a page the tree builders see.
//!
//! html5ever (under scraper) and skyscraper both build trees in time quadratic in the
//! nesting depth: measured in a release build, 10,000 nested `<div>`s take 0.3 s to parse
//! and 0.4 s more for `div::text`; 100,000 take 38 s and 66 s. Real pages nest a few dozen
//! levels (browsers stop nesting at 512), so such a page is an attack or a generator bug.
//!
//! [`html_prefix`] finds, with one cheap pass over the tags, where a page first nests
//! deeper than [`MAX_DEPTH`] elements, and the trees are built from the text before that
//! point only. The count is deliberately simple (it does not run the tree-construction
//! rules): it skips comments, raw text (`<script>`, `<style>`, ...), void and
//! self-closing elements, and elements that cannot contain themselves (`<p>`, `<li>`,
//! `<a>`, table parts, ...), and an end tag closes the nearest open element of its name.

/// The deepest element nesting a page's HTML tree is built to: the text from the first
/// start tag that would open a level beyond it is ignored.
pub const MAX_DEPTH: usize = 4096;

/// How far down the open-element stack an end tag looks for its start tag, so that a
/// flood of stray end tags costs linear time.
const END_TAG_REACH: usize = 128;

/// Elements with no content.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "keygen", "link", "meta", "param",
    "source", "track", "wbr", "basefont", "bgsound", "frame", "image",
];

/// Elements whose content is text up to their end tag.
const RAW_TEXT: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
];

/// Elements that a second one of the same kind (or a sibling kind) closes instead of
/// nesting into, plus the document skeleton: counting them would only overestimate.
const NOT_COUNTED: &[&str] = &[
    "html", "head", "body", "p", "li", "dt", "dd", "option", "optgroup", "rb", "rt", "rp", "rtc",
    "tr", "td", "th", "tbody", "thead", "tfoot", "caption", "colgroup", "a", "button", "form",
    "nobr", "select",
];

/// The part of `text` that nests at most `limit` elements deep (all of it for real pages).
pub(crate) fn html_prefix(text: &str, limit: usize) -> &str {
    let bytes = text.as_bytes();
    let mut open: Vec<&[u8]> = Vec::new();
    let mut at = 0;
    while let Some(offset) = bytes[at..].iter().position(|&b| b == b'<') {
        let lt = at + offset;
        let rest = &bytes[lt + 1..];
        at = match rest.first() {
            Some(b'!') if rest.starts_with(b"!--") => {
                find(bytes, lt + 4, b"-->").map_or(bytes.len(), |e| e + 3)
            }
            Some(b'!' | b'?') => tag_end(bytes, lt),
            Some(b'/') => {
                let name = tag_name(&rest[1..]);
                let reach = open.len().saturating_sub(END_TAG_REACH);
                if let Some(i) = open[reach..]
                    .iter()
                    .rposition(|n| n.eq_ignore_ascii_case(name))
                {
                    open.truncate(reach + i);
                }
                tag_end(bytes, lt)
            }
            Some(c) if c.is_ascii_alphabetic() => {
                let name = tag_name(rest);
                let end = tag_end(bytes, lt);
                let self_closing = end >= 2 && bytes[end - 2] == b'/';
                if is_one_of(name, RAW_TEXT) {
                    skip_raw_text(bytes, end, name)
                } else if name.eq_ignore_ascii_case(b"plaintext") {
                    // Everything after it is text.
                    return text;
                } else {
                    if !self_closing && !is_one_of(name, VOID) && !is_one_of(name, NOT_COUNTED) {
                        open.push(name);
                        if open.len() > limit {
                            // `lt` is the byte index of an ASCII `<`, a char boundary.
                            return &text[..lt];
                        }
                    }
                    end
                }
            }
            // A `<` that starts no tag is text.
            _ => lt + 1,
        };
    }
    text
}

/// The tag name at the start of `s` (up to whitespace, `/` or `>`).
fn tag_name(s: &[u8]) -> &[u8] {
    let len = s
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'/' || b == b'>')
        .unwrap_or(s.len());
    &s[..len]
}

/// The index just past the `>` that ends the tag starting at `lt`, skipping quoted
/// attribute values; the end of the text if the tag is never closed.
fn tag_end(bytes: &[u8], lt: usize) -> usize {
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate().skip(lt + 1) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if b == q => quote = None,
            (None, b'>') => return i + 1,
            _ => {}
        }
    }
    bytes.len()
}

/// The index of the `<` of `</name` (any case) at or after `from`, or the end of the text.
fn skip_raw_text(bytes: &[u8], from: usize, name: &[u8]) -> usize {
    let mut at = from;
    while let Some(i) = find(bytes, at, b"</") {
        let candidate = &bytes[i + 2..];
        if candidate.len() >= name.len() && candidate[..name.len()].eq_ignore_ascii_case(name) {
            return i;
        }
        at = i + 2;
    }
    bytes.len()
}

/// The first index of `needle` in `bytes` at or after `from`.
fn find(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

fn is_one_of(name: &[u8], list: &[&str]) -> bool {
    list.iter().any(|n| n.as_bytes().eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(n: usize) -> String {
        "<div>".repeat(n) + "x" + &"</div>".repeat(n)
    }

    #[test]
    fn real_pages_are_kept_whole() {
        for text in [
            "",
            "plain text < 3 and > 2",
            "<!doctype html><html><head><title>a<b></title></head><body><p>1<p>2<ul><li>a<li>b</ul></body></html>",
            "<script>if (a < b) { document.write('<div><div><div>') }</script><div>x</div>",
            "<!-- <div><div><div> --><div title='>'>x</div>",
            "<a href=x><a href=y><a href=z>",
        ] {
            assert_eq!(html_prefix(text, 2), text, "{text}");
        }
        assert_eq!(html_prefix(&nested(100), 100), nested(100));
    }

    #[test]
    fn cuts_at_the_first_tag_past_the_limit() {
        let text = nested(10);
        let cut = html_prefix(&text, 4);
        assert_eq!(cut, "<div>".repeat(4));
        // Closed siblings do not add up.
        let siblings = "<div><span>a</span></div>".repeat(1000);
        assert_eq!(html_prefix(&siblings, 2), siblings);
        // Unclosed elements do.
        assert_eq!(html_prefix("<b><i><u><s>", 3), "<b><i><u>");
    }

    #[test]
    fn never_panics_on_odd_text() {
        for text in [
            "<",
            "</",
            "<!",
            "<!--",
            "<a",
            "<div",
            "<div class='",
            "</div",
            "<script>",
            "<title></ti",
            "<é>",
            "\u{0}<div>\u{fffd}",
            "<plaintext><div><div><div>",
        ] {
            let cut = html_prefix(text, 1);
            assert!(text.starts_with(cut), "{text}");
        }
    }
}
