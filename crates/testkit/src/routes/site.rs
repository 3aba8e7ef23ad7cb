//! Pages for crawl tests: a generated site graph, arbitrary HTML, link
//! lists, traps, and a configurable robots.txt.

use hyper::Response;
use hyper::StatusCode;

use crate::query::Query;
use crate::response::{BadRequest, Body, Handled, text, with_body};

use super::State;

fn html(body: String) -> Response<Body> {
    with_body(StatusCode::OK, "text/html; charset=utf-8", body)
}

/// `/site/{pages}/{fanout}/{i}`: page `i` of a site of `pages` pages. It
/// links to its children `i*fanout+1 ..= i*fanout+fanout`, its parent, the
/// home page and itself, so every page is reachable from page 0 and the
/// graph has cycles and duplicate links for dedup to handle.
pub(super) fn site(pages: &str, fanout: &str, i: &str) -> Handled {
    let parse = |what: &str, raw: &str| -> Result<u64, BadRequest> {
        raw.parse()
            .map_err(|_| BadRequest::new(format!("{what} must be a whole number, got {raw:?}")))
    };
    let (pages, fanout) = (parse("pages", pages)?, parse("fanout", fanout)?);
    let i = parse("page", i.trim_end_matches(".html"))?;
    Ok(graph_page(
        &format!("/site/{pages}/{fanout}"),
        pages,
        fanout,
        i,
    ))
}

/// Page `i` of the site graph of `pages` pages and `fanout` children each,
/// its links under `base`.
fn graph_page(base: &str, pages: u64, fanout: u64, i: u64) -> Response<Body> {
    if i >= pages {
        return crate::response::not_found();
    }
    let mut links = String::new();
    for k in 1..=fanout {
        let child = i.saturating_mul(fanout).saturating_add(k);
        if child < pages {
            links.push_str(&format!(
                "<li><a href=\"{base}/{child}\">page {child}</a></li>\n"
            ));
        }
    }
    if i > 0 {
        let parent = (i - 1) / fanout.max(1);
        links.push_str(&format!("<li><a href=\"{base}/{parent}\">up</a></li>\n"));
    }
    links.push_str(&format!(
        "<li><a href=\"{base}/0\">home</a></li>\n<li><a href=\"{base}/{i}#top\">here</a></li>\n"
    ));
    html(format!(
        "<!doctype html><html><head><title>Page {i}</title></head>\
         <body><h1 id=top>Page {i}</h1><ul>\n{links}</ul></body></html>\n"
    ))
}

/// `/page?html=…` → the given HTML, as is.
pub(super) fn page(query: &Query) -> Response<Body> {
    html(query.get("html").unwrap_or_default().to_owned())
}

/// `/links?to=URL&to=URL…` → a page with one `<a href>` per `to`.
pub(super) fn links(query: &Query) -> Response<Body> {
    let mut body = String::from("<!doctype html><html><head><title>links</title></head><body>\n");
    for (k, v) in query.pairs() {
        if k == "to" {
            let escaped = v.replace('&', "&amp;").replace('"', "&quot;");
            body.push_str(&format!("<a href=\"{escaped}\">{escaped}</a>\n"));
        }
    }
    body.push_str("</body></html>\n");
    html(body)
}

/// `/trap/…`: every page links one level deeper (`a/`), forever, and to a
/// calendar whose every day links to the next: the two classic crawler traps.
pub(super) fn trap(path: &str) -> Response<Body> {
    let depth = path.matches('/').count();
    html(format!(
        "<!doctype html><html><head><title>trap {depth}</title></head><body>\
         <a href=\"a/\">deeper</a> <a href=\"/calendar?day={depth}\">calendar</a></body></html>\n"
    ))
}

