//! The streaming Markdown renderer against the html5ever pipeline
//! (`extract_with_dom`, htmd): on the `<article>` of the integration suite's
//! page, each shape's Markdown equal byte for byte to that pipeline's
//! Markdown of the whole page (whose Readability keeps exactly that
//! article). The suite itself (`tests/suite/markdown.rs`) holds the
//! streaming pipeline, end to end, to the Markdown spec.

use url::Url;

use super::markdown::render;
use super::tree::{Tag, Tree};
use crate::{Rendering, extract_with_dom as extract_with};

/// The suite's page (`tests/suite/main.rs`).
fn page(article: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Test page</title></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/about">About</a></li></ul></nav>
<div class="sidebar"><h3>Popular</h3><ul><li><a href="/a">Another story</a></li><li><a href="/b">Yet another story</a></li></ul></div>
<main><article>
<p>The committee met on Tuesday to review the results of the survey, which
covered more than four thousand households across the region over the summer.</p>
{article}
<p>Members agreed to publish the full data set next month, once the remaining
questions about sampling have been answered by the statistics office.</p>
</article></main>
<footer><p>Copyright 2026 Example News. All rights reserved.</p></footer>
</body></html>"#
    )
}

fn base() -> Url {
    Url::parse("https://news.example/2026/survey/index.html").unwrap()
}

fn article_markdown(html: &str) -> String {
    let tree = Tree::parse(html);
    let article = tree
        .nodes
        .iter()
        .position(|n| n.tag == Tag::Article)
        .unwrap() as u32;
    render(&tree.nodes, &tree.source, &[article], &base())
}

/// A fragment rendered whole (no Readability).
fn md(html: &str) -> String {
    let tree = Tree::parse(html);
    render(&tree.nodes, &tree.source, &[0], &base())
}

#[test]
fn more_shapes_match_the_current_pipeline() {
    for article in [
        // the README's table: head cells padded to the widest cell
        "<table><thead><tr><th>Change</th><th>Lint</th></tr></thead>\
         <tr><td>unsafe blocks in unsafe fns</td><td><code>unsafe_op_in_unsafe_fn</code></td></tr>\
         <tr><td>never type fallback</td><td>none</td></tr></table>",
        // a layout table: nested table, cells with blocks
        "<table><tr><td><table><tr><td>a</td><td>b</td></tr></table></td><td><p>text</p></td></tr>\
         <tr><td>c</td><td>d</td></tr></table>",
        "<table><tr><td><p>one</p></td><td>two</td></tr><tr><td>three</td><td>four</td></tr></table>",
        // one-row and one-column tables, captions, ragged rows, empty cells
        "<table><tr><td>only</td><td>row</td></tr></table>",
        "<table><caption>Totals</caption><tr><th>A</th><th>B</th></tr><tr><td>1</td></tr>\
         <tr><td>2</td><td>3</td><td>4</td></tr><tr><td></td><td>x|y</td></tr></table>",
        "<table><thead><tr><th>H1</th><th>H2</th></tr><tr><th>second</th><th>head row</th></tr></thead>\
         <tbody><tr><td>a</td><td>b</td></tr></tbody><tfoot><tr><td>f</td><td>g</td></tr></tfoot></table>",
        // ordered lists: start, ten items, paragraphs in items
        "<ol start=\"9\"><li>nine</li><li>ten</li><li>eleven</li></ol>",
        "<ol><li>a</li><li>b</li><li>c</li><li>d</li><li>e</li><li>f</li><li>g</li><li>h</li>\
         <li>i</li><li>j</li></ol>",
        "<ul><li><p>first paragraph</p><p>second paragraph</p></li><li>plain <b>bold</b></li></ul>",
        "<ul><li>code in a list:<pre><code>let a = 1;\n    let b = 2;</code></pre></li></ul>",
        // quotes, rules, breaks
        "<blockquote><p>quoted</p><p>twice</p></blockquote><hr><p>line<br>break</p>",
        "<blockquote>a<blockquote>nested</blockquote></blockquote>",
        // inline code holding backticks, emphasis edge cases, combined siblings
        "<p>run <code>a`b</code> and <code>`tick`</code> and <code>a``b`c</code>.</p>",
        "<p><b>bold</b><b>again</b> <i>x</i><em>y</em> <strong> spaced </strong> <em></em>end</p>",
        "<p>sub<sub>2</sub> and sup<sup>3</sup>, <span>spans</span> and <small>small</small>.</p>",
        // pre: leading newline, br inside, empty, backtick runs, language sources
        "<pre>\nfirst line kept\n  indented</pre>",
        "<pre><code>line one<br>line two</code></pre>",
        "<pre></pre><pre><code></code></pre>",
        "<pre><code>````\nfour\n````</code></pre>",
        "<div lang=\"en\"><pre><code>x</code></pre></div>",
        "<pre data-lang=\"Shell\"><code>ls</code></pre><pre><code class=\"lang-c++\">int</code></pre>",
        "<div class=\"language-go\"><div><pre>go func</pre></div></div>",
        // links: titles, parentheses, fragments, mail, empty, javascript
        "<p><a href=\"/x(1)\" title=\"A &quot;title&quot;\">paren</a> <a href=\"#frag\">frag</a> \
         <a href=\"mailto:a@b.example\">mail</a> <a href=\"\">empty</a> <a>no href</a> \
         <a href=\"javascript:void(0)\">js</a>.</p>",
        "<p><img src=\"a b.png\" alt=\"spaced &quot;alt&quot;\" title=\"t\"> <img alt=\"no src\"></p>",
        // escaping
        "<p>= not a heading\n+ plus</p><p>10. ten</p><p>3) three</p><p>\\ backslash</p>\
         <p>a <b>x</b> &amp;amp; &amp;#169; ~ &lt;!-- not a comment --&gt; &lt; 3</p>",
        "<p>#hashtag and # heading-like</p><p>  - indented dash</p><p>1.5 million</p>",
        // (two <br>s in a row are Readability's to make a paragraph of)
        "<p>a<br>b</p><p>c <br> d</p>",
        "<dl><dt>term</dt><dd>definition</dd></dl>",
        "<h2> Spaced <em>heading</em> </h2>",
    ] {
        let html = page(article);
        let mine = article_markdown(&html);
        let reference = extract_with(&html, &base(), Rendering::Markdown).markdown;
        assert_eq!(mine, reference, "for {article}");
    }
}

