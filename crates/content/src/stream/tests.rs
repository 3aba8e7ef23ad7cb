use super::tree::{NONE, Tag, Tree};
use super::*;

/// The tree as `tag(child child…)`, text as `"…"`, for assertions.
fn shape(html: &str) -> String {
    let tree = Tree::parse(html);
    let mut out = String::new();
    walk(&tree, 0, &mut out);
    out
}

fn walk(tree: &Tree, n: u32, out: &mut String) {
    let node = &tree.nodes[n as usize];
    if node.tag == Tag::Text {
        out.push_str(&format!("{:?}", tree.source.text_of(node)));
        return;
    }
    out.push_str(if node.tag == Tag::Other {
        "?"
    } else {
        node.tag.name()
    });
    let mut c = node.first_child;
    if c == NONE {
        return;
    }
    out.push('(');
    let mut first = true;
    while c != NONE {
        if !first {
            out.push(' ');
        }
        first = false;
        walk(tree, c, out);
        c = tree.nodes[c as usize].next;
    }
    out.push(')');
}

fn url() -> Url {
    Url::parse("https://news.example/a").expect("a valid URL")
}

#[test]
fn implied_end_tags_and_void_elements() {
    assert_eq!(
        shape("<p>one<p>two<div>x</div>"),
        r#"#document(p("one") p("two") div("x"))"#
    );
    assert_eq!(
        shape("<ul><li>a<li>b<br>c</ul>"),
        r#"#document(ul(li("a") li("b" br "c")))"#
    );
    assert_eq!(
        shape("<table><tr><td>1<td>2<tr><td>3</table>"),
        r#"#document(table(tr(td("1") td("2")) tr(td("3"))))"#
    );
    assert_eq!(
        shape("<dl><dt>t<dd>d<dt>u</dl>"),
        r#"#document(dl(dt("t") dd("d") dt("u")))"#
    );
    assert_eq!(
        shape("<select><option>a<option>b</select>"),
        r#"#document(select(option("a") option("b")))"#
    );
}

#[test]
fn end_tags_pop_to_their_element_and_stray_ones_are_ignored() {
    assert_eq!(
        shape("<div><span><b>x</div>y</span></p>"),
        r#"#document(div(span(b("x"))) "y")"#
    );
    // `</div>` inside a cell does not close the div around the table
    assert_eq!(
        shape("<div><table><tr><td>a</div>b</td></tr></table>c</div>d"),
        r#"#document(div(table(tr(td("ab"))) "c") "d")"#
    );
}

#[test]
fn scripts_styles_and_the_title_make_no_text() {
    let tree = Tree::parse(
        "<html><head><title>T &amp; U</title><style>p{}</style></head>\
         <body><script>var a = '<p>x</p>';</script><noscript><p>n</p></noscript><p>a&nbsp;b</p></body></html>",
    );
    assert_eq!(tree.source.title, "T & U");
    assert_eq!(tree.source.text, "a\u{a0}b");
}

