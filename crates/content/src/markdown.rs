//! Markdown of the cleaned content: `htmd` over a tree prepared for it.

use dom_query::{Document, NodeRef, Selection};
use htmd::HtmlToMarkdown;
use htmd::options::{BulletListMarker, Options};
use url::Url;

/// The attribute that carries a heading's level through Readability.
const LEVEL: &str = "data-ferrocrawl-level";

/// Records every heading's level before Readability runs (it renames `h1` to
/// `h2`).
pub(crate) fn mark_headings(document: &Document) {
    for level in 1..=6 {
        document
            .select(&format!("h{level}"))
            .set_attr(LEVEL, &level.to_string());
    }
}

/// Puts the extracted tree in the shape the converter expects: headings back
/// at their levels, every link and image absolute, and the language of a code
/// block on its `<code>` as `language-NAME`.
pub(crate) fn prepare(root: &NodeRef<'_>, base: &Url) {
    let scope = Selection::from(*root);
    for heading in scope.select(&format!("[{LEVEL}]")).nodes() {
        if let Some(level) = heading.attr(LEVEL).filter(|l| l.len() == 1) {
            heading.rename(&format!("h{}", &*level));
        }
        heading.remove_attr(LEVEL);
    }
    for (selector, attribute) in [("a[href]", "href"), ("img[src]", "src")] {
        for node in scope.select(selector).nodes() {
            let Some(value) = node.attr(attribute) else {
                continue;
            };
            if let Ok(absolute) = base.join(value.trim()) {
                node.set_attr(attribute, absolute.as_str());
            }
        }
    }
    for pre in scope.select("pre").nodes() {
        let code = pre
            .element_children()
            .into_iter()
            .find(|child| child.has_name("code"));
        let language = code
            .and_then(|c| c.class())
            .and_then(|c| language(&c))
            .or_else(|| pre.class().and_then(|c| language(&c)));
        match (code, language) {
            (Some(code), Some(language)) => code.set_attr("class", &format!("language-{language}")),
            // a bare <pre>: the converter takes a code block's language from
            // its <code>, so give it one
            (None, Some(language)) => {
                let inner = pre.inner_html();
                pre.set_html(format!(
                    "<code class=\"language-{language}\">{inner}</code>"
                ));
            }
            (Some(code), None) => code.remove_attr("class"),
            (None, None) => {}
        }
    }
}

/// The language a class list names: `language-rust`, `lang-rust`.
fn language(classes: &str) -> Option<String> {
    classes.split_whitespace().find_map(|class| {
        let name = class
            .strip_prefix("language-")
            .or_else(|| class.strip_prefix("lang-"))?;
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_' | '#' | '.'));
        valid.then(|| name.to_owned())
    })
}

/// Stand-ins for characters htmd leaves as they are but CommonMark and GFM
/// read as syntax: `&` starting an entity reference (`&copy;` in the text
/// would render as ©) and `~` (GFM strikethrough). They are noncharacters,
/// which no page has in its text; after conversion each becomes the escaped
/// character.
const AMPERSAND: char = '\u{FDD0}';
const TILDE: char = '\u{FDD1}';

/// The tree as Markdown. Rewrites the tree's text nodes (see [`AMPERSAND`]),
/// so the plain text must be taken before.
pub(crate) fn render(root: &NodeRef<'_>) -> String {
    escape_text(root);
    let converter = HtmlToMarkdown::builder()
        .options(Options {
            bullet_list_marker: BulletListMarker::Dash,
            ul_bullet_spacing: 1,
            ol_number_spacing: 1,
            ..Options::default()
        })
        .skip_tags(vec![
            "script", "style", "noscript", "template", "iframe", "svg", "button", "form",
        ])
        .build();
    let html = root.inner_html();
    // htmd parses the fragment with html5ever and only fails on I/O errors,
    // which a string source has none of.
    let markdown = converter.convert(&html).unwrap_or_default();
    let markdown = markdown.trim();
    if markdown.contains([AMPERSAND, TILDE]) {
        markdown.replace(AMPERSAND, "\\&").replace(TILDE, "\\~")
    } else {
        markdown.to_owned()
    }
}

/// Puts the stand-ins into every text node outside code (where Markdown
/// takes text literally).
fn escape_text(root: &NodeRef<'_>) {
    // Collected first: the iterator borrows the tree that set_text changes.
    let texts: Vec<NodeRef<'_>> = root.descendants_it().filter(NodeRef::is_text).collect();
    for node in texts {
        let text = node.text();
        if !text.contains('~') && !text.contains('&') {
            continue;
        }
        if node
            .ancestors_it(None)
            .any(|a| a.has_name("code") || a.has_name("pre"))
        {
            continue;
        }
        let mut escaped = String::with_capacity(text.len());
        for (i, c) in text.char_indices() {
            match c {
                '~' => escaped.push(TILDE),
                '&' if starts_reference(&text[i + 1..]) => escaped.push(AMPERSAND),
                c => escaped.push(c),
            }
        }
        node.set_text(escaped);
    }
}

/// Whether the text after an `&` reads as an entity or character reference:
/// `name;`, `#123;` or `#x1F;`.
fn starts_reference(rest: &str) -> bool {
    let (digits, rest): (fn(char) -> bool, &str) = match rest.strip_prefix('#') {
        Some(hex) if hex.starts_with(['x', 'X']) => (|c| c.is_ascii_hexdigit(), &hex[1..]),
        Some(decimal) => (|c| c.is_ascii_digit(), decimal),
        None => (|c| c.is_ascii_alphanumeric(), rest),
    };
    let length = rest.chars().take_while(|&c| digits(c)).count();
    length > 0 && rest[length..].starts_with(';')
}

#[cfg(test)]
mod tests {
    use super::starts_reference;

    #[test]
    fn references_are_told_from_ampersands() {
        for reference in ["copy;", "amp;", "#169;", "#xA9;", "#XA9;"] {
            assert!(starts_reference(reference), "{reference}");
        }
        for plain in ["T", " copy;", "copy", "#;", "#x;", "co py;", ""] {
            assert!(!starts_reference(plain), "{plain}");
        }
    }
}
