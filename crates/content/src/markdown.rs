//! Markdown of the cleaned content: `htmd` over a tree prepared for it.

use dom_query::{Document, NodeRef, Selection};
use htmd::HtmlToMarkdown;
use htmd::options::{BulletListMarker, Options};
use url::Url;

/// The attribute that carries a heading's level through Readability.
const LEVEL: &str = "data-ferrocrawl-level";

/// Records every heading's level before Readability runs (it renames `h1` to
/// `h2`), and returns the page's top-level headings (its `h1`s, else its
/// `h2`s; at most 8) as (level, text): Readability drops the one that repeats
/// the title, and [`restore_title`] puts it back.
pub(crate) fn mark_headings(document: &Document) -> Vec<(u8, String)> {
    let mut top: Vec<(u8, String)> = Vec::new();
    for heading in document.select("h1, h2, h3, h4, h5, h6").nodes() {
        let Some(name) = heading.node_name() else {
            continue;
        };
        heading.set_attr(LEVEL, &name[1..]);
        let level = if &*name == "h1" { 1 } else { 2 };
        if &*name != "h1" && &*name != "h2" {
            continue;
        }
        if top.first().is_some_and(|(l, _)| *l < level) || top.len() >= 8 && level == 2 {
            continue;
        }
        if level == 1 && top.first().is_some_and(|(l, _)| *l == 2) {
            top.clear();
        }
        if top.len() < 8 {
            let text = squeeze(&heading.text());
            if !text.is_empty() {
                top.push((level, text));
            }
        }
    }
    top
}

/// Puts back, at the top of the article, the page's heading that names the
/// article's title when Readability dropped it (it removes a heading that
/// repeats the title wherever it is), so the Markdown starts with `# Title`
/// as the page does. Nothing is made up: a page whose headings never name
/// the title gets none.
pub(crate) fn restore_title(root: &NodeRef<'_>, headings: &[(u8, String)], title: Option<&str>) {
    let Some(title) = title else {
        return;
    };
    let Some((level, text)) = headings.iter().find(|(_, text)| similar(text, title)) else {
        return;
    };
    let kept = Selection::from(*root)
        .select("h1, h2, h3")
        .nodes()
        .iter()
        .any(|h| squeeze(&h.text()) == *text);
    if kept {
        return;
    }
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    root.prepend_html(format!(
        "<h{level} {LEVEL}=\"{level}\">{escaped}</h{level}>"
    ));
}

/// Text with its whitespace runs as single spaces, trimmed.
pub(crate) fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a heading reads as the title: each has more than 3/4 of the
/// other's words (by length, ignoring case), Readability's measure taken both
/// ways so that a site's name in a logo heading does not pass for the title.
pub(crate) fn similar(heading: &str, title: &str) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let (a, b) = (words(heading), words(title));
    let share = |x: &[String], y: &[String]| {
        let total: usize = y.iter().map(String::len).sum();
        let missing: usize = y.iter().filter(|w| !x.contains(w)).map(String::len).sum();
        total > 0 && missing * 4 < total
    };
    share(&a, &b) && share(&b, &a)
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
        code_block(pre);
    }
    for table in scope.select("table").nodes() {
        table_head(table);
    }
}

/// Makes a `<pre>` the one shape the converter fences exactly:
/// `<pre><code class="language-NAME">TEXT</code></pre>`. Highlighting spans
/// (and any other markup) inside go, their text stays byte for byte; the
/// language comes from the `<code>`, the `<pre>` or a wrapper up to two
/// levels out (`language-`, `lang-` or GitHub's `highlight-source-` class, or
/// a `lang` / `data-lang` attribute).
fn code_block(pre: &NodeRef<'_>) {
    let code = pre
        .element_children()
        .into_iter()
        .find(|child| child.has_name("code"));
    let named = |node: &NodeRef<'_>| {
        node.class()
            .and_then(|c| language(&c))
            .or_else(|| node.attr("lang").and_then(|l| valid(&l)))
            .or_else(|| node.attr("data-lang").and_then(|l| valid(&l)))
    };
    let language = code
        .as_ref()
        .and_then(named)
        .or_else(|| named(pre))
        .or_else(|| {
            pre.ancestors_it(Some(2))
                .filter(NodeRef::is_element)
                .find_map(|a| named(&a))
        });
    // <br> is a line break in a <pre>: keep it as one before taking the text
    for br in Selection::from(*pre).select("br").nodes() {
        br.replace_with_html("\n");
    }
    let text = pre.text();
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let class = language
        .map(|l| format!(" class=\"language-{l}\""))
        .unwrap_or_default();
    pre.set_html(format!("<code{class}>{escaped}</code>"));
}