#[test]
fn kept_attributes() {
    let tree = Tree::parse(r#"<a class="x y" data-z=1 href="/p?a=1&amp;b=2" id=i>t</a>"#);
    let a = &tree.nodes[1];
    assert_eq!(a.tag, Tag::A);
    use super::tree::AttrName;
    assert_eq!(tree.source.attr(a, AttrName::Class), Some("x y"));
    assert_eq!(tree.source.attr(a, AttrName::Href), Some("/p?a=1&b=2"));
    assert_eq!(tree.source.attr(a, AttrName::Id), Some("i"));
    assert_eq!(tree.source.attr(a, AttrName::Src), None);
}

const ARTICLE: &str = r#"<!doctype html><html lang="en"><head><title>Survey results | Example News</title></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/about">About</a></li></ul></nav>
<div class="sidebar"><h3>Popular</h3><ul><li><a href="/a">Another story</a></li><li><a href="/b">Yet another story</a></li></ul></div>
<main><article>
<h1>Survey results</h1>
<p>The committee met on Tuesday to review the results of the survey, which
covered more than four thousand households across the region over the summer.</p>
<ul><li>Households with children, the largest group, answered first.</li>
<li>Retired households, a smaller group, answered last.</li></ul>
<table><tr><th>Region</th><th>Share</th></tr><tr><td>North</td><td>41 %</td></tr>
<tr><td>South</td><td>59 %</td></tr></table>
<p>Members agreed to publish the full data set next month, once the remaining
questions about sampling have been answered by the statistics office, and the
regional councils have had a chance to comment on the draft.</p>
</article></main>
<footer><p>Copyright 2026 Example News. All rights reserved.</p></footer>
</body></html>"#;

#[test]
fn the_article_is_kept_and_the_chrome_dropped() {
    let text = extract_text_fast(ARTICLE, &url());
    assert!(text.starts_with("The committee met"), "{text}");
    assert!(
        text.contains("Households with children, the largest group"),
        "{text}"
    );
    assert!(
        text.contains("Region Share\nNorth 41 %\nSouth 59 %"),
        "{text}"
    );
    assert!(text.contains("statistics office"), "{text}");
    for chrome in [
        "Home",
        "Popular",
        "Another story",
        "Copyright",
        "Survey results",
    ] {
        assert!(!text.contains(chrome), "{chrome} in {text}");
    }
}

#[test]
fn preformatted_text_keeps_its_whitespace() {
    let html = format!(
        "<article><p>{}</p><pre><code>fn main() {{\n    println!(\"hi\");\n}}</code></pre></article>",
        "Some words, with commas, long enough to be the article. ".repeat(12)
    );
    let text = extract_text_fast(&html, &url());
    assert!(
        text.contains("fn main() {\n    println!(\"hi\");\n}"),
        "{text}"
    );
}

#[test]
fn malformed_and_hostile_input_does_not_panic() {
    let deep = format!("{}text{}", "<div>".repeat(20_000), "</div>".repeat(20_000));
    let spans = format!("<p>{}x", "<span><b><a href=#>".repeat(5_000));
    let unclosed_svg = "<p>a<svg><title>t</title><p>after the svg</p>";
    let tables = "<table><tr><td>cell, with a comma, ".repeat(3_000);
    let lists = "<ul><li>item, with a comma, and more".repeat(3_000);
    let inserts = format!("<div>{}x</div>", "<ins><del><a>".repeat(3_000));
    let huge =
        "<div class=post><p>A paragraph, with commas, and <a href=/x>a link</a> in it.</p>\n"
            .repeat(30_000);
    let long_title = format!(
        "<title>{}</title>{}",
        "word ".repeat(200_000),
        "<h2>word word word</h2><p>text, text</p>".repeat(2_000)
    );
    for html in [
        "",
        "<",
        "</p></div></table>",
        "<table><td>cell<p>para</table></td>",
        "<!-- unclosed comment",
        "<script>never closed",
        "<div class=\"x",
        "\u{0}\u{feff}<p>\u{fffd}</p>",
        "<plaintext><p>raw",
        "<title>only a title",
        unclosed_svg,
        deep.as_str(),
        spans.as_str(),
        tables.as_str(),
        lists.as_str(),
        inserts.as_str(),
        huge.as_str(),
        long_title.as_str(),
    ] {
        let _ = extract_text_fast(html, &url());
    }
    let text = extract_text_fast(&deep, &url());
    assert_eq!(text, "text");
    assert!(extract_text_fast(unclosed_svg, &url()).contains("after the svg"));
}

#[test]
fn random_tag_soup_does_not_panic() {
    // A fixed-seed generator over fragments that exercise the tree rules.
    const PARTS: &[&str] = &[
        "<p>",
        "</p>",
        "<div class=content>",
        "</div>",
        "<li>",
        "<ul>",
        "</ul>",
        "<table>",
        "<tr>",
        "<td>",
        "</td>",
        "</table>",
        "<a href=#x>",
        "</a>",
        "<b>",
        "</b>",
        "<br>",
        "<br><br>",
        "<svg>",
        "</svg>",
        "<math>",
        "<script>",
        "</script>",
        "<style>",
        "<title>",
        "</title>",
        "<h1>",
        "<h2 class=title>",
        "</h2>",
        "<pre>",
        "</pre>",
        "<section id=comments>",
        "</section>",
        "<nav>",
        "</nav>",
        "<figure>",
        "<select>",
        "<option>",
        "<dl><dt>",
        "<dd>",
        "<template>",
        "<noscript>",
        "</noscript>",
        "<!--",
        "-->",
        "<textarea>",
        "<div hidden>",
        "<span style='display:none'>",
        "&amp;",
        "&nbsp;",
        "Some words, with commas, in a sentence. ",
        "é中文 ",
        "\u{0}",
        "<",
        ">",
        "\"",
        "'",
        "<p class=share>",
        "<aside>",
        "<ins>",
        "<del>",
        "<plaintext>",
        "<frameset>",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    for _ in 0..2_000 {
        let len = next() % 200;
        let html: String = (0..len).map(|_| PARTS[next() % PARTS.len()]).collect();
        let _ = extract_text_fast(&html, &url());
    }
}
