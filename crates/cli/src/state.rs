//! What `run` and `crawl` share around a crawl: the state file (open or
//! resume it, read its output checkpoints, keep or remove it at the end) and
//! the watch over a running crawl (progress, Ctrl-C to pause, then to quit).

use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use ferrocrawl::ErrorKind;
use ferrocrawl::crawl::{
    Checkpoint, Crawler, Event, Frontier, FrontierConfig, Output, SqliteFrontier, Summary,
};

use crate::crawl::{progress_bar, tick};
use crate::exit;

/// Page failures printed one by one before only counting them.
const SHOWN_FAILURES: u64 = 10;

/// A crawl that ran to its end (or paused on the first Ctrl-C).
pub struct Watched<O> {
    pub summary: Summary,
    pub output: O,
    /// Pages that failed, beyond those printed.
    pub unshown_failures: u64,
}

/// Runs `crawler` into `output` with a progress bar on stderr. The first
/// Ctrl-C pauses (no new requests; those in flight finish and are saved), the
/// second quits at once: then `None`, and the state holds the last commit.
/// With `show_failures`, the first page failures are printed as they come.
pub async fn watch<O: Output>(
    crawler: Crawler,
    output: O,
    quiet: bool,
    show_failures: bool,
    state: Option<&Path>,
) -> anyhow::Result<Option<Watched<O>>> {
    let stats = crawler.stats();
    let stopper = crawler.stopper();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Event>(1024);
    let mut crawl = tokio::spawn(crawler.run_into(tx, output));
    let bar = progress_bar(quiet);
    let ticker = tokio::spawn(tick(bar.clone(), Arc::clone(&stats)));
    let mut interrupts = 0;
    let mut failures = 0u64;
    // One listener for the whole loop, renewed only after it fires: a listener made
    // afresh each turn misses a Ctrl-C that lands while an event is being handled.
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    let (summary, output) = loop {
        tokio::select! {
            // The output writes; events only feed the display.
            event = rx.recv() => match event {
                Some(Event::Page(page)) if show_failures => {
                    if let Some(err) = &page.error {
                        failures += 1;
                        if failures <= SHOWN_FAILURES {
                            bar.suspend(|| eprintln!("failed: {} ({}): {}", page.url, err.kind, err.message));
                        }
                    }
                }
                Some(_) => {}
                None => break (&mut crawl).await.context("the crawl task panicked")??,
            },
            _ = &mut ctrl_c => {
                ctrl_c.set(tokio::signal::ctrl_c());
                interrupts += 1;
                if interrupts == 1 {
                    stopper.stop();
                    bar.suspend(|| eprintln!("pausing: finishing the requests in flight and saving their output (Ctrl-C again to quit now)"));
                } else {
                    bar.abandon();
                    match state {
                        Some(s) => eprintln!("stopped at once; {} holds the last saved state, and the same command resumes from it", s.display()),
                        None => eprintln!("stopped at once; output saved so far is kept"),
                    }
                    return Ok(None);
                }
            }
        }
    };
    ticker.abort();
    bar.finish_and_clear();
    Ok(Some(Watched {
        summary,
        output,
        unshown_failures: failures.saturating_sub(SHOWN_FAILURES),
    }))
}

/// The exit code of a crawl that ended: interrupted, some failures, or OK.
pub fn exit_code(summary: &Summary, other_failures: u64) -> u8 {
    if summary.stopped {
        exit::INTERRUPTED
    } else if summary.failed > 0 || other_failures > 0 {
        exit::SOME_FAILED
    } else {
        exit::OK
    }
}

/// How a crawl run ended, for the state file's fate.
pub struct Ran {
    /// The exit code.
    pub code: u8,
    /// Requests still queued (a budget was reached, or it was stopped).
    pub left_queued: u64,
}

/// A state file opened for a crawl, in manual-commit mode: only the engine
/// commits it, after the outputs have flushed (exactly-once output).
pub struct State {
    pub frontier: SqliteFrontier,
    /// The file existed: this run resumes it.
    pub resuming: bool,
    /// What the outputs had committed when the state was last saved.
    checkpoint: Checkpoint,
}

/// Opens (or resumes) `path` for the crawl `identity`, saying which on
/// stderr. `Err(code)` when the file can't be used (the message is printed;
/// the file is left as it was).
pub async fn open(
    path: &Path,
    config: FrontierConfig,
    identity: &str,
    quiet: bool,
) -> anyhow::Result<Result<State, u8>> {
    let (frontier, resumed) = match SqliteFrontier::open(path, config, identity) {
        Ok(opened) => opened,
        Err(e) if matches!(e.kind(), ErrorKind::State(_)) => {
            eprintln!("error: {}", e.display_chain());
            return Ok(Err(exit::USAGE));
        }
        Err(e) => return Err(anyhow::Error::new(e).context("cannot open the crawl state")),
    };
    frontier.set_manual_commit(true);
    if !quiet {
        if resumed.created {
            eprintln!(
                "state: {} (stopped or killed, the same command resumes)",
                path.display()
            );
        } else {
            eprintln!(
                "resuming from {}: {} queued ({} were in flight), {} done, {} failed",
                path.display(),
                resumed.queued,
                resumed.returned,
                resumed.done,
                resumed.failed
            );
        }
    }
    let checkpoint = frontier
        .checkpoint()
        .await
        .context("cannot read the crawl state")?;
    Ok(Ok(State {
        frontier,
        resuming: !resumed.created,
        checkpoint,
    }))
}

impl State {
    /// The committed length saved for the output `name`, if any.
    pub fn offset(&self, name: &str) -> anyhow::Result<Option<u64>> {
        Ok(self
            .checkpoint
            .iter()
            .find(|(n, _)| n == name)
            .and_then(|(_, b)| <[u8; 8]>::try_from(b.as_slice()).ok())
            .map(u64::from_le_bytes))
    }
}

/// A checkpoint value for an output's committed length.
pub fn offset_bytes(at: u64) -> Vec<u8> {
    at.to_le_bytes().to_vec()
}

/// Keeps the state when there is work left (paused, or a budget reached)
/// and says how to go on; removes it when the crawl is complete, so the next
/// run starts afresh.
pub fn finish(path: &Path, ran: &Ran, quiet: bool) {
    let again = || std::env::args().skip(1).collect::<Vec<_>>().join(" ");
    if ran.code == exit::INTERRUPTED {
        if !quiet {
            eprintln!(
                "paused; the state is in {}. To resume, run the same command again:\n  ferrocrawl {}",
                path.display(),
                again()
            );
        }
    } else if ran.left_queued > 0 {
        if !quiet {
            eprintln!(
                "{} requests are still queued in {}; run the same command with a larger budget to go on, \
                 or delete the file to start over",
                ran.left_queued,
                path.display()
            );
        }
    } else {
        remove(path);
    }
}

/// Removes a state file and SQLite's WAL and index files beside it.
fn remove(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => eprintln!("warning: cannot remove {}: {e}", Path::new(&p).display()),
        }
    }
}
