//! The streaming Markdown renderer held to the integration suite's Markdown
//! spec (`tests/suite/markdown.rs`): every case there, the same inputs and
//! the same assertions, on the `<article>` of the suite's page; and each
//! output equal, byte for byte, to the current pipeline's Markdown of the
//! whole page (whose Readability keeps exactly that article).

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

struct Content {
    markdown: String,
    text: String,
}

/// The `<article>` of [`page`]`(article)` rendered by the streaming
/// renderer, checked equal to the current pipeline's Markdown; the text is
/// the streaming extractor's.
fn content(article: &str) -> Content {
    let html = page(article);
    let markdown = article_markdown(&html);
    let reference = extract_with(&html, &base(), Rendering::Markdown).markdown;
    assert_eq!(markdown, reference, "the two renderers differ");
    Content {
        markdown,
        text: super::extract_text_fast(&html, &base()),
    }
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
fn headings_keep_their_levels() {
    let md = content(
        "<h1>Survey results</h1><p>Turnout was high in every district we visited.</p>\
         <h2>Method</h2><p>Households were chosen at random from the register.</p>\
         <h3>Sampling</h3><p>Each district contributed in proportion to its size.</p>\
         <h4>Weights</h4><p>Weights were trimmed at the 99th percentile.</p>",
    )
    .markdown;
    for heading in [
        "# Survey results",
        "## Method",
        "### Sampling",
        "#### Weights",
    ] {
        assert!(
            md.lines().any(|line| line == heading),
            "no line `{heading}` in:\n{md}"
        );
    }
}

#[test]
fn nested_lists_keep_their_nesting() {
    let md = content(
        "<p>The questions covered three areas:</p>\
         <ul><li>Housing<ul><li>rent</li><li>ownership<ol><li>mortgage</li><li>outright</li></ol></li></ul></li>\
         <li>Work</li><li>Health</li></ul>",
    )
    .markdown;
    let lines: Vec<&str> = md.lines().collect();
    let at = |text: &str| {
        lines
            .iter()
            .find(|l| l.trim_start().ends_with(text))
            .unwrap_or_else(|| panic!("no item `{text}` in:\n{md}"))
    };
    let indent = |line: &str| line.len() - line.trim_start().len();
    assert!(at("Housing").trim_start().starts_with("- "));
    assert!(indent(at("rent")) > indent(at("Housing")));
    assert!(at("rent").trim_start().starts_with("- "));
    assert!(indent(at("mortgage")) > indent(at("ownership")));
    assert!(at("mortgage").trim_start().starts_with("1. "));
    assert!(at("outright").trim_start().starts_with("2. "));
    assert_eq!(indent(at("Work")), indent(at("Housing")));
}

#[test]
fn tables_become_gfm_tables_without_dropping_cell_text() {
    let md = content(
        "<p>The results by district are in the table below.</p>\
         <table><thead><tr><th>District</th><th>Households</th><th>Turnout</th></tr></thead>\
         <tbody><tr><td>North</td><td>1,204</td><td>71%</td></tr>\
         <tr><td>South <b>(new)</b></td><td><p>988</p><p>revised</p></td><td>a | b</td></tr>\
         <tr><td colspan=\"3\">Totals are given in the appendix.</td></tr></tbody></table>",
    )
    .markdown;
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    assert!(rows.len() >= 5, "not a GFM table:\n{md}");
    assert!(rows[0].contains("District") && rows[0].contains("Turnout"));
    assert!(
        rows[1].replace(['|', '-', ':', ' '], "").is_empty(),
        "no delimiter row:\n{md}"
    );
    for text in [
        "North",
        "1,204",
        "71%",
        "South",
        "(new)",
        "988",
        "revised",
        "Totals are given in the appendix.",
    ] {
        assert!(
            rows.iter().any(|r| r.contains(text)),
            "cell text `{text}` dropped:\n{md}"
        );
    }
    // a pipe inside a cell must not split it
    let south = rows.iter().find(|r| r.contains("South")).unwrap();
    assert!(
        south.contains(r"a \| b") || south.contains("a &#124; b"),
        "{south}"
    );
}

#[test]
fn code_blocks_are_fenced_with_their_language_and_exact_whitespace() {
    let code = "fn main() {\n    let x = 1;\n\n\tif x > 0 {\n        println!(\"{x} <ok> & *done*\");\n    }\n}";
    let escaped = code
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let md = content(&format!(
        "<p>The program is short:</p><pre><code class=\"language-rust\">{escaped}</code></pre>\
         <p>And the shell session:</p><pre class=\"lang-sh\">$ cargo run\n  ok</pre>"
    ))
    .markdown;
    assert!(md.contains(&format!("```rust\n{code}\n```")), "{md}");
    assert!(md.contains("```sh\n$ cargo run\n  ok\n```"), "{md}");
}

#[test]
fn links_and_images_are_absolute() {
    let md = content(
        "<p>See the <a href=\"../methods.html\">methods note</a> and the \
         <a href=\"/data/2026.csv\">raw data</a>, or <a href=\"https://other.example/x\">elsewhere</a>.</p>\
         <p><img src=\"chart.png\" alt=\"Turnout chart\"> The chart shows turnout by district.</p>",
    )
    .markdown;
    assert!(
        md.contains("[methods note](https://news.example/2026/methods.html)"),
        "{md}"
    );
    assert!(
        md.contains("[raw data](https://news.example/data/2026.csv)"),
        "{md}"
    );
    assert!(md.contains("[elsewhere](https://other.example/x)"), "{md}");
    assert!(
        md.contains("![Turnout chart](https://news.example/2026/survey/chart.png)"),
        "{md}"
    );
}

#[test]
fn text_that_looks_like_markdown_is_escaped() {
    let c = content(
        "<p>*not emphasis* and _not either_ and [not a link](x) and `not code`.</p>\
         <p># not a heading</p><p>1. not a list item</p><p>- not a bullet</p><p>&gt; not a quote</p>\
         <p>&lt;b&gt;not bold&lt;/b&gt; and &amp;copy; not a symbol and ~~not struck~~, \
         but AT&amp;T as it is.</p><pre><code>a &amp;copy; ~~b~~ *c*</code></pre>",
    );
    let md = &c.markdown;
    for literal in [
        r"\*not emphasis\*",
        r"\_not either\_",
        r"\[not a link\]",
        r"\`not code\`",
        r"\<b>not bold\</b>",
        r"\&copy; not a symbol",
        r"\~\~not struck\~\~",
        "AT&T as it is",
    ] {
        assert!(md.contains(literal), "`{literal}` not escaped in:\n{md}");
    }
    for line in [
        "# not a heading",
        "1. not a list item",
        "- not a bullet",
        "> not a quote",
    ] {
        assert!(
            !md.lines().any(|l| l == line),
            "`{line}` left unescaped in:\n{md}"
        );
    }
    // code is literal: nothing escaped in it
    assert!(md.contains("a &copy; ~~b~~ *c*"), "{md}");
    // and the plain text has no escapes at all
    assert!(
        c.text.contains("&copy; not a symbol and ~~not struck~~"),
        "{}",
        c.text
    );
}

#[test]
fn emphasis_and_paragraphs_survive() {
    let c = content("<p>Turnout was <strong>71%</strong> in the <em>north</em>.</p>");
    assert!(c.markdown.contains("**71%**"), "{}", c.markdown);
    assert!(
        c.markdown.contains("*north*") || c.markdown.contains("_north_"),
        "{}",
        c.markdown
    );
    assert!(
        c.text.contains("Turnout was 71% in the north."),
        "{}",
        c.text
    );
}

#[test]
fn boilerplate_is_left_out_of_text_and_markdown() {
    let c = content("<p>Turnout rose in every district compared with the last survey.</p>");
    for noise in ["Home", "Another story", "Copyright", "Popular"] {
        assert!(!c.text.contains(noise), "`{noise}` in text:\n{}", c.text);
        assert!(
            !c.markdown.contains(noise),
            "`{noise}` in markdown:\n{}",
            c.markdown
        );
    }
    assert!(c.text.contains("Turnout rose in every district"));
    assert!(c.text.contains("statistics office"));
}

#[test]
fn every_heading_level_survives_beside_the_title() {
    let md = content(
        "<h1>What the survey found</h1><p>Turnout was high in every district we visited.</p>\
         <h5>Footnote level five</h5><p>Households were chosen at random from the register.</p>\
         <h6>Footnote level six</h6><p>Each district contributed in proportion to its size.</p>",
    )
    .markdown;
    for heading in [
        "# What the survey found",
        "##### Footnote level five",
        "###### Footnote level six",
    ] {
        assert!(
            md.lines().any(|line| line == heading),
            "no line `{heading}` in:\n{md}"
        );
    }
}

#[test]
fn code_language_from_github_and_pygments_wrappers() {
    let md = content(
        "<p>GitHub wraps a highlighted block in a div:</p>\
         <div class=\"highlight highlight-source-rust notranslate\"><pre>\
         <span class=\"pl-k\">let</span> x = <span class=\"pl-c1\">1</span>;\n    \
         <span class=\"pl-en\">run</span>(x);</pre></div>\
         <p>and its comments put the language on the pre:</p>\
         <pre lang=\"python\"><code>def f():\n    return 1</code></pre>\
         <p>while Pygments leaves an empty span first:</p>\
         <div class=\"highlight\"><pre><span></span><span class=\"k\">echo</span> hi\n\tdone</pre></div>",
    )
    .markdown;
    assert!(md.contains("```rust\nlet x = 1;\n    run(x);\n```"), "{md}");
    assert!(
        md.contains("```python\ndef f():\n    return 1\n```"),
        "{md}"
    );
    assert!(md.contains("```\necho hi\n\tdone\n```"), "{md}");
}

#[test]
fn highlighted_code_keeps_its_whitespace_exactly() {
    let md = content(
        "<p>The loop, highlighted span by span:</p>\
         <pre><code class=\"language-rust\"><span class=\"kw\">for</span> i <span class=\"kw\">in</span> 0..3 {\n\
         \x20       <span class=\"mac\">println!</span>(<span class=\"s\">\"{i}  two  spaces\"</span>);\n\
         \n\
         \x20   }\n\
         </code></pre>",
    )
    .markdown;
    let expected =
        "```rust\nfor i in 0..3 {\n        println!(\"{i}  two  spaces\");\n\n    }\n```";
    assert!(md.contains(expected), "{md}");
}

#[test]
fn code_holding_a_fence_gets_a_longer_fence() {
    let md = content(
        "<p>How to write a fenced block in Markdown:</p>\
         <pre><code class=\"language-markdown\">```rust\nfn main() {}\n```</code></pre>",
    )
    .markdown;
    assert!(
        md.contains("````markdown\n```rust\nfn main() {}\n```\n````"),
        "{md}"
    );
}

#[test]
fn a_table_without_a_head_keeps_every_cell() {
    let md = content(
        "<p>The districts, as the office lists them:</p>\
         <table><tr><td>North</td><td><a href=\"/north\">report</a></td><td><code>n_1</code></td></tr>\
         <tr><td>South</td><td>no report</td><td><code>s_2</code></td></tr></table>",
    )
    .markdown;
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    assert!(rows.len() >= 3, "not a GFM table:\n{md}");
    for text in [
        "North",
        "[report](https://news.example/north)",
        "`n_1`",
        "South",
        "no report",
        "`s_2`",
    ] {
        assert!(
            rows.iter().any(|r| r.contains(text)),
            "cell text `{text}` dropped:\n{md}"
        );
    }
}

#[test]
fn linked_images_and_protocol_relative_urls_are_absolute() {
    let md = content(
        "<p>The map links to the full-size version: \
         <a href=\"maps/full.png\"><img src=\"//cdn.news.example/maps/small.png\" alt=\"Map\"></a> \
         and the <a href=\"?page=2\">next page</a> continues the list.</p>",
    )
    .markdown;
    assert!(
        md.contains(
            "[![Map](https://cdn.news.example/maps/small.png)](https://news.example/2026/survey/maps/full.png)"
        ),
        "{md}"
    );
    assert!(
        md.contains("[next page](https://news.example/2026/survey/index.html?page=2)"),
        "{md}"
    );
}

#[test]
fn more_text_that_looks_like_markdown_is_escaped() {
    let md = content(
        "<p>+ not a bullet</p><p>* not a bullet either</p><p>2) not a list item</p>\
         <p>[x](y) is not a link, nor is ![x](y) an image.</p>",
    )
    .markdown;
    for line in [
        "+ not a bullet",
        "* not a bullet either",
        "2) not a list item",
    ] {
        assert!(
            !md.lines().any(|l| l == line),
            "`{line}` left unescaped in:\n{md}"
        );
    }
    assert!(!md.contains("[x](y)"), "{md}");
    assert!(md.contains(r"\[x\](y)"), "{md}");
}

#[test]
fn row_headers_are_kept_as_cells() {
    let md = content(
        "<p>Turnout by district, as a table with row headers:</p>\
         <table><thead><tr><th>District</th><th>Turnout</th></tr></thead>\
         <tbody><tr><th scope=\"row\">North</th><td>71%</td></tr>\
         <tr><th scope=\"row\">South</th><td>64%</td></tr></tbody></table>",
    )
    .markdown;
    let rows: Vec<&str> = md.lines().filter(|l| l.starts_with('|')).collect();
    assert_eq!(rows.len(), 4, "{md}");
    assert!(rows[2].contains("North") && rows[2].contains("71%"), "{md}");
    assert!(rows[3].contains("South") && rows[3].contains("64%"), "{md}");
}

/// More shapes, each only checked equal to the current pipeline's Markdown
/// (the expectation is htmd's own).
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
