//! Plain text of the cleaned content.

use dom_query::NodeRef;

/// The content's text: dom_query's block-aware rendering (blocks on their own
/// lines, `<pre>` kept as it is), with runs of blank lines cut to one and
/// trailing spaces dropped.
pub(crate) fn render(root: &NodeRef<'_>) -> String {
    let raw = root.formatted_text();
    let mut out = String::with_capacity(raw.len());
    let mut blank = 0;
    for line in raw.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}
