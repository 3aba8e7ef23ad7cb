#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]
//! XPath field selectors (the `xpath` feature): Scrapy-style expressions on the testkit
//! books pages and the lab's documentation pages give what the equivalent CSS gives;
//! bad expressions are clear errors; no input makes selecting panic.

use ferrocrawl_extract::fields::{Document, MAX_DEPTH, Processor, Selector, apply};
use ferrocrawl_testkit::books;
use serde_json::{Value, json};
use url::Url;

fn doc(text: &str) -> Document {
    Document::new(text, &Url::parse("https://books.example/books/7").unwrap())
}

fn xpath(expr: &str, doc: &Document) -> Vec<String> {
    strings(Selector::xpath(expr).expect(expr).select(doc))
}

fn css(expr: &str, doc: &Document) -> Vec<String> {
    strings(Selector::css(expr).expect(expr).select(doc))
}

fn strings(values: Vec<Value>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// Whitespace collapsed and empty values dropped: text nodes as a reader sees them.
fn collapsed(values: Vec<String>) -> Vec<String> {
    values
        .iter()
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|v| !v.is_empty())
        .collect()
}

/// XPath and CSS must agree (after collapsing whitespace) and find something.
fn same(page: &Document, pairs: &[(&str, &str)]) {
    for (x, c) in pairs {
        let (got, want) = (collapsed(xpath(x, page)), collapsed(css(c, page)));
        assert!(!want.is_empty(), "{c} finds nothing");
        assert_eq!(got, want, "xpath {x} vs css {c}");
    }
}

/// The elements an XPath finds are the ones a CSS selector finds: as many, with the same
/// text first and last (skyscraper 0.7 drops repeated values from a path that ends in a
/// function step such as `/string()`, so a per-element comparison cannot use one).
fn same_elements(page: &Document, elements: &str, css_text: &str) {
    let want = css(css_text, page);
    assert!(!want.is_empty(), "{css_text} finds nothing");
    assert_eq!(
        xpath(&format!("count({elements})"), page),
        [want.len().to_string()],
        "{elements}"
    );
    for (at, text) in [("1", &want[0]), ("last()", &want[want.len() - 1])] {
        let first = xpath(&format!("normalize-space(({elements})[{at}])"), page);
        assert_eq!(first, std::slice::from_ref(text), "{elements} [{at}]");
    }
}

// ===== the books pages =====

