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

/// The tree as Markdown.
pub(crate) fn render(root: &NodeRef<'_>) -> String {
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
    converter
        .convert(&html)
        .unwrap_or_default()
        .trim()
        .to_owned()
}
