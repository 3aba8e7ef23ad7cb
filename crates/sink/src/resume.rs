//! Reopening a file sink's output at a committed offset, after a crash.

use std::io::{Error as IoError, ErrorKind, SeekFrom};
use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::Error;

/// Opens the existing file at `path` for writing at `offset`: checks that it
/// is at least that long and that `offset` ends a line, cuts off whatever
/// was written after it, makes the cut durable and leaves the cursor there.
pub(crate) async fn reopen(path: &Path, offset: u64) -> Result<tokio::fs::File, Error> {
    let shown = path.display();
    let mut file = tokio::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .await
        .map_err(|e| IoError::new(e.kind(), format!("cannot reopen {shown} to resume: {e}")))?;
    let len = file.metadata().await?.len();
    if len < offset {
        return Err(changed(format!(
            "{shown} is {len} bytes long, shorter than the committed offset {offset}: \
             it was changed since the crawl was paused; restore it or start a new crawl"
        )));
    }
    if offset > 0 {
        // Every flush ends with a whole line, so a committed offset does too.
        file.seek(SeekFrom::Start(offset - 1)).await?;
        let mut last = [0u8; 1];
        file.read_exact(&mut last).await?;
        if last != *b"\n" {
            return Err(changed(format!(
                "{shown}: the committed offset {offset} is not at the end of a line: \
                 it was changed since the crawl was paused; restore it or start a new crawl"
            )));
        }
    }
    if len > offset {
        tracing::info!(
            file = %shown,
            dropped = len - offset,
            "resuming: cutting bytes written after the committed offset"
        );
        file.set_len(offset).await?;
        file.sync_data().await?;
    }
    file.seek(SeekFrom::Start(offset)).await?;
    Ok(file)
}

/// The first `upto` bytes of the file at `path` (a committed offset),
/// buffered, for reading back what an earlier sink wrote.
pub(crate) fn committed_part(
    path: &Path,
    upto: u64,
) -> Result<std::io::BufReader<std::io::Take<std::fs::File>>, Error> {
    use std::io::Read;
    Ok(std::io::BufReader::new(
        std::fs::File::open(path)?.take(upto),
    ))
}

/// Reads up to `limit` bytes from the start of `file`, then puts the cursor
/// back at `back_to`.
pub(crate) async fn read_head(
    file: &mut tokio::fs::File,
    limit: u64,
    back_to: u64,
) -> Result<Vec<u8>, Error> {
    file.seek(SeekFrom::Start(0)).await?;
    let mut head = Vec::new();
    (&mut *file).take(limit).read_to_end(&mut head).await?;
    file.seek(SeekFrom::Start(back_to)).await?;
    Ok(head)
}

/// An i/o error for a file that is not what was committed.
pub(crate) fn changed(message: String) -> Error {
    Error::from(IoError::new(ErrorKind::InvalidData, message))
}

/// `sync_data`, except on files that can't be synced (`/dev/null`, a pipe or
/// a terminal given as the output path answer EINVAL): there is nothing to
/// make durable, so that is not an error.
pub(crate) async fn sync(file: &tokio::fs::File) -> std::io::Result<()> {
    match file.sync_data().await {
        Err(e) if e.raw_os_error() == Some(EINVAL) => Ok(()),
        other => other,
    }
}

/// Linux's (and the BSDs') errno for "invalid argument".
const EINVAL: i32 = 22;
