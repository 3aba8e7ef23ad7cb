//! What the integration tests of the facade share.

use ferrocrawl::crawl::Router;
use serde_json::Value;

/// The books API walked list → detail: LIST pages follow each book and the
/// next page, DETAIL pages emit their record whole.
pub fn books_router() -> Router {
    Router::new()
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
        .route("DETAIL", |resp, ctx| ctx.emit(&resp.json::<Value>()?))
}
