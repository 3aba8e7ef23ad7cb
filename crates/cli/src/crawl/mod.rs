//! `ferrocrawl crawl`: follow links from seeds, one JSON line per page.

mod mirror;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ferrocrawl::Url;
use ferrocrawl::crawl::{
    Checkpoint, Crawler, CrawlerBuilder, LinkOptions, Order, Output, PageRecord, ScopeMode, Stats,
    Summary,
};
use ferrocrawl::sink::{JsonlSink, Sink};
use ferrocrawl::{AutoThrottle, Client, RetryPolicy};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::args::{CrawlArgs, ScopeArg};
use crate::exit;
use crate::limits::fit_concurrency;
use crate::state::{self, Ran};

/// Run the command; returns the exit code.
pub async fn run(args: CrawlArgs, quiet: bool) -> anyhow::Result<u8> {
    let concurrency = fit_concurrency(args.concurrency);
    let builder = build(&args, concurrency)?;
    let mirror = match &args.save {
        Some(dir) => Some(mirror::Mirror::new(dir)?),
        None => None,
    };
    let Some(path) = state_path(&args) else {
        let out = PageOutput::open(args.output.as_deref(), None, mirror).await?;
        return Ok(drive(builder.build().await?, out, quiet, None).await?.code);
    };
    let identity = format!(
        "ferrocrawl crawl {} -> {}",
        args.seeds.join(" "),
        args.output
            .as_ref()
            .map_or("-".into(), |p| p.display().to_string())
    );
    let state = match state::open(&path, builder.frontier_config(), &identity, quiet).await? {
        Ok(state) => state,
        Err(code) => return Ok(code),
    };
    let at = match state.resuming {
        true => Some(state.offset(OUT_CHECKPOINT)?.unwrap_or(0)),
        false => None,
    };
    if args.output.is_none() && at.is_some() && !quiet {
        eprintln!(
            "warning: resuming onto stdout: lines of pages redone since the last save are printed again"
        );
    }
    let out = PageOutput::open(args.output.as_deref(), at, mirror).await?;
    let crawler = builder.build_with(state.frontier).await?;
    let ran = drive(crawler, out, quiet, Some(&path)).await?;
    state::finish(&path, &ran, quiet);
    Ok(ran.code)
}

/// `--state FILE`, or `--state` alone: OUTPUT.state (crawl.state for stdout).
fn state_path(args: &CrawlArgs) -> Option<PathBuf> {
    if let Some(given) = args.state.as_ref()? {
        return Some(given.clone());
    }
    Some(match &args.output {
        Some(out) => {
            let mut p = out.as_os_str().to_owned();
            p.push(".state");
            PathBuf::from(p)
        }
        None => PathBuf::from("crawl.state"),
    })
}

#[derive(Serialize)]
struct ItemLine<'a> {
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
    item: &'a serde_json::Value,
}

#[derive(Serialize)]
struct DroppedLine<'a> {
    url: &'a str,
    dropped: &'a str,
}

/// The checkpoint name of the output file's committed length.
const OUT_CHECKPOINT: &str = "output";

/// Page lines into a JSON Lines file (or stdout), buffered and committed
/// with the crawl state; `--save` bodies on the side.
struct PageOutput {
    sink: JsonlSink,
    mirror: Option<mirror::Mirror>,
    save_errors: u64,
}

impl PageOutput {
    async fn open(
        path: Option<&Path>,
        resume_at: Option<u64>,
        mirror: Option<mirror::Mirror>,
    ) -> anyhow::Result<PageOutput> {
        let sink = match (path, resume_at) {
            (None, _) => JsonlSink::stdout(),
            (Some(p), Some(at)) if p.exists() => JsonlSink::resume(p, at)
                .await
                .with_context(|| format!("cannot resume the output file {}", p.display()))?,
            (Some(p), _) => JsonlSink::create(p)
                .await
                .with_context(|| format!("cannot create output file {}", p.display()))?,
        };
        Ok(PageOutput {
            sink,
            mirror,
            save_errors: 0,
        })
    }

    /// One line, serialized straight into the sink's buffer.
    async fn push(&mut self, line: &impl Serialize) -> ferrocrawl::Result<()> {
        self.sink.write_line(line).await.map_err(output_error)
    }
}

fn output_error(e: ferrocrawl::sink::Error) -> ferrocrawl::Error {
    ferrocrawl::Error::new(
        ferrocrawl::ErrorKind::Io,
        format!("cannot write the output: {e}"),
    )
    .with_source(e)
}

