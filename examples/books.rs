//! The seed's job: every detail record of a paginated JSON API, upserted by id (no dups on a re-run).
//! `cargo run -p ferrocrawl --example books -- http://127.0.0.1:8090 [--sink books.db|postgres://…]`
use ferrocrawl::crawl::Router;
use ferrocrawl::{ItemRoute, Job, Request};
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
    // Resumable: kill it, run it again. Items are committed before their pages count as done;
    // a finished run removes its state, so the next one starts afresh (and updates every row).
    let report = Job::new("books")
        .request(start)
        .router(router)
        .configure(|s| (s.concurrency, s.per_host) = (64, 64))
        .items(ItemRoute::to(&target)?.key("id"))
        .frontier("sqlite:books-rs.state")?
        .run()
        .await?;
    let pages = report.summary.pages;
    eprintln!(
        "{} books into {target} from {pages} pages",
        report.items_written
    );
    Ok(())
}
