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

/// Big allocations (response bodies of a megabyte or more) get mappings of their own, and
/// go back to the system when freed.
///
/// glibc's default threshold for that starts at 128 KiB and then rises to the size of
/// every mapped block freed, up to 32 MiB: after the first 10 MB page, bodies of any size
/// come from the heap arenas, which fragment and are rarely trimmed. On the lab's rust
/// site that was 82-97 MiB of peak RSS; a fixed 1 MiB threshold measured 71-84 MiB at the
/// same CPU time (docs/decisions/0010-mmap-threshold.md).
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code, reason = "mallopt is a plain C call; see the SAFETY note")]
pub fn tune_allocator() {
    const MMAP_THRESHOLD: libc::c_int = 1024 * 1024;
    // SAFETY: mallopt takes two integers and only changes allocator tunables; glibc
    // documents it as thread-safe, and it runs before the runtime starts any thread.
    let ok = unsafe { libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) };
    if ok == 0 {
        tracing::debug!("mallopt(M_MMAP_THRESHOLD) was refused; keeping glibc's default");
    }
}

/// Other platforms' allocators need no help here.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn tune_allocator() {}