/// `/sessions/{pages}/{i}?sid=…` (or `jsessionid`, `PHPSESSID` with
/// `?param=NAME`): a `pages`-page site whose every link carries a fresh
/// random session id, to itself and to its neighbours: endless without
/// session-id stripping, `pages` pages with it.
pub(super) fn sessions(pages: &str, i: &str, query: &Query) -> Handled {
    let parse = |what: &str, raw: &str| -> Result<u64, BadRequest> {
        raw.parse()
            .map_err(|_| BadRequest::new(format!("{what} must be a whole number, got {raw:?}")))
    };
    let (pages, i) = (parse("pages", pages)?, parse("page", i)?);
    if i >= pages {
        return Ok(crate::response::not_found());
    }
    let param = query.get("param").unwrap_or("sid");
    let keep = if param == "sid" {
        String::new()
    } else {
        format!("&param={param}")
    };
    let mut links = String::new();
    for target in [i, (i + 1) % pages, (i + pages - 1) % pages, 0] {
        let sid: String = std::iter::repeat_with(fastrand::alphanumeric)
            .take(24)
            .collect();
        links.push_str(&format!(
            "<a href=\"/sessions/{pages}/{target}?{param}={sid}{keep}\">page {target}</a>\n"
        ));
    }
    Ok(html(format!(
        "<!doctype html><html><head><title>session page {i}</title></head><body>\n{links}</body></html>\n"
    )))
}

/// `/shaky/{pages}/{every}/{i}`: the `/site/{pages}/4` graph, but page `i`
/// answers `503` with `Retry-After: 1` on its first hit when `i % every ==
/// 0`: a catalogue where some URLs ask for a moment, the host as a whole
/// does not.
pub(super) fn shaky(state: &State, pages: &str, every: &str, i: &str, path: &str) -> Handled {
    let parse = |what: &str, raw: &str| -> Result<u64, BadRequest> {
        raw.parse()
            .map_err(|_| BadRequest::new(format!("{what} must be a whole number, got {raw:?}")))
    };
    let (pages, every, n) = (
        parse("pages", pages)?,
        parse("every", every)?,
        parse("page", i)?,
    );
    if every > 0 && n.is_multiple_of(every) && state.stats.hits(path) <= 1 {
        let mut r = with_body(StatusCode::SERVICE_UNAVAILABLE, "text/plain", "a moment\n");
        r.headers_mut()
            .insert("retry-after", hyper::header::HeaderValue::from_static("1"));
        return Ok(r);
    }
    Ok(graph_page(&format!("/shaky/{pages}/{every}"), pages, 4, n))
}

/// `/calendar?day=N` → links to day N+1.
pub(super) fn calendar(query: &Query) -> Handled {
    let day: u64 = query.parse_or("day", 0)?;
    Ok(html(format!(
        "<!doctype html><html><head><title>day {day}</title></head><body>\
         <a href=\"/calendar?day={}\">next day</a></body></html>\n",
        day + 1
    )))
}

/// `/robots.txt` → what [`crate::TestServer::set_robots`] set; 404 by default.
pub(super) fn robots(state: &State) -> Response<Body> {
    let robots = state
        .robots
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    match robots {
        Some((status, body)) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            text(status, body)
        }
        None => crate::response::not_found(),
    }
}

/// `/api/book/?limit=L&offset=N` (limit 1..=100, default 18) → a page of the
/// catalogue as JSON.
pub(super) fn book_list(query: &Query) -> Handled {
    let limit: u64 = query.parse_or("limit", 18)?;
    let offset: u64 = query.parse_or("offset", 0)?;
    if !(1..=100).contains(&limit) {
        return Err(BadRequest::new(format!(
            "limit must be 1..=100, got {limit}"
        )));
    }
    Ok(crate::response::json(
        StatusCode::OK,
        &crate::books::list(limit, offset),
    ))
}

/// `/api/book/{id}` → the full record, or 404.
pub(super) fn book_detail(id: &str) -> Handled {
    match id.parse::<u64>() {
        Ok(id) if (1..=crate::books::BOOKS).contains(&id) => Ok(crate::response::json(
            StatusCode::OK,
            &crate::books::detail(id),
        )),
        Ok(_) => Ok(crate::response::not_found()),
        Err(_) => Err(BadRequest::new(format!(
            "book id must be a whole number, got {id:?}"
        ))),
    }
}

/// `/books/?page=N` and `/books/{id}`: the same catalogue as HTML.
pub(super) fn book_html(id: Option<&str>, query: &Query) -> Handled {
    let page = match id {
        None => crate::books::html_list(query.parse_or("page", 1)?),
        Some(id) => id.parse().ok().and_then(crate::books::html_detail),
    };
    Ok(page.map_or_else(crate::response::not_found, html))
}
