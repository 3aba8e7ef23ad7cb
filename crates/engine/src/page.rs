//! Processing one lease: fetch, decide, extract, scope. Runs in its own task,
//! so the CPU work (decoding, link extraction) spreads over all cores.

use std::time::SystemTime;

use ferrocrawl_core::{Error, ErrorKind, Request, RequestKind, Response, Url};
use ferrocrawl_extract::extract_links_in;
use ferrocrawl_frontier::{Ack, Lease, LeaseKind};
use ferrocrawl_robots::{FetchResult, from_fetch};
use ferrocrawl_url::fingerprint;

use crate::builder::Ctx;
use crate::event::{ErrorRecord, PageRecord};
use crate::handler::{Context, Handled, Route};
use crate::settings::{ContentFormat, HOST_THROTTLE_RUN, ThrottleScope};

/// What a finished lease asks of the crawl loop.
pub(crate) struct Done {
    pub lease: Lease,
    pub ack: Ack,
    /// Links and redirects to push before the ack (order matters: pushing
    /// first means the frontier never looks finished in between).
    pub follow: Vec<Request>,
    pub out_of_scope: u64,
    /// Links cut by a trap guard or skipped by extension, with the reason:
    /// each becomes a `dropped` line (once per crawl).
    pub cut: Vec<(Url, String)>,
    pub record: Option<PageRecord>,
    /// Items the page's handler emitted.
    pub items: Vec<serde_json::Value>,
}

pub(crate) async fn process(ctx: &Ctx, lease: Lease) -> Done {
    match lease.kind {
        LeaseKind::Robots => robots(ctx, lease).await,
        LeaseKind::Page => page(ctx, lease).await,
    }
}

async fn robots(ctx: &Ctx, lease: Lease) -> Done {
    let result = ctx.robots_client.execute(&lease.request).await;
    let resp = match result {
        Ok(resp) => resp,
        Err(e) => {
            // Said at once: a host that can't be reached is the user's problem
            // to know about now, not after the retries.
            tracing::warn!(
                "{}: cannot fetch robots.txt ({}); the host's pages fail if it stays so",
                lease.request.url,
                e.display_chain()
            );
            return Done {
                lease,
                ack: Ack::RobotsFailed { error: e },
                follow: Vec::new(),
                out_of_scope: 0,
                cut: Vec::new(),
                record: None,
                items: Vec::new(),
            };
        }
    };
    let fetched = FetchResult::Status(resp.status.as_u16(), &resp.body);
    let (robots, availability) = from_fetch(fetched, &ctx.user_agent);
    if availability == ferrocrawl_robots::Availability::TemporarilyUnavailable {
        tracing::warn!(
            "{}: answered {}; RFC 9309 reads that as \"disallow everything\" for now, so the \
             host's pages wait and are dropped if it stays so",
            lease.request.url,
            resp.status
        );
    }
    // With sitemaps on, the sitemaps this robots.txt names seed the crawl.
    let follow = crate::sitemap::in_robots(ctx, &lease.request.url, &robots);
    Done {
        lease,
        ack: Ack::Robots {
            robots,
            availability,
        },
        follow,
        out_of_scope: 0,
        cut: Vec::new(),
        record: None,
        items: Vec::new(),
    }
}

/// The request with a `Referer` header naming the page it was found on, as
/// browsers and Scrapy send it (the `referer` setting): not when the request
/// sets one, and not from an https page to an http URL (the
/// no-referrer-when-downgrade policy). Added when sending, so queued
/// requests don't carry it.
fn referer(ctx: &Ctx, request: &Request) -> Option<Request> {
    if !ctx.referer {
        return None;
    }
    let from = request.referrer.as_ref()?;
    if from.scheme() == "https" && request.url.scheme() != "https" {
        return None;
    }
    if request
        .headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("referer"))
    {
        return None;
    }
    let mut value = from.clone();
    value.set_fragment(None);
    let _ = value.set_username("");
    let _ = value.set_password(None);
    let mut with = request.clone();
    with.headers.push(("Referer".to_owned(), value.into()));
    Some(with)
}

