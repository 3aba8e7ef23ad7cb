//! The crawl state file shared by `run` and `crawl`: open or resume it, read
//! the output checkpoints it holds, and keep or remove it at the end.

use std::path::Path;

use anyhow::Context as _;
use ferrocrawl::ErrorKind;
use ferrocrawl::crawl::{FrontierConfig, SqliteFrontier};

use crate::exit;

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
}

/// Opens (or resumes) `path` for the crawl `identity`, saying which on
/// stderr. `Err(code)` when the file can't be used (the message is printed;
/// the file is left as it was).
pub fn open(
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
    Ok(Ok(State {
        frontier,
        resuming: !resumed.created,
    }))
}

impl State {
    /// The committed length saved for the output `name`, if any.
    pub fn offset(&self, name: &str) -> anyhow::Result<Option<u64>> {
        let saved = self
            .frontier
            .checkpoint(name)
            .context("cannot read the crawl state")?;
        Ok(saved
            .and_then(|b| <[u8; 8]>::try_from(b.as_slice()).ok())
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