impl Output for PageOutput {
    async fn accept(
        &mut self,
        page: &Url,
        label: Option<&str>,
        items: Vec<serde_json::Value>,
    ) -> ferrocrawl::Result<()> {
        for item in &items {
            self.push(&ItemLine {
                url: page.as_str(),
                label,
                item,
            })
            .await?;
        }
        Ok(())
    }

    async fn page(&mut self, page: &PageRecord) -> ferrocrawl::Result<()> {
        if let (Some(m), Some(body)) = (&self.mirror, &page.body)
            && let Err(e) = m.save(&page.url, body)
        {
            self.save_errors += 1;
            tracing::warn!("{e:#}");
        }
        self.push(page).await
    }

    async fn dropped(&mut self, url: &Url, reason: &str) -> ferrocrawl::Result<()> {
        self.push(&DroppedLine {
            url: url.as_str(),
            dropped: reason,
        })
        .await
    }

    async fn commit(&mut self) -> ferrocrawl::Result<Checkpoint> {
        self.sink.flush().await.map_err(output_error)?;
        Ok(self
            .sink
            .committed()
            .map(|at| vec![(OUT_CHECKPOINT.to_owned(), state::offset_bytes(at))])
            .unwrap_or_default())
    }
}

/// Crawl into `out`, with progress; returns how it ended.
async fn drive(
    crawler: Crawler,
    out: PageOutput,
    quiet: bool,
    state: Option<&Path>,
) -> anyhow::Result<Ran> {
    let Some(done) = state::watch(crawler, out, quiet, false, state).await? else {
        return Ok(Ran {
            code: exit::INTERRUPTED,
            left_queued: 0,
        });
    };
    let (summary, out) = (done.summary, done.output);
    let save_errors = out.save_errors;
    out.sink.close().await.context("cannot write the output")?;
    if !quiet {
        print_summary(&summary, save_errors);
    }
    Ok(Ran {
        code: state::exit_code(&summary, save_errors),
        left_queued: summary.left_queued,
    })
}

fn build(args: &CrawlArgs, concurrency: usize) -> anyhow::Result<CrawlerBuilder> {
    let mut client = Client::builder()
        .total_timeout(args.timeout)
        .max_body(args.max_body)
        .danger_accept_invalid_certs(args.insecure);
    if let Some(ua) = &args.user_agent {
        client = client.user_agent(ua.clone());
    }
    if let Some(proxy) = &args.proxy {
        client = client.proxy(proxy.clone());
    }
    let links = LinkOptions {
        honour_nofollow: !args.follow_nofollow,
        skip_extensions: if args.all_extensions {
            Vec::new()
        } else {
            LinkOptions::default_skip_extensions()
        },
    };
    let mut b = Crawler::builder()
        .client(client)
        .concurrency(concurrency)
        .per_host(args.per_host)
        .delay(args.delay)
        .obey_robots(!args.ignore_robots)
        .max_crawl_delay(args.max_crawl_delay)
        .auto_throttle(args.auto_throttle.then(AutoThrottle::default))
        .order(if args.dfs { Order::Dfs } else { Order::Bfs })
        .max_pages(args.max_pages)
        .max_depth(args.max_depth)
        .max_bytes(args.max_bytes)
        .retry(RetryPolicy {
            max_retries: args.retries,
            ..RetryPolicy::default()
        })
        .max_redirects(args.max_redirects)
        .sort_query(args.sort_query)
        .strip_tracking(args.strip_tracking)
        .scope(scope_mode(args.scope))
        .max_url_length(args.max_url_length)
        .max_path_depth(args.max_path_depth)
        .max_repeated_segments(args.max_repeated_segments)
        .links(links)
        .sitemaps(args.sitemaps)
        .allow_private(args.allow_private)
        .keep_bodies(args.save.is_some());
    for s in &args.seeds {
        b = b.seed(s.clone());
    }
    for d in &args.allow_domains {
        b = b.allow_domain(d.clone());
    }
    for r in &args.include {
        b = b.include(r.clone());
    }
    for r in &args.exclude {
        b = b.exclude(r.clone());
    }
    for g in &args.include_glob {
        b = b.include_glob(g.clone());
    }
    for g in &args.exclude_glob {
        b = b.exclude_glob(g.clone());
    }
    Ok(b)
}

