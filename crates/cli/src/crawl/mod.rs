//! `ferrocrawl crawl`: follow links from seeds, one JSON line per page.

mod mirror;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ferrocrawl::crawl::{Crawler, Event, LinkOptions, Order, ScopeMode, Stats, Summary};
use ferrocrawl::{AutoThrottle, Client, RetryPolicy};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;

use crate::args::{CrawlArgs, ScopeArg};
use crate::exit;
use crate::limits::fit_concurrency;

/// Run the command; returns the exit code.
pub async fn run(args: CrawlArgs, quiet: bool) -> anyhow::Result<u8> {
    let concurrency = fit_concurrency(args.concurrency);
    let crawler = build(&args, concurrency).await?;
    let mut out: Box<dyn Write + Send> = match &args.output {
        Some(path) => {
            Box::new(BufWriter::new(File::create(path).with_context(|| {
                format!("cannot create output file {}", path.display())
            })?))
        }
        None => Box::new(BufWriter::new(std::io::stdout())),
    };
    let mirror = match &args.save {
        Some(dir) => Some(mirror::Mirror::new(dir)?),
        None => None,
    };
    let stats = crawler.stats();
    let stopper = crawler.stopper();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Event>(1024);
    let mut crawl = tokio::spawn(crawler.run(tx));
    let bar = progress_bar(quiet);
    let ticker = tokio::spawn(tick(bar.clone(), Arc::clone(&stats)));

    let mut interrupts = 0;
    let mut save_errors = 0u64;
    let summary = loop {
        tokio::select! {
            event = rx.recv() => match event {
                Some(Event::Page(page)) => {
                    if let (Some(m), Some(body)) = (&mirror, &page.body)
                        && let Err(e) = m.save(&page.url, body)
                    {
                        save_errors += 1;
                        bar.suspend(|| eprintln!("warning: {e:#}"));
                    }
                    serde_json::to_writer(&mut out, &page)?;
                    out.write_all(b"\n")?;
                }
                Some(Event::Item { url, label, item }) => {
                    let line = ItemLine { url: url.as_str(), label: label.as_deref(), item: &item };
                    serde_json::to_writer(&mut out, &line)?;
                    out.write_all(b"\n")?;
                }
                Some(Event::Dropped { url, reason }) => {
                    serde_json::to_writer(&mut out, &DroppedLine { url: url.as_str(), dropped: &reason })?;
                    out.write_all(b"\n")?;
                }
                None => break (&mut crawl).await.context("the crawl task panicked")??,
            },
            _ = tokio::signal::ctrl_c() => {
                interrupts += 1;
                if interrupts == 1 {
                    stopper.stop();
                    bar.suspend(|| eprintln!("stopping: finishing the requests in flight (Ctrl-C again to quit now)"));
                } else {
                    out.flush()?;
                    bar.abandon();
                    eprintln!("stopped at once");
                    return Ok(exit::INTERRUPTED);
                }
            }
        }
    };
    out.flush().context("cannot write the output")?;
    ticker.abort();
    bar.finish_and_clear();
    if !quiet {
        print_summary(&summary, save_errors);
    }
    Ok(if summary.stopped {
        exit::INTERRUPTED
    } else if summary.failed > 0 || save_errors > 0 {
        exit::SOME_FAILED
    } else {
        exit::OK
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

async fn build(args: &CrawlArgs, concurrency: usize) -> anyhow::Result<Crawler> {
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
    let scope = match (args.scope, args.allow_domains.is_empty()) {
        (ScopeArg::Any, _) => ScopeMode::Any,
        (ScopeArg::Host, true) => ScopeMode::Host,
        (ScopeArg::Domain, true) => ScopeMode::Domain,
        // Listed domains come on top of the seeds' own hosts (with their
        // subdomains, as listed domains have theirs).
        (_, false) => ScopeMode::Domains(
            seed_hosts(&args.seeds)
                .chain(args.allow_domains.iter().cloned())
                .collect(),
        ),
    };
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
        .sort_query(args.sort_query)
        .strip_tracking(args.strip_tracking)
        .scope(scope)
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
    Ok(b.build().await?)
}

/// The hosts of the seeds that parse; invalid seeds are reported by `build`.
fn seed_hosts(seeds: &[String]) -> impl Iterator<Item = String> + '_ {
    seeds
        .iter()
        .filter_map(|s| ferrocrawl::Url::parse(s.trim()).ok())
        .filter_map(|u| u.host_str().map(str::to_owned))
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
