//! [`CrawlerBuilder`]: every setting of a crawl, validated by `build`.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use ferrocrawl_core::{Error, ErrorKind, Request, Result, Url};
use ferrocrawl_extract::LinkOptions;
use ferrocrawl_fetch::{AddrPolicy, Client, ClientBuilder, RetryPolicy};
use ferrocrawl_frontier::{BoxFrontier, Frontier, FrontierConfig, MemoryFrontier};
use ferrocrawl_url::{Canonicalizer, Scope};
use tokio::sync::watch;

use crate::crawler::Crawler;
use crate::settings::{CrawlOrder, ScopeSetting, Settings};
use crate::stats::Stats;

/// Shared by every page task.
pub(crate) struct Ctx {
    pub client: Client,
    /// robots.txt follows up to 5 redirects (RFC 9309); pages follow none
    /// inline, their redirects go back through the frontier.
    pub robots_client: Client,
    pub retry: RetryPolicy,
    pub canonicalizer: Canonicalizer,
    pub scope: Scope,
    pub links: LinkOptions,
    pub follow_links: bool,
    pub max_depth: Option<u32>,
    /// Redirects followed in a row from one request; 0 follows none.
    pub max_redirects: u32,
    pub user_agent: String,
    /// Send `Referer` with followed requests.
    pub referer: bool,
    pub keep_bodies: bool,
    /// Add each HTML page's main content to its record (the `content` setting).
    pub content: Option<crate::settings::ContentFormat>,
    /// Main-content extractions running at once: one per core (content.rs).
    pub extracting: tokio::sync::Semaphore,
    pub sitemaps: bool,
    /// The seeds' origins, whose robots.txt `Sitemap:` lines are read when
    /// `sitemaps` is on, serialized (`http://host:port`).
    pub seed_origins: HashSet<String>,
    /// The distinct sitemap URLs requested so far, against the crawl's cap
    /// (sitemap.rs). Kept in memory: a resumed crawl counts afresh.
    pub sitemaps_requested: std::sync::Mutex<HashSet<Url>>,
    pub router: Option<crate::handler::Router>,
    pub stats: Arc<Stats>,
    /// Links pushed lately, to skip building requests for repeats.
    pub recent: crate::recent::RecentLinks,
    /// What a `Retry-After` holds back.
    pub throttle: crate::settings::ThrottleScope,
    /// Per host: the run of 503-with-Retry-After answers on different URLs,
    /// and the last such URL (`ThrottleScope::Auto`).
    pub throttle_runs: std::sync::Mutex<std::collections::HashMap<String, (u32, Url)>>,
    /// Whether `throttle_runs` holds any run: the per-page check reads this
    /// instead of taking the lock.
    pub throttle_runs_open: std::sync::atomic::AtomicBool,
    /// Query parameters learnt not to change their pages (the
    /// `near_duplicates` setting).
    pub near_duplicates: Option<crate::neardup::NearDuplicates>,
    /// Links already reported as cut or skipped (each is said once).
    pub cut_reported: std::sync::Mutex<HashSet<ferrocrawl_url::Fingerprint>>,
}

/// How to build a crawl: its [`Settings`] (the one tree every surface
/// fills), start requests, handlers, and a base HTTP client. Setters never
/// fail; [`CrawlerBuilder::build`] validates everything (seeds, patterns,
/// client settings).
#[derive(Debug, Default)]
pub struct CrawlerBuilder {
    settings: Settings,
    seeds: Vec<String>,
    requests: Vec<Request>,
    client: ClientBuilder,
    retry: RetryPolicy,
    links: Option<LinkOptions>,
    follow_links: Option<bool>,
    keep_bodies: bool,
    router: Option<crate::handler::Router>,
    commit_every: Option<Duration>,
}

// ===== impl CrawlerBuilder =====

impl CrawlerBuilder {
    /// Replace every setting at once (a spider file's, or the CLI's).
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    /// The settings gathered so far.
    pub fn current_settings(&self) -> &Settings {
        &self.settings
    }

