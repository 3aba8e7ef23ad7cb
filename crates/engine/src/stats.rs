//! Live counters for progress displays.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// Counters updated by the crawl as it goes; read them any time.
#[derive(Debug, Default)]
pub struct Stats {
    pub(crate) pages: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) dropped: AtomicU64,
    pub(crate) out_of_scope: AtomicU64,
    pub(crate) queued: AtomicU64,
    pub(crate) hosts: AtomicU64,
    pub(crate) bytes: AtomicU64,
    pub(crate) items: AtomicU64,
    /// Time requests were told to wait by `Retry-After`, in milliseconds.
    pub(crate) throttled_ms: AtomicU64,
    /// Links cut by a trap guard or skipped by extension.
    pub(crate) cut: AtomicU64,
    /// HTML pages whose main content could not be extracted (`content`).
    pub(crate) content_failed: AtomicU64,
}

impl Stats {
    /// Pages fetched (any status).
    pub fn pages(&self) -> u64 {
        self.pages.load(Relaxed)
    }
    /// Pages that failed for good.
    pub fn failed(&self) -> u64 {
        self.failed.load(Relaxed)
    }
    /// Requests dropped by robots.txt.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Relaxed)
    }
    /// Links not followed because they were out of scope.
    pub fn out_of_scope(&self) -> u64 {
        self.out_of_scope.load(Relaxed)
    }
    /// Requests waiting in the frontier.
    pub fn queued(&self) -> u64 {
        self.queued.load(Relaxed)
    }
    /// Hosts seen.
    pub fn hosts(&self) -> u64 {
        self.hosts.load(Relaxed)
    }
    /// Items emitted by handlers.
    pub fn items(&self) -> u64 {
        self.items.load(Relaxed)
    }
    /// Body bytes downloaded.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Relaxed)
    }
}
