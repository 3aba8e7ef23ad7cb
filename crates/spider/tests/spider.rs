#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]
//! Spider files: what compiles, what each mistake says, and what a compiled
//! spider extracts from the test server's books.

use std::collections::BTreeMap;

use ferrocrawl_engine::Event;
use ferrocrawl_spider::{SinkKind, Spider, SpiderError, starter};
use ferrocrawl_testkit::{TestServer, books};
use serde_json::Value;

fn books_toml() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/books.toml");
    std::fs::read_to_string(path).unwrap()
}

fn err(text: &str) -> SpiderError {
    match Spider::parse("t.toml", text) {
        Ok(s) => panic!("expected an error, compiled {s:?}"),
        Err(e) => e,
    }
}

#[test]
fn the_books_example_compiles_to_every_list_page() {
    let spider = Spider::parse("examples/books.toml", &books_toml()).unwrap();
    assert_eq!(spider.name(), "books");
    let starts = spider.start_requests();
    assert_eq!(starts.len(), 556, "offsets 0, 18, ... 9990");
    assert!(starts[0].url.as_str().ends_with("offset=0"));
    assert!(starts[555].url.as_str().ends_with("offset=9990"));
    assert!(starts.iter().all(|r| r.label.as_deref() == Some("list")));
    assert_eq!(spider.settings().concurrency, 64);
    let outputs = spider.outputs();
    assert_eq!(outputs.len(), 1, "only `book` emits items");
    assert_eq!(outputs[0].rule, "book");
    assert_eq!(outputs[0].key.as_deref(), Some("id"));
    let sink = spider.sinks_of(&outputs[0]).first().unwrap();
    assert_eq!(
        (sink.kind, sink.to.as_str()),
        (SinkKind::Sqlite, "books.db")
    );
}

#[test]
fn the_starter_compiles() {
    let spider = Spider::parse("shop.toml", &starter("shop")).unwrap();
    assert_eq!(spider.name(), "shop");
    assert_eq!(spider.start_requests().len(), 3);
    assert_eq!(spider.rule_names().collect::<Vec<_>>(), ["list", "book"]);
}

#[test]
fn sink_override_keeps_table_and_key() {
    let mut spider = Spider::parse("b.toml", &books_toml()).unwrap();
    spider
        .override_sink("postgres://u:secret@127.0.0.1/db")
        .unwrap();
    let sink = spider.sinks_of(&spider.outputs()[0]).first().unwrap();
    assert_eq!(sink.kind, SinkKind::Postgres);
    assert_eq!(sink.table.as_deref(), Some("books"));
    assert!(!sink.to_string().contains("secret"), "{sink}");
    assert!(spider.override_sink("out.parquet").is_err());
}

