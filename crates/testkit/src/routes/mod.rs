//! Request routing: one match over the path segments, handlers by theme.

mod basic;
mod echo;
mod encodings;
mod faults;
mod redirects;
mod site;

use std::net::SocketAddr;
use std::sync::Arc;

use hyper::Request;
use hyper::body::Incoming;

use crate::flaky::Flaky;
use crate::query::Query;
use crate::response::{Reply, not_found};
use crate::stats::Stats;
use crate::throttle::Throttle;

/// Everything the handlers of one server share.
#[derive(Debug)]
pub(crate) struct State {
    /// Where the server listens, for absolute redirect URLs.
    pub(crate) addr: SocketAddr,
    pub(crate) stats: Arc<Stats>,
    pub(crate) throttle: Throttle,
    pub(crate) flaky: Flaky,
    /// `/robots.txt`: status and body, or 404 when unset.
    pub(crate) robots: std::sync::Mutex<Option<(u16, String)>>,
    /// Fixed files by path, set by tests (sitemaps and the like); they win
    /// over every route.
    pub(crate) files: std::sync::Mutex<std::collections::HashMap<String, (String, Vec<u8>)>>,
}

impl State {
    /// Fresh state for a server listening on `addr`.
    pub(crate) fn new(addr: SocketAddr) -> Self {
        State {
            addr,
            stats: Arc::default(),
            throttle: Throttle::default(),
            flaky: Flaky::default(),
            robots: std::sync::Mutex::new(None),
            files: std::sync::Mutex::default(),
        }
    }
}

/// Answers one request, counting it in the server's stats while the handler
/// runs.
pub(crate) async fn handle(state: Arc<State>, request: Request<Incoming>) -> Reply {
    let path = request.uri().path().to_owned();
    let _in_flight = state.stats.request_started(&path);
    let path_and_query = request
        .uri()
        .path_and_query()
        .map_or(path.as_str(), |pq| pq.as_str());
    state.stats.record_arrival(path_and_query);
    if let Some((content_type, body)) = state
        .files
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .get(&path)
        .cloned()
    {
        return crate::response::with_owned_type(content_type, body).into();
    }
    let query = Query::parse(request.uri().query());
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(&path).split('/').collect();

    match segments.as_slice() {
        [""] => basic::root().into(),
        ["delay", secs] => basic::delay(secs).await.into(),
        ["status", code] => basic::status(code).into(),
        ["json"] => basic::json().into(),
        ["bytes", n] => basic::bytes(n, &query).into(),
        ["__stats"] => basic::stats(&state.stats).into(),

        ["redirect", n] => redirects::chain(&state, n, &query).into(),
        ["redirect-forever", n] => redirects::forever(n).into(),
        ["redirect-to"] => redirects::to(&query).into(),
        ["redirect-loop"] => redirects::loop_a().into(),
        ["bad-location", kind] => redirects::bad_location(kind).into(),
        ["redirect-loop-b"] => redirects::loop_b().into(),

        ["throttle", k] => faults::throttle(&state, k, &query).into(),
        ["flaky"] => faults::flaky(&state, &query).await,
        ["drip"] => faults::drip(&query).into(),

        ["gzip-bomb"] => encodings::gzip_bomb(&query).into(),
        [name @ ("gzip" | "deflate" | "brotli" | "zstd")] => encodings::compressed(name).into(),
        ["charset", encoding, declaration] => encodings::charset(encoding, declaration).into(),
        ["charset-link", encoding] => encodings::charset_link(encoding).into(),

        ["anything", ..] => echo::anything(request, &query).await.into(),
        ["headers"] => echo::headers(request.headers()).into(),
        ["user-agent"] => echo::user_agent(request.headers()).into(),
        ["cookies"] => echo::cookies(request.headers()).into(),
        ["cookies", "set"] => echo::set_cookies(&query).into(),

        ["robots.txt"] => site::robots(&state).into(),
        ["site", pages, fanout, i] => site::site(pages, fanout, i).into(),
        ["page"] => site::page(&query).into(),
        ["links"] => site::links(&query).into(),
        ["trap", ..] => site::trap(&path).into(),
        ["sessions", pages, i] => site::sessions(pages, i, &query).into(),
        ["shaky", pages, every, i] => site::shaky(&state, pages, every, i, &path).into(),
        ["calendar"] => site::calendar(&query).into(),
        ["api", "book", ""] | ["api", "book"] => site::book_list(&query).into(),
        ["api", "book", id] => site::book_detail(id).into(),
        ["books", ""] | ["books"] => site::book_html(None, &query).into(),
        ["books", id] => site::book_html(Some(id), &query).into(),

        _ => not_found().into(),
    }
}
