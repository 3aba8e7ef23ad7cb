//! A streaming main-content extractor (feasibility spike): html5gum's tokens
//! build a compact arena tree of our own ([`tree`]), Readability's scoring and
//! cleaning and our boilerplate rules run on it ([`readability`]), and the
//! article's text is rendered block by block ([`text`]).
//!
//! It skips html5ever's DOM, dom_smoothie's document clones and
//! attribute-stored scores, and the subtree walks that Readability repeats:
//! subtree statistics are summed once and kept current as nodes go.

mod reader;
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
    let tree = tree::Tree::parse(html);
    readability::extract(&tree)
}

#[cfg(test)]
mod tests;
