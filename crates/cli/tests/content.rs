//! `ferrocrawl crawl --content`: each HTML page's main content and metadata in
//! its line, and `--save` writing DIR/HOST/PATH.md, against testkit's
//! loopback server.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests assert by unwrapping"
)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::ferrocrawl;
use ferrocrawl_testkit::TestServer;
use serde_json::Value;

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("ferrocrawl-content-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn record<'a>(recs: &'a [Value], path: &str) -> &'a Value {
    recs.iter()
        .find(|r| r["url"].as_str().unwrap().ends_with(path))
        .unwrap_or_else(|| panic!("no line for {path} in {recs:#?}"))
}

/// A blog post: navigation, a sidebar and a footer around the article.
fn post(n: u32, links: &str) -> String {
    format!(
        r#"<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<title>Post {n}: notes on crawling the web politely | The Blog</title>
<meta name="author" content="Ada Lovelace">
<meta name="description" content="Notes on crawling, part {n}.">
<meta property="article:published_time" content="2026-11-0{n}T09:00:00Z">
<link rel="canonical" href="/blog/post-{n}">
</head><body>
<nav><a href="/blog/">Blog home</a> <a href="/blog/post-2">Older posts</a></nav>
<div class="sidebar"><h3>Trending</h3><ul><li><a href="/blog/post-1.html">Trending story</a></li></ul></div>
<article><h1>Post {n}: notes on crawling the web politely</h1>
<p>Crawling the web politely means keeping a delay between requests to one host, obeying
robots.txt and backing off when a server asks for it with a Retry-After header.</p>
<h2>Frontiers</h2>
<p>A frontier holds the URLs still to fetch; part {n} explains how it leases them to workers
so that no URL is fetched twice, and how a crash loses nothing that was committed.</p>
<ul><li>politeness per host</li><li>dedup by fingerprint</li></ul>
{links}
</article>
<footer>Copyright 2026 The Blog. All rights reserved.</footer>
</body></html>"#
    )
}