async fn page(ctx: &Ctx, lease: Lease) -> Done {
    let request = &lease.request;
    let started = tokio::time::Instant::now();
    let result = match referer(ctx, request) {
        Some(with_referer) => ctx.client.execute(&with_referer).await,
        None => ctx.client.execute(request).await,
    };
    let took = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    if let Some((after, reason)) = ctx
        .retry
        .decide(request, result.as_ref(), SystemTime::now())
    {
        let mut again = request.clone();
        again.attempts += 1;
        again.spent_ms = again.spent_ms.saturating_add(took);
        if let Ok(resp) = &result {
            again.last_status = Some(resp.status.as_u16());
        }
        if reason.uses_budget() {
            again.retries += 1;
        }
        let throttled = match reason {
            ferrocrawl_core::RetryReason::Throttled { status } => {
                let ms = u64::try_from(after.as_millis()).unwrap_or(u64::MAX);
                ctx.stats
                    .throttled_ms
                    .fetch_add(ms, std::sync::atomic::Ordering::Relaxed);
                holds_host(ctx, request, status)
            }
            _ => false,
        };
        tracing::debug!(url = %request.url, ?reason, ?after, throttled, "retrying");
        return Done {
            lease,
            ack: Ack::Retry {
                request: Box::new(again),
                after,
                throttled,
            },
            follow: Vec::new(),
            out_of_scope: 0,
            cut: Vec::new(),
            record: None,
            items: Vec::new(),
        };
    }
    if ctx.throttle == ThrottleScope::Auto
        && result.is_ok()
        && ctx
            .throttle_runs_open
            .load(std::sync::atomic::Ordering::Relaxed)
    {
        // An answer that is not a 503 ends the host's run of them. Checked
        // without the lock first: almost no page has a run to end.
        let mut runs = ctx.throttle_runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.remove(&request.host_key());
        ctx.throttle_runs_open
            .store(!runs.is_empty(), std::sync::atomic::Ordering::Relaxed);
    }
    match (result, lease.request.kind) {
        (Ok(resp), RequestKind::Page) => {
            // A handler that waits runs here, where the page's task can wait
            // for it; `fetched` takes what it made.
            let route = ctx
                .router
                .as_ref()
                .and_then(|r| r.get(lease.request.label.as_deref()));
            let waited = match route {
                Some(Route::Waiting(handler)) if resp.status.is_success() => {
                    Some(handler(resp.clone()).await)
                }
                _ => None,
            };
            let content = match ctx.content {
                Some(format) if resp.status.is_success() && resp.is_html() => {
                    Some((format, crate::content::extract(ctx, format, &resp).await))
                }
                _ => None,
            };
            fetched(ctx, lease, resp, waited, content)
        }
        (Err(error), RequestKind::Page) => failed(lease, &error, took),
        (Ok(resp), RequestKind::Sitemap { nesting }) => {
            crate::sitemap::fetched(ctx, lease, nesting, resp)
        }
        (Err(error), RequestKind::Sitemap { .. }) => crate::sitemap::failed(lease, &error),
    }
}

/// Where a 3xx points: `Ok(None)` for a status that needs no `Location`
/// (300, 304, ...), or why it can't be followed. Raw bytes past ASCII are
/// percent-encoded, as browsers do (`/caf\xE9` → `/caf%E9`).
fn location(resp: &Response) -> Result<Option<Url>, String> {
    let moved = matches!(resp.status.as_u16(), 301 | 302 | 303 | 307 | 308);
    let Some(raw) = resp.headers.get("location") else {
        return match moved {
            true => Err("a redirect without a Location header".to_owned()),
            false => Ok(None),
        };
    };
    let mut value = String::with_capacity(raw.len());
    for &b in raw.as_bytes() {
        if b.is_ascii() {
            value.push(char::from(b));
        } else {
            value.push_str(&format!("%{b:02X}"));
        }
    }
    let value = value.trim();
    if value.is_empty() {
        return Err("a redirect with an empty Location header".to_owned());
    }
    resp.url
        .join(value)
        .map(Some)
        .map_err(|e| format!("a redirect to `{value}`, which is not a URL ({e})"))
}

/// `url` in the crawl's canonical form.
fn canonical_url(ctx: &Ctx, url: &Url) -> Url {
    ctx.canonicalizer.canonicalize(url)
}

/// Whether a `Retry-After` answer (`status` 429 or 503) holds back the whole
/// host, by the crawl's [`ThrottleScope`].
fn holds_host(ctx: &Ctx, request: &Request, status: u16) -> bool {
    match ctx.throttle {
        ThrottleScope::Host => true,
        ThrottleScope::Request => false,
        ThrottleScope::Auto if status != 503 => true,
        ThrottleScope::Auto => {
            let mut runs = ctx.throttle_runs.lock().unwrap_or_else(|p| p.into_inner());
            let run = runs
                .entry(request.host_key())
                .or_insert_with(|| (0, request.url.clone()));
            if run.0 == 0 || run.1 != request.url {
                *run = (run.0 + 1, request.url.clone());
            }
            ctx.throttle_runs_open
                .store(true, std::sync::atomic::Ordering::Relaxed);
            run.0 >= HOST_THROTTLE_RUN
        }
    }
}

