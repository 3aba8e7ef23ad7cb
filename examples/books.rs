//! The seed's job: every detail record of a paginated JSON API, upserted by id (no dups on a re-run).
//! `cargo run -p ferrocrawl --example books -- http://127.0.0.1:8090 [--sink books.db|postgres://…]`
use ferrocrawl::Request;
use ferrocrawl::crawl::{Crawler, Router, SinkOutput, SqliteFrontier};
use ferrocrawl::sink::{BoxSink, PostgresSink, Sink, SqliteSink};
use serde_json::Value;
const STATE: &str = "books-rs.state";
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
    let builder = Crawler::builder().request(start).router(router);
    let builder = builder.concurrency(64).per_host(64);
    // Resumable: kill it, run it again. Only the engine commits the state, after the sink.
    let (frontier, _) = SqliteFrontier::open(STATE, builder.frontier_config(), "books.rs")?;
    frontier.set_manual_commit(true);
    let crawler = builder.build_with(frontier).await?;
    let key = Some("id".to_owned());
    let sink = match target.starts_with("postgres://") {
        true => BoxSink::new(PostgresSink::connect(&target, "books", key).await?),
        false => BoxSink::new(SqliteSink::open(&target, "books", key).await?),
    };
    let (events, _) = tokio::sync::mpsc::channel(1);
    let (summary, out) = crawler.run_into(events, SinkOutput::new(sink)).await?;
    eprintln!(
        "{} books into {target} from {} pages",
        out.written(),
        summary.pages
    );
    out.into_inner().close().await?;
    // Finished: remove the state, so the next run starts afresh (and updates every row).
    if summary.left_queued == 0 {
        for end in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{STATE}{end}"));
        }
    }
    Ok(())
}