fn blog(srv: &TestServer) {
    let index = post(
        1,
        "<p>More reading: <a href=\"/blog/post-2\">the second part</a>, \
         <a href=\"/blog/feed\">the feed</a> and <a href=\"/blog/missing\">a lost page</a>.</p>",
    )
    .replace("<link rel=\"canonical\" href=\"/blog/post-1\">", "");
    srv.set_file("/blog/", "text/html; charset=utf-8", index);
    srv.set_file("/blog/post-1.html", "text/html", post(1, ""));
    srv.set_file("/blog/post-2", "text/html", post(2, ""));
    srv.set_file(
        "/blog/feed",
        "application/json",
        r#"{"posts": ["/blog/post-1.html"]}"#,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_content_markdown_adds_content_and_metadata_to_each_html_page() {
    let srv = TestServer::start().await.unwrap();
    blog(&srv);
    let dir = temp_dir("markdown");
    let args = vec![
        "crawl".to_owned(),
        srv.url("/blog/"),
        "--content".to_owned(),
        "markdown".to_owned(),
    ];
    let out = ferrocrawl(args, dir).await;
    // the lost page is a 404: a failure, so exit code 1
    assert!(out.status.code().is_some(), "{}", stderr(&out));
    let recs = lines(&out);
    assert_eq!(recs.len(), 5, "{recs:#?}");
    for path in ["/blog/", "/blog/post-1.html", "/blog/post-2"] {
        let r = record(&recs, path);
        assert_eq!(r["status"], 200);
        let md = r["markdown"].as_str().unwrap_or_else(|| panic!("{r}"));
        // The page's h1, which repeats its title, heads the Markdown.
        let title = r["title"].as_str().unwrap_or_else(|| panic!("{r}"));
        assert!(
            md.starts_with(&format!("# {title}\n\nCrawling the web politely")),
            "{md}"
        );
        assert!(md.contains("\n## Frontiers\n"), "{md}");
        assert!(md.contains("- politeness per host"), "{md}");
        for noise in ["Blog home", "Trending", "Copyright"] {
            assert!(!md.contains(noise), "`{noise}` in {md}");
        }
        assert!(r.get("text").is_none(), "{r}");
        assert_eq!(r["author"], "Ada Lovelace", "{r}");
        assert_eq!(r["language"], "en-GB", "{r}");
        assert!(r["date"].as_str().unwrap().starts_with("2026-11-0"), "{r}");
        assert!(
            r["description"]
                .as_str()
                .unwrap()
                .starts_with("Notes on crawling")
        );
        // the article's title, the site's name trimmed off
        assert!(r["title"].as_str().unwrap().starts_with("Post "), "{r}");
        assert!(!r["title"].as_str().unwrap().contains("The Blog"), "{r}");
        // the page's own fields are all still there
        assert!(r["links"].as_u64().unwrap() >= 2, "{r}");
        assert!(r["bytes"].as_u64().unwrap() > 0, "{r}");
    }
    let second = record(&recs, "/blog/post-2");
    assert_eq!(second["canonical_url"], srv.url("/blog/post-2"));
    assert!(record(&recs, "/blog/").get("canonical_url").is_none());
    // links in the Markdown are absolute
    let index = record(&recs, "/blog/")["markdown"].as_str().unwrap();
    assert!(
        index.contains(&format!("[the second part]({})", srv.url("/blog/post-2"))),
        "{index}"
    );
    // neither JSON nor an error page gets content
    for path in ["/blog/feed", "/blog/missing"] {
        let r = record(&recs, path);
        for key in ["markdown", "text", "author", "language"] {
            assert!(r.get(key).is_none(), "{key} in {r}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_content_text_gives_plain_text() {
    let srv = TestServer::start().await.unwrap();
    blog(&srv);
    let dir = temp_dir("text");
    let args = vec![
        "crawl".to_owned(),
        srv.url("/blog/post-2"),
        "--max-depth".to_owned(),
        "0".to_owned(),
        "--content".to_owned(),
        "text".to_owned(),
    ];
    let out = ferrocrawl(args, dir).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recs = lines(&out);
    assert_eq!(recs.len(), 1, "{recs:#?}");
    let text = recs[0]["text"].as_str().unwrap();
    assert!(
        text.starts_with("Crawling the web politely") && text.contains("\n\nFrontiers\n\n"),
        "{text}"
    );
    assert_eq!(
        recs[0]["title"],
        "Post 2: notes on crawling the web politely"
    );
    assert!(!text.contains('#') && !text.contains("Copyright"), "{text}");
    assert!(recs[0].get("markdown").is_none());
}

fn files_under(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(root).unwrap();
                out.push(rel.to_string_lossy().into_owned());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_save_with_content_writes_markdown_files_instead_of_bodies() {
    let srv = TestServer::start().await.unwrap();
    blog(&srv);
    let dir = temp_dir("save");
    let args = vec![
        "crawl".to_owned(),
        srv.url("/blog/"),
        "--content".to_owned(),
        "markdown".to_owned(),
        "--save".to_owned(),
        "md".to_owned(),
        "-o".to_owned(),
        "pages.jsonl".to_owned(),
    ];
    let out = ferrocrawl(args, dir.clone()).await;
    assert!(stderr(&out).contains("5 pages"), "{}", stderr(&out));
    let host = format!("127.0.0.1_{}", srv.addr().port());
    let root = dir.join("md");
    assert_eq!(
        files_under(&root),
        [
            format!("{host}/blog/index.md"),
            format!("{host}/blog/post-1.md"),
            format!("{host}/blog/post-2.md"),
        ]
    );
    let saved = std::fs::read_to_string(root.join(&host).join("blog/post-2.md")).unwrap();
    assert!(
        saved.starts_with(
            "# Post 2: notes on crawling the web politely\n\nCrawling the web politely"
        ),
        "{saved}"
    );
    assert!(saved.contains("\n## Frontiers\n"), "{saved}");
    assert!(
        !saved.contains("<p>") && !saved.contains("Copyright"),
        "{saved}"
    );
    // the same Markdown as the page's line
    let pages = std::fs::read_to_string(dir.join("pages.jsonl")).unwrap();
    let line: Value = pages
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|r| r["url"].as_str().unwrap().ends_with("/blog/post-2"))
        .unwrap();
    assert_eq!(line["markdown"].as_str().unwrap(), saved);
}
