//! Seeding a crawl from sitemaps: robots.txt `Sitemap:` lines and
//! `/sitemap.xml`, following sitemap indexes.

use std::collections::{HashSet, VecDeque};

use ferrocrawl_core::{Request, Url};
use ferrocrawl_extract::parse_sitemap;
use ferrocrawl_robots::{Robots, robots_url};

use crate::builder::Ctx;

/// Sitemaps followed per crawl at most, so a runaway index can't stall the start.
const MAX_SITEMAPS: usize = 1000;
/// Index nesting followed at most (an index of indexes of sitemaps).
const MAX_NESTING: u32 = 3;

/// The page URLs listed in the seeds' sitemaps, in scope. Sitemaps that fail
/// to load are logged and skipped: they only add seeds.
pub(crate) async fn discover(ctx: &Ctx, seeds: &[Url]) -> Vec<Url> {
    let mut queue: VecDeque<(Url, u32)> = VecDeque::new();
    let mut origins = HashSet::new();
    for seed in seeds {
        if !origins.insert(seed.origin().ascii_serialization()) {
            continue;
        }
        if let Some(robots) = robots_url(seed)
            && let Ok(resp) = ctx.robots_client.execute(&Request::get(robots)).await
            && resp.status.is_success()
        {
            let rules = Robots::parse(&resp.body, &ctx.user_agent);
            queue.extend(rules.sitemaps().iter().map(|u| (u.clone(), 0)));
        }
        if let Ok(default) = seed.join("/sitemap.xml") {
            queue.push_back((default, 0));
        }
    }
    let mut seen = HashSet::new();
    let mut urls = Vec::new();
    while let Some((sitemap, nesting)) = queue.pop_front() {
        if !seen.insert(sitemap.clone()) || seen.len() > MAX_SITEMAPS {
            continue;
        }
        let resp = match ctx
            .robots_client
            .execute(&Request::get(sitemap.clone()))
            .await
        {
            Ok(resp) if resp.status.is_success() => resp,
            Ok(resp) => {
                tracing::info!(%sitemap, status = resp.status.as_u16(), "sitemap not available");
                continue;
            }
            Err(e) => {
                tracing::warn!(%sitemap, "sitemap not fetched: {}", e.display_chain());
                continue;
            }
        };
        match parse_sitemap(&resp.body, &sitemap) {
            Ok(parsed) => {
                for url in parsed.urls {
                    let url = ctx.canonicalizer.canonicalize(&url);
                    if ctx.scope.check(&url).is_ok() {
                        urls.push(url);
                    }
                }
                if nesting < MAX_NESTING {
                    queue.extend(parsed.sitemaps.into_iter().map(|u| (u, nesting + 1)));
                }
            }
            Err(e) => tracing::warn!("{e}"),
        }
    }
    urls
}
