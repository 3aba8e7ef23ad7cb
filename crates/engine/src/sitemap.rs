//! Seeding a crawl from sitemaps: robots.txt `Sitemap:` lines and
//! `/sitemap.xml`, following sitemap indexes.
//!
//! Sitemaps are requests of [`RequestKind::Sitemap`] and go through the
//! frontier like pages, so politeness, robots.txt and stopping apply to
//! them. The `Sitemap:` lines read are those of the robots.txt the
//! frontier's robots lease fetched (page.rs): it is never asked for twice.

use ferrocrawl_core::{Request, RequestKind, Response, Url};
use ferrocrawl_extract::parse_sitemap;
use ferrocrawl_frontier::{Ack, Lease};
use ferrocrawl_robots::Robots;

use crate::builder::Ctx;
use crate::page::Done;

/// Distinct sitemaps requested per crawl at most, so a runaway index can't flood it.
const MAX_SITEMAPS: usize = 1000;
/// Index nesting followed at most (an index of indexes of sitemaps).
const MAX_NESTING: u32 = 3;

/// `/sitemap.xml` of each seed's origin, to push with the seeds.
pub(crate) fn seeds(ctx: &Ctx, seeds: &[Request]) -> Vec<Request> {
    let mut origins = Vec::new();
    let mut out = Vec::new();
    for seed in seeds {
        let origin = seed.url.origin();
        if origins.contains(&origin) {
            continue;
        }
        origins.push(origin);
        if let Ok(url) = seed.url.join("/sitemap.xml") {
            out.extend(sitemap_request(ctx, url, 0));
        }
    }
    out
}

/// The sitemaps named by a seed origin's robots.txt, fetched from
/// `robots_url` by the frontier's robots lease. Other hosts' robots.txt
/// don't seed the crawl, as they never did.
pub(crate) fn in_robots(ctx: &Ctx, robots_url: &Url, robots: &Robots) -> Vec<Request> {
    if !ctx.sitemaps
        || !ctx
            .seed_origins
            .contains(&robots_url.origin().ascii_serialization())
    {
        return Vec::new();
    }
    robots
        .sitemaps()
        .iter()
        .filter_map(|url| sitemap_request(ctx, url.clone(), 0))
        .collect()
}

/// A sitemap request for `url`, unless it was requested already or the
/// crawl's sitemap cap is spent.
fn sitemap_request(ctx: &Ctx, url: Url, nesting: u32) -> Option<Request> {
    let url = ctx.canonicalizer.canonicalize_owned(url);
    admit(ctx, &url).then(|| Request::get(url).kind(RequestKind::Sitemap { nesting }))
}

/// Whether the sitemap at `url` (canonical) may be requested. Each distinct
/// URL counts once toward [`MAX_SITEMAPS`], redirect targets included, so an
/// index that lists one child a thousand times does not spend the cap; a URL
/// requested already is left to the frontier's copy.
fn admit(ctx: &Ctx, url: &Url) -> bool {
    let mut requested = ctx
        .sitemaps_requested
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if requested.contains(url) {
        return false;
    }
    if requested.len() >= MAX_SITEMAPS {
        tracing::debug!(%url, "sitemap cap reached: not requested");
        return false;
    }
    requested.insert(url.clone())
}

/// A sitemap came back: its page URLs in scope, and the sitemaps it
/// indexes, are pushed. A sitemap is no page of the crawl: it makes no
/// record, and one that fails is logged and skipped (it only adds seeds).
pub(crate) fn fetched(ctx: &Ctx, lease: Lease, nesting: u32, resp: Response) -> Done {
    let request = &lease.request;
    let sitemap = &request.url;
    let status = resp.status.as_u16();
    let mut follow = Vec::new();
    if resp.status.is_redirection() {
        // Like a page's redirect, the hop goes back through the frontier.
        let target = resp
            .header("location")
            .and_then(|l| resp.url.join(l.trim()).ok());
        let hops = request.redirects.saturating_add(1);
        match target {
            Some(target) if hops <= ctx.max_redirects => {
                let target = ctx.canonicalizer.canonicalize_owned(target);
                if admit(ctx, &target) {
                    let mut moved = request.clone();
                    moved.url = target;
                    moved.redirects = hops;
                    follow.push(moved);
                }
            }
            _ => tracing::info!(%sitemap, status, "sitemap redirect not followed"),
        }
    } else if !resp.status.is_success() {
        tracing::info!(%sitemap, status, "sitemap not available");
    } else {
        // parse_sitemap recognises gzip by its magic bytes, whatever the
        // content type or file name.
        match parse_sitemap(&resp.body, sitemap) {
            Ok(parsed) => {
                for url in parsed.urls {
                    let url = ctx.canonicalizer.canonicalize_owned(url);
                    // Listed pages are seeds: depth 0, no referrer.
                    match ctx.scope.check(&url) {
                        Ok(()) => follow.push(Request::get(url)),
                        Err(why) => tracing::trace!(%url, %why, "out of scope"),
                    }
                }
                if nesting < MAX_NESTING {
                    follow.extend(
                        parsed
                            .sitemaps
                            .into_iter()
                            .filter_map(|url| sitemap_request(ctx, url, nesting + 1)),
                    );
                }
            }
            Err(e) => tracing::warn!("{e}"),
        }
    }
    Done {
        ack: Ack::Done {
            status,
            bytes: resp.body.len() as u64,
            latency: resp.timings.ttfb,
        },
        lease,
        follow,
        out_of_scope: 0,
        cut: Vec::new(),
        record: None,
        items: Vec::new(),
    }
}

/// A sitemap could not be fetched: logged, not a failed page.
pub(crate) fn failed(lease: Lease, error: &ferrocrawl_core::Error) -> Done {
    tracing::warn!(sitemap = %lease.request.url, "sitemap not fetched: {}", error.display_chain());
    Done {
        lease,
        ack: Ack::Failed,
        follow: Vec::new(),
        out_of_scope: 0,
        cut: Vec::new(),
        record: None,
        items: Vec::new(),
    }
}