/// Each kind of mistake: the line and column it is reported at, and words
/// the message must contain.
#[test]
fn every_kind_of_mistake_is_placed_and_explained() {
    let rule = "[rules.p]\nfields.t = \"h1\"\n";
    // (what, file text, (line, column), words the message must contain)
    type Case = (
        &'static str,
        String,
        (usize, usize),
        &'static [&'static str],
    );
    let cases: Vec<Case> = vec![
        (
            "TOML syntax",
            "start = [\"http://a/\"\n".to_owned(),
            (1, 21),
            &["expected"],
        ),
        (
            "misspelt top-level key",
            format!("nmae = \"x\"\nstart = [\"http://a/\"]\n{rule}"),
            (1, 1),
            &["unknown field `nmae`", "expected one of"],
        ),
        (
            "misspelt rule key",
            "start = [{ url = \"http://a/\", label = \"p\" }]\n[rules.p]\nfeilds.t = \"h1\"\n"
                .to_owned(),
            (3, 1),
            &["unknown field `feilds`"],
        ),
        (
            "wrong type",
            format!("start = [\"http://a/\"]\n[settings]\nconcurrency = \"ten\"\n{rule}"),
            (3, 15),
            &["takes a whole number", "\"ten\""],
        ),
        (
            "invalid CSS",
            "start = [{ url = \"http://a/\", label = \"p\" }]\n[rules.p]\nfields.t = { css = \"h1[\" }\n"
                .to_owned(),
            (3, 20),
            &["CSS", "h1["],
        ),
        (
            "invalid JSONPath",
            "start = [{ url = \"http://a/\", label = \"p\" }]\n[rules.p]\nfields.t = \"$.[\"\n"
                .to_owned(),
            (3, 12),
            &["JSONPath"],
        ),
        (
            "invalid regex pattern",
            "start = [\"http://a/\"]\n[rules.p]\npattern = \"(\"\nfields.t = \"h1\"\n".to_owned(),
            (3, 11),
            &["invalid regex"],
        ),
        (
            "unknown label",
            "start = [{ url = \"http://a/\", label = \"lst\" }]\n[rules.list]\nfields.t = \"h1\"\n"
                .to_owned(),
            (1, 39),
            &["no rule is labelled `lst`", "`list`"],
        ),
        (
            "start URL without a rule",
            format!("start = [\"http://a/\"]\n{rule}"),
            (1, 10),
            &["no `label`", "matches no rule"],
        ),
        (
            "undefined template variable",
            format!("[[start]]\nurl = \"http://a/?p={{page}}\"\nlabel = \"p\"\n{rule}"),
            (2, 7),
            &["`{page}`", "vars.page"],
        ),
        (
            "unused variable",
            format!("[[start]]\nurl = \"http://a/\"\nlabel = \"p\"\nvars.page = [1, 2]\n{rule}"),
            (4, 6),
            &["not used"],
        ),
        (
            "backwards range",
            format!(
                "[[start]]\nurl = \"http://a/?p={{p}}\"\nlabel = \"p\"\nvars.p = {{ from = 5, to = 1 }}\n{rule}"
            ),
            (4, 10),
            &["step"],
        ),
        (
            "unknown processor",
            "start = [{ url = \"http://a/\", label = \"p\" }]\n[rules.p]\nfields.t = { css = \"h1\", process = [\"trim\", \"lower\"] }\n"
                .to_owned(),
            (3, 45),
            &["unknown processor `lower`", "trim"],
        ),
        (
            "two expressions in one field",
            "start = [{ url = \"http://a/\", label = \"p\" }]\n[rules.p]\nfields.t = { css = \"h1\", jsonpath = \"$.t\" }\n"
                .to_owned(),
            (3, 37),
            &["more than one expression"],
        ),
        (
            "bad duration",
            format!("start = [{{ url = \"http://a/\", label = \"p\" }}]\n[settings]\ndelay = \"soon\"\n{rule}"),
            (3, 9),
            &["not a duration", "500ms"],
        ),
        (
            "a delay past a day",
            format!("start = [{{ url = \"http://a/\", label = \"p\" }}]\n[settings]\ndelay = \"30days\"\n{rule}"),
            (3, 9),
            &["longer than the maximum of 1 day", "24h"],
        ),
        (
            "unknown sink kind",
            format!("start = [{{ url = \"http://a/\", label = \"p\" }}]\n[sink]\nto = \"out.parquet\"\n{rule}"),
            (3, 6),
            &["kind of sink", ".jsonl"],
        ),
        (
            "follow to an unknown rule",
            "start = [{ url = \"http://a/\", label = \"p\" }]\n[rules.p]\nfollow = [{ css = \"a::attr(href)\", label = \"q\" }]\n"
                .to_owned(),
            (3, 44),
            &["no rule is labelled `q`"],
        ),
        (
            "a rule that does nothing",
            "start = [{ url = \"http://a/\", label = \"p\" }]\n[rules.p]\nkey = \"id\"\n".to_owned(),
            (2, 8),
            &["does nothing"],
        ),
        (
            "non-http start URL",
            "start = [{ url = \"ftp://a/\", label = \"p\" }]\n[rules.p]\nfields.t = \"h1\"\n"
                .to_owned(),
            (1, 18),
            &["only http and https"],
        ),
        (
            "invalid start URL",
            "start = [{ url = \"http://exa mple/\", label = \"p\" }]\n[rules.p]\nfields.t = \"h1\"\n"
                .to_owned(),
            (1, 18),
            &["not a valid absolute URL"],
        ),
        (
            "start as a plain string",
            format!("start = \"http://a/\"\n{rule}"),
            (1, 9),
            &["start = [\"http://a/\"]"],
        ),
    ];
    let mut failures = Vec::new();
    for (what, text, (line, col), words) in &cases {
        let e = err(text);
        let shown = e.to_string();
        // The mistake at that place (a case may hold others), in its words.
        let found = e
            .mistakes()
            .iter()
            .find(|m| (m.line(), m.column()) == (*line, *col));
        let worded = found.is_some_and(|m| {
            let shown = m.to_string();
            words.iter().all(|w| shown.contains(w))
        });
        if !worded {
            failures.push(format!(
                "{what}: expected {line}:{col} with {words:?}, got:\n{shown}"
            ));
        }
        assert!(shown.starts_with("t.toml:"), "{what}: {shown}");
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn whole_file_mistakes() {
    let e = err("[rules.p]\nfields.t = \"h1\"\n");
    assert!(e.to_string().contains("no start URLs"), "{e}");
    let e = err("start = [\"http://a/\"]\n");
    assert!(e.to_string().contains("no rules"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.toml");
    let e = Spider::from_file(&missing).unwrap_err();
    assert!(e.to_string().contains("cannot read"), "{e}");
    let binary = dir.path().join("bin.toml");
    std::fs::write(&binary, b"name = \"\xff\xfe\"\n").unwrap();
    let e = Spider::from_file(&binary).unwrap_err();
    assert!(e.to_string().contains("UTF-8"), "{e}");
}

#[test]
fn the_caret_points_at_the_mistake() {
    let e = err(
        "start = [{ url = \"http://a/\", label = \"p\" }]\n[rules.p]\nfields.t = { css = \"h1[\" }\n",
    );
    let shown = e.to_string();
    let lines: Vec<&str> = shown.lines().collect();
    assert_eq!(lines[2], "3 | fields.t = { css = \"h1[\" }", "{shown}");
    assert_eq!(lines[3], "  |                    ^^^^^", "{shown}");
}

async fn crawl(spider: &Spider) -> (Vec<(Option<String>, Value)>, u64) {
    let crawler = spider.crawler().build().await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(1024);
    let run = tokio::spawn(crawler.run(tx));
    let mut items = Vec::new();
    while let Some(e) = rx.recv().await {
        match e {
            Event::Item { label, item, .. } => items.push((label, item)),
            Event::Page(p) => eprintln!("{} {:?} {:?}", p.url, p.status, p.error),
            Event::Dropped { url, reason } => eprintln!("dropped {url}: {reason}"),
        }
    }
    let summary = run.await.unwrap().unwrap();
    (items, summary.failed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_variant_yields_every_detail_record() {
    let server = TestServer::start().await.unwrap();
    let text = books_toml()
        .replace(
            "http://127.0.0.1:8090",
            &format!("http://{}", server.addr()),
        )
        .replace("to = 9990", "to = 90");
    let spider = Spider::parse("books.toml", &text).unwrap();
    let (items, failed) = crawl(&spider).await;
    assert_eq!(failed, 0);
    assert_eq!(items.len(), 108, "6 list pages of 18 books");
    let by_id: BTreeMap<u64, Value> = items
        .into_iter()
        .map(|(label, item)| {
            assert_eq!(label.as_deref(), Some("book"));
            (item["id"].as_u64().unwrap(), item)
        })
        .collect();
    assert_eq!(by_id.len(), 108);
    for (id, item) in by_id {
        assert_eq!(item, books::detail(id), "book {id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_variant_extracts_fields() {
    let server = TestServer::start().await.unwrap();
    let text = starter("shop")
        .replace(
            "http://127.0.0.1:8090",
            &format!("http://{}", server.addr()),
        )
        .replace("to = 3", "to = 2");
    let spider = Spider::parse("shop.toml", &text).unwrap();
    let (items, failed) = crawl(&spider).await;
    assert_eq!(failed, 0);
    assert_eq!(items.len(), 40, "2 list pages of 20 books");
    for (_, item) in items {
        let url = item["url"].as_str().unwrap();
        let id: u64 = url.rsplit('/').next().unwrap().parse().unwrap();
        let want = books::detail(id);
        assert_eq!(item["title"], want["name"], "{url}");
        assert_eq!(item["price"], want["price"], "{url}");
        assert_eq!(item["authors"], want["authors"], "{url}");
        assert_eq!(item["isbn"], want["isbn"], "{url}");
        let tags: Vec<&str> = want["tags"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.as_str().unwrap())
            .collect();
        assert_eq!(item["tags"], Value::from(tags.join(", ")), "{url}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn items_scopes_follow_patterns_and_pagination() {
    let server = TestServer::start().await.unwrap();
    // The list pages alone: one item per book, fields selected within each
    // <article>; pagination by a `next` link whose rule is chosen by pattern.
    let base = format!("http://{}", server.addr());
    let text = format!(
        r#"
start = ["{base}/books/?page=498"]
[rules.list]
pattern = "/books/\\?page="
items = {{ css = "article.book" }}
fields.title = "h3 a::text"
fields.link = {{ css = "h3 a::attr(href)", process = ["absolute_url"] }}
fields.price = {{ css = "p.price::text", process = ["number"] }}
follow = [{{ css = "li.next a::attr(href)" }}]
"#,
    );
    let spider = Spider::parse("list.toml", &text).unwrap();
    let (items, failed) = crawl(&spider).await;
    assert_eq!(failed, 0);
    assert_eq!(items.len(), 60, "pages 498, 499 and 500");
    let mut ids: Vec<u64> = items
        .iter()
        .map(|(_, item)| {
            let link = item["link"].as_str().unwrap();
            assert!(link.starts_with(&server.url("/books/")), "{link}");
            let id: u64 = link.rsplit('/').next().unwrap().parse().unwrap();
            assert_eq!(item["title"], books::detail(id)["name"]);
            assert_eq!(item["price"], books::detail(id)["price"]);
            id
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (9941..=10_000).collect::<Vec<_>>());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allow_domains_add_to_the_scope() {
    // `localhost` is the start URL's address by another name: followed once
    // allowed, on top of the start host; 127.0.0.2 stays out of scope.
    let server = TestServer::start().await.unwrap();
    let other = TestServer::bind("127.0.0.2:0".parse().unwrap())
        .await
        .unwrap();
    let by_name = format!("http://localhost:{}/by-name", server.addr().port());
    let start = format!(
        "{}?to={by_name}&to={}",
        server.url("/links"),
        other.url("/")
    );
    let text = format!(
        r#"
start = ["{start}"]
[settings]
obey_robots = false
allow_domains = ["localhost"]
[rules.page]
pattern = "."
follow = [{{ css = "a::attr(href)" }}]
"#,
    );
    let spider = Spider::parse("scope.toml", &text).unwrap();
    crawl(&spider).await;
    assert_eq!(server.stats().hits("/links"), 1);
    assert_eq!(server.stats().hits("/by-name"), 1, "the allowed domain");
    assert_eq!(other.stats().requests(), 0, "out of scope");
}

#[cfg(feature = "xpath")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xpath_fields_match_their_css_twins() {
    let server = TestServer::start().await.unwrap();
    let base = format!("http://{}", server.addr());
    let text = format!(
        r#"
start = [{{ url = "{base}/books/7", label = "book" }}]
[rules.book]
fields.css_title = "h1::text"
fields.xpath_title = {{ xpath = "//h1/text()" }}
fields.css_isbn = "table.info tr:nth-child(1) td::text"
fields.xpath_isbn = {{ xpath = "//tr[th='ISBN']/td/text()" }}
fields.xpath_authors = {{ xpath = "//li[@class='author']/text()", all = true }}
"#
    );
    let spider = Spider::parse("x.toml", &text).unwrap();
    let (items, failed) = crawl(&spider).await;
    assert_eq!((items.len(), failed), (1, 0));
    let item = &items[0].1;
    let want = books::detail(7);
    assert_eq!(item["xpath_title"], item["css_title"]);
    assert_eq!(item["xpath_title"], want["name"]);
    assert_eq!(item["xpath_isbn"], want["isbn"]);
    assert_eq!(item["xpath_authors"], want["authors"]);
    let e = err(
        "start = [{ url = \"http://a/\", label = \"p\" }]\n[rules.p]\nfields.t = { xpath = \"//a[@href\" }\n",
    );
    assert_eq!((e.line(), e.column()), (3, 22), "{e}");
    assert!(e.to_string().contains("XPath"), "{e}");
}

#[cfg(not(feature = "xpath"))]
#[test]
fn xpath_without_the_feature_says_how_to_get_it() {
    let e = err(
        "start = [{ url = \"http://a/\", label = \"p\" }]\n[rules.p]\nfields.t = { xpath = \"//h1\" }\n",
    );
    assert!(e.to_string().contains("--features xpath"), "{e}");
}

/// Several mistakes in one file: every one is reported, each at its place,
/// in file order, and none in words of the parser's internals.
#[test]
fn check_reports_every_mistake_not_the_first() {
    let text = r#"name = "many"
start = [{ url = "http://a/", label = "list" }]
sink = { to = "out.jsonl", table = { name = "x" } }
[settings]
concurrency = "ten"
per_hots = 4
[rules.list]
feilds.t = "h1"
follow = [{ css = "a::attr(href)", label = "detial" }]
[rules.detail]
fields.title = { css = "h1[" }
fields.price = { css = "p::text", process = ["trim", "lower"] }
fields.born = { css = "p::text", on_error = "ignore" }
key = "isbn"
"#;
    let e = err(text);
    let shown = e.to_string();
    let places: Vec<(usize, usize)> = e
        .mistakes()
        .iter()
        .map(|m| (m.line(), m.column()))
        .collect();
    let expected = [
        (3, 36),  // a table where the table name is a string
        (5, 15),  // "ten"
        (6, 1),   // per_hots
        (8, 1),   // feilds
        (9, 44),  // label detial
        (11, 24), // h1[
        (12, 54), // lower
        (13, 45), // on_error
        (14, 7),  // key names no field
    ];
    for place in expected {
        assert!(
            places.contains(&place),
            "{place:?} not among {places:?}:\n{shown}"
        );
    }
    assert!(
        places.windows(2).all(|w| w[0] <= w[1]),
        "in file order: {places:?}"
    );
    assert!(
        shown.contains(&format!("{} mistakes in t.toml", places.len())),
        "{shown}"
    );
    for leak in ["struct", "SinkSpec", "invalid type", "usize", "map,"] {
        assert!(
            !shown.contains(leak),
            "`{leak}` leaks the parser's words:\n{shown}"
        );
    }
    assert!(
        shown.contains("the key `isbn` names no field of rule `detail`"),
        "{shown}"
    );
}

#[test]
fn a_key_may_name_data_passed_from_the_list() {
    let text = r#"
start = [{ url = "http://a/", label = "list" }]
[rules.list]
follow = [{ css = "a::attr(href)", label = "book", data = { isbn = "span.isbn::text" } }]
[rules.book]
fields.title = "h1::text"
key = "isbn"
"#;
    Spider::parse("t.toml", text).unwrap_or_else(|e| panic!("{e}"));
}

/// An API list whose pages are made by counting `offset` on; every id once.
async fn every_book_from_the_list(paging: &str) {
    let server = TestServer::start().await.unwrap();
    let base = format!("http://{}", server.addr());
    let text = format!(
        r#"
start = [{{ url = "{base}/api/book/?limit=100&offset=0", label = "list" }}]
[rules.list]
items = {{ jsonpath = "$.results[*]" }}
{paging}
"#
    );
    let spider = Spider::parse("list.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let (items, failed) = crawl(&spider).await;
    assert_eq!(failed, 0, "{paging}");
    let mut ids: Vec<u64> = items
        .iter()
        .map(|(_, i)| i["id"].as_u64().unwrap())
        .collect();
    ids.sort_unstable();
    let want: Vec<u64> = (1..=books::BOOKS).collect();
    assert!(ids == want, "{paging}: {} ids, {} distinct", ids.len(), {
        let mut d = ids.clone();
        d.dedup();
        d.len()
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_until_a_page_comes_back_empty() {
    every_book_from_the_list(
        r#"paginate = { param = "offset", step = 100, until_empty = "$.results[*]" }"#,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_up_to_the_total_the_first_page_states() {
    every_book_from_the_list(r#"paginate = { param = "offset", step = 100, total = "$.count" }"#)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pagination_by_the_next_field() {
    every_book_from_the_list(r#"follow = [{ jsonpath = "$.next", label = "list" }]"#).await;
}

#[test]
fn pagination_needs_a_way_to_stop() {
    let e = err(r#"
start = [{ url = "http://a/?page=1", label = "list" }]
[rules.list]
items = { jsonpath = "$.results[*]" }
paginate = { param = "page" }
"#);
    assert!(e.to_string().contains("say when pagination stops"), "{e}");
}

/// Data from a list page (Scrapy's `cb_kwargs`) is merged into the items of
/// the pages it leads to; each link takes the data of its own card.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_passed_from_the_list_reaches_the_detail_items() {
    let server = TestServer::start().await.unwrap();
    let base = format!("http://{}", server.addr());
    let text = format!(
        r#"
start = [{{ url = "{base}/books/?page=3", label = "list" }}]
[rules.list]
follow = [{{ scope = "article.book", css = "h3 a::attr(href)", label = "book", data = {{ list_price = {{ css = "p.price::text", process = ["number"] }}, list = {{ meta = "url" }} }} }}]
[rules.book]
fields.title = "h1::text"
fields.url = {{ meta = "url" }}
key = "url"
"#
    );
    let spider = Spider::parse("cards.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let (items, failed) = crawl(&spider).await;
    assert_eq!(failed, 0);
    assert_eq!(items.len(), 20);
    for (_, item) in items {
        let id: u64 = item["url"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(item["title"], books::detail(id)["name"]);
        assert_eq!(item["list_price"], books::detail(id)["price"], "{item}");
        assert_eq!(item["list"], Value::from(format!("{base}/books/?page=3")));
    }
}

/// A field with `fields` of its own makes objects: lists of sub-records.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_fields_make_lists_of_objects() {
    let server = TestServer::start().await.unwrap();
    let base = format!("http://{}", server.addr());
    let text = format!(
        r#"
start = [{{ url = "{base}/api/book/?limit=5&offset=0", label = "api" }}, {{ url = "{base}/books/7", label = "html" }}]
[rules.api]
fields.books = {{ jsonpath = "$.results[*]", all = true, fields = {{ id = "$.id", first_author = "$.authors[0]" }} }}
[rules.html]
fields.authors = {{ css = "ul.authors li", all = true, fields = {{ name = "li::text" }} }}
fields.first = {{ css = "ul.authors li", fields = {{ name = "li::text" }} }}
"#
    );
    let spider = Spider::parse("nested.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let (items, failed) = crawl(&spider).await;
    assert_eq!(failed, 0);
    let by: BTreeMap<String, Value> = items.into_iter().map(|(l, i)| (l.unwrap(), i)).collect();
    let want: Vec<Value> = (1..=5)
        .map(|id| serde_json::json!({"id": id, "first_author": books::detail(id)["authors"][0]}))
        .collect();
    assert_eq!(by["api"]["books"], Value::from(want));
    let authors: Vec<Value> = books::detail(7)["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| serde_json::json!({ "name": a }))
        .collect();
    assert_eq!(by["html"]["authors"], Value::from(authors.clone()));
    assert_eq!(by["html"]["first"], authors[0]);
}

/// Followed requests carry `Referer` (the page they were found on) and the
/// `headers` setting, as Scrapy's middlewares send them; `referer = false`
/// turns the first off, and a request's own header wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followed_requests_carry_referer_and_default_headers() {
    let server = TestServer::start().await.unwrap();
    let page = |html: &str| {
        ferrocrawl_core::Url::parse_with_params(&server.url("/page"), [("html", html)])
            .unwrap()
            .to_string()
    };
    let list = page(r#"<a href="/headers">headers</a>"#);
    for (referer, want) in [("true", Value::from(list.clone())), ("false", Value::Null)] {
        let text = format!(
            r#"
start = [{{ url = "{list}", label = "list" }}]
[settings]
referer = {referer}
headers = {{ Accept-Language = "fr", X-Mine = "default" }}
[rules.list]
follow = [{{ css = "a::attr(href)", label = "echo", headers = {{ X-Mine = "own" }} }}]
[rules.echo]
items = {{ jsonpath = "$" }}
"#
        );
        let spider = Spider::parse("h.toml", &text).unwrap_or_else(|e| panic!("{e}"));
        let (items, failed) = crawl(&spider).await;
        assert_eq!(failed, 0);
        assert_eq!(items.len(), 1);
        let echoed = &items[0].1;
        assert_eq!(echoed["referer"], want, "referer = {referer}: {echoed}");
        assert_eq!(echoed["accept-language"], "fr", "{echoed}");
        assert_eq!(echoed["x-mine"], "own", "{echoed}");
    }
}

/// `examples/books-paged.toml`: the JSON catalogue job written without the
/// number of books, every detail record once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_paged_example_needs_no_total_and_gets_every_book() {
    let server = TestServer::start().await.unwrap();
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/books-paged.toml"
    );
    let text = std::fs::read_to_string(path).unwrap().replace(
        "http://127.0.0.1:8090",
        &format!("http://{}", server.addr()),
    );
    assert!(!text.contains("9990"), "no total written in the file");
    let spider = Spider::parse("books-paged.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let (items, failed) = crawl(&spider).await;
    assert_eq!(failed, 0);
    assert_eq!(items.len() as u64, books::BOOKS);
    let mut ids: Vec<u64> = items
        .iter()
        .map(|(_, i)| i["id"].as_u64().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, books::BOOKS, "each book once");
    for (_, item) in items.iter().step_by(997) {
        assert_eq!(item, &books::detail(item["id"].as_u64().unwrap()));
    }
}

/// `{ content = "markdown" }`: the page's main content, boilerplate left
/// out, as Markdown (or `"text"`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_fields_give_the_main_content() {
    let server = TestServer::start().await.unwrap();
    let paragraph = "The crawler fetched every page of the catalogue once, and wrote each record to the database as it went. ";
    let html = format!(
        "<html><head><title>Report</title></head><body><nav><a href=\"/\">Home</a> <a href=\"/about\">About us</a></nav>\
         <article><h1>Crawl report</h1><p>{p}</p><p>{p}</p><p>{p}</p><h2>Details</h2><ul><li>one</li><li>two</li></ul></article>\
         <footer>Copyright footer text</footer></body></html>",
        p = paragraph.repeat(3)
    );
    let url =
        ferrocrawl_core::Url::parse_with_params(&server.url("/page"), [("html", html.as_str())])
            .unwrap();
    let text = format!(
        r#"
start = [{{ url = "{url}", label = "page" }}]
[rules.page]
fields.md = {{ content = "markdown" }}
fields.text = {{ content = "text" }}
"#
    );
    let spider = Spider::parse("c.toml", &text).unwrap_or_else(|e| panic!("{e}"));
    let (items, failed) = crawl(&spider).await;
    assert_eq!(failed, 0);
    let item = &items[0].1;
    let md = item["md"].as_str().unwrap();
    assert!(md.contains("## Details") && md.contains("- one"), "{md}");
    assert!(!md.contains("Copyright footer"), "{md}");
    let text = item["text"].as_str().unwrap();
    assert!(
        text.contains("wrote each record") && !text.contains("## "),
        "{text}"
    );
    let e = err(
        "start = [{ url = \"http://a/\", label = \"p\" }]\n[rules.p]\nfields.m = { content = \"html\" }\n",
    );
    assert!(e.to_string().contains("\"markdown\" or \"text\""), "{e}");
}
