//! End-to-end tests of the `ferrocrawl` binary against testkit's loopback server.
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use ferrocrawl_testkit::TestServer;
use serde_json::Value;

/// Run `ferrocrawl ARGS` with `stdin`, off the async runtime so the test
/// server keeps serving.
async fn ferrocrawl(args: Vec<String>, stdin: Option<Vec<u8>>) -> Output {
    tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrocrawl"))
            .args(&args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        if let Some(bytes) = stdin {
            child.stdin.take().unwrap().write_all(&bytes).unwrap();
        }
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap()
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn lines(out: &Output) -> Vec<Value> {
    String::from_utf8(out.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ferrocrawl-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetches_arguments_and_writes_json_lines() {
    let srv = TestServer::start().await.unwrap();
    let out = ferrocrawl(
        args(&["fetch", &srv.url("/json"), &srv.url("/redirect/2")]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recs = lines(&out);
    assert_eq!(recs.len(), 2);
    for r in &recs {
        assert_eq!(r["status"], 200);
        assert!(r["error"].is_null());
        assert!(r["elapsed"].as_f64().unwrap() >= 0.0);
        assert_eq!(r["attempts"], 1);
        assert!(r["headers"]["content-type"].is_string());
    }
    let redirected = recs
        .iter()
        .find(|r| r["url"].as_str().unwrap().ends_with("/redirect/2"))
        .unwrap();
    assert!(
        redirected["final_url"]
            .as_str()
            .unwrap()
            .ends_with("/redirect/0")
    );
    assert_eq!(redirected["redirects"].as_array().unwrap().len(), 2);
    let json = recs
        .iter()
        .find(|r| r["url"].as_str().unwrap().ends_with("/json"))
        .unwrap();
    assert!(
        json["body"].is_string(),
        "textual bodies come as text: {json}"
    );
    let summary = stderr(&out);
    assert!(summary.contains("done: 2 requests"), "{summary}");
    assert!(summary.contains("status: 200: 2"), "{summary}");
    assert!(summary.contains("latency: p50"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_lines_become_error_records_and_the_rest_go_on() {
    let srv = TestServer::start().await.unwrap();
    let dir = temp_dir("badlines");
    let file = dir.join("urls.txt");
    let text = format!(
        "{}\n\nnot a url\n# a comment\nftp://127.0.0.1/x\nhttp://\n{}\n",
        srv.url("/status/200"),
        srv.url("/status/204")
    );
    std::fs::write(&file, text).unwrap();
    let out = ferrocrawl(args(&["fetch", "-i", file.to_str().unwrap()]), None).await;
    assert_eq!(out.status.code(), Some(1), "some failed: {}", stderr(&out));
    let recs = lines(&out);
    assert_eq!(
        recs.len(),
        5,
        "every non-blank, non-comment line has a record"
    );
    let by_line = |n: u64| {
        recs.iter()
            .find(|r| r["line"] == n)
            .unwrap_or_else(|| panic!("no line {n}"))
    };
    assert_eq!(by_line(1)["status"], 200);
    assert_eq!(by_line(7)["status"], 204);
    for n in [3, 5, 6] {
        let e = &by_line(n)["error"];
        assert_eq!(e["kind"], "invalid_url", "line {n}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .starts_with(&format!("line {n}:")),
            "{e}"
        );
    }
    assert!(stderr(&out).contains("invalid_url: 3"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_urls_from_stdin_and_writes_to_a_file() {
    let srv = TestServer::start().await.unwrap();
    let dir = temp_dir("stdin");
    let out_file = dir.join("out.jsonl");
    let input = format!("{}\n{}\r\n", srv.url("/"), srv.url("/status/404")).into_bytes();
    let out = ferrocrawl(
        args(&["fetch", "-o", out_file.to_str().unwrap()]),
        Some(input),
    )
    .await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "a 404 counts as failed: {}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty(), "data goes to -o, not stdout");
    let text = std::fs::read_to_string(&out_file).unwrap();
    let statuses: Vec<i64> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["status"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(statuses.len(), 2);
    assert!(statuses.contains(&200) && statuses.contains(&404));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_input_fails_before_any_request() {
    let srv = TestServer::start().await.unwrap();
    let out = ferrocrawl(
        args(&["fetch", &srv.url("/"), "-i", "/nonexistent/urls.txt"]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read input file /nonexistent/urls.txt"),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(srv.stats().requests(), 0, "nothing may be sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_flags_are_usage_errors() {
    let srv = TestServer::start().await.unwrap();
    let url = srv.url("/");
    for (flags, expect) in [
        (vec!["-H", "no colon here"], "write it as 'Name: value'"),
        (vec!["-H", "bad name: x"], "invalid header name"),
        (vec!["--json", "{not json"], "--json is not valid JSON"),
        (vec!["--timeout", "soon"], "write a duration"),
        (vec!["--max-body", "12XB"], "invalid size"),
        (vec!["--proxy", "::nope::"], "invalid proxy"),
        (
            vec!["--data", "@/nonexistent/body"],
            "cannot read --data file",
        ),
        (vec!["--bogus"], "unexpected argument"),
    ] {
        let mut a = vec!["fetch"];
        a.extend(flags.iter().copied());
        a.push(&url);
        let out = ferrocrawl(args(&a), None).await;
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(expect), "{flags:?}: {}", stderr(&out));
    }
    assert_eq!(srv.stats().requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_methods_headers_and_bodies() {
    let srv = TestServer::start().await.unwrap();
    let out = ferrocrawl(
        args(&[
            "fetch",
            "--json",
            r#"{"q":"rust"}"#,
            "-H",
            "X-Trace: 42",
            "-A",
            "probe/2",
            &srv.url("/anything"),
        ]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let echo: Value = serde_json::from_str(lines(&out)[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["json"]["q"], "rust");
    assert_eq!(echo["headers"]["x-trace"], "42");
    assert_eq!(echo["headers"]["user-agent"], "probe/2");

    let out = ferrocrawl(
        args(&[
            "fetch",
            "-X",
            "put",
            "--data",
            "a=1&b=2",
            &srv.url("/anything"),
        ]),
        None,
    )
    .await;
    let echo: Value = serde_json::from_str(lines(&out)[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["form"]["b"], "2");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn save_writes_bodies_by_sha256() {
    let srv = TestServer::start().await.unwrap();
    let dir = temp_dir("save");
    let save = dir.join("bodies");
    let out = ferrocrawl(
        args(&[
            "fetch",
            "--save",
            save.to_str().unwrap(),
            &srv.url("/bytes/3000?seed=5"),
        ]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let rec = &lines(&out)[0];
    assert!(rec.get("body").is_none() && rec.get("body_base64").is_none());
    let path = PathBuf::from(rec["path"].as_str().unwrap());
    let sha = rec["sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    assert_eq!(path.file_name().unwrap().to_str().unwrap(), sha);
    assert_eq!(std::fs::read(&path).unwrap().len(), 3000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_cannot_be_saved_fails_that_request_only() {
    let srv = TestServer::start().await.unwrap();
    let dir = temp_dir("save-gone");
    let save = dir.join("bodies");
    // The directory is made at start, then taken away while both requests
    // wait on the server: each write fails, and neither stops the run.
    let gone = save.clone();
    let remover = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        std::fs::remove_dir_all(&gone).unwrap();
    });
    let out = ferrocrawl(
        args(&[
            "fetch",
            "--save",
            save.to_str().unwrap(),
            &srv.url("/delay/1?n=1"),
            &srv.url("/delay/1?n=2"),
        ]),
        None,
    )
    .await;
    remover.await.unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let recs = lines(&out);
    assert_eq!(recs.len(), 2, "{recs:?}");
    for rec in &recs {
        assert_eq!(rec["error"]["kind"], "save", "{rec}");
        assert_eq!(rec["status"], 200, "{rec}");
        assert!(rec["headers"].is_object(), "the response is kept: {rec}");
        let message = rec["error"]["message"].as_str().unwrap();
        assert!(message.contains("--save directory"), "{message}");
    }
    assert!(stderr(&out).contains("save"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_stops_early_ends_the_run_quietly() {
    use std::io::BufRead;
    let srv = TestServer::start().await.unwrap();
    let urls: Vec<String> = (0..300)
        .map(|i| srv.url(&format!("/bytes/200?seed={i}")))
        .collect();
    let (code, err) = tokio::task::spawn_blocking(move || {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ferrocrawl"))
            .args(["fetch", "-q", "-c", "4"])
            .args(&urls)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Like `| head -1`: one line, then the pipe closes.
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut first)
            .unwrap();
        assert!(first.contains("/bytes/200"), "{first}");
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    })
    .await
    .unwrap();
    assert_eq!(code, Some(0), "{err}");
    assert!(!err.contains("error"), "{err}");
    assert!(srv.stats().requests() < 300, "the run stopped early");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_bodies_come_as_base64_and_charsets_are_decoded() {
    let srv = TestServer::start().await.unwrap();
    let out = ferrocrawl(
        args(&[
            "fetch",
            &srv.url("/bytes/16"),
            &srv.url("/charset/gbk/header"),
        ]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recs = lines(&out);
    let bin = recs
        .iter()
        .find(|r| r["url"].as_str().unwrap().contains("/bytes/"))
        .unwrap();
    assert!(bin["body_base64"].is_string());
    let gbk = recs
        .iter()
        .find(|r| r["url"].as_str().unwrap().contains("/charset/"))
        .unwrap();
    assert_eq!(gbk["charset"], "GBK");
    let sample = ferrocrawl_testkit::charset_sample("gbk").unwrap();
    assert!(gbk["body"].as_str().unwrap().contains(sample));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_recorded_with_their_kind() {
    let srv = TestServer::start().await.unwrap();
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/", l.local_addr().unwrap())
    };
    let out = ferrocrawl(
        args(&[
            "fetch",
            "--retries",
            "0",
            "--max-body",
            "100",
            &refused,
            &srv.url("/bytes/5000"),
        ]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(1));
    let recs = lines(&out);
    let kinds: Vec<&str> = recs
        .iter()
        .map(|r| r["error"]["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"connect"), "{kinds:?}");
    assert!(kinds.contains(&"body_too_large"), "{kinds:?}");
    assert!(stderr(&out).contains("errors:"), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_beyond_the_file_limit_warns_and_still_runs() {
    let srv = TestServer::start().await.unwrap();
    let out = ferrocrawl(args(&["fetch", "-c", "100000000", &srv.url("/")]), None).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: -c 100000000 needs about"),
        "{}",
        stderr(&out)
    );
    assert_eq!(lines(&out).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_host_many_urls_gets_a_per_host_note() {
    let srv = TestServer::start().await.unwrap();
    let input = (0..20)
        .map(|_| srv.url("/"))
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    let out = ferrocrawl(args(&["fetch"]), Some(input)).await;
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("--per-host 8 lets 8"),
        "{}",
        stderr(&out)
    );
    assert!(srv.stats().max_in_flight() <= 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_shows_examples_and_exit_codes() {
    let out = ferrocrawl(args(&["fetch", "--help"]), None).await;
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Examples:"), "{text}");
    assert!(text.contains("Exit codes:"), "{text}");
    assert!(text.contains("[default: 8]"), "{text}");
    let out = ferrocrawl(args(&["fetch"]), None).await;
    assert_eq!(out.status.code(), Some(2), "no input at all");
}

// ===== ferrocrawl crawl =====

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_writes_one_line_per_page_and_mirrors() {
    let srv = TestServer::start().await.unwrap();
    let dir = temp_dir("crawl");
    let mirror = dir.join("mirror");
    let out = ferrocrawl(
        args(&[
            "crawl",
            &srv.url("/site/20/3/0"),
            "--per-host",
            "8",
            "--save",
            mirror.to_str().unwrap(),
        ]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let recs = lines(&out);
    assert_eq!(recs.len(), 20);
    let home = recs
        .iter()
        .find(|r| r["url"].as_str().unwrap().ends_with("/site/20/3/0"))
        .unwrap();
    assert_eq!(home["status"], 200);
    assert_eq!(home["depth"], 0);
    assert_eq!(home["title"], "Page 0");
    assert!(
        home["content_type"]
            .as_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert!(home["links"].as_u64().unwrap() >= 3);
    assert!(home["ttfb"].is_number() && home["bytes"].as_u64().unwrap() > 0);
    let child = recs
        .iter()
        .find(|r| r["url"].as_str().unwrap().ends_with("/site/20/3/4"))
        .unwrap();
    assert!(
        child["referrer"]
            .as_str()
            .unwrap()
            .ends_with("/site/20/3/1")
    );
    assert!(stderr(&out).contains("done: 20 pages"), "{}", stderr(&out));
    let host_dir = mirror.join(format!("127.0.0.1_{}", srv.addr().port()));
    let saved = std::fs::read_to_string(host_dir.join("site/20/3/7")).unwrap();
    assert!(saved.contains("<title>Page 7</title>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_reports_robots_drops_and_failures() {
    let srv = TestServer::start().await.unwrap();
    srv.set_robots(200, "User-agent: *\nDisallow: /status/\n");
    // A page whose connection is reset fails; robots.txt itself answers.
    let reset = srv.url("/flaky?rate=1%26mode=reset%26key=r");
    let seed = format!(
        "{}?to={}&to={}",
        srv.url("/links"),
        srv.url("/status/200"),
        reset
    );
    let out = ferrocrawl(args(&["crawl", "--retries", "0", &seed]), None).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "a page failed: {}",
        stderr(&out)
    );
    let recs = lines(&out);
    let dropped = recs
        .iter()
        .find(|r| r.get("dropped").is_some())
        .expect("a dropped line");
    assert!(dropped["url"].as_str().unwrap().ends_with("/status/200"));
    assert_eq!(dropped["dropped"], "disallowed by robots.txt");
    let failed = recs
        .iter()
        .find(|r| r.get("error").is_some())
        .expect("a failed page");
    assert_eq!(failed["error"]["kind"], "transport", "{failed}");
    assert_eq!(srv.stats().hits("/status/200"), 0);
}

/// Regression: a crawl followed redirects to fresh URLs without end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_stops_endless_redirects_at_max_redirects() {
    let srv = TestServer::start().await.unwrap();
    let seed = srv.url("/redirect-forever/0");
    let a = [
        "crawl",
        "--ignore-robots",
        "--max-pages",
        "50",
        "--max-redirects",
        "3",
    ];
    let out = ferrocrawl(args(&[&a[..], &[seed.as_str()]].concat()), None).await;
    assert_eq!(
        out.status.code(),
        Some(1),
        "a page failed: {}",
        stderr(&out)
    );
    let recs = lines(&out);
    assert_eq!(recs.len(), 4, "the seed and 3 redirects");
    let failed: Vec<_> = recs.iter().filter(|r| r.get("error").is_some()).collect();
    assert_eq!(failed.len(), 1, "{recs:?}");
    assert!(
        failed[0]["url"]
            .as_str()
            .unwrap()
            .ends_with("/redirect-forever/3")
    );
    assert_eq!(failed[0]["error"]["kind"], "too_many_redirects");
    let message = failed[0]["error"]["message"].as_str().unwrap();
    assert!(message.contains("more than 3 redirects"), "{message}");
    assert!(message.contains("--max-redirects"), "{message}");
    assert_eq!(srv.stats().hits("/redirect-forever/4"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_allow_domain_adds_to_the_scope() {
    // Loopback has few names; which hosts each mode admits is unit-tested in
    // crawl/mod.rs. Here: `localhost` (the seed's address by another name)
    // is followed once allowed, on top of the seed's host; 127.0.0.2 is not.
    let srv = TestServer::start().await.unwrap();
    let other = TestServer::bind("127.0.0.2:0".parse().unwrap())
        .await
        .unwrap();
    let by_name = format!("http://localhost:{}/by-name", srv.addr().port());
    let seed = format!("{}?to={by_name}&to={}", srv.url("/links"), other.url("/"));
    let out = ferrocrawl(
        args(&[
            "crawl",
            "--allow-domain",
            "localhost",
            "--ignore-robots",
            &seed,
        ]),
        None,
    )
    .await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let mut urls: Vec<String> = lines(&out)
        .iter()
        .map(|r| r["url"].as_str().unwrap().to_owned())
        .collect();
    urls.sort();
    assert_eq!(urls, [seed, by_name]);
    assert_eq!(other.stats().requests(), 0);
    assert!(
        stderr(&out).contains("1 links out of scope"),
        "{}",
        stderr(&out)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_bad_input_is_a_usage_error() {
    for (a, expect) in [
        (vec!["crawl", "not a url"], "invalid seed URL"),
        (
            vec!["crawl", "ftp://127.0.0.1/"],
            "not an http or https URL",
        ),
        (vec!["crawl", "http://127.0.0.1:9/", "--include", "("], "("),
        (
            vec!["crawl", "http://127.0.0.1:9/", "--delay", "fast"],
            "write a duration",
        ),
        (vec!["crawl"], "required"),
    ] {
        let out = ferrocrawl(args(&a), None).await;
        assert_eq!(out.status.code(), Some(2), "{a:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(expect), "{a:?}: {}", stderr(&out));
        assert!(out.stdout.is_empty());
    }
    let out = ferrocrawl(args(&["crawl", "--help"]), None).await;
    let text = String::from_utf8_lossy(&out.stdout);
    // Defaults come from the one settings tree, listed under the examples.
    let per_host = text
        .lines()
        .find(|l| l.trim_start().starts_with("per_host "));
    assert!(
        text.contains("Examples:")
            && per_host.is_some_and(|l| l.split_whitespace().nth(1) == Some("4")),
        "{text}"
    );
}

/// Regression: `crawl --delay 500000000000y` panicked the crawl (exit 2,
/// "the crawl task panicked"). Delays over a day are refused up front,
/// naming the flag and the maximum; a day itself is accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_delays_are_usage_errors() {
    for a in [
        vec!["crawl", "--delay", "500000000000y", "http://127.0.0.1:9/"],
        vec!["crawl", "--max-crawl-delay", "25h", "http://127.0.0.1:9/"],
        vec!["run", "--delay", "2days", "nonexistent.toml"],
    ] {
        let out = ferrocrawl(args(&a), None).await;
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{a:?}: {err}");
        assert!(
            err.contains(&format!("'{} <DURATION>'", a[1])),
            "{a:?}: {err}"
        );
        assert!(err.contains("maximum of 1 day (24h)"), "{a:?}: {err}");
        assert!(!err.contains("panicked"), "{a:?}: {err}");
    }
    // Port 1 refuses: one failed page, not retried (a retry would wait out
    // the day), and the crawl ends.
    let a = [
        "crawl",
        "-q",
        "--ignore-robots",
        "--retries",
        "0",
        "--delay",
        "24h",
    ];
    let out = ferrocrawl(args(&[&a[..], &["http://127.0.0.1:1/"]].concat()), None).await;
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(lines(&out)[0]["error"]["kind"], "connect");
}

/// Issue 16: `fetch` of a URL that redirects into a private, loopback or
/// link-local address returned the private body with exit 0. Redirect hops
/// are checked like a crawl's links; the URLs given are fetched wherever
/// they are; `--allow-private` opts in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_refuses_redirects_into_private_addresses() {
    let srv = TestServer::start().await.unwrap();
    let port = srv.addr().port();
    let to = |from_host: &str, target: &str| {
        format!("http://{from_host}:{port}/redirect-to?url={target}")
    };
    let secret_by_name = format!("http://localhost:{port}/json");
    let secret_by_ip = format!("http://127.0.0.1:{port}/json");
    for (url, what) in [
        (
            to("127.0.0.1", &secret_by_name),
            "a name that resolves to loopback",
        ),
        (to("localhost", &secret_by_ip), "a loopback address"),
        (
            to("127.0.0.1", "http://169.254.169.254/latest/meta-data/"),
            "the metadata address",
        ),
    ] {
        let out = ferrocrawl(args(&["fetch", &url]), None).await;
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
        let rec = &lines(&out)[0];
        assert_eq!(rec["error"]["kind"], "forbidden_address", "{what}: {rec}");
        assert!(rec["body"].is_null(), "{what}: no private body: {rec}");
        assert!(
            rec["error"]["message"]
                .as_str()
                .unwrap()
                .contains("--allow-private"),
            "{what}: {rec}"
        );
    }
    // Named directly, a private URL works; --allow-private follows the hop.
    let out = ferrocrawl(args(&["fetch", &secret_by_name]), None).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let url = to("127.0.0.1", &secret_by_name);
    let out = ferrocrawl(args(&["fetch", "--allow-private", &url]), None).await;
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(lines(&out)[0]["status"], 200);
}

/// Issue 16: a crawl of a server that is not running printed nothing for
/// two minutes, then "0 pages ... dropped by robots.txt" and exit 0. It is
/// said at once, the page fails with its error, and the exit code is 1.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_server_is_a_failure_said_at_once() {
    let url = ferrocrawl_testkit::closed_url("/");
    let started = std::time::Instant::now();
    let out = ferrocrawl(args(&["crawl", &url]), None).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot fetch robots.txt"),
        "{}",
        stderr(&out)
    );
    let recs = lines(&out);
    assert_eq!(recs.len(), 1, "{recs:?}");
    assert_eq!(recs[0]["error"]["kind"], "connect", "{}", recs[0]);
}

/// Issue 16: `--state` naming the output file deleted all the output at the
/// end, with exit 0; a 0-byte state file started a new crawl without a word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_file_cannot_be_the_output_and_an_empty_one_is_said() {
    let srv = TestServer::start().await.unwrap();
    let dir = temp_dir("state-output");
    let out = dir.join("out.jsonl");
    std::fs::write(&out, "{\"before\":1}\n").unwrap();
    let (o, s) = (out.to_str().unwrap(), out.to_str().unwrap());
    let seed = srv.url("/site/5/2/0");
    let run = ferrocrawl(args(&["crawl", &seed, "-o", o, "--state", s]), None).await;
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("is also an output"),
        "{}",
        stderr(&run)
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "{\"before\":1}\n");

    let state = dir.join("empty.state");
    std::fs::write(&state, "").unwrap();
    let s = state.to_str().unwrap();
    let run = ferrocrawl(
        args(&["crawl", &seed, "-o", o, "--state", s, "--ignore-robots"]),
        None,
    )
    .await;
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(
        stderr(&run).contains("was empty (0 bytes)"),
        "{}",
        stderr(&run)
    );
    assert_eq!(lines(&run).len(), 0, "pages went to the file");
}

/// Issue 17: a connection error repeated its URL three times.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_error_names_its_url_once() {
    let url = ferrocrawl_testkit::closed_url("/x");
    let out = ferrocrawl(args(&["fetch", "--retries", "0", &url]), None).await;
    assert_eq!(out.status.code(), Some(1));
    let rec = &lines(&out)[0];
    let message = rec["error"]["message"].as_str().unwrap();
    assert_eq!(rec["error"]["kind"], "connect", "{rec}");
    assert!(message.matches(&url).count() <= 1, "{message}");
}