    /// Add a start URL (checked by `build`).
    pub fn seed(mut self, url: impl Into<String>) -> Self {
        self.seeds.push(url.into());
        self
    }

    /// Add a start request (any method, body, label, priority).
    pub fn request(mut self, request: Request) -> Self {
        self.requests.push(request);
        self
    }

    /// The base HTTP client (headers, cookies, ...). Timeouts, the user
    /// agent, the proxy, the body cap and TLS checking come from the
    /// settings on top of it; redirects are handled by the crawl (see
    /// [`CrawlerBuilder::max_redirects`]).
    pub fn client(mut self, client: ClientBuilder) -> Self {
        self.client = client;
        self
    }

    /// Requests in flight at once, over all hosts. Default 64.
    pub fn concurrency(mut self, n: usize) -> Self {
        self.settings.concurrency = n.max(1);
        self
    }

    /// Requests in flight at once per host. Default 4.
    pub fn per_host(mut self, n: usize) -> Self {
        self.settings.per_host = n.max(1);
        self
    }

    /// Minimum time between request starts to one host (jittered). Default 0.
    pub fn delay(mut self, d: Duration) -> Self {
        self.settings.delay = d;
        self
    }

    /// Randomize each delay by 0.5..1.5. Default on.
    pub fn jitter(mut self, on: bool) -> Self {
        self.settings.jitter = on;
        self
    }

    /// Obey robots.txt. Default on.
    pub fn obey_robots(mut self, on: bool) -> Self {
        self.settings.obey_robots = on;
        self
    }

    /// Longest Crawl-delay honoured. Default 30 s.
    pub fn max_crawl_delay(mut self, d: Duration) -> Self {
        self.settings.max_crawl_delay = d;
        self
    }

    /// What a `Retry-After` holds back. Default [`ThrottleScope::Auto`].
    pub fn throttle(mut self, scope: crate::settings::ThrottleScope) -> Self {
        self.settings.throttle = scope;
        self
    }

    /// Adaptive per-host delay following latency (Scrapy's AutoThrottle,
    /// target concurrency 1). Default off.
    pub fn auto_throttle(mut self, on: bool) -> Self {
        self.settings.auto_throttle = on;
        self
    }

    /// BFS (default) or DFS.
    pub fn order(mut self, order: CrawlOrder) -> Self {
        self.settings.order = order;
        self
    }

    /// Stop after this many pages. Default none.
    pub fn max_pages(mut self, n: Option<u64>) -> Self {
        self.settings.max_pages = n;
        self
    }

    /// Stop leasing a host's pages after this many of them (0: no limit).
    /// Default 100,000.
    pub fn max_pages_per_host(mut self, n: u64) -> Self {
        self.settings.max_pages_per_host = n;
        self
    }

    /// Remove session-id parameters from URLs. Default on.
    pub fn strip_session_ids(mut self, on: bool) -> Self {
        self.settings.strip_session_ids = on;
        self
    }

    /// Don't follow links deeper than this (seeds are 0). Default none.
    pub fn max_depth(mut self, n: Option<u32>) -> Self {
        self.settings.max_depth = n;
        self
    }

    /// Stop after this many body bytes. Default none.
    pub fn max_bytes(mut self, n: Option<u64>) -> Self {
        self.settings.max_bytes = n;
        self
    }

    /// Retries per page for temporary failures. Default 2.
    pub fn retries(mut self, n: u32) -> Self {
        self.settings.retries = n;
        self
    }

    /// The HTTP statuses retried, with backoff. Default 408, 500, 502, 503,
    /// 504, 522, 524.
    pub fn retry_statuses(mut self, statuses: impl IntoIterator<Item = u16>) -> Self {
        self.settings.retry_statuses = statuses.into_iter().collect();
        self.retry.retry_statuses = self.settings.retry_statuses.clone();
        self
    }