#[test]
fn detail_page_scrapy_idioms() {
    let page = doc(&books::html_detail(7).unwrap());
    same(
        &page,
        &[
            ("//h1/text()", "h1::text"),
            (r#"//p[@class="price"]/text()"#, "p.price::text"),
            (
                r#"//tr[th="ISBN"]/td/text()"#,
                "table.info tr:first-child td::text",
            ),
            (
                r#"//table[@class="info"]//tr[2]/td[1]/text()"#,
                "table.info tr:nth-child(2) td::text",
            ),
            (r#"//ul[@class="authors"]/li/text()"#, "ul.authors li::text"),
            (
                r#"//p[contains(@class, "star-rating")]/@class"#,
                "p.star-rating::attr(class)",
            ),
            ("//img/@src", "img::attr(src)"),
            ("//title/text()", "title::text"),
        ],
    );
    // Functions give one string.
    assert_eq!(
        xpath(r#"normalize-space(//p[@class="price"])"#, &page),
        css("p.price::all-text", &page)
    );
    assert_eq!(xpath(r#"count(//ul[@class="authors"]/li)"#, &page), ["2"]);
    assert_eq!(xpath(r#"boolean(//p[@class="price"])"#, &page), ["true"]);
    assert_eq!(
        xpath(r#"substring-before(//title, " |")"#, &page),
        css("h1::all-text", &page)
    );
    // A field as a spider declares it.
    let price = Selector::xpath(r#"//p[@class="price"]/text()"#).unwrap();
    assert_eq!(
        apply(
            price.select(&page),
            &[Processor::First, Processor::ParseNumber],
            page.base_url()
        ),
        json!(45.29)
    );
}

#[test]
fn list_page_positions_and_pagination() {
    let page = doc(&books::html_list(1).unwrap());
    same(
        &page,
        &[
            (r#"//li[@class="next"]/a/@href"#, "li.next a::attr(href)"),
            (
                r#"//article[@class="book"]/h3/a/@title"#,
                "article.book h3 a::attr(title)",
            ),
            (
                r#"//article[3]//p[@class="price"]/text()"#,
                "article:nth-of-type(3) p.price::text",
            ),
            (
                "(//article)[last()]/h3/a/text()",
                "article:last-of-type h3 a::text",
            ),
            (
                r#"//a[starts-with(@href, "/books/")]/@href"#,
                r#"a[href^="/books/"]::attr(href)"#,
            ),
            (r#"//a[text()="next"]/@href"#, "li.next a::attr(href)"),
        ],
    );
    assert_eq!(xpath("count(//article)", &page), ["20"]);
    assert!(xpath("//article[21]", &page).is_empty());
}

#[test]
fn results_are_text_nodes_attributes_or_outer_html() {
    let page = doc("<ul class=x><li>\n  one </li><li>two<b>!</b></li></ul>");
    // Text nodes are raw, as in Scrapy, whitespace-only ones included.
    assert_eq!(xpath("//li/text()", &page), ["\n  one ", "two"]);
    assert_eq!(xpath("//li/text()[normalize-space()]", &page).len(), 2);
    assert_eq!(xpath("//ul/@class", &page), ["x"]);
    assert_eq!(xpath("//li[2]", &page), ["<li>two<b>!</b></li>"]);
    assert_eq!(xpath("//li[2]", &page), css("li:nth-child(2)", &page));
    assert_eq!(xpath("string(//li[2])", &page), ["two!"]);
    assert_eq!(xpath("count(//li) div 4", &page), ["0.5"]);
}

#[test]
fn tables_get_tbody_like_the_css_selectors() {
    // HTML5 tree construction puts `tr`s in an implied `tbody`; lxml (Scrapy) does not.
    let page = doc(&books::html_detail(7).unwrap());
    assert!(xpath("//table/tr", &page).is_empty());
    assert_eq!(xpath("count(//table/tbody/tr)", &page), ["3"]);
    assert_eq!(css("table > tbody > tr", &page).len(), 3);
}

// ===== the lab's documentation pages =====

/// A page of the lab's docs sites (Debian's `postgresql-doc-15` and `rust-doc`), or
/// `None` after saying the test is skipped.
fn lab_page(path: &str) -> Option<Document> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(Document::new(
            &text,
            &Url::parse("http://127.0.0.1:8080/x.html").unwrap(),
        )),
        Err(e) => {
            eprintln!("skipping: {path}: {e} (install postgresql-doc-15 and rust-doc)");
            None
        }
    }
}

#[test]
fn postgresql_docs_page() {
    // XHTML with an XML prolog and the XHTML namespace: `//h2` still matches.
    // `/string()` and `/normalize-space()` as a last step (XPath 2.0+) give each
    // element's text, as CSS `::text` does.
    let Some(page) = lab_page("/usr/share/doc/postgresql-doc-15/html/sql-select.html") else {
        return;
    };
    same(
        &page,
        &[
            ("//title/text()", "title::text"),
            (
                r#"//a[@accesskey="n"]/@href"#,
                r#"a[accesskey="n"]::attr(href)"#,
            ),
            (
                r#"//div[@class="navheader"]//a/@href"#,
                "div.navheader a::attr(href)",
            ),
            ("//h2/normalize-space()", "h2::all-text"),
            (
                r#"//div[@class="refnamediv"]/p/text()"#,
                "div.refnamediv > p::text",
            ),
            (
                r#"//td[a[@accesskey="u"]]/a/text()"#,
                r#"td > a[accesskey="u"]::text"#,
            ),
        ],
    );
    same_elements(
        &page,
        r#"//code[@class="literal"]"#,
        "code.literal::all-text",
    );
    assert_eq!(
        xpath(r#"count(//pre[@class="programlisting"])"#, &page),
        ["19"]
    );
}

#[test]
fn rust_docs_page() {
    let Some(page) = lab_page("/usr/share/doc/rust-doc/html/std/cmp/trait.Ord.html") else {
        return;
    };
    same(
        &page,
        &[
            ("//h1/normalize-space()", "h1::all-text"),
            (
                r#"//meta[@name="description"]/@content"#,
                r#"meta[name="description"]::attr(content)"#,
            ),
            (r#"//a[@class="srclink"]/@href"#, "a.srclink::attr(href)"),
        ],
    );
    same_elements(
        &page,
        r#"//h3[contains(@class, "code-header")]"#,
        "h3.code-header::all-text",
    );
    same_elements(
        &page,
        r#"//section[@id="main-content"]//code"#,
        "section#main-content code::all-text",
    );
    let word = r#"count(//div[contains(concat(" ", normalize-space(@class), " "), " docblock ")])"#;
    assert_eq!(
        xpath(word, &page),
        [css("div.docblock", &page).len().to_string()]
    );
}

// ===== bad expressions and bad input =====

#[test]
fn invalid_expressions_are_clear_errors() {
    let cases = [
        ("", "invalid XPath ``: the expression is empty"),
        ("  ", "the expression is empty"),
        (
            "//h1[",
            "invalid XPath `//h1[`: cannot parse from column 5 (`[`)",
        ),
        (r#"//a[@href"#, "column 4 (`[@href`)"),
        (r#"//p[@class="price]"#, "column 4"),
        ("normalize-space(//p", "column 16"),
        ("//h1/text(", "column 10"),
        ("]", "invalid XPath `]`: cannot parse the expression"),
    ];
    for (expr, expected) in cases {
        let err = Selector::xpath(expr).expect_err(expr);
        let message = err.to_string();
        assert!(
            message.contains(expected),
            "{message:?} should contain {expected:?}"
        );
        assert!(
            !message.contains('\n') && !message.contains("VerboseError"),
            "{message:?}"
        );
        assert!(err.is_xpath() && !err.is_css());
        assert_eq!(err.expression(), expr);
    }
    assert_eq!(Selector::xpath("//h1").unwrap().expression(), "//h1");
}

#[test]
fn evaluation_errors_and_odd_expressions_yield_nothing() {
    let page = doc(&books::html_detail(7).unwrap());
    for expr in [
        "string(//li)", // several nodes: a type error in XPath 3.1
        "unknown-fn(//a)",
        "//ns:h1",
        "$x",
        "1 div 0",
        "//h1 | 3",
        "(//a)[0]",
        "//comment()",
    ] {
        assert_eq!(xpath(expr, &page), Vec::<String>::new(), "{expr}");
    }
}

#[test]
fn malformed_html_never_panics() {
    let pages = [
        "",
        "not html at all",
        "<<<>>><p",
        "<div><p class=x>unclosed <b>bold",
        "</html></body><h1>",
        "\u{0}\u{feff}<h1>\u{fffd}</h1>",
        "<table><tr><td>a<table><td>b</table>",
        "<svg><title>t</title><p>x</svg>",
        "<a><p></a></p><template><li>x</template>",
    ];
    let exprs = [
        "//h1/text()",
        "//p[@class='x']",
        "//@*",
        "//text()",
        "count(//*)",
        "//node()[1]",
    ];
    for text in pages {
        let page = doc(text);
        for expr in exprs {
            let _ = xpath(expr, &page); // must not panic
        }
    }
    assert_eq!(
        collapsed(xpath("//p[@class='x']//text()", &doc(pages[3]))),
        ["unclosed", "bold"]
    );
}

#[test]
fn html5lib_corpus_never_panics() {
    let Some(path) = ferrocrawl_testkit::corpus("html_extraction/html5lib_dom_extraction.json")
    else {
        return;
    };
    let cases: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(cases.len() > 1000);
    let elements = Selector::xpath("count(//*)").unwrap();
    let texts = Selector::xpath("//text()").unwrap();
    for case in &cases {
        let page = doc(case["html"].as_str().unwrap());
        let _ = texts.select(&page);
        // Every case has at least html, head and body.
        let count: usize = strings(elements.select(&page))[0].parse().unwrap();
        assert!(count >= 3, "{}", case["id"]);
    }
}

#[test]
fn ten_thousand_nested_divs() {
    let text = "<div>".repeat(10_000) + "deep" + &"</div>".repeat(10_000);
    let page = doc(&text);
    // The trees stop at MAX_DEPTH elements, so the innermost text is not read.
    let depth: usize = xpath("count(//div)", &page)[0].parse().unwrap();
    assert!((MAX_DEPTH - 2..=MAX_DEPTH).contains(&depth), "{depth}");
    assert!(xpath("//div/text()", &page).is_empty());
    assert!(css("div::text", &page).is_empty());
    // Within the limit, the deepest text is found.
    let text = "<div>".repeat(1_000) + "deep" + &"</div>".repeat(1_000);
    assert_eq!(xpath("//div[not(div)]/text()", &doc(&text)), ["deep"]);
}

#[test]
fn selectors_can_be_shared_between_tasks() {
    fn shared<T: Send + Sync + Clone>() {}
    shared::<Selector>();
}