/// Shapes Readability changes (a `<div>`'s loose text becomes a paragraph),
/// through the whole streaming pipeline.
#[test]
fn shapes_readability_changes_match_end_to_end() {
    for article in [
        "<div>text <p>para</p> tail <span> spaced </span> end</div>",
        "<p>before the paragraph<br></p><p>a line<br><p>next</p></p>",
        // an empty heading goes
        "<h2> Spaced <em>heading</em> </h2><h3></h3>",
        // empty paragraphs go; lazy images get their real address
        "<p>one</p><p>&nbsp;</p><p> </p><p>two</p>",
        "<p>Photos: <img class=\"lazyload\" src=\"/spinner.gif\" data-src=\"/real.jpg\" alt=\"real\"> \
         <img loading=\"lazy\" data-src=\"/late.png\" alt=\"late\"> \
         <img src=\"data:image/gif;base64,R0lGODlhAQABAAAAACw=\" data-original=\"/orig.webp\" alt=\"tiny\"> \
         <img src=\"/plain.png\" data-src=\"/other.png\" alt=\"plain\"></p>",
    ] {
        let html = page(article);
        let mine = super::extract_markdown_fast(&html, &base());
        let reference = extract_with(&html, &base(), Rendering::Markdown).markdown;
        assert_eq!(mine, reference, "for {article}");
    }
}

#[test]
fn a_whole_fragment_and_hostile_input() {
    assert_eq!(md("<h1>T</h1><p>x</p>"), "# T\n\nx");
    assert_eq!(md(""), "");
    let deep = format!(
        "{}text{}",
        "<ul><li>".repeat(3_000),
        "</li></ul>".repeat(3_000)
    );
    let tables = format!(
        "{}x{}",
        "<table><tr><td>".repeat(500),
        "</td></tr></table>".repeat(500)
    );
    let quotes = format!("{}q", "<blockquote>".repeat(2_000));
    for html in [
        "<",
        "<table><td>cell<p>para</table></td>",
        "<pre>",
        "<ol start=\"-5\"><li>x",
        "<ol start=\"99999999999999999999\"><li>x",
        "<a href=\"http://[::1\">bad url</a><img src=\"http://[\">",
        "\u{0}\u{feff}<p>\u{fffd}</p>",
        deep.as_str(),
        tables.as_str(),
        quotes.as_str(),
    ] {
        let _ = md(html);
    }
}
