//! `ferrocrawl extract` end to end, against testkit's loopback server.
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use std::process::{Command, Output, Stdio};

use ferrocrawl_testkit::{TestServer, books};
use serde_json::{Value, json};

/// Run `ferrocrawl extract ARGS` off the async runtime so the test server
/// keeps serving.
async fn extract(list: &[&str]) -> Output {
    let mut args = vec!["extract".to_string()];
    args.extend(list.iter().map(|s| s.to_string()));
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_ferrocrawl"))
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    })
    .await
    .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn lines(out: &Output) -> Vec<String> {
    stdout(out).lines().map(String::from).collect()
}

/// `/page?html=…`: a page with exactly this HTML.
fn page(srv: &TestServer, html: &str) -> String {
    let encoded: String = url::form_urlencoded::byte_serialize(html.as_bytes()).collect();
    srv.url(&format!("/page?html={encoded}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn css_text_of_a_detail_page() {
    let srv = TestServer::start().await.unwrap();
    let out = extract(&[&srv.url("/books/1"), "--css", "h1::text"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let name = books::detail(1)["name"].as_str().unwrap().to_owned();
    assert_eq!(stdout(&out), format!("{name}\n"));
    // The status line goes to stderr, never into the data.
    assert!(stderr(&out).contains("200 OK"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn css_attributes_raw_and_made_absolute() {
    let srv = TestServer::start().await.unwrap();
    let list = srv.url("/books/?page=1");
    let out = extract(&[&list, "--css", "li.next a::attr(href)"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&out), ["?page=2"]);

    let out = extract(&[&list, "--css", "h3 a::attr(href)", "-p", "absolute-url"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let expected: Vec<String> = (1..=20)
        .map(|id| srv.url(&format!("/books/{id}")))
        .collect();
    assert_eq!(lines(&out), expected);

    let out = extract(&[&list, "--css", "h3 a::attr(href)", "--first"]).await;
    assert_eq!(lines(&out), ["/books/1"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn css_on_given_html_honours_base_and_prints_elements() {
    let srv = TestServer::start().await.unwrap();
    let url = page(
        &srv,
        r#"<base href="/shop/"><ul><li> One </li><li>Two <b>2</b></li></ul><a href="x?a=1&amp;b=2">x</a>"#,
    );
    let out = extract(&[&url, "--css", "a::attr(href)", "-p", "absolute-url"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&out), [srv.url("/shop/x?a=1&b=2")]);

    // Without ::text, each element's HTML.
    let out = extract(&[&url, "--css", "li"]).await;
    assert_eq!(lines(&out), ["<li> One </li>", "<li>Two <b>2</b></li>"]);

    // `::text` is each element's own text nodes, as in Scrapy; `::all-text`
    // all of it, whitespace collapsed.
    let out = extract(&[&url, "--css", "li::text", "-p", "join:|"]).await;
    assert_eq!(lines(&out), [" One |Two "]);
    let out = extract(&[&url, "--css", "li::all-text", "-p", "join:|"]).await;
    assert_eq!(lines(&out), ["One|Two 2"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jsonpath_on_the_books_api() {
    let srv = TestServer::start().await.unwrap();
    let api = srv.url("/api/book/7");
    let book = books::detail(7);

    let out = extract(&[&api, "--jsonpath", "$.authors[*]"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let authors: Vec<String> = book["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(lines(&out), authors);

    // Non-strings print as JSON; --json prints one array.
    let out = extract(&[&api, "--jsonpath", "$.price", "--jsonpath", "$.tags"]).await;
    let text = stdout(&out);
    assert!(text.contains(&format!("\n{}\n", book["price"])), "{text}");
    assert!(text.contains(&format!("\n{}\n", book["tags"])), "{text}");

    let out = extract(&[&api, "--jsonpath", "$.authors[*]", "--json", "-q"]).await;
    assert_eq!(out.status.code(), Some(0));
    let printed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(printed, book["authors"]);
    assert_eq!(stderr(&out), "", "-q prints no status line");

    let list = srv.url("/api/book/?limit=3&offset=0");
    let out = extract(&[&list, "--jsonpath", "$.results[*].id", "--json"]).await;
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&out)).unwrap(),
        json!([1, 2, 3])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regex_with_a_group_and_a_processor() {
    let srv = TestServer::start().await.unwrap();
    let book = books::detail(3);
    let detail = srv.url("/books/3");
    let out = extract(&[&detail, "--regex", r"ISBN</th><td>(\d+)"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&out), [book["isbn"].as_str().unwrap()]);

    let out = extract(&[&detail, "--regex", r"£[0-9.]+", "-p", "number", "--json"]).await;
    let printed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(printed, json!([book["price"]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_selectors_print_labelled_groups() {
    let srv = TestServer::start().await.unwrap();
    let detail = srv.url("/books/2");
    let book = books::detail(2);
    let out = extract(&[
        &detail,
        "--css",
        "p.price::text",
        "--css",
        "h2::text",
        "--regex",
        r"<td>(\d+)</td>",
    ])
    .await;
    // One of them matched nothing: the others still print, and the exit says so.
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no match: --css 'h2::text'"),
        "{}",
        stderr(&out)
    );
    let price = format!("£{:.2}", book["price"].as_f64().unwrap());
    let expected = format!(
        "# css: p.price::text (1 value)\n{price}\n\n# css: h2::text (0 values)\n\n\
         # regex: <td>(\\d+)</td> (2 values)\n{}\n{}\n",
        book["isbn"].as_str().unwrap(),
        book["pages"]
    );
    assert_eq!(stdout(&out), expected);

    let out = extract(&[&detail, "--css", "h1::text", "--regex", "Pages", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let printed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        printed,
        json!([
            {"css": "h1::text", "values": [book["name"]]},
            {"regex": "Pages", "values": ["Pages"]},
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_match_and_http_errors_exit_1_and_say_which() {
    let srv = TestServer::start().await.unwrap();
    let out = extract(&[&srv.url("/books/1"), "--css", "h2.missing::text"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert!(
        stderr(&out).contains("no match: --css 'h2.missing::text'"),
        "{}",
        stderr(&out)
    );

    // JSON on an HTML page: no JSON value, so no match, and the array is empty.
    let out = extract(&[&srv.url("/books/1"), "--jsonpath", "$.id", "--json"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "[]\n");

    let out = extract(&[&srv.url("/status/404"), "--regex", "."]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("HTTP status 404"), "{}", stderr(&out));

    let out = extract(&["http://127.0.0.1:1/", "--css", "h1"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("cannot fetch http://127.0.0.1:1/"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_selectors_exit_2_before_any_request() {
    let srv = TestServer::start().await.unwrap();
    let url = srv.url("/books/1");
    let cases: [(&[&str], &str); 6] = [
        (
            &["--css", "h1["],
            "invalid CSS selector `h1[`: selector ends too early",
        ),
        (
            &["--css", "a::attr()"],
            "`::attr(..)` needs one attribute name",
        ),
        (&["--jsonpath", "authors"], "invalid JSONPath `authors`"),
        (
            &["--regex", "(unclosed"],
            "invalid regex `(unclosed`: unclosed group",
        ),
        (&["--css", "h1", "-p", "frist"], "unknown processor `frist`"),
        (&["--css", "h1::text > b"], "go at the end of a selector"),
    ];
    for (flags, says) in cases {
        let mut args = vec![url.as_str()];
        args.extend_from_slice(flags);
        let out = extract(&args).await;
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{flags:?}: {}", stderr(&out));
        assert_eq!(stdout(&out), "");
    }
    // The first selector is fine, the second is not: still nothing fetched.
    let out = extract(&[&url, "--css", "h1", "--css", "p["]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("`p[`"), "{}", stderr(&out));
    assert_eq!(srv.stats().hits("/books/1"), 0);

    let out = extract(&["not a url", "--css", "h1"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("invalid URL \"not a url\""),
        "{}",
        stderr(&out)
    );
    let out = extract(&[&url]).await;
    assert_eq!(out.status.code(), Some(2), "a selector is required");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_into_private_addresses_are_refused() {
    let srv = TestServer::start().await.unwrap();
    let to_private = srv.url("/redirect-to?url=http://10.255.255.1/");
    let out = extract(&[&to_private, "--css", "h1"]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--allow-private"), "{}", stderr(&out));
}

/// An article among navigation and a footer, for `--content`.
const ARTICLE: &str = r#"<html lang="en"><head><title>Survey results from four districts | Example</title>
<meta name="description" content="What households told us."></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About</a></nav>
<article><h1>Survey results from four districts</h1>
<p>The committee met on Tuesday to review the results of the survey, which covered more
than four thousand households across the region over the summer months.</p>
<h2>Method</h2>
<p>Households were chosen at random from the register; see the <a href="/methods">methods
note</a> for the weights, which were trimmed at the 99th percentile.</p>
<p>Members agreed to publish the full data set next month, once the remaining questions
about sampling have been answered by the statistics office.</p>
</article><footer>Copyright 2026 Example News</footer></body></html>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_as_text_and_markdown() {
    let srv = TestServer::start().await.unwrap();
    let url = page(&srv, ARTICLE);
    let text = extract(&[&url, "--content", "text"]).await;
    assert_eq!(text.status.code(), Some(0), "{}", stderr(&text));
    let text = stdout(&text);
    assert!(text.contains("four thousand households"), "{text}");
    assert!(
        !text.contains("Copyright") && !text.contains("About"),
        "{text}"
    );

    let md = extract(&[&url, "--content", "markdown"]).await;
    assert_eq!(md.status.code(), Some(0), "{}", stderr(&md));
    let md = stdout(&md);
    assert!(md.lines().any(|l| l == "## Method"), "{md}");
    let methods = srv.url("/methods");
    assert!(md.contains(&format!("[methods note]({methods})")), "{md}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_as_json_with_metadata() {
    let srv = TestServer::start().await.unwrap();
    let url = page(&srv, ARTICLE);
    let out = extract(&[&url, "--content", "markdown", "--json"]).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let record: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(record["title"], "Survey results from four districts");
    assert_eq!(record["language"], "en");
    assert_eq!(record["description"], "What households told us.");
    assert!(
        record["markdown"]
            .as_str()
            .unwrap()
            .contains("statistics office")
    );
    assert_eq!(record["url"], url.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_of_an_empty_page_exits_1() {
    let srv = TestServer::start().await.unwrap();
    let out = extract(&[
        &page(&srv, "<html><body></body></html>"),
        "--content",
        "text",
    ])
    .await;
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no content"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_of_a_page_that_is_not_html_exits_1_and_prints_nothing() {
    let srv = TestServer::start().await.unwrap();
    srv.set_file("/data.json", "application/json", "{\"a\": 1}");
    srv.set_file(
        "/logo.png",
        "image/png",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec(),
    );
    for (path, kind) in [
        ("/data.json", "application/json"),
        ("/logo.png", "image/png"),
    ] {
        let out = extract(&[&srv.url(path), "--content", "markdown"]).await;
        assert_eq!(out.status.code(), Some(1), "{path}");
        assert!(stdout(&out).is_empty(), "{path}: {}", stdout(&out));
        let err = stderr(&out);
        assert!(
            err.contains("not an HTML page") && err.contains(kind),
            "{err}"
        );
    }
}