/// The scope mode `--scope` names. `--allow-domain` adds its domains on top
/// of it (`build`) and never replaces it, so `--scope host` keeps the seeds'
/// hosts exact and `--scope domain` keeps their registrable domains whole.
fn scope_mode(scope: ScopeArg) -> ScopeMode {
    match scope {
        ScopeArg::Host => ScopeMode::Host,
        ScopeArg::Domain => ScopeMode::Domain,
        ScopeArg::Any => ScopeMode::Any,
    }
}

pub(crate) fn progress_bar(quiet: bool) -> ProgressBar {
    let target = if quiet {
        ProgressDrawTarget::hidden()
    } else {
        ProgressDrawTarget::stderr_with_hz(4)
    };
    let bar = ProgressBar::with_draw_target(None, target);
    let style =
        ProgressStyle::with_template("{spinner} {elapsed_precise} {pos} pages {per_sec} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar
}

pub(crate) async fn tick(bar: ProgressBar, stats: Arc<Stats>) {
    let mut every = tokio::time::interval(Duration::from_millis(250));
    loop {
        every.tick().await;
        bar.set_position(stats.pages());
        let items = match stats.items() {
            0 => String::new(),
            n => format!("items {n} "),
        };
        bar.set_message(format!(
            "{items}queued {} errors {} hosts {}",
            stats.queued(),
            stats.failed(),
            stats.hosts()
        ));
    }
}

fn print_summary(s: &Summary, save_errors: u64) {
    let secs = s.elapsed.as_secs_f64();
    let rate = if secs > 0.0 {
        s.pages as f64 / secs
    } else {
        0.0
    };
    eprintln!(
        "{}: {} pages in {:.2}s ({:.0}/s), {} failed, {} dropped by robots.txt, {} links out of scope, {:.1} MiB",
        if s.stopped { "stopped" } else { "done" },
        s.pages,
        secs,
        rate,
        s.failed,
        s.dropped,
        s.out_of_scope,
        s.bytes as f64 / (1 << 20) as f64
    );
    if s.left_queued > 0 {
        eprintln!(
            "{} requests were left queued (budget reached or stopped)",
            s.left_queued
        );
    }
    if save_errors > 0 {
        eprintln!("{save_errors} pages could not be saved (see the warnings above)");
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use ferrocrawl::crawl::Scope;

    use super::*;
    use crate::args::{Cli, Command};

    /// The scope `ferrocrawl crawl ARGS` crawls in: the command line parsed
    /// as the binary parses it, then the mode and the allowed domains put
    /// together as the engine puts them (its own test checks that part).
    fn scope_of(argv: &[&str]) -> Scope {
        let cli = Cli::try_parse_from(["ferrocrawl", "crawl"].iter().chain(argv)).unwrap();
        let Command::Crawl(args) = cli.command else {
            panic!("not a crawl: {argv:?}");
        };
        let mut b = Scope::builder().mode(scope_mode(args.scope));
        for s in &args.seeds {
            b = b.seed(Url::parse(s).unwrap());
        }
        for d in &args.allow_domains {
            b = b.allow_domain(d.clone());
        }
        b.build().unwrap()
    }

    fn allows(scope: &Scope, url: &str) -> bool {
        scope.allows(&Url::parse(url).unwrap())
    }

    #[test]
    fn allow_domain_does_not_narrow_scope_domain() {
        let seed = "https://www.example.org/";
        let plain = scope_of(&["--scope", "domain", seed]);
        let more = scope_of(&["--scope", "domain", "--allow-domain", "other.net", seed]);
        for url in [
            "https://www.example.org/a",
            "https://example.org/",
            "https://blog.example.org/",
        ] {
            assert!(allows(&plain, url), "{url}");
            assert!(allows(&more, url), "{url} with --allow-domain");
        }
        assert!(!allows(&plain, "https://cdn.other.net/"));
        assert!(allows(&more, "https://cdn.other.net/"));
        assert!(!allows(&more, "https://example.com/"));
    }

    #[test]
    fn allow_domain_does_not_widen_scope_host() {
        let seed = "https://www.example.org/";
        for argv in [
            &["--allow-domain", "other.net", seed][..],
            &["--scope", "host", "--allow-domain", "other.net", seed],
        ] {
            let scope = scope_of(argv);
            assert!(allows(&scope, "https://www.example.org/a"), "{argv:?}");
            assert!(allows(&scope, "https://other.net/"), "{argv:?}");
            assert!(allows(&scope, "https://cdn.other.net/"), "{argv:?}");
            // The seed's host exactly, as the help for --scope host says.
            assert!(!allows(&scope, "https://sub.www.example.org/"), "{argv:?}");
            assert!(!allows(&scope, "https://example.org/"), "{argv:?}");
        }
    }
}
