//! The seed's job in Rust: walk a paginated JSON list API, fetch every detail record and
//! upsert it by id into SQLite (default) or PostgreSQL, 64 requests in flight; a re-run
//! adds no duplicate rows. Start testkit's books API, then run this:
//! `cargo run -p ferrocrawl-testkit -- --addr 127.0.0.1:8090 &`
//! `cargo run -p ferrocrawl --example books -- http://127.0.0.1:8090 [books.db | postgres://…]`
use ferrocrawl::Request;
use ferrocrawl::crawl::{Crawler, Event, Router};
use ferrocrawl::sink::{Item, PostgresSink, Sink, SqliteSink};
use serde_json::Value;
type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let base = args.next().unwrap_or("http://127.0.0.1:8090".into());
    let target = args.next().unwrap_or("books.db".into());
    let router = Router::new()
        .route("LIST", |resp, ctx| {
            let page: Value = resp.json()?;
            for book in page["results"].as_array().into_iter().flatten() {
                ctx.follow_url(&format!("/api/book/{}", book["id"]), "DETAIL")?;
            }
            match page["next"].as_str() {
                Some(next) => ctx.follow_url(next, "LIST"),
                None => Ok(()),
            }
        })
        .route("DETAIL", |resp, ctx| ctx.emit(&resp.json::<Value>()?));
    let start = Request::get(format!("{base}/api/book/?limit=18&offset=0").parse()?).label("LIST");
    let crawler = Crawler::builder().request(start).router(router);
    let crawler = crawler.concurrency(64).per_host(64).build().await?;
    let (tx, rx) = tokio::sync::mpsc::channel(1024);
    let run = tokio::spawn(crawler.run(tx));
    let id = || Some("id".to_owned());
    let stored = match target.starts_with("postgres://") {
        true => store(PostgresSink::connect(&target, "books", id()).await?, rx).await?,
        false => store(SqliteSink::open(&target, "books", id()).await?, rx).await?,
    };
    let summary = run.await??;
    eprintln!("{stored} books into {target} from {} pages", summary.pages);
    Ok(())
}

/// Upsert items in batches as they arrive; report pages that failed.
async fn store(mut sink: impl Sink, mut rx: tokio::sync::mpsc::Receiver<Event>) -> Result<usize> {
    let (mut batch, mut stored) = (Vec::<Item>::new(), 0);
    while let Some(event) = rx.recv().await {
        match event {
            Event::Item { item, .. } => batch.extend(item.as_object().cloned()),
            Event::Page(p) if p.error.is_some() => eprintln!("failed: {} {:?}", p.url, p.error),
            _ => {}
        }
        if batch.len() >= 500 || (rx.is_empty() && !batch.is_empty()) {
            sink.write(&batch).await?;
            stored += std::mem::take(&mut batch).len();
        }
    }
    sink.close().await?;
    Ok(stored)
}
