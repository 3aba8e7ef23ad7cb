//! What `run` and `crawl` share around a job: the watch over it (progress,
//! Ctrl-C to pause, then to quit), what it says about its state file, and
//! the exit code.

use std::sync::Arc;

use anyhow::Context as _;
use ferrocrawl::crawl::Event;
use ferrocrawl::{ErrorKind, Job, JobReport, StateFate};

use crate::crawl::{progress_bar, tick};
use crate::exit;

/// Page failures printed one by one before only counting them.
const SHOWN_FAILURES: u64 = 10;

/// A job that ran to its end (or paused on the first Ctrl-C).
pub struct Watched {
    pub report: JobReport,
    /// Pages that failed, beyond those printed.
    pub unshown_failures: u64,
}

/// Starts `job` and watches it with a progress bar on stderr. The first
/// Ctrl-C pauses (no new requests; those in flight finish and are saved),
/// the second quits at once: then `Err(code)`, and the state holds the last
/// commit. With `show_failures`, the first page failures are printed as
/// they come. A state file the job can't use is `Err(USAGE)`, said on
/// stderr, the file left as it was.
pub async fn watch(
    job: Job,
    quiet: bool,
    show_failures: bool,
) -> anyhow::Result<Result<Watched, u8>> {
    let stdout_warning = job.writes_to_stdout();
    let mut running = match job.start().await {
        Ok(running) => running,
        Err(e) if matches!(e.kind(), ErrorKind::State(_) | ErrorKind::Config) => {
            eprintln!("error: {}", e.display_chain());
            return Ok(Err(exit::USAGE));
        }
        Err(e) => return Err(anyhow::Error::new(e).context("cannot start the crawl")),
    };
    if !quiet && let (Some(r), Some(path)) = (running.resumed, running.state_path()) {
        if r.created && running.empty_state {
            eprintln!(
                "state: {} was empty (0 bytes), so there was nothing to resume: a new crawl starts in it",
                path.display()
            );
        } else if r.created {
            eprintln!(
                "state: {} (removed when the crawl ends; if it stops first, the same command resumes it)",
                path.display()
            );
        } else {
            eprintln!(
                "resuming from {}: {} queued ({} were in flight), {} done, {} failed",
                path.display(),
                r.queued,
                r.returned,
                r.done,
                r.failed
            );
            if stdout_warning {
                eprintln!(
                    "warning: resuming onto stdout: the output of pages redone since the last save is printed again"
                );
            }
        }
    }
    let bar = progress_bar(quiet);
    let ticker = tokio::spawn(tick(bar.clone(), Arc::clone(&running.stats())));
    let mut interrupts = 0;
    let mut failures = 0u64;
    // One listener for the whole loop, renewed only after it fires: a listener made
    // afresh each turn misses a Ctrl-C that lands while an event is being handled.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    loop {
        tokio::select! {
            // The outputs write; events only feed the display.
            event = running.next_event() => match event {
                Some(Event::Page(page)) if show_failures => {
                    if let Some(err) = &page.error {
                        failures += 1;
                        if failures <= SHOWN_FAILURES {
                            bar.suspend(|| eprintln!("failed: {} ({}): {}", page.url, err.kind, err.message));
                        }
                    }
                }
                Some(_) => {}
                None => break,
            },
            _ = &mut ctrl_c => {
                ctrl_c.set(tokio::signal::ctrl_c());
                interrupts += 1;
                if interrupts == 1 {
                    running.pause();
                    bar.suspend(|| eprintln!("pausing: finishing the requests in flight and saving their output (Ctrl-C again to quit now)"));
                } else {
                    running.abort();
                    bar.abandon();
                    match running.state_path() {
                        Some(s) => eprintln!("stopped at once; {} holds the last saved state, and the same command resumes from it", s.display()),
                        None => eprintln!("stopped at once; output saved so far is kept"),
                    }
                    return Ok(Err(exit::INTERRUPTED));
                }
            }
        }
    }
    ticker.abort();
    bar.finish_and_clear();
    let report = running.finish().await.context("the crawl failed")?;
    Ok(Ok(Watched {
        report,
        unshown_failures: failures.saturating_sub(SHOWN_FAILURES),
    }))
}

/// The exit code of a job that ended: interrupted, some failures, or OK.
pub fn exit_code(report: &JobReport) -> u8 {
    if report.summary.stopped {
        exit::INTERRUPTED
    } else if report.failures() > 0 {
        exit::SOME_FAILED
    } else {
        exit::OK
    }
}

/// Says what became of the state file: how to resume a paused crawl, or
/// what is left after a budget.
pub fn say_state(report: &JobReport, quiet: bool) {
    if quiet {
        return;
    }
    let StateFate::Kept { path, queued } = &report.state else {
        return;
    };
    if report.summary.stopped {
        let again = std::env::args().skip(1).collect::<Vec<_>>().join(" ");
        eprintln!(
            "paused; the state is in {}. To resume, run the same command again:\n  ferrocrawl {again}",
            path.display()
        );
    } else {
        eprintln!(
            "{queued} requests are still queued in {}; run the same command with a larger budget to go on, \
             or delete the file to start over",
            path.display()
        );
    }
}
