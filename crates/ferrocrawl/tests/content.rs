//! Clean content through the facade: `resp.markdown()` and the rest on a
//! fetched response (`ContentExt`), and the `content` setting of a job.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests assert by unwrapping"
)]

use ferrocrawl::crawl::{ContentFormat, Event};
use ferrocrawl::prelude::*;
use ferrocrawl_testkit::TestServer;

/// An article in GBK, its charset declared only in a `<meta>` after 1,024
/// bytes of head, so that the response's charset pipeline must find it.
fn gbk_page() -> Vec<u8> {
    let filler = format!("<!-- {} -->", "x".repeat(1100));
    let html = format!(
        r#"<html lang="zh"><head>{filler}<meta charset="gbk"><title>网络爬虫 - 例子</title>
<meta name="description" content="关于网络爬虫的文章"></head><body>
<nav><a href="/">首页</a> <a href="/news">新闻</a></nav>
<article><h1>网络爬虫</h1>
<p>{}</p><p>{}</p>
<p>请看<a href="guide.html">指南</a>。</p>
</article><footer>版权所有</footer></body></html>"#,
        "网络爬虫按照一定的规则自动抓取万维网信息，搜索引擎使用爬虫建立索引。".repeat(4),
        "数据挖掘也常用它，礼貌的爬虫遵守机器人协议并限制请求频率。".repeat(4),
    );
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(&html);
    assert!(!unmappable);
    bytes.into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fetched_response_gives_its_markdown_text_and_metadata() {
    let srv = TestServer::start().await.unwrap();
    srv.set_file("/zh/crawler", "text/html", gbk_page());
    let client = Client::builder().build().unwrap();
    let resp = client
        .execute(&Request::get(srv.url("/zh/crawler").parse().unwrap()))
        .await
        .unwrap();
    let md = resp.markdown();
    assert!(md.contains("网络爬虫按照一定的规则"), "{md}");
    assert!(
        md.contains(&format!("[指南]({})", srv.url("/zh/guide.html"))),
        "{md}"
    );
    assert!(!md.contains("首页") && !md.contains("版权所有"), "{md}");
    let text = resp.main_text();
    assert!(text.contains("礼貌的爬虫遵守机器人协议"), "{text}");
    assert!(!text.contains('['), "{text}");
    let meta = resp.metadata();
    assert_eq!(meta.language.as_deref(), Some("zh"));
    assert_eq!(meta.description.as_deref(), Some("关于网络爬虫的文章"));
    // content() is all three at once
    let all = resp.content();
    assert_eq!((all.markdown, all.text, all.metadata), (md, text, meta));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_with_the_content_setting_puts_markdown_in_each_page_record() {
    let srv = TestServer::start().await.unwrap();
    srv.set_file("/zh/crawler", "text/html", gbk_page());
    srv.set_file("/data.json", "application/json", "{}");
    let mut running = Job::new("content")
        .seed(srv.url("/zh/crawler"))
        .seed(srv.url("/data.json"))
        .configure(|s| {
            s.content = Some(ContentFormat::Markdown);
            s.max_depth = Some(0);
        })
        .start()
        .await
        .unwrap();
    let mut records = Vec::new();
    while let Some(event) = running.next_event().await {
        if let Event::Page(page) = event {
            records.push(page);
        }
    }
    running.finish().await.unwrap();
    assert_eq!(records.len(), 2);
    for page in records {
        if page.url.path() == "/data.json" {
            assert_eq!(page.content, None);
            continue;
        }
        let content = page.content.expect("an HTML page has content");
        let md = content.markdown.expect("markdown was asked for");
        assert!(md.contains("网络爬虫按照一定的规则"), "{md}");
        assert_eq!(content.text, None);
        assert_eq!(content.language.as_deref(), Some("zh"));
        assert!(page.title.as_deref().unwrap().starts_with("网络爬虫"));
    }
}

/// A long article: `n` sections of prose, a table and code, about 2.3 KB
/// each.
fn long_page(n: usize) -> String {
    let section = |i: usize| {
        format!(
            "<h2>Part {i}</h2><p>{}</p><p>{}</p>\
             <table><tr><th>key</th><th>value</th></tr><tr><td>k{i}</td><td><span class=\"v\">{i}</span></td></tr></table>\
             <pre><code class=\"language-rust\">fn part_{i}() -> usize {{ {i} }}</code></pre>",
            "The survey's households answered questions about work and housing. ".repeat(12),
            "Each district's results were <em>weighted</em> by its <a href=\"/d\">population</a>. "
                .repeat(8),
        )
    };
    let body: String = (0..n).map(section).collect();
    format!(
        "<html><head><title>A long report</title></head><body><nav><a href=\"/\">Home</a></nav>\
         <article><h1>A long report</h1>{body}</article></body></html>"
    )
}

/// Extraction is CPU work; it must not hold the runtime's thread while the
/// crawl's other tasks (fetches, timers, politeness) wait. On a runtime
/// with a single thread a ticker keeps ticking while a large page is
/// extracted.
#[tokio::test(flavor = "current_thread")]
async fn extracting_a_large_page_does_not_stall_the_runtime() {
    let srv = TestServer::start().await.unwrap();
    // The page grows until one extraction takes long enough here for the
    // bound below to tell a stall from scheduling noise.
    let bound = std::time::Duration::from_millis(150);
    let client = Client::builder().build().unwrap();
    let mut sections = 600;
    let (last, one) = loop {
        srv.set_file("/report", "text/html", long_page(sections).into_bytes());
        let resp = client
            .execute(&Request::get(srv.url("/report").parse().unwrap()))
            .await
            .unwrap();
        let started = std::time::Instant::now();
        let md = tokio::task::spawn_blocking(move || resp.markdown())
            .await
            .unwrap();
        let one = started.elapsed();
        let last = format!("## Part {}", sections - 1);
        assert!(
            md.contains(&last),
            "{}",
            &md[md.len().saturating_sub(300)..]
        );
        if one > 3 * bound || sections >= 9600 {
            break (last, one);
        }
        sections *= 2;
    };
    assert!(
        one > 2 * bound,
        "one extraction of {sections} sections took {one:?}: too fast for this test to tell a stall"
    );

    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let ticker = tokio::spawn(async move {
        let mut gap = std::time::Duration::ZERO;
        let mut last = std::time::Instant::now();
        loop {
            tokio::select! {
                _ = &mut stopped => return gap,
                () = tokio::time::sleep(std::time::Duration::from_millis(5)) => {
                    gap = gap.max(last.elapsed());
                    last = std::time::Instant::now();
                }
            }
        }
    });
    let mut running = Job::new("large")
        .seed(srv.url("/report"))
        .configure(|s| {
            s.content = Some(ContentFormat::Markdown);
            s.max_depth = Some(0);
        })
        .start()
        .await
        .unwrap();
    let mut markdown = None;
    while let Some(event) = running.next_event().await {
        if let Event::Page(page) = event {
            markdown = page.content.and_then(|c| c.markdown);
        }
    }
    running.finish().await.unwrap();
    stop.send(()).unwrap();
    let gap = ticker.await.unwrap();
    assert!(markdown.is_some_and(|m| m.contains(&last)));
    assert!(
        gap < bound,
        "the runtime's thread stalled {gap:?} (one extraction takes {one:?})"
    );
}