/// Gives a table the header row the converter needs to write a GFM table
/// (without one it writes each cell as a paragraph): the first row becomes
/// the header when no cell holds block content (a layout table is left as
/// it is), and header cells further down (row headers) become ordinary
/// cells, which the converter would otherwise drop.
fn table_head(table: &NodeRef<'_>) {
    let scope = Selection::from(*table);
    if scope.select("table").exists() {
        // nested tables: a layout; the converter writes them as blocks
        return;
    }
    let rows = scope.select("tr");
    let Some(first) = rows.nodes().first().copied() else {
        return;
    };
    let first_cells = first.element_children();
    let headed = first_cells.iter().any(|c| c.has_name("th"));
    if !headed {
        let blocks = "p, div, ul, ol, pre, blockquote, h1, h2, h3, h4, h5, h6, figure";
        if rows.nodes().len() < 2 || first_cells.len() < 2 || scope.select(blocks).exists() {
            return;
        }
        for cell in first_cells.iter().filter(|c| c.has_name("td")) {
            cell.rename("th");
        }
    }
    for row in rows.nodes().iter().skip(1) {
        for cell in row.element_children().iter().filter(|c| c.has_name("th")) {
            cell.rename("td");
        }
    }
}

/// The language a class list names: `language-rust`, `lang-rust`,
/// `highlight-source-rust`.
pub(crate) fn language(classes: &str) -> Option<String> {
    classes.split_whitespace().find_map(|class| {
        let name = class
            .strip_prefix("language-")
            .or_else(|| class.strip_prefix("lang-"))
            .or_else(|| class.strip_prefix("highlight-source-"))?;
        valid(name)
    })
}

/// A language name as a fence's info string can carry it.
pub(crate) fn valid(name: &str) -> Option<String> {
    let name = name.trim();
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '_' | '#' | '.'));
    valid.then(|| name.to_ascii_lowercase())
}

/// The whole `<body>` of `html` as Markdown, with no main-content detection
/// (for comparing renderers: see `examples/md_diff.rs`).
#[doc(hidden)]
pub fn markdown_of_body(html: &str, base: &Url) -> String {
    markdown_of_body_timed(html, base).0
}

/// [`markdown_of_body`] and its time in ms: the parse, then the preparation
/// and conversion (htmd's own parse of the serialized tree included).
#[doc(hidden)]
pub fn markdown_of_body_timed(html: &str, base: &Url) -> (String, f64, f64) {
    let start = std::time::Instant::now();
    let document = Document::from(html);
    crate::depth::cap(&document);
    let parsed = start.elapsed().as_secs_f64() * 1e3;
    let start = std::time::Instant::now();
    let Some(root) = document.select_single("body").nodes().first().copied() else {
        return (String::new(), parsed, 0.0);
    };
    prepare(&root, base);
    let markdown = render(&root);
    (markdown, parsed, start.elapsed().as_secs_f64() * 1e3)
}

/// Stand-ins for characters htmd leaves as they are but CommonMark and GFM
/// read as syntax: `&` starting an entity reference (`&copy;` in the text
/// would render as ©) and `~` (GFM strikethrough). They are noncharacters,
/// which no page has in its text; after conversion each becomes the escaped
/// character.
pub(crate) const AMPERSAND: char = '\u{FDD0}';
pub(crate) const TILDE: char = '\u{FDD1}';

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
    let markdown = if markdown.contains([AMPERSAND, TILDE]) {
        markdown.replace(AMPERSAND, "\\&").replace(TILDE, "\\~")
    } else {
        markdown.to_owned()
    };
    escape_paren_items(&markdown)
}

/// Escapes `2) text` at the start of a line outside code blocks, which
/// CommonMark reads as an ordered list item and the converter leaves as it
/// is (it escapes `2. text`). The converter's own lists use `N.`, so such a
/// line is always the page's text.
pub(crate) fn escape_paren_items(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut fence: Option<(char, usize)> = None;
    for line in markdown.split_inclusive('\n') {
        let body = line.trim_start();
        let marker = body.chars().next().filter(|c| matches!(c, '`' | '~'));
        let run = marker.map_or(0, |m| body.chars().take_while(|&c| c == m).count());
        match (fence, marker) {
            (None, Some(m)) if run >= 3 => fence = Some((m, run)),
            (Some((m, n)), Some(c)) if c == m && run >= n && body[run..].trim().is_empty() => {
                fence = None;
            }
            _ => {}
        }
        let digits = body.chars().take_while(char::is_ascii_digit).count();
        let item = fence.is_none()
            && (1..=9).contains(&digits)
            && body[digits..].starts_with(')')
            && body[digits + 1..]
                .chars()
                .next()
                .is_none_or(char::is_whitespace);
        if item {
            let at = line.len() - body.len() + digits;
            out.push_str(&line[..at]);
            out.push('\\');
            out.push_str(&line[at..]);
        } else {
            out.push_str(line);
        }
    }
    out
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
pub(crate) fn starts_reference(rest: &str) -> bool {
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
    use super::{escape_paren_items, starts_reference};

    #[test]
    fn paren_items_are_escaped_outside_code() {
        let md = "2) first\n  10) second\n2)x\n```\n3) code\n```\n4)\n1. list";
        assert_eq!(
            escape_paren_items(md),
            "2\\) first\n  10\\) second\n2)x\n```\n3) code\n```\n4\\)\n1. list"
        );
    }

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