    /// A header sent with every request that does not set it (the
    /// `headers` setting).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.settings.headers.insert(name.into(), value.into());
        self
    }

    /// Stop following a query parameter once pages that differ only in it
    /// turn out to be the same page (near-duplicate detection). Default on.
    pub fn near_duplicates(mut self, on: bool) -> Self {
        self.settings.near_duplicates = on;
        self
    }

    /// Send `Referer` (the page a request was found on) with followed
    /// requests. Default on.
    pub fn referer(mut self, on: bool) -> Self {
        self.settings.referer = on;
        self
    }

    /// The retry policy (backoff, which errors retry); its `max_retries`
    /// and `retry_statuses` become the settings of those names.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.settings.retries = retry.max_retries;
        self.settings.retry_statuses = retry.retry_statuses.clone();
        self.retry = retry;
        self
    }

    /// Sort query parameters when canonicalizing. Default off.
    pub fn sort_query(mut self, on: bool) -> Self {
        self.settings.sort_query = on;
        self
    }

    /// Remove tracking parameters (`utm_*`, `fbclid`, …). Default off.
    pub fn strip_tracking(mut self, on: bool) -> Self {
        self.settings.strip_tracking = on;
        self
    }

    /// Which hosts are in scope. Default: the seeds' hosts.
    pub fn scope(mut self, scope: ScopeSetting) -> Self {
        self.settings.scope = scope;
        self
    }

    /// Also follow links into this domain and its subdomains, on top of
    /// what the [`scope`](Self::scope) admits (repeatable; checked by
    /// `build`).
    pub fn allow_domain(mut self, domain: impl Into<String>) -> Self {
        self.settings.allow_domains.push(domain.into());
        self
    }

    /// Only follow URLs matching this regex (repeatable: any may match).
    pub fn include(mut self, regex: impl Into<String>) -> Self {
        self.settings.include.push(regex.into());
        self
    }

    /// Never follow URLs matching this regex.
    pub fn exclude(mut self, regex: impl Into<String>) -> Self {
        self.settings.exclude.push(regex.into());
        self
    }

    /// Only follow URLs matching this glob.
    pub fn include_glob(mut self, glob: impl Into<String>) -> Self {
        self.settings.include_glob.push(glob.into());
        self
    }

    /// Never follow URLs matching this glob.
    pub fn exclude_glob(mut self, glob: impl Into<String>) -> Self {
        self.settings.exclude_glob.push(glob.into());
        self
    }

    /// Trap guard: longest URL followed. Default 2,048.
    pub fn max_url_length(mut self, n: usize) -> Self {
        self.settings.max_url_length = n;
        self
    }

    /// Trap guard: deepest path followed, in segments. Default 32.
    pub fn max_path_depth(mut self, n: usize) -> Self {
        self.settings.max_path_depth = n;
        self
    }

    /// Trap guard: most repetitions of one path segment. Default 3.
    pub fn max_repeated_segments(mut self, n: usize) -> Self {
        self.settings.max_repeated_segments = n;
        self
    }

    /// Link extraction options (nofollow, skipped extensions), instead of
    /// the ones the `follow_nofollow` and `all_extensions` settings make.
    pub fn links(mut self, links: LinkOptions) -> Self {
        self.links = Some(links);
        self
    }

    /// Follow links at all. Default on (off when a router handles every
    /// page); off fetches only the seeds and what handlers follow.
    pub fn follow_links(mut self, on: bool) -> Self {
        self.follow_links = Some(on);
        self
    }

    /// Redirects followed in a row from one request. Default 10, as for
    /// [`ClientBuilder::max_redirects`] (browsers allow 20).
    ///
    /// Each hop goes back through the frontier, where dedup ends loops; this
    /// cap ends chains of fresh URLs (`/r?n=1` → `/r?n=2` → …). The redirect
    /// past the cap is not followed and its page is recorded as failed
    /// (`too_many_redirects`). 0 follows no redirect and records none as
    /// failed: each 3xx is a page like any other.
    pub fn max_redirects(mut self, n: u32) -> Self {
        self.settings.max_redirects = n;
        self
    }

    /// Allow private, loopback and link-local targets even when the seeds
    /// are public. Default off (seeds that are themselves private are always
    /// allowed).
    pub fn allow_private(mut self, on: bool) -> Self {
        self.settings.allow_private = on;
        self
    }

    /// Also seed from the seeds' sitemaps (robots.txt `Sitemap:` lines and
    /// `/sitemap.xml`, indexes followed). Default off.
    ///
    /// Sitemaps are fetched through the frontier like pages: per-host delay,
    /// concurrency and robots.txt apply, stopping stops them, and each one
    /// takes a page of the [`max_pages`](Self::max_pages) budget (but makes
    /// no page record). `Sitemap:` lines come from the robots.txt fetched to
    /// obey it, so with [`obey_robots`](Self::obey_robots) off only
    /// `/sitemap.xml` is read.
    pub fn sitemaps(mut self, on: bool) -> Self {
        self.settings.sitemaps = on;
        self
    }

    /// Route responses to handlers by their request's label. Requests whose
    /// label has no handler (and no default handler) are crawled as usual:
    /// their links are followed.
    pub fn router(mut self, router: crate::handler::Router) -> Self {
        self.router = Some(router);
        self
    }

    /// Commit the output and the frontier at least this often while pages
    /// finish (default 500 ms). A worker that restarts redoes what it did
    /// since its last commit: a worker of a shared crawl, where restarts
    /// are routine, commits more often.
    pub fn commit_every(mut self, every: Duration) -> Self {
        self.commit_every = Some(every);
        self
    }

    /// Add each successful HTML page's main content (boilerplate removed)
    /// as Markdown or text, and its metadata, to its record
    /// ([`PageRecord::content`](crate::PageRecord::content)). The work is
    /// done in the page's own task. Default none.
    pub fn content(mut self, format: Option<crate::settings::ContentFormat>) -> Self {
        self.settings.content = format;
        self
    }

    /// Keep each page's body in its record (for mirroring). Default off.
    pub fn keep_bodies(mut self, on: bool) -> Self {
        self.keep_bodies = on;
        self
    }

    /// The frontier settings this builder has gathered (politeness, order,
    /// budgets), to open a frontier of another kind for
    /// [`CrawlerBuilder::build_with`].
    pub fn frontier_config(&self) -> FrontierConfig {
        self.settings.frontier_config()
    }

    /// Validate and build, with an in-memory frontier.
    pub async fn build(self) -> Result<Crawler> {
        let frontier = MemoryFrontier::new(self.frontier_config());
        self.build_with(frontier).await
    }

    /// Validate and build around a given frontier.
    pub async fn build_with(self, frontier: impl Frontier) -> Result<Crawler> {
        self.build_boxed(Arc::new(frontier)).await
    }

    /// Validate and build around a frontier of any backend.
    pub async fn build_boxed(self, frontier: BoxFrontier) -> Result<Crawler> {
        let st = &self.settings;
        let canonicalizer = Canonicalizer::builder()
            .sort_query(st.sort_query)
            .strip_tracking(st.strip_tracking)
            .strip_session_ids(st.strip_session_ids)
            .build()
            .map_err(|e| Error::new(ErrorKind::Config, e.to_string()))?;
        let mut seeds = Vec::with_capacity(self.seeds.len() + self.requests.len());
        for raw in &self.seeds {
            let url = Url::parse(raw.trim()).map_err(|e| {
                Error::new(
                    ErrorKind::InvalidUrl,
                    format!("invalid seed URL {raw:?}: {e}"),
                )
            })?;
            if !matches!(url.scheme(), "http" | "https") {
                return Err(Error::new(
                    ErrorKind::InvalidUrl,
                    format!("seed {raw:?} is not an http or https URL"),
                ));
            }
            seeds.push(Request::get(url));
        }
        seeds.extend(self.requests.iter().cloned());
        if seeds.is_empty() {
            return Err(Error::new(
                ErrorKind::Config,
                "no seeds: give at least one start URL",
            ));
        }
        for seed in &mut seeds {
            seed.url = canonicalizer.canonicalize(&seed.url);
        }
        let seed_urls: Vec<Url> = seeds.iter().map(|r| r.url.clone()).collect();
        let scope = self.build_scope(&seed_urls)?;

        let policy = if st.allow_private {
            AddrPolicy::allow_all()
        } else {
            AddrPolicy::deny_private(seed_addresses(&seed_urls).await)
        };
        let base = st.client(self.client.clone());
        let user_agent = base.user_agent_str().to_owned();
        let client = base
            .clone()
            .max_redirects(0)
            .address_policy(policy.clone())
            .build()?;
        let robots_client = base.max_redirects(5).address_policy(policy).build()?;
        let (stop_tx, _) = watch::channel(false);
        let links = self.links.clone().unwrap_or_else(|| LinkOptions {
            honour_nofollow: !st.follow_nofollow,
            skip_extensions: if st.all_extensions {
                Vec::new()
            } else {
                LinkOptions::default_skip_extensions()
            },
        });
        let ctx = Ctx {
            client,
            robots_client,
            retry: RetryPolicy {
                max_retries: st.retries,
                retry_statuses: st.retry_statuses.clone(),
                ..self.retry.clone()
            },
            referer: st.referer,
            canonicalizer,
            scope,
            links,
            follow_links: self.follow_links.unwrap_or(true),
            max_depth: st.max_depth,
            max_redirects: st.max_redirects,
            user_agent,
            keep_bodies: self.keep_bodies,
            content: st.content,
            extracting: tokio::sync::Semaphore::new(crate::content::parallelism()),
            sitemaps: st.sitemaps,
            seed_origins: seed_urls
                .iter()
                .map(|u| u.origin().ascii_serialization())
                .collect(),
            sitemaps_requested: std::sync::Mutex::default(),
            router: self.router,
            stats: Arc::default(),
            recent: crate::recent::RecentLinks::new(),
            throttle: st.throttle,
            throttle_runs: std::sync::Mutex::default(),
            throttle_runs_open: std::sync::atomic::AtomicBool::new(false),
            cut_reported: std::sync::Mutex::default(),
            near_duplicates: st
                .near_duplicates
                .then(crate::neardup::NearDuplicates::default),
        };
        Ok(Crawler {
            ctx: Arc::new(ctx),
            frontier,
            seeds,
            concurrency: self.settings.concurrency.max(1),
            commit_every: self.commit_every.unwrap_or(crate::crawler::COMMIT_EVERY),
            stop_tx,
        })
    }

    fn build_scope(&self, seeds: &[Url]) -> Result<Scope> {
        let st = &self.settings;
        let mut b = Scope::builder()
            .mode(st.scope.mode())
            .seeds(seeds.iter().cloned());
        for d in &st.allow_domains {
            b = b.allow_domain(d.clone());
        }
        for r in &st.include {
            b = b.include_regex(r.clone());
        }
        for r in &st.exclude {
            b = b.exclude_regex(r.clone());
        }
        for g in &st.include_glob {
            b = b.include_glob(g.clone());
        }
        for g in &st.exclude_glob {
            b = b.exclude_glob(g.clone());
        }
        b = b
            .max_url_len(st.max_url_length)
            .max_depth(st.max_path_depth)
            .max_segment_repeats(st.max_repeated_segments);
        b.build()
            .map_err(|e| Error::new(ErrorKind::Config, e.to_string()))
    }
}

/// The addresses the seeds' hosts resolve to: a crawl may always go where
/// its seeds are, private or not. A seed that doesn't resolve adds nothing
/// (its fetch will fail and say why).
async fn seed_addresses(seeds: &[Url]) -> Vec<IpAddr> {
    let mut out = Vec::new();
    for url in seeds {
        let Some(host) = url.host_str() else { continue };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            out.push(ip);
            continue;
        }
        if let Ok(addrs) = tokio::net::lookup_host((host, 0)).await {
            out.extend(addrs.map(|a| a.ip()));
        }
    }
    out
}
