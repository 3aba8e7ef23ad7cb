//! The seed's job: every detail record of a paginated JSON API, upserted by id (no dups on a re-run).
//! `cargo run -p ferrocrawl --example books -- http://127.0.0.1:8090 [--sink books.db|postgres://…]`
use ferrocrawl::Request;
use ferrocrawl::crawl::{Crawler, Event, Router};
use ferrocrawl::sink::{Item, PostgresSink, Sink, SqliteSink};
use serde_json::Value;
type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;
#[tokio::main]
async fn main() -> Result<()> {
    let (mut base, mut target) = ("http://127.0.0.1:8090".to_owned(), "books.db".to_owned());
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--sink" => target = args.next().ok_or("--sink needs a target")?,
            _ => base = arg,
        }
    }
    let router = Router::new()
        .route("LIST", |resp, ctx| {
            let page: Value = resp.json()?;
            for book in page["results"].as_array().into_iter().flatten() {
                ctx.follow_url(&format!("/api/book/{}", book["id"]), "DETAIL")?;
            }
            page["next"]
                .as_str()
                .map_or(Ok(()), |next| ctx.follow_url(next, "LIST"))
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
