//! `ferrocrawl crawl`: follow links from seeds, one JSON line per page.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use ferrocrawl::Job;
use ferrocrawl::crawl::{FrontierLocation, Settings, Stats, Summary};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::CrawlArgs;
use crate::limits::fit_concurrency;
use crate::state;

/// The job `ferrocrawl crawl ARGS` runs.
pub fn job(args: &CrawlArgs) -> Job {
    let mut settings = Settings::default();
    args.settings.apply(&mut settings);
    settings.concurrency = fit_concurrency(settings.concurrency);
    let mut job = Job::new("crawl")
        .settings(settings)
        .pages_to(args.output.clone());
    for s in &args.seeds {
        job = job.seed(s.clone());
    }
    if let Some(dir) = &args.save {
        job = job.save_pages(dir.clone());
    }
    if let Some(path) = state_path(args) {
        // Which crawl a state file belongs to: the seeds and the output.
        let output = args
            .output
            .as_ref()
            .map_or("-".into(), |p| p.display().to_string());
        job = job
            .identity(format!(
                "ferrocrawl crawl {} -> {output}",
                args.seeds.join(" ")
            ))
            .frontier_at(FrontierLocation::Sqlite(path));
    }
    job
}

/// Run the command; returns the exit code.
pub async fn run(args: CrawlArgs, quiet: bool) -> anyhow::Result<u8> {
    let job = match args.shared.apply(job(&args)) {
        Ok(job) => job,
        Err(e) => {
            eprintln!("error: {}", e.display_chain());
            return Ok(crate::exit::USAGE);
        }
    };
    let watched = match state::watch(job, quiet, false).await? {
        Ok(w) => w,
        Err(code) => return Ok(code),
    };
    let report = watched.report;
    if !quiet {
        print_summary(&report.summary, report.save_errors);
    }
    state::say_state(&report, quiet);
    Ok(state::exit_code(&report))
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

/// What the budgets left undone, and the time spent waiting on servers'
/// `Retry-After`, for the summaries of `crawl` and `run`.
pub(crate) fn budgets(s: &Summary) {
    if s.cut > 0 {
        eprintln!(
            "{} links were cut by trap guards or skipped by extension (each has a dropped line)",
            s.cut
        );
    }
    if !s.throttled_wait.is_zero() {
        eprintln!(
            "servers asked to wait (Retry-After) {:.1}s in all, summed over requests",
            s.throttled_wait.as_secs_f64()
        );
    }
    if s.full_hosts > 0 {
        eprintln!(
            "{} hosts reached the per-host page budget (max_pages_per_host), leaving {} requests \
             queued: raise --max-pages-per-host (0 for no limit) to crawl them",
            s.full_hosts, s.left_on_full_hosts
        );
    }
    if s.left_queued > s.left_on_full_hosts {
        eprintln!(
            "{} requests were left queued (budget reached or stopped)",
            s.left_queued - s.left_on_full_hosts
        );
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
        ProgressStyle::with_template("{spinner} {elapsed_precise} {pos} pages {rate} {msg}")
            .map(crate::progress::with_rate)
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
    budgets(s);
    if s.content_failed > 0 {
        eprintln!(
            "{} pages' main content could not be extracted (their lines say why in content_error)",
            s.content_failed
        );
    }
    if save_errors > 0 {
        eprintln!("{save_errors} pages could not be saved (see the warnings above)");
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use ferrocrawl::Url;
    use ferrocrawl::crawl::Scope;

    use super::*;
    use crate::args::{Cli, Command};

    /// The scope `ferrocrawl crawl ARGS` crawls in: the command line parsed
    /// as the binary parses it, into the job's settings, then the mode and the
    /// allowed domains put together as the engine puts them (its own test
    /// checks that part).
    fn scope_of(argv: &[&str]) -> Scope {
        let cli = Cli::try_parse_from(["ferrocrawl", "crawl"].iter().chain(argv)).unwrap();
        let Command::Crawl(args) = cli.command else {
            panic!("not a crawl: {argv:?}");
        };
        let settings = job(&args).current_settings().clone();
        let mut b = Scope::builder().mode(settings.scope.mode());
        for s in &args.seeds {
            b = b.seed(Url::parse(s).unwrap());
        }
        for d in &settings.allow_domains {
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
