//! What several of the CLI's test binaries share: running the binary in a
//! directory.

use std::path::PathBuf;
use std::process::{Command, Output};

/// Runs `ferrocrawl ARGS` in `dir`, off the async runtime.
pub async fn ferrocrawl(args: Vec<String>, dir: PathBuf) -> Output {
    tokio::task::spawn_blocking(move || {
        Command::new(env!("CARGO_BIN_EXE_ferrocrawl"))
            .args(&args)
            .current_dir(dir)
            .output()
            .expect("the ferrocrawl binary runs")
    })
    .await
    .expect("the blocking task ends")
}
