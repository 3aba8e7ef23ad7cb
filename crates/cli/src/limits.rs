//! The open-file limit: raised at start, and concurrency kept under it.

/// File descriptors kept in reserve for stdio, the output file, saved bodies,
/// DNS and the runtime itself.
const RESERVE: u64 = 64;

/// Raise our own soft `RLIMIT_NOFILE` to the hard limit, then return the
/// concurrency that fits under it. Each request in flight holds one socket,
/// so asking for more than the limit would fail halfway with EMFILE; instead
/// we warn up front and run with what fits.
pub fn fit_concurrency(requested: usize) -> usize {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(e) => {
            tracing::warn!("could not raise the open-file limit: {e}");
            match rlimit::getrlimit(rlimit::Resource::NOFILE) {
                Ok((soft, _)) => soft,
                Err(_) => return requested,
            }
        }
    };
    let fits = usize::try_from(limit.saturating_sub(RESERVE))
        .unwrap_or(usize::MAX)
        .max(1);
    if requested > fits {
        eprintln!(
            "warning: -c {requested} needs about {} open files but the limit is {limit}; \
             running with -c {fits}. To go higher, raise the hard limit \
             (`ulimit -Hn`, or LimitNOFILE= for a systemd service) and run again.",
            requested as u64 + RESERVE
        );
        return fits;
    }
    requested
}
