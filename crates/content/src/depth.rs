//! A bound on nesting depth, as browsers' HTML parsers have (Chromium attaches
//! elements past depth 512 to the element at 512).
//!
//! Readability's scoring walks each candidate's ancestors and subtree, so its
//! time grows with depth × size: a page of 8,000 nested `<div>`s took 18 s
//! (release build), 30,000 more than two minutes. A crawler sees such pages,
//! by accident or by design, and one must not stall a worker. With the cap,
//! 8,000 take 0.57 s and 30,000 6.4 s, nearly all of it html5ever's parse,
//! which is itself superlinear in depth and is not bounded here.

use dom_query::{Document, NodeRef};

/// The deepest element kept as it is; deeper elements are unwrapped (their
/// children take their place), which leaves every text where it was in
/// document order.
pub(crate) const MAX_DEPTH: usize = 512;

/// Unwraps every element deeper than [`MAX_DEPTH`]. Linear in the size of the
/// document; a no-op on ordinary pages.
pub(crate) fn cap(document: &Document) {
    let mut deep: Vec<NodeRef<'_>> = Vec::new();
    let mut stack = vec![(document.root(), 0_usize)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_DEPTH && node.is_element() {
            deep.push(node);
        }
        stack.extend(node.children_it(false).map(|child| (child, depth + 1)));
    }
    for node in deep {
        node.unwrap_node();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn max_depth(document: &Document) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(document.root(), 0_usize)];
        while let Some((node, depth)) = stack.pop() {
            deepest = deepest.max(depth);
            stack.extend(node.children_it(false).map(|child| (child, depth + 1)));
        }
        deepest
    }

    #[test]
    fn deep_nesting_is_cut_to_the_bound_and_keeps_its_text_in_order() {
        let n = 3000;
        let html = format!(
            "<html><body>{}first<p>second</p>third{}</body></html>",
            "<div>".repeat(n),
            "</div>".repeat(n)
        );
        let document = Document::from(html.as_str());
        assert!(max_depth(&document) > n);
        cap(&document);
        // root > html > body > … : the text node under the deepest element
        assert!(
            max_depth(&document) <= MAX_DEPTH + 1,
            "{}",
            max_depth(&document)
        );
        assert_eq!(&*document.select("body").text(), "firstsecondthird");
    }

    #[test]
    fn ordinary_pages_are_untouched() {
        let html = "<html><body><article><h1>T</h1><ul><li><p>a <b>b</b></p></li></ul></article></body></html>";
        let document = Document::from(html);
        let before = document.html().to_string();
        cap(&document);
        assert_eq!(document.html().to_string(), before);
    }
}
