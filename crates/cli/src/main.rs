//! `ferrocrawl`: the command-line tool.
//!
//! Thin by design: parse flags, build the library's types, show progress, map
//! errors to exit codes.

mod args;
mod content;
mod crawl;
mod extract;
mod fetch;
mod limits;
mod progress;
mod spider;
mod state;
#[cfg(feature = "redis")]
mod status;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

/// Exit codes, documented in `ferrocrawl --help`.
pub mod exit {
    /// Every request succeeded.
    pub const OK: u8 = 0;
    /// The run finished, but some requests failed (an error, or a status of 400 or more).
    pub const SOME_FAILED: u8 = 1;
    /// Bad invocation: unknown flag, unreadable input, invalid option value.
    pub const USAGE: u8 = 2;
    /// Interrupted by Ctrl-C.
    pub const INTERRUPTED: u8 = 130;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    limits::tune_allocator();
    // fetch only waits on sockets: one thread does it with no cross-thread
    // wakeups (10-20% less CPU at 10k connections, bench/README.md). crawl
    // parses every page, which wants every core.
    let mut builder = match cli.command {
        Command::Fetch(_) | Command::Extract(_) => tokio::runtime::Builder::new_current_thread(),
        #[cfg(feature = "redis")]
        Command::Status(_) => tokio::runtime::Builder::new_current_thread(),
        Command::Crawl(_) | Command::Run(_) | Command::Check(_) | Command::New(_) => {
            tokio::runtime::Builder::new_multi_thread()
        }
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Fetch(args) => fetch::run(args, cli.quiet).await,
            Command::Crawl(args) => on_worker(crawl::run(args, cli.quiet)).await,
            Command::Run(args) => on_worker(spider::run(args, cli.quiet)).await,
            Command::Check(args) => spider::check(args),
            Command::New(args) => spider::new(args),
            Command::Extract(args) => extract::run(args, cli.quiet).await,
            #[cfg(feature = "redis")]
            Command::Status(args) => status::run(args).await,
        }
    });
    match result {
        Ok(code) => ExitCode::from(code),
        // The reader of stdout went away (`ferrocrawl fetch ... | head`): it wanted
        // no more, so stop quietly, as grep or ripgrep do.
        Err(e) if is_broken_pipe(&e) => ExitCode::from(exit::OK),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(exit::USAGE)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Runs a crawl's own loop (output, progress) on a runtime worker, like the page tasks
/// that feed it. On the main thread (`block_on`) every event a page task sends would wake
/// that thread with a futex call, and the main thread would free each page's memory into
/// the workers' malloc arenas, contending for their locks: about 40,000 futex calls on the
/// rust-doc crawl, most of its kernel-side scheduling.
async fn on_worker<F>(command: F) -> anyhow::Result<u8>
where
    F: Future<Output = anyhow::Result<u8>> + Send + 'static,
{
    match tokio::spawn(command).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(anyhow::anyhow!("the command's task was cancelled: {e}")),
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => tracing::Level::ERROR,
        (false, 0) => tracing::Level::WARN,
        (false, 1) => tracing::Level::INFO,
        (false, 2) => tracing::Level::DEBUG,
        (false, _) => tracing::Level::TRACE,
    };
    // Logs go to stderr; stdout carries data only.
    // Colour only on a terminal: a redirected stderr gets plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(ansi)
        .init();
}
