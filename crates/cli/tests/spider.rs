//! `ferrocrawl run`, `check` and `new`, end to end: the binary against
//! testkit's books (API and HTML), real SQLite files and, when
//! FERROCRAWL_PG_URL is set, a real PostgreSQL.
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use std::path::{Path, PathBuf};
use std::process::Output;

use ferrocrawl_testkit::{TestServer, books};
use serde_json::Value;

mod common;
use common::ferrocrawl;

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `examples/books.toml` pointed at `srv`, with the last offset cut to `to`.
fn books_spider(srv: &TestServer, dir: &Path, to: u64) -> PathBuf {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/books.toml"
    ))
    .unwrap()
    .replace("http://127.0.0.1:8090", &format!("http://{}", srv.addr()))
    .replace("to = 9990", &format!("to = {to}"));
    let path = dir.join("books.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn sqlite_rows(db: &Path, sql: &str) -> Vec<Vec<Value>> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn.prepare(sql).unwrap();
    let n = stmt.column_count();
    stmt.query_map([], |row| {
        Ok((0..n)
            .map(|i| match row.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Integer(v) => Value::from(v),
                rusqlite::types::ValueRef::Real(v) => Value::from(v),
                rusqlite::types::ValueRef::Text(t) => {
                    Value::from(String::from_utf8_lossy(t).into_owned())
                }
                _ => Value::Null,
            })
            .collect())
    })
    .unwrap()
    .map(Result::unwrap)
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_books_spider_upserts_every_book_and_a_rerun_adds_none() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Every book: offsets 0..=9990.
    let spider = books_spider(&srv, dir.path(), 9990);
    for run in 1..=2 {
        let out = ferrocrawl(args(&["run", spider.to_str().unwrap()]), dir.path().into()).await;
        assert_eq!(out.status.code(), Some(0), "run {run}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("10000 items written"),
            "{}",
            stderr(&out)
        );
    }
    let db = dir.path().join("books.db");
    let counts = sqlite_rows(
        &db,
        "select count(*), count(distinct id), min(id), max(id) from books",
    );
    assert_eq!(counts[0], [10_000, 10_000, 1, 10_000].map(Value::from));
    let sample = sqlite_rows(
        &db,
        "select name, price, isbn, publisher from books where id = 4321",
    );
    let want = books::detail(4321);
    assert_eq!(sample[0][0], want["name"]);
    assert_eq!(sample[0][1], want["price"]);
    assert_eq!(sample[0][2], want["isbn"]);
    assert_eq!(sample[0][3], want["publisher"]);
    assert!(
        !dir.path().join("books.failures.jsonl").exists(),
        "no failures, no failures file"
    );
    // 556 list pages + 10,000 details per run; robots.txt once per run.
    assert_eq!(srv.stats().hits("/api/book/"), 2 * 556);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_html_spider_extracts_fields_into_sqlite() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let new = ferrocrawl(args(&["new", "shop"]), dir.path().into()).await;
    assert_eq!(new.status.code(), Some(0), "{}", stderr(&new));
    let path = dir.path().join("shop.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap()
        .replace("http://127.0.0.1:8090", &format!("http://{}", srv.addr()));
    std::fs::write(&path, text).unwrap();
    for _ in 0..2 {
        let out = ferrocrawl(args(&["run", "shop.toml"]), dir.path().into()).await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let rows = sqlite_rows(
        &dir.path().join("shop.db"),
        "select url, title, price, isbn from books order by url",
    );
    assert_eq!(
        rows.len(),
        60,
        "3 list pages of 20 books, twice, upserted by url"
    );
    for row in rows {
        let url = row[0].as_str().unwrap();
        let id: u64 = url.rsplit('/').next().unwrap().parse().unwrap();
        let want = books::detail(id);
        assert_eq!(
            (&row[1], &row[2], &row[3]),
            (&want["name"], &want["price"], &want["isbn"]),
            "{url}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_items_land_in_the_failures_file_with_reasons() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    // Books with fewer than three tags have no third tag: required.
    let spider = format!(
        r#"
start = [{{ url = "http://{addr}/api/book/?limit=18&offset=0", label = "list" }}]
[rules.list]
follow = [{{ jsonpath = "$.results[*].id", template = "/api/book/{{}}", label = "book" }}]
[rules.book]
fields.id = "$.id"
fields.name = "$.name"
fields.third_tag = "$.tags[2]"
required = ["third_tag"]
key = "id"
[sink]
to = "out.jsonl"
"#,
        addr = srv.addr()
    );
    std::fs::write(dir.path().join("s.toml"), spider).unwrap();
    let out = ferrocrawl(args(&["run", "s.toml"]), dir.path().into()).await;
    let expect_bad: Vec<u64> = (1..=18)
        .filter(|&id| books::detail(id)["tags"].as_array().unwrap().len() < 3)
        .collect();
    let read = |name: &str| -> Vec<Value> {
        std::fs::read_to_string(dir.path().join(name))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    let good = read("out.jsonl");
    let bad = read("out.failures.jsonl");
    assert_eq!(good.len() + bad.len(), 18, "no item vanished");
    assert_eq!(bad.len(), expect_bad.len());
    for f in &bad {
        assert_eq!(f["stage"], "require");
        assert!(f["reason"].as_str().unwrap().contains("third_tag"), "{f}");
        let id = f["item"]["id"].as_u64().unwrap();
        assert!(expect_bad.contains(&id));
        assert!(
            f["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/api/book/{id}"))
        );
    }
    let code = if expect_bad.is_empty() { 0 } else { 1 };
    assert_eq!(out.status.code(), Some(code), "{}", stderr(&out));
}

/// `run --max-redirects` caps a chain of redirects to fresh URLs, as crawl's does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_redirects_stops_an_endless_redirect_chain() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spider = format!(
        r#"
start = ["http://{addr}/redirect-forever/0"]
[rules.page]
pattern = "/"
fields.title = {{ css = "title" }}
[sink]
to = "out.jsonl"
"#,
        addr = srv.addr()
    );
    std::fs::write(dir.path().join("s.toml"), spider).unwrap();
    let a = [
        "run",
        "s.toml",
        "--ignore-robots",
        "--max-pages",
        "50",
        "--max-redirects",
        "2",
    ];
    let out = ferrocrawl(args(&a), dir.path().into()).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "a page failed: {}",
        stderr(&out)
    );
    assert_eq!(srv.stats().hits("/redirect-forever/2"), 1);
    assert_eq!(srv.stats().hits("/redirect-forever/3"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_points_at_mistakes_and_new_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "start = [\"http://127.0.0.1:1/\"]\n[rules.p]\npattern = \"/\"\nfields.t = { css = \"h1\", proces = [\"trim\"] }\n",
    )
    .unwrap();
    let out = ferrocrawl(args(&["check", "bad.toml"]), dir.path().into()).await;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("bad.toml:4:"), "{err}");
    assert!(err.contains("unknown field `proces`"), "{err}");
    // run refuses the same file before fetching anything.
    let out = ferrocrawl(args(&["run", "bad.toml"]), dir.path().into()).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));

    let out = ferrocrawl(args(&["new", "shop"]), dir.path().into()).await;
    assert_eq!(out.status.code(), Some(0));
    let out = ferrocrawl(args(&["check", "shop.toml"]), dir.path().into()).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok, spider `shop`"));
    std::fs::write(dir.path().join("shop.toml"), "mine").unwrap();
    let out = ferrocrawl(args(&["new", "shop"]), dir.path().into()).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("already exists"));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("shop.toml")).unwrap(),
        "mine"
    );
    let out = ferrocrawl(args(&["new", "../evil"]), dir.path().into()).await;
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_books_spider_into_postgres_twice() {
    let Ok(url) = std::env::var("FERROCRAWL_PG_URL") else {
        eprintln!(
            "skipping: set FERROCRAWL_PG_URL (e.g. postgres://postgres@127.0.0.1:55432/postgres); .ci/run does"
        );
        return;
    };
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spider = books_spider(&srv, dir.path(), 990);
    let table = format!("spider_books_{}", std::process::id());
    let text = std::fs::read_to_string(&spider)
        .unwrap()
        .replace("table = \"books\"", &format!("table = \"{table}\""));
    std::fs::write(&spider, text).unwrap();
    for _ in 0..2 {
        let out = ferrocrawl(
            args(&["run", spider.to_str().unwrap(), "--sink", &url]),
            dir.path().into(),
        )
        .await;
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    tokio::spawn(conn);
    let row = client
        .query_one(
            &format!("select count(*), count(distinct id) from {table}"),
            &[],
        )
        .await
        .unwrap();
    let (n, distinct): (i64, i64) = (row.get(0), row.get(1));
    client
        .batch_execute(&format!("drop table {table}"))
        .await
        .unwrap();
    assert_eq!((n, distinct), (1008, 1008), "56 list pages of 18");
}

/// A page of people, served by testkit's `/page?html=`.
fn people_page(srv: &TestServer) -> String {
    let html = r#"<ul>
<li class="person"><b>Ada</b> <i>1991-12</i></li>
<li class="person"><b>Bob</b> <i>March 1979</i></li>
<li class="person"><b>Cy</b> <i>sometime</i></li>
</ul>"#;
    url::Url::parse_with_params(&srv.url("/page"), [("html", html)])
        .unwrap()
        .to_string()
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A date that can't be read is not lost in silence: the item is written
/// without it, the value goes to the failures file with its field and
/// reason, and the exit code says so. Every item goes to both sinks, and is
/// counted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_dates_are_failures_and_items_reach_every_sink() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spider = format!(
        r#"
start = [{{ url = "{page}", label = "people" }}]
sink = ["people.db", "people.jsonl"]
[rules.people]
items = {{ css = "li.person" }}
fields.name = "b::text"
fields.born = {{ css = "i::text", process = ["date"] }}
key = "name"
"#,
        page = people_page(&srv)
    );
    std::fs::write(dir.path().join("people.toml"), spider).unwrap();
    let out = ferrocrawl(args(&["run", "people.toml"]), dir.path().into()).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("3 items written"), "{err}");
    assert!(
        err.contains("1 field values could not be converted"),
        "{err}"
    );
    let lines = read_jsonl(&dir.path().join("people.jsonl"));
    let born: Vec<(&str, &Value)> = lines
        .iter()
        .map(|l| (l["name"].as_str().unwrap(), &l["born"]))
        .collect();
    assert_eq!(
        born,
        [
            ("Ada", &Value::from("1991-12")),
            ("Bob", &Value::from("1979-03")),
            ("Cy", &Value::Null)
        ]
    );
    let rows = sqlite_rows(
        &dir.path().join("people.db"),
        "SELECT name FROM people ORDER BY name",
    );
    assert_eq!(rows.len(), 3, "the SQLite sink got every item too");
    let failures = read_jsonl(&dir.path().join("people.failures.jsonl"));
    assert_eq!(failures.len(), 1, "{failures:?}");
    let f = &failures[0];
    assert_eq!(f["stage"], "field");
    assert_eq!(f["field"], "born");
    assert_eq!(f["value"], "sometime");
    assert!(f["reason"].as_str().unwrap().contains("not a date"), "{f}");
    assert_eq!(f["item"]["name"], "Cy");
    assert!(f["item"].get("__ferrocrawl_problems").is_none(), "{f}");
    // `on_error = "keep"` keeps the text instead, and nothing failed.
    let kept = std::fs::read_to_string(dir.path().join("people.toml"))
        .unwrap()
        .replace(
            "process = [\"date\"]",
            "process = [\"date\"], on_error = \"keep\"",
        )
        .replace("\"people.db\", ", "");
    std::fs::write(dir.path().join("kept.toml"), kept).unwrap();
    std::fs::remove_file(dir.path().join("people.jsonl")).unwrap();
    let out = ferrocrawl(args(&["run", "kept.toml"]), dir.path().into()).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let lines = read_jsonl(&dir.path().join("people.jsonl"));
    assert_eq!(lines[2]["born"], "sometime");
}

/// A selector that matched nothing on every page of its rule is a warning
/// naming the rule and the selector; `--strict` makes it an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn selectors_that_never_match_are_reported_and_strict_fails() {
    let srv = TestServer::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spider = format!(
        r#"
start = [{{ url = "{page}", label = "people" }}]
sink = "people.jsonl"
[rules.people]
items = {{ css = "li.person" }}
fields.name = "b::text"
fields.nick = "span.nick::text"
"#,
        page = people_page(&srv)
    );
    std::fs::write(dir.path().join("people.toml"), spider).unwrap();
    let out = ferrocrawl(args(&["run", "people.toml"]), dir.path().into()).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("warning: rule `people`: field `nick` (`span.nick::text`) matched nothing"),
        "{err}"
    );
    assert!(!err.contains("field `name`"), "{err}");
    let out = ferrocrawl(args(&["run", "--strict", "people.toml"]), dir.path().into()).await;
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("error: rule `people`: field `nick`"), "{err}");
}