/// What the page's handler made of it: its items and requests, or its error.
type HandlerResult = ferrocrawl_core::Result<Handled>;

fn fetched(
    ctx: &Ctx,
    lease: Lease,
    resp: Response,
    waited: Option<HandlerResult>,
    content: Option<(ContentFormat, Result<ferrocrawl_content::Content, String>)>,
) -> Done {
    let request = &lease.request;
    let status = resp.status.as_u16();
    let content_type = resp.content_type().map(str::to_owned);
    let mut record = PageRecord {
        url: request.url.clone(),
        status: Some(status),
        depth: request.depth,
        referrer: request.referrer.clone(),
        title: None,
        content_type: content_type.clone(),
        bytes: resp.body.len() as u64,
        links: 0,
        redirect: None,
        ttfb: resp.timings.ttfb,
        elapsed: resp.timings.total + std::time::Duration::from_millis(request.spent_ms),
        attempts: request.attempts + 1,
        error: None,
        content: None,
        body: None,
    };
    let mut follow = Vec::new();
    let mut out_of_scope = 0;
    let mut cut: Vec<(Url, String)> = Vec::new();
    let mut items = Vec::new();
    // Every request found here, link or handler's choice, is canonicalized
    // and scoped the same way: `push` takes one whose URL is canonical already.
    let mut push = |mut next: Request, depth: u32, follow: &mut Vec<Request>| -> bool {
        match ctx.scope.check(&next.url) {
            Ok(()) => {
                let near = ctx.near_duplicates.as_ref();
                if let Some(why) = near.and_then(|n| n.verdict(&next.url)) {
                    cut.push((next.url, why));
                    return false;
                }
                next.depth = depth;
                next.referrer = Some(request.url.clone());
                follow.push(next);
                true
            }
            Err(why) if why.is_trap_guard() => {
                cut.push((next.url, format!("cut by a trap guard: {why}")));
                false
            }
            Err(why) => {
                tracing::trace!(url = %next.url, %why, "out of scope");
                out_of_scope += 1;
                false
            }
        }
    };
    let canonical = |mut next: Request| {
        next.url = ctx.canonicalizer.canonicalize_owned(next.url);
        next
    };
    let handler = ctx
        .router
        .as_ref()
        .and_then(|r| r.get(request.label.as_deref()));
    if let Some(near) = &ctx.near_duplicates
        && request.url.query().is_some()
        && resp.status.is_success()
        && resp.is_html()
    {
        near.observe(&request.url, resp.text());
    }
    // A redirect past the cap: the page failed.
    let mut gave_up = false;
    if resp.status.is_redirection() && ctx.max_redirects == 0 {
        // Following none: the 3xx is a page like any other; say where it pointed.
        record.redirect = location(&resp).ok().flatten();
    } else if resp.status.is_redirection() {
        // Redirects come back through the frontier, so dedup, scope and
        // politeness see every hop (the crawl client follows none itself).
        // Dedup ends loops; the hop count ends chains of fresh URLs. A
        // redirect that can't be followed fails the page with its reason.
        match location(&resp) {
            Ok(None) => {}
            Ok(Some(target)) => {
                let back = canonical_url(ctx, &target);
                if back == request.url
                    || (request.redirects > 0 && request.referrer.as_ref() == Some(&back))
                {
                    gave_up = true;
                    record.error = Some(ErrorRecord {
                        kind: ErrorKind::RedirectLoop.name().to_owned(),
                        message: format!(
                            "{} redirects to {target}, which redirected here: a redirect loop",
                            request.url
                        ),
                    });
                } else if request.redirects >= ctx.max_redirects {
                    gave_up = true;
                    record.error = Some(too_many_redirects(request, &target, ctx.max_redirects));
                } else {
                    // The same request, moved: label and data stay, the method,
                    // body and credentials follow the redirect rules of `fetch`.
                    let moved = ferrocrawl_fetch::redirected(request, resp.status, target.clone());
                    push(canonical(moved), request.depth, &mut follow);
                }
                record.redirect = Some(target);
            }
            Err(why) => {
                gave_up = true;
                record.error = Some(ErrorRecord {
                    kind: ErrorKind::BadRedirect.name().to_owned(),
                    message: format!("{} answered {}, {why}", request.url, resp.status),
                });
            }
        }
    } else if let (Some(_), false) = (handler, resp.status.is_success()) {
        // A page whose rule never saw it: no items, and not a success.
        record.error = Some(ErrorRecord {
            kind: ErrorKind::HttpStatus.name().to_owned(),
            message: format!(
                "{} answered {}; its handler{} did not run",
                resp.url,
                resp.status,
                request
                    .label
                    .as_deref()
                    .map(|l| format!(" (`{l}`)"))
                    .unwrap_or_default()
            ),
        });
    } else if let (Some(handler), true) = (handler, resp.status.is_success()) {
        let result = match (handler, waited) {
            (_, Some(waited)) => waited,
            (Route::Plain(handler), None) => {
                let mut hctx = Context::new(&resp, &ctx.links);
                let result = handler(&resp, &mut hctx);
                let (items, follow) = hctx.into_parts();
                result.map(|()| Handled { items, follow })
            }
            (Route::Waiting(_), None) => Err(Error::new(
                ErrorKind::Handler,
                format!(
                    "{}: the handler was not called (a bug: please report it)",
                    resp.url
                ),
            )),
        };
        match result {
            Ok(handled) => {
                items = handled.items;
                for next in handled.follow {
                    push(canonical(next), request.depth + 1, &mut follow);
                }
            }
            Err(e) => {
                record.error = Some(ErrorRecord {
                    kind: e.kind().name().to_owned(),
                    message: e.display_chain(),
                });
            }
        }
    } else if resp.status.is_success() && resp.is_html() {
        let depth = request.depth + 1;
        // Most links on a page were pushed by other pages already. Those written the same
        // way in the same directory are not even resolved (`known`); the others are told
        // apart by their canonical fingerprint, before a request is built (see recent.rs).
        let page = extract_links_in(
            resp.text(),
            &resp.url,
            &ctx.links,
            &ctx.recent.known_at(depth),
            resp.decoded().encoding,
        );
        record.title = page.title;
        record.links = page.links.len() + page.known;
        let follow_links = ctx.follow_links && !(ctx.links.honour_nofollow && page.meta_nofollow);
        if follow_links && ctx.max_depth.is_none_or(|max| request.depth < max) {
            for l in page.links {
                if l.nofollow && ctx.links.honour_nofollow {
                    continue;
                }
                let url = ctx.canonicalizer.canonicalize_owned(l.url);
                let fp = fingerprint(&url, "GET", None);
                let handled = ctx.recent.contains(fp, depth) || {
                    let next = Request::get(url).priority(request.priority);
                    let pushed = push(next, depth, &mut follow);
                    if pushed {
                        ctx.recent.record(fp, depth);
                    }
                    pushed
                };
                if let (true, Some(memo)) = (handled, l.memo) {
                    ctx.recent.remember(memo, depth);
                }
            }
            for url in page.skipped {
                let url = ctx.canonicalizer.canonicalize_owned(url);
                let why = "skipped: its extension names a file that is not a page \
                           (--all-extensions follows it)";
                cut.push((url, why.to_owned()));
            }
        }
    }
    if let Some((format, content)) = content {
        crate::content::add(ctx, &mut record, format, content);
    }
    if ctx.keep_bodies {
        record.body = Some(resp.body.clone());
    }
    let ack = if gave_up {
        Ack::Failed
    } else {
        Ack::Done {
            status,
            bytes: resp.body.len() as u64,
            latency: resp.timings.ttfb,
        }
    };
    Done {
        ack,
        lease,
        follow,
        out_of_scope,
        cut,
        record: Some(record),
        items,
    }
}

fn failed(lease: Lease, error: &Error, took_ms: u64) -> Done {
    let request = &lease.request;
    let mut record = PageRecord::failed(request, error.kind().name(), error.display_chain());
    record.attempts = request.attempts + 1;
    // What the attempts before had, kept: the status of the last response
    // and the time all of them took.
    record.status = request.last_status;
    record.elapsed = std::time::Duration::from_millis(request.spent_ms.saturating_add(took_ms));
    Done {
        lease,
        ack: Ack::Failed,
        follow: Vec::new(),
        out_of_scope: 0,
        cut: Vec::new(),
        record: Some(record),
        items: Vec::new(),
    }
}

/// The error of a page whose redirect would be one hop past `max`.
fn too_many_redirects(request: &Request, target: &Url, max: u32) -> ErrorRecord {
    let kind = ErrorKind::TooManyRedirects {
        limit: usize::try_from(max).unwrap_or(usize::MAX),
    };
    ErrorRecord {
        kind: kind.name().to_owned(),
        message: format!(
            "{} redirects to {target}, more than {max} redirects in a row: not followed; \
             raise the limit with --max-redirects",
            request.url
        ),
    }
}
