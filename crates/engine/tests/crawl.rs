//! End-to-end crawls of generated testkit sites.
#![allow(clippy::unwrap_used, reason = "tests assert by unwrapping")]

use std::collections::HashMap;
use std::time::Duration;

use ferrocrawl_core::Request;
use ferrocrawl_engine::ScopeSetting;
use ferrocrawl_engine::{Crawler, CrawlerBuilder, Event, PageRecord, Router, Summary};
use ferrocrawl_testkit::TestServer;
use serde_json::Value;
use tokio::sync::mpsc;

struct Run {
    pages: Vec<PageRecord>,
    dropped: Vec<(String, String)>,
    items: Vec<Value>,
    summary: Summary,
}

/// Run a crawl to its end; a crawl that does not finish by itself fails the
/// test instead of hanging it.
async fn crawl(b: CrawlerBuilder) -> Run {
    let crawler = b.build().await.unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(crawler.run(tx));
    let mut pages = Vec::new();
    let mut dropped = Vec::new();
    let mut items = Vec::new();
    let collect = async {
        while let Some(e) = rx.recv().await {
            match e {
                Event::Page(p) => pages.push(*p),
                Event::Dropped { url, reason } => dropped.push((url.path().to_owned(), reason)),
                Event::Item { item, .. } => items.push(item),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(3600), collect)
        .await
        .expect("the crawl must finish by itself");
    let summary = task.await.unwrap().unwrap();
    Run {
        pages,
        dropped,
        items,
        summary,
    }
}

fn by_path(pages: &[PageRecord]) -> HashMap<String, &PageRecord> {
    pages.iter().map(|p| (p.url.path().to_owned(), p)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawls_a_generated_site_completely_and_once() {
    let srv = TestServer::start().await.unwrap();
    let run = crawl(
        Crawler::builder()
            .seed(srv.url("/site/300/4/0"))
            .per_host(8),
    )
    .await;
    assert_eq!(run.summary.pages, 300);
    assert_eq!(run.pages.len(), 300);
    assert_eq!(run.summary.failed, 0);
    for i in 0..300 {
        let path = format!("/site/300/4/{i}");
        assert_eq!(srv.stats().hits(&path), 1, "{path} fetched exactly once");
    }
    assert_eq!(
        srv.stats().hits("/robots.txt"),
        1,
        "robots.txt once per host"
    );
    let pages = by_path(&run.pages);
    let p5 = pages["/site/300/4/5"];
    assert_eq!(p5.depth, 2, "0 -> 1 -> 5");
    assert_eq!(p5.title.as_deref(), Some("Page 5"));
    assert_eq!(p5.referrer.as_ref().unwrap().path(), "/site/300/4/1");
    assert_eq!(p5.status, Some(200));
    assert!(p5.links >= 4);
    assert!(srv.stats().max_in_flight() <= 8);
}

#[tokio::test(start_paused = true)]
async fn politeness_is_kept_as_seen_by_the_server() {
    let srv = TestServer::start().await.unwrap();
    let delay = Duration::from_millis(500);
    let b = Crawler::builder()
        .seed(srv.url("/site/40/3/0"))
        .per_host(2)
        .delay(delay)
        .jitter(false)
        .obey_robots(false);
    let run = crawl(b).await;
    assert_eq!(run.summary.pages, 40);
    assert!(srv.stats().max_in_flight() <= 2);
    let starts: Vec<_> = srv.stats().arrivals().into_iter().map(|(t, _)| t).collect();
    for pair in starts.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= delay, "two requests only {gap:?} apart");
    }
}

#[tokio::test(start_paused = true)]
async fn robots_disallow_and_crawl_delay_are_obeyed() {
    let srv = TestServer::start().await.unwrap();
    srv.set_robots(
        200,
        "User-agent: *\nDisallow: /site/30/2/1\nCrawl-delay: 3\n",
    );
    let run = crawl(Crawler::builder().seed(srv.url("/site/30/2/0")).per_host(4)).await;
    for (_, path) in srv.stats().arrivals() {
        assert!(
            !path.starts_with("/site/30/2/1"),
            "fetched disallowed {path}"
        );
    }
    // /1 and its subtree's entry points were dropped and reported.
    assert!(
        run.dropped
            .iter()
            .any(|(p, why)| p == "/site/30/2/1" && why.contains("robots.txt"))
    );
    assert!(run.summary.dropped >= 1);
    let starts: Vec<_> = srv
        .stats()
        .arrivals()
        .into_iter()
        .filter(|(_, p)| p.starts_with("/site/"))
        .map(|(t, _)| t)
        .collect();
    // The prefix rule also covers /site/30/2/10..19, so 0, 2, 5 and 6 remain.
    let mut fetched: Vec<_> = run.pages.iter().map(|p| p.url.path().to_owned()).collect();
    fetched.sort();
    assert_eq!(
        fetched,
        [
            "/site/30/2/0",
            "/site/30/2/2",
            "/site/30/2/5",
            "/site/30/2/6"
        ]
    );
    assert_eq!(starts.len(), 4);
    for pair in starts.windows(2) {
        assert!(
            pair[1] - pair[0] >= Duration::from_secs(3),
            "Crawl-delay 3 s not kept"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn unavailable_robots_blocks_the_host_and_the_crawl_still_ends() {
    let srv = TestServer::start().await.unwrap();
    srv.set_robots(503, "down");
    let run = crawl(Crawler::builder().seed(srv.url("/site/10/2/0"))).await;
    assert_eq!(run.summary.pages, 0);
    assert_eq!(srv.stats().hits("/site/10/2/0"), 0);
    assert!(
        srv.stats().hits("/robots.txt") >= 3,
        "asked again before giving up"
    );
    assert_eq!(
        run.dropped.len(),
        1,
        "the seed is reported, not silently lost"
    );
    assert_eq!(
        run.summary.failed, 1,
        "and counted as failed, not as success"
    );
    assert_eq!(run.summary.dropped, 0);
}

/// Issue 16: a host that can't be reached at all (here, nothing listens)
/// failed nothing: its pages were "dropped by robots.txt" after a 2-minute
/// stall, and the crawl exited 0. They now fail, soon, with the error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_host_fails_its_pages_soon() {
    let url = ferrocrawl_testkit::closed_url("/a");
    let started = std::time::Instant::now();
    let run = crawl(Crawler::builder().seed(url)).await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    assert_eq!((run.summary.failed, run.summary.dropped), (1, 0));
    let page = &run.pages[0];
    assert_eq!(page.error.as_ref().unwrap().kind, "connect", "{page:?}");
    assert!(run.dropped.is_empty());
}

/// Issue 16: a redirect into an address the crawl may not reach showed as
/// "robots.txt unavailable" after a 120 s stall, with exit 0. It is a
/// refusal: `forbidden_address`, counted as failed, at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_address_is_a_failure_not_a_robots_drop() {
    let srv = TestServer::start().await.unwrap();
    let port = srv.addr().port();
    let seed = srv.url(&format!("/redirect-to?url=http://127.0.0.2:{port}/secret"));
    let started = std::time::Instant::now();
    let run = crawl(Crawler::builder().seed(seed).scope(ScopeSetting::Any)).await;
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "{:?}",
        started.elapsed()
    );
    let refused: Vec<_> = run
        .pages
        .iter()
        .filter(|p| p.url.host_str() == Some("127.0.0.2"))
        .collect();
    assert_eq!(refused.len(), 1, "{:?}", run.pages);
    assert_eq!(refused[0].error.as_ref().unwrap().kind, "forbidden_address");
    assert_eq!(run.summary.failed, 1);
    assert!(run.dropped.is_empty(), "{:?}", run.dropped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn traps_stay_bounded() {
    let srv = TestServer::start().await.unwrap();
    let b = Crawler::builder()
        .seed(srv.url("/trap/"))
        .max_repeated_segments(3)
        .max_depth(Some(20))
        .per_host(8);
    let run = crawl(b).await;
    let traps = run
        .pages
        .iter()
        .filter(|p| p.url.path().starts_with("/trap"))
        .count();
    let days = run
        .pages
        .iter()
        .filter(|p| p.url.path() == "/calendar")
        .count();
    assert_eq!(traps, 4, "/trap/, a/, a/a/, a/a/a/ and no deeper");
    assert!(days <= 21, "the calendar stops at the depth budget: {days}");
    assert!(run.summary.cut >= 1, "the guard's cut is reported");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_address_links_and_redirects_are_refused() {
    let public_looking = TestServer::start().await.unwrap();
    let other = TestServer::bind("127.0.0.2:0".parse().unwrap())
        .await
        .unwrap();
    let secret = other.url("/secret");
    let redirect = public_looking.url(&format!("/redirect-to?url={}", other.url("/via-redirect")));
    let seed = format!(
        "{}?to={}&to={}",
        public_looking.url("/links"),
        secret,
        redirect
    );
    let b = Crawler::builder()
        .seed(seed.clone())
        .scope(ScopeSetting::Any)
        .obey_robots(false);
    let run = crawl(b).await;
    assert_eq!(other.stats().requests(), 0, "nothing may reach 127.0.0.2");
    let refused: Vec<_> = run
        .pages
        .iter()
        .filter(|p| {
            p.error
                .as_ref()
                .is_some_and(|e| e.kind == "forbidden_address")
        })
        .map(|p| p.url.path().to_owned())
        .collect();
    assert!(refused.contains(&"/secret".to_owned()), "{refused:?}");
    assert!(refused.contains(&"/via-redirect".to_owned()), "{refused:?}");
    assert!(run.summary.failed >= 2);

    // --allow-private opens the door.
    let b = Crawler::builder()
        .seed(seed)
        .scope(ScopeSetting::Any)
        .obey_robots(false)
        .allow_private(true);
    let run = crawl(b).await;
    assert!(other.stats().hits("/secret") == 1 && other.stats().hits("/via-redirect") == 1);
    assert_eq!(run.summary.failed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_go_through_the_frontier() {
    let srv = TestServer::start().await.unwrap();
    let run = crawl(Crawler::builder().seed(srv.url("/redirect/3"))).await;
    let pages = by_path(&run.pages);
    assert_eq!(pages["/redirect/3"].status, Some(302));
    assert_eq!(
        pages["/redirect/3"].redirect.as_ref().unwrap().path(),
        "/redirect/2"
    );
    assert_eq!(pages["/redirect/0"].status, Some(200));
    assert_eq!(srv.stats().hits("/redirect/0"), 1);
    // A loop ends by dedup, not by a counter, and says so: the hop that
    // leads back is a failed page with its reason (issue 16).
    let run = crawl(Crawler::builder().seed(srv.url("/redirect-loop"))).await;
    assert_eq!((run.summary.pages, run.summary.failed), (1, 1));
    let pages = by_path(&run.pages);
    let back = pages["/redirect-loop-b"].error.as_ref().unwrap();
    assert_eq!(back.kind, "redirect_loop", "{back:?}");
}

/// Issue 16: a redirect with no, an empty or an invalid `Location` was a
/// plain 302 line with `error: null`. Each is a failed page with its
/// reason; a raw non-ASCII byte is percent-encoded and followed, as
/// browsers do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_locations_are_failures_with_a_reason() {
    let srv = TestServer::start().await.unwrap();
    for kind in ["none", "empty", "invalid"] {
        let run = crawl(Crawler::builder().seed(srv.url(&format!("/bad-location/{kind}")))).await;
        assert_eq!((run.summary.pages, run.summary.failed), (0, 1), "{kind}");
        let page = &run.pages[0];
        assert_eq!(page.status, Some(302), "{kind}: the status is kept");
        let error = page.error.as_ref().unwrap();
        assert_eq!(error.kind, "bad_redirect", "{kind}: {error:?}");
        assert!(
            error.message.contains("Location") || error.message.contains("not a URL"),
            "{error:?}"
        );
    }
    let run = crawl(Crawler::builder().seed(srv.url("/bad-location/raw"))).await;
    let pages = by_path(&run.pages);
    assert_eq!(
        pages["/bad-location/raw"].redirect.as_ref().unwrap().path(),
        "/caf%E9"
    );
    assert_eq!(srv.stats().hits("/caf%E9"), 1, "followed");
}

/// Regression: a followed redirect re-sent the request unchanged, so a form
/// POST answered with 303 was POSTed again to the result page, and the
/// caller's credentials went along to other origins.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn followed_redirects_change_method_and_credentials_as_fetch_does() {
    let srv = TestServer::start().await.unwrap();
    let other = TestServer::start().await.unwrap();
    let form = |to: &str, status: u16| {
        let url = srv.url(&format!("/redirect-to?url={to}&status={status}"));
        Request::post(url.parse().unwrap())
            .header("Authorization", "Bearer secret")
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(b"q=1".to_vec())
            .label("ECHO")
    };
    let b = Crawler::builder()
        // 303 to another origin: a GET without body, type or credentials.
        .request(form(&other.url("/anything/see-other"), 303))
        // 307 on the same origin: the same POST, credentials included.
        .request(form("/anything/temporary", 307))
        .router(Router::new().route("ECHO", |resp, ctx| {
            let echo: Value = resp.json()?;
            ctx.emit(&echo)
        }))
        .obey_robots(false);
    let run = crawl(b).await;
    assert_eq!(run.summary.failed, 0);
    let echo = |path: &str| {
        run.items
            .iter()
            .find(|e| e["path"] == path)
            .unwrap_or_else(|| panic!("no echo of {path} in {:?}", run.items))
    };
    let see_other = echo("/anything/see-other");
    assert_eq!(see_other["method"], "GET");
    assert_eq!(see_other["body"], "");
    assert!(see_other["headers"].get("authorization").is_none());
    assert!(see_other["headers"].get("content-type").is_none());
    let temporary = echo("/anything/temporary");
    assert_eq!(temporary["method"], "POST");
    assert_eq!(temporary["body"], "q=1");
    assert_eq!(temporary["headers"]["authorization"], "Bearer secret");
}

/// Regression: redirects had no hop limit, so a server redirecting to a fresh
/// URL each time was bounded only by the URL length or the page budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endless_redirects_stop_at_the_cap() {
    let srv = TestServer::start().await.unwrap();
    let from = |n: u32| {
        Crawler::builder()
            .seed(srv.url(&format!("/redirect-forever/{n}")))
            .obey_robots(false)
            // A backstop: without a cap the test fails instead of running on.
            .max_pages(Some(50))
    };
    // The default cap, 10: the seed and ten redirects are fetched, the
    // eleventh redirect is not followed and fails its page.
    let run = crawl(from(0)).await;
    assert_eq!(srv.stats().hits("/redirect-forever/10"), 1);
    assert_eq!(srv.stats().hits("/redirect-forever/11"), 0);
    assert_eq!((run.summary.pages, run.summary.failed), (10, 1));
    let failed: Vec<_> = run.pages.iter().filter(|p| p.error.is_some()).collect();
    assert_eq!(failed.len(), 1);
    let last = failed[0];
    assert_eq!(last.url.path(), "/redirect-forever/10");
    assert_eq!(last.status, Some(302));
    assert_eq!(
        last.redirect.as_ref().unwrap().path(),
        "/redirect-forever/11"
    );
    let error = last.error.as_ref().unwrap();
    assert_eq!(error.kind, "too_many_redirects");
    for part in [
        last.url.as_str(),
        "more than 10 redirects",
        "--max-redirects",
    ] {
        assert!(error.message.contains(part), "{part}: {}", error.message);
    }

    let run = crawl(from(100).max_redirects(2)).await;
    assert_eq!(srv.stats().hits("/redirect-forever/102"), 1);
    assert_eq!(srv.stats().hits("/redirect-forever/103"), 0);
    assert_eq!((run.summary.pages, run.summary.failed), (2, 1));

    // 0 follows none, and a 3xx is then a page like any other.
    let run = crawl(from(200).max_redirects(0)).await;
    assert_eq!(srv.stats().hits("/redirect-forever/201"), 0);
    assert_eq!((run.summary.pages, run.summary.failed), (1, 0));
    assert_eq!(
        run.pages[0].redirect.as_ref().unwrap().path(),
        "/redirect-forever/201"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_budget_and_out_of_scope_links() {
    let srv = TestServer::start().await.unwrap();
    let run = crawl(
        Crawler::builder()
            .seed(srv.url("/site/500/5/0"))
            .max_pages(Some(25))
            .per_host(8),
    )
    .await;
    assert_eq!(run.summary.pages, 25);
    assert!(run.summary.left_queued > 0);

    // Host scope ignores the port (as Scrapy and Crawlee do): another host
    // means another address.
    let other = TestServer::bind("127.0.0.2:0".parse().unwrap())
        .await
        .unwrap();
    let seed = format!("{}?to={}", srv.url("/links"), other.url("/"));
    let run = crawl(Crawler::builder().seed(seed)).await;
    assert_eq!(
        other.stats().requests(),
        0,
        "another host is out of scope by default"
    );
    assert_eq!(run.summary.out_of_scope, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_domains_come_on_top_of_the_scope_mode() {
    // Host scope on 127.0.0.1, plus `localhost` (which resolves to the
    // seed's address, so the private-address guard lets it through).
    let srv = TestServer::start().await.unwrap();
    let other = TestServer::bind("127.0.0.2:0".parse().unwrap())
        .await
        .unwrap();
    let by_name = format!("http://localhost:{}/by-name", srv.addr().port());
    let seed = format!("{}?to={by_name}&to={}", srv.url("/links"), other.url("/"));
    let run = crawl(
        Crawler::builder()
            .seed(seed)
            .allow_domain("localhost")
            .obey_robots(false),
    )
    .await;
    assert_eq!(srv.stats().hits("/links"), 1, "the seed's own host");
    assert_eq!(srv.stats().hits("/by-name"), 1, "the allowed domain");
    assert_eq!(other.stats().requests(), 0, "neither: out of scope");
    assert_eq!(run.summary.out_of_scope, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_is_graceful() {
    let srv = TestServer::start().await.unwrap();
    let crawler = Crawler::builder()
        .seed(srv.url("/site/5000/10/0"))
        .per_host(4)
        .build()
        .await
        .unwrap();
    let stopper = crawler.stopper();
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(crawler.run(tx));
    let mut seen = 0;
    while let Some(e) = rx.recv().await {
        if matches!(e, Event::Page(_)) {
            seen += 1;
            if seen == 20 {
                stopper.stop();
            }
        }
    }
    let summary = task.await.unwrap().unwrap();
    assert!(summary.stopped);
    assert!(
        summary.pages >= 20 && summary.pages < 100,
        "{}",
        summary.pages
    );
    assert_eq!(summary.pages, seen, "every fetched page was reported");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sitemaps_seed_the_crawl() {
    let srv = TestServer::start().await.unwrap();
    let url = |p: &str| srv.url(p);
    srv.set_robots(
        200,
        &format!("User-agent: *\nAllow: /\nSitemap: {}\n", url("/index.xml")),
    );
    srv.set_file(
        "/index.xml",
        "application/xml",
        sitemap_index(&[url("/pages.xml")]),
    );
    srv.set_file(
        "/pages.xml",
        "application/xml",
        urlset(&[url("/status/204"), url("/json")]),
    );
    srv.set_file(
        "/sitemap.xml",
        "text/plain",
        format!("{}\n", url("/user-agent")),
    );
    let run = crawl(Crawler::builder().seed(url("/site/3/2/0")).sitemaps(true)).await;
    for orphan in ["/status/204", "/json", "/user-agent"] {
        assert_eq!(
            srv.stats().hits(orphan),
            1,
            "{orphan} comes only from a sitemap"
        );
    }
    assert_eq!(run.summary.pages, 3 + 3);
    // Without the option, sitemaps are not read.
    srv.stats().reset();
    let run = crawl(Crawler::builder().seed(url("/site/3/2/0"))).await;
    assert_eq!(run.summary.pages, 3);
    assert_eq!(srv.stats().hits("/index.xml"), 0);
}

const SITEMAP_NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";

/// A sitemap index naming `sitemaps`.
fn sitemap_index(sitemaps: &[String]) -> String {
    let entries: String = sitemaps
        .iter()
        .map(|s| format!("<sitemap><loc>{s}</loc></sitemap>"))
        .collect();
    format!("<?xml version=\"1.0\"?><sitemapindex xmlns=\"{SITEMAP_NS}\">{entries}</sitemapindex>")
}

/// A sitemap listing `urls`.
fn urlset(urls: &[String]) -> String {
    let entries: String = urls
        .iter()
        .map(|u| format!("<url><loc>{u}</loc></url>"))
        .collect();
    format!("<urlset xmlns=\"{SITEMAP_NS}\">{entries}</urlset>")
}

/// Serve `/index.xml`, named by robots.txt (with `robots_extra` lines),
/// indexing `n` sitemaps `/sm/{i}.xml` that each list one testkit page.
fn serve_sitemaps(srv: &TestServer, n: usize, robots_extra: &str) {
    srv.set_robots(
        200,
        &format!(
            "User-agent: *\n{robots_extra}Sitemap: {}\n",
            srv.url("/index.xml")
        ),
    );
    let sitemaps: Vec<_> = (0..n).map(|i| srv.url(&format!("/sm/{i}.xml"))).collect();
    srv.set_file("/index.xml", "application/xml", sitemap_index(&sitemaps));
    for i in 0..n {
        let page = srv.url(&format!("/status/200?from={i}"));
        srv.set_file(&format!("/sm/{i}.xml"), "application/xml", urlset(&[page]));
    }
}

/// Regression: sitemap discovery fetched robots.txt itself, then the
/// frontier's robots lease fetched it again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_is_fetched_once_with_sitemaps_on() {
    let srv = TestServer::start().await.unwrap();
    serve_sitemaps(&srv, 3, "");
    let run = crawl(
        Crawler::builder()
            .seed(srv.url("/site/3/2/0"))
            .sitemaps(true),
    )
    .await;
    assert_eq!(
        srv.stats().hits("/robots.txt"),
        1,
        "robots.txt once per host"
    );
    assert_eq!(srv.stats().hits("/index.xml"), 1);
    for i in 0..3 {
        assert_eq!(srv.stats().hits(&format!("/sm/{i}.xml")), 1);
    }
    // Sitemaps make no page records: 3 site pages and 3 listed pages.
    assert_eq!(run.summary.pages, 3 + 3);
    assert!(run.pages.iter().all(|p| !p.url.path().ends_with(".xml")));
}

/// Regression: sitemaps were fetched back to back, outside the frontier's
/// politeness and robots.txt rules.
#[tokio::test(start_paused = true)]
async fn sitemap_fetches_are_polite_and_obey_robots() {
    let srv = TestServer::start().await.unwrap();
    serve_sitemaps(
        &srv,
        5,
        &format!(
            "Disallow: /hidden.xml\nSitemap: {}\n",
            srv.url("/hidden.xml")
        ),
    );
    srv.set_file(
        "/hidden.xml",
        "application/xml",
        urlset(&[srv.url("/json")]),
    );
    let delay = Duration::from_millis(500);
    let b = Crawler::builder()
        .seed(srv.url("/site/3/2/0"))
        .sitemaps(true)
        .per_host(1)
        .delay(delay)
        .jitter(false);
    let run = crawl(b).await;
    assert_eq!(srv.stats().hits("/sm/4.xml"), 1, "the sitemaps were read");
    assert_eq!(
        srv.stats().hits("/hidden.xml"),
        0,
        "disallowed sitemap fetched"
    );
    assert_eq!(srv.stats().hits("/json"), 0);
    assert!(
        run.dropped.iter().any(|(p, _)| p == "/hidden.xml"),
        "{:?}",
        run.dropped
    );
    assert!(srv.stats().max_in_flight() <= 1);
    // robots.txt takes no turn of the host's delay; everything else does.
    let starts: Vec<_> = srv
        .stats()
        .arrivals()
        .into_iter()
        .filter(|(_, p)| p != "/robots.txt")
        .collect();
    assert!(starts.len() >= 3 + 1 + 5 + 5);
    for pair in starts.windows(2) {
        let gap = pair[1].0 - pair[0].0;
        assert!(
            gap >= delay,
            "{} then {} only {gap:?} apart",
            pair[0].1,
            pair[1].1
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sitemap_listed_many_times_counts_once_toward_the_cap() {
    let srv = TestServer::start().await.unwrap();
    let url = |p: &str| srv.url(p);
    srv.set_robots(
        200,
        &format!("User-agent: *\nSitemap: {}\n", url("/index.xml")),
    );
    // One child listed 1,500 times, over the cap of 1,000, then another.
    let mut children = vec![url("/same.xml"); 1500];
    children.push(url("/last.xml"));
    srv.set_file("/index.xml", "application/xml", sitemap_index(&children));
    srv.set_file("/same.xml", "application/xml", urlset(&[url("/json")]));
    srv.set_file(
        "/last.xml",
        "application/xml",
        urlset(&[url("/user-agent")]),
    );
    let run = crawl(Crawler::builder().seed(url("/site/1/1/0")).sitemaps(true)).await;
    assert_eq!(srv.stats().hits("/same.xml"), 1);
    assert_eq!(
        srv.stats().hits("/last.xml"),
        1,
        "the cap was not spent on repeats"
    );
    assert_eq!(srv.stats().hits("/user-agent"), 1);
    assert_eq!(run.summary.failed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_and_gzipped_sitemaps_are_followed_up_to_the_nesting_cap() {
    use std::io::Write;

    let srv = TestServer::start().await.unwrap();
    let url = |p: &str| srv.url(p);
    srv.set_robots(
        200,
        &format!("User-agent: *\nSitemap: {}\n", url("/s0.xml")),
    );
    // s0 (nesting 0) → s1 → s2 → s3 (nesting 3), whose index is not followed.
    srv.set_file(
        "/s0.xml",
        "application/xml",
        sitemap_index(&[url("/pages.xml.gz"), url("/s1.xml")]),
    );
    for i in 1..4 {
        let next = url(&format!("/s{}.xml", i + 1));
        srv.set_file(
            &format!("/s{i}.xml"),
            "application/xml",
            sitemap_index(&[next]),
        );
    }
    srv.set_file("/s4.xml", "application/xml", urlset(&[url("/user-agent")]));
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(urlset(&[url("/json")]).as_bytes()).unwrap();
    srv.set_file("/pages.xml.gz", "application/gzip", gz.finish().unwrap());
    let run = crawl(Crawler::builder().seed(url("/site/1/1/0")).sitemaps(true)).await;
    assert_eq!(
        srv.stats().hits("/json"),
        1,
        "listed in the gzipped sitemap"
    );
    for s in ["/s1.xml", "/s2.xml", "/s3.xml"] {
        assert_eq!(srv.stats().hits(s), 1, "{s}");
    }
    assert_eq!(srv.stats().hits("/s4.xml"), 0, "past the nesting cap");
    assert_eq!(srv.stats().hits("/user-agent"), 0);
    assert_eq!(run.summary.pages, 2);
    assert_eq!(run.summary.failed, 0);
}

/// Regression: discovery ran to its end before the crawl looked at its stop
/// signal, so the first Ctrl-C could not stop it.
#[tokio::test(start_paused = true)]
async fn stopping_during_sitemap_discovery_is_prompt() {
    let srv = TestServer::start().await.unwrap();
    serve_sitemaps(&srv, 20, "");
    let crawler = Crawler::builder()
        .seed(srv.url("/site/3/2/0"))
        .sitemaps(true)
        .per_host(1)
        .delay(Duration::from_secs(1))
        .jitter(false)
        .build()
        .await
        .unwrap();
    let stopper = crawler.stopper();
    let (tx, mut rx) = mpsc::channel(64);
    let task = tokio::spawn(crawler.run(tx));
    // Stop at the first page: the seed, fetched before any sitemap.
    while let Some(e) = rx.recv().await {
        if matches!(e, Event::Page(_)) {
            stopper.stop();
        }
    }
    let summary = task.await.unwrap().unwrap();
    assert!(summary.stopped);
    assert_eq!(summary.pages, 1);
    let sitemaps: u64 = (0..20)
        .map(|i| srv.stats().hits(&format!("/sm/{i}.xml")))
        .sum();
    assert_eq!(sitemaps, 0, "sitemaps fetched after the stop");
    assert!(summary.left_queued > 0, "discovery was left queued");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_resolving_to_private_addresses_are_refused_at_connect_time() {
    // The seed lives on 127.0.0.2, so only that address is allowed; the link
    // names `localhost`, which resolves to 127.0.0.1 (and ::1): refused by
    // the resolver, so no connection is ever made.
    let seed_srv = TestServer::bind("127.0.0.2:0".parse().unwrap())
        .await
        .unwrap();
    let target = TestServer::start().await.unwrap();
    let link = format!("http://localhost:{}/by-name", target.addr().port());
    let seed = format!("{}?to={}", seed_srv.url("/links"), link);
    let run = crawl(
        Crawler::builder()
            .seed(seed)
            .scope(ScopeSetting::Any)
            .obey_robots(false),
    )
    .await;
    assert_eq!(target.stats().requests(), 0, "nothing may reach 127.0.0.1");
    let page = run
        .pages
        .iter()
        .find(|p| p.url.path() == "/by-name")
        .expect("a record for the link");
    let error = page.error.as_ref().expect("the link failed");
    assert_eq!(error.kind, "forbidden_address", "{}", error.message);
    assert!(error.message.contains("localhost"), "{}", error.message);
}

/// The seed's job in miniature: a paginated JSON list, then every detail.
fn books_router() -> Router {
    Router::new()
        .route("LIST", |resp, ctx| {
            let page: Value = resp.json()?;
            for book in page["results"].as_array().into_iter().flatten() {
                ctx.follow_url(&format!("/api/book/{}", book["id"]), "DETAIL")?;
            }
            if let Some(next) = page["next"].as_str() {
                ctx.follow_url(next, "LIST")?;
            }
            Ok(())
        })
        .route("DETAIL", |resp, ctx| {
            let book: Value = resp.json()?;
            if book["id"] == 9999 {
                return Err(ferrocrawl_core::Error::new(
                    ferrocrawl_core::ErrorKind::Handler,
                    "book 9999 is cursed",
                ));
            }
            ctx.emit(&book)
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_walks_a_list_api_and_emits_every_detail() {
    let srv = TestServer::start().await.unwrap();
    let start =
        Request::get(srv.url("/api/book/?limit=18&offset=9000").parse().unwrap()).label("LIST");
    let b = Crawler::builder()
        .request(start)
        .router(books_router())
        .per_host(16)
        .concurrency(32)
        .obey_robots(false);
    let run = crawl(b).await;
    // Books 9001..=10000, less the one whose handler fails.
    assert_eq!(run.summary.items, 999);
    let mut ids: Vec<u64> = run
        .items
        .iter()
        .map(|b| b["id"].as_u64().unwrap())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 999, "no item twice");
    assert_eq!((ids[0], ids[998]), (9001, 10000));
    assert!(
        run.items
            .iter()
            .all(|b| b["price"].is_number() && b["isbn"].is_string())
    );
    let cursed = run
        .pages
        .iter()
        .find(|p| p.url.path() == "/api/book/9999")
        .unwrap();
    let error = cursed.error.as_ref().unwrap();
    assert_eq!(error.kind, "handler");
    assert!(error.message.contains("cursed"));
    assert_eq!(run.summary.failed, 1);
    assert_eq!(
        srv.stats().hits("/api/book/"),
        56,
        "ceil(1000 / 18) list pages"
    );
    assert!(srv.stats().max_in_flight() <= 16);
}

/// An output that keeps items in memory, and how commits went.
#[derive(Default)]
struct Collect {
    items: Vec<(String, Value)>,
    committed: usize,
    commits: usize,
    fail_after: Option<usize>,
}

impl ferrocrawl_engine::Output for Collect {
    async fn accept(
        &mut self,
        page: &ferrocrawl_core::Url,
        label: Option<&str>,
        items: Vec<Value>,
    ) -> ferrocrawl_core::Result<()> {
        assert_eq!(label, Some("DETAIL"));
        if self.fail_after.is_some_and(|n| self.items.len() >= n) {
            return Err(ferrocrawl_core::Error::new(
                ferrocrawl_core::ErrorKind::Io,
                "disk full",
            ));
        }
        self.items
            .extend(items.into_iter().map(|i| (page.to_string(), i)));
        Ok(())
    }

    async fn commit(&mut self) -> ferrocrawl_core::Result<ferrocrawl_frontier::Checkpoint> {
        self.commits += 1;
        self.committed = self.items.len();
        Ok(vec![(
            "items".into(),
            self.committed.to_le_bytes().to_vec(),
        )])
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_into_writes_items_to_the_output_and_commits_at_the_end() {
    let srv = TestServer::start().await.unwrap();
    let start =
        Request::get(srv.url("/api/book/?limit=18&offset=9500").parse().unwrap()).label("LIST");
    let crawler = Crawler::builder()
        .request(start)
        .router(books_router())
        .per_host(16)
        .obey_robots(false)
        .build()
        .await
        .unwrap();
    let (tx, mut rx) = mpsc::channel(64);
    let drain = tokio::spawn(async move {
        let mut item_events = 0;
        while let Some(e) = rx.recv().await {
            if matches!(e, Event::Item { .. }) {
                item_events += 1;
            }
        }
        item_events
    });
    let (summary, out) = crawler.run_into(tx, Collect::default()).await.unwrap();
    assert_eq!(
        drain.await.unwrap(),
        0,
        "items go to the output, not events"
    );
    assert_eq!(summary.items, 499, "books 9501..=10000 but the cursed one");
    assert_eq!(out.items.len(), 499);
    assert_eq!(out.committed, 499, "the last commit covers every item");
    assert!(out.commits >= 1);
    assert!(
        out.items
            .iter()
            .all(|(url, item)| url.ends_with(&format!("/api/book/{}", item["id"])))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_output_that_fails_stops_the_crawl_with_its_error() {
    let srv = TestServer::start().await.unwrap();
    let start =
        Request::get(srv.url("/api/book/?limit=18&offset=9000").parse().unwrap()).label("LIST");
    let crawler = Crawler::builder()
        .request(start)
        .router(books_router())
        .obey_robots(false)
        .build()
        .await
        .unwrap();
    let (tx, _rx) = mpsc::channel(1 << 16);
    let out = Collect {
        fail_after: Some(10),
        ..Collect::default()
    };
    let err = match crawler.run_into(tx, out).await {
        Ok(_) => panic!("the crawl went on after its output failed"),
        Err(e) => e,
    };
    assert!(err.to_string().contains("disk full"), "{err}");
}

/// Issue 16: every link of this site carries a fresh random session id, so
/// the crawl never ended and its memory grew. Session ids are dropped in
/// canonicalization by default: the crawl ends with each page once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_id_trap_ends_with_each_page_once() {
    let srv = TestServer::start().await.unwrap();
    for param in ["sid", "jsessionid", "PHPSESSID"] {
        let seed = match param {
            "sid" => srv.url("/sessions/40/0"),
            _ => srv.url(&format!("/sessions/40/0?param={param}")),
        };
        let run = crawl(Crawler::builder().seed(seed).per_host(8).obey_robots(false)).await;
        let mut urls: Vec<String> = run.pages.iter().map(|p| p.url.to_string()).collect();
        urls.sort();
        assert_eq!(run.summary.pages, 40, "{param}: each page once: {urls:?}");
        assert_eq!(run.summary.failed, 0, "{param}");
    }
    // Without the defence the same site only ends at a budget.
    let run = crawl(
        Crawler::builder()
            .seed(srv.url("/sessions/40/0"))
            .strip_session_ids(false)
            .max_pages(Some(200))
            .per_host(8)
            .obey_robots(false),
    )
    .await;
    assert_eq!(run.summary.pages, 200, "endless without it");
}

/// Issue 16: the same trap under a parameter name no list knows. Pages
/// that differ only in `visit` prove to be the same page after a sample of
/// them, and the links that only vary it are cut, each with its reason: the
/// crawl ends by itself, long before the per-host budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn near_duplicate_urls_under_an_unknown_parameter_are_cut() {
    let srv = TestServer::start().await.unwrap();
    let seed = srv.url("/sessions/10/0?param=visit");
    let run = crawl(
        Crawler::builder()
            .seed(seed.clone())
            .per_host(4)
            .obey_robots(false),
    )
    .await;
    // Ten paths: each takes its first page and a sample of 30 more before
    // its links are cut; what was queued by then is still fetched.
    assert!(
        (10 * 31..2000).contains(&run.summary.pages),
        "{} pages",
        run.summary.pages
    );
    assert_eq!(run.summary.failed, 0);
    assert!(run.summary.cut > 0, "{:?}", run.summary);
    let (_, why) = run
        .dropped
        .iter()
        .find(|(_, why)| why.contains("near-duplicate"))
        .expect("a cut link says why");
    assert!(
        why.contains("`visit`") && why.contains("/sessions/10/"),
        "{why}"
    );
    // Without it, the site is endless: only a budget ends the crawl.
    let run = crawl(
        Crawler::builder()
            .seed(seed)
            .near_duplicates(false)
            .max_pages(Some(2000))
            .per_host(4)
            .obey_robots(false),
    )
    .await;
    assert_eq!(run.summary.pages, 2000, "endless without it");
}

/// A parameter whose values do change the page (pagination) is followed to
/// the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parameter_that_changes_the_page_is_followed() {
    let srv = TestServer::start().await.unwrap();
    let run = crawl(
        Crawler::builder()
            .seed(srv.url("/books/?page=1"))
            .per_host(8)
            .max_depth(Some(60))
            .obey_robots(false),
    )
    .await;
    let lists = run
        .pages
        .iter()
        .filter(|p| p.url.path() == "/books/")
        .count();
    assert_eq!(lists, 61, "pages 1 to 61 of the list, by their next links");
    assert!(
        !run.dropped
            .iter()
            .any(|(_, why)| why.contains("near-duplicate")),
        "{:?}",
        run.dropped
            .iter()
            .find(|(_, why)| why.contains("near-duplicate"))
    );
}

/// Issue 16: a per-host page budget, on by default and generous; when hit,
/// the summary says so and the crawl ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_host_page_budget_ends_a_crawl_and_is_reported() {
    let srv = TestServer::start().await.unwrap();
    assert_eq!(
        Crawler::builder().current_settings().max_pages_per_host,
        100_000,
        "finite by default"
    );
    let run = crawl(
        Crawler::builder()
            .seed(srv.url("/site/300/4/0"))
            .max_pages_per_host(100)
            .per_host(8)
            .obey_robots(false),
    )
    .await;
    assert_eq!(run.summary.pages, 100);
    assert_eq!(run.summary.full_hosts, 1);
    assert!(run.summary.left_on_full_hosts > 0);
    assert_eq!(run.summary.left_queued, run.summary.left_on_full_hosts);
}

/// Issue 16: a 503 with `Retry-After: 1` on one URL held back the whole
/// host, so a catalogue where a few pages answer that way on first hit
/// crawled many times slower. By default only that request waits; the host
/// is held back when the host as a whole throttles (see the next test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_on_one_url_delays_that_url_not_its_host() {
    use ferrocrawl_engine::ThrottleScope;
    let srv = TestServer::start().await.unwrap();
    let timed = |scope: ThrottleScope| {
        let seed = srv.url("/shaky/200/25/0");
        async move {
            let started = std::time::Instant::now();
            let b = Crawler::builder().seed(seed).per_host(4).obey_robots(false);
            let run = crawl(b.throttle(scope)).await;
            (started.elapsed(), run)
        }
    };
    let (auto, run) = timed(ThrottleScope::Auto).await;
    assert_eq!((run.summary.pages, run.summary.failed), (200, 0));
    assert!(
        run.summary.throttled_wait >= Duration::from_secs(8),
        "{:?}",
        run.summary.throttled_wait
    );
    srv.stats().reset();
    let (host, run) = timed(ThrottleScope::Host).await;
    assert_eq!(run.summary.pages, 200);
    assert!(auto < Duration::from_secs(5), "{auto:?}");
    assert!(
        host > auto,
        "holding the host is slower: {host:?} against {auto:?}"
    );
}

/// A 429 is the host throttling us: it holds back the host in `auto`.
#[tokio::test(start_paused = true)]
async fn a_429_holds_back_the_whole_host() {
    let srv = TestServer::start().await.unwrap();
    let run = crawl(
        Crawler::builder()
            .seed(srv.url("/throttle/1?retry_after=5"))
            .obey_robots(false),
    )
    .await;
    assert_eq!(run.summary.failed, 0);
    assert!(run.summary.throttled_wait >= Duration::from_secs(5));
}

/// Issue 16: an error record after retries said `elapsed: 0.0`, even after
/// three timeouts. It keeps the time every attempt took.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_after_retries_keeps_the_time_its_attempts_took() {
    let srv = TestServer::start().await.unwrap();
    let mut settings = ferrocrawl_engine::Settings {
        timeout: Duration::from_millis(300),
        retries: 2,
        obey_robots: false,
        ..Default::default()
    };
    settings.per_host = 1;
    let run = crawl(
        Crawler::builder()
            .settings(settings)
            .seed(srv.url("/delay/5")),
    )
    .await;
    assert_eq!(run.summary.failed, 1);
    let page = &run.pages[0];
    assert_eq!(page.attempts, 3);
    assert!(
        page.error.as_ref().unwrap().kind.contains("timeout"),
        "{page:?}"
    );
    assert!(
        page.elapsed >= Duration::from_millis(850),
        "{:?}",
        page.elapsed
    );
}

/// Issue 16: a link's query on a GBK page went out as UTF-8; browsers send
/// it in the page's encoding (the WHATWG URL parser's encoding override).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_links_query_is_sent_in_its_pages_encoding() {
    let srv = TestServer::start().await.unwrap();
    for (encoding, query) in [
        ("gbk", "q=%D6%D0%CE%C4"),
        ("shift_jis", "q=%92%86%95%B6"),
        ("utf-8", "q=%E4%B8%AD%E6%96%87"),
    ] {
        crawl(
            Crawler::builder()
                .seed(srv.url(&format!("/charset-link/{encoding}")))
                .obey_robots(false),
        )
        .await;
        let arrivals: Vec<String> = srv.stats().arrivals().into_iter().map(|(_, p)| p).collect();
        let want = format!("/found?{query}");
        assert!(
            arrivals.contains(&want),
            "{encoding}: {want} not in {arrivals:?}"
        );
    }
}

/// Issue 16: URLs cut by a trap guard and links skipped by extension left
/// no line at all. Each is a dropped line with its reason, once per crawl.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cut_and_skipped_links_leave_a_dropped_line_each() {
    let srv = TestServer::start().await.unwrap();
    let run = crawl(
        Crawler::builder()
            .seed(srv.url("/trap/"))
            .max_path_depth(4)
            .max_depth(Some(6))
            .obey_robots(false),
    )
    .await;
    let cut: Vec<_> = run
        .dropped
        .iter()
        .filter(|(_, why)| why.starts_with("cut by a trap guard"))
        .collect();
    assert_eq!(
        cut.len(),
        1,
        "the one link past the depth, once: {:?}",
        run.dropped
    );
    assert_eq!(run.summary.cut, 1);
    let seed = srv.url("/links?to=/photo.JPG&to=/docs.zip&to=/photo.JPG&to=/page");
    let run = crawl(Crawler::builder().seed(seed).obey_robots(false)).await;
    let mut skipped: Vec<_> = run
        .dropped
        .iter()
        .filter(|(_, why)| why.starts_with("skipped"))
        .map(|(path, _)| path.as_str())
        .collect();
    skipped.sort_unstable();
    assert_eq!(skipped, ["/docs.zip", "/photo.JPG"]);
    assert_eq!(run.summary.pages, 2, "the seed and /page");
}

/// Handlers that wait (as Python ones on an asyncio loop do) run in the
/// page's task: their items and requests go through the engine as a plain
/// handler's, and an error fails the page with its message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_that_wait_emit_follow_and_fail_like_plain_ones() {
    use ferrocrawl_engine::{AsyncHandler, Handled};
    use std::sync::Arc;

    let srv = TestServer::start().await.unwrap();
    let list: AsyncHandler = Arc::new(|resp| {
        Box::pin(async move {
            // Waiting is what these handlers are for.
            tokio::time::sleep(Duration::from_millis(5)).await;
            let page: Value = resp.json()?;
            let follow = page["results"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| {
                    let url = resp.url.join(&format!("/api/book/{}", b["id"])).unwrap();
                    Request::get(url).label("DETAIL")
                })
                .collect();
            Ok(Handled {
                items: Vec::new(),
                follow,
            })
        })
    });
    let detail: AsyncHandler = Arc::new(|resp| {
        Box::pin(async move {
            let book: Value = resp.json()?;
            if book["id"] == 3 {
                return Err(ferrocrawl_core::Error::new(
                    ferrocrawl_core::ErrorKind::Handler,
                    "no third book",
                ));
            }
            Ok(Handled {
                items: vec![book],
                follow: Vec::new(),
            })
        })
    });
    let b = Crawler::builder()
        .request(
            Request::get(srv.url("/api/book/?limit=5&offset=0").parse().unwrap()).label("LIST"),
        )
        .router(
            Router::new()
                .route_async("LIST", list)
                .route_async("DETAIL", detail),
        );
    let run = crawl(b).await;
    assert_eq!(
        run.pages.len(),
        6,
        "a record for every page, the failed one too"
    );
    assert_eq!(run.summary.failed, 1);
    let mut ids: Vec<i64> = run
        .items
        .iter()
        .map(|b| b["id"].as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, [1, 2, 4, 5]);
    let failed = run.pages.iter().find(|p| p.error.is_some()).unwrap();
    assert_eq!(failed.url.path(), "/api/book/3");
    assert!(
        failed
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("no third book")
    );
}
