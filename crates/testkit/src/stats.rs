//! Request and connection counters that tests read while the server runs.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Live counters of one [`TestServer`](crate::TestServer).
///
/// Everything except the per-path hit map is a lone atomic, so reading a
/// counter never contends with the server. The hit map sits behind a mutex
/// that is held only for one hash-map update.
#[derive(Debug, Default)]
pub struct Stats {
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    requests: AtomicU64,
    connections: AtomicU64,
    hits: Mutex<HashMap<String, u64>>,
    /// When each request arrived (tokio clock, so paused tests see it) and
    /// its path with query, in arrival order: politeness tests read gaps.
    arrivals: Mutex<Vec<(tokio::time::Instant, String)>>,
}

impl Stats {
    /// Requests whose handler is running right now.
    pub fn in_flight(&self) -> u64 {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Highest value [`in_flight`](Self::in_flight) reached since the server
    /// started or since the last [`reset`](Self::reset).
    pub fn max_in_flight(&self) -> u64 {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Total requests received (every path, including 404s).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    /// Requests whose path (without the query string) equals `path` exactly.
    pub fn hits(&self, path: &str) -> u64 {
        self.lock_hits().get(path).copied().unwrap_or(0)
    }

    /// TCP connections accepted.
    pub fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// Every request so far: when it arrived and its path (with query).
    pub fn arrivals(&self) -> Vec<(tokio::time::Instant, String)> {
        self.arrivals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    pub(crate) fn record_arrival(&self, path_and_query: &str) {
        self.arrivals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push((tokio::time::Instant::now(), path_and_query.to_owned()));
    }

    /// Zeroes every counter.
    ///
    /// `in_flight` is a gauge of handlers that are still running, so it is
    /// left alone (zeroing it would underflow when they finish); the
    /// high-water mark restarts from its current value.
    pub fn reset(&self) {
        self.arrivals
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clear();
        self.requests.store(0, Ordering::SeqCst);
        self.connections.store(0, Ordering::SeqCst);
        self.max_in_flight
            .store(self.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
        self.lock_hits().clear();
    }

    /// Records an accepted connection.
    pub(crate) fn connection_accepted(&self) {
        self.connections.fetch_add(1, Ordering::SeqCst);
    }

    /// Records the start of a request; the returned guard marks its end
    /// when dropped, which also covers handlers cancelled mid-way (a client
    /// hanging up on `/delay`, a stalled `/flaky`).
    pub(crate) fn request_started(&self, path: &str) -> InFlight<'_> {
        self.requests.fetch_add(1, Ordering::SeqCst);
        {
            let mut hits = self.lock_hits();
            // Look up before inserting so the common repeat hit allocates nothing.
            match hits.get_mut(path) {
                Some(n) => *n += 1,
                None => {
                    hits.insert(path.to_owned(), 1);
                }
            }
        }
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        InFlight { stats: self }
    }

    fn lock_hits(&self) -> std::sync::MutexGuard<'_, HashMap<String, u64>> {
        // A panic while holding this lock cannot leave the map half-updated
        // (each critical section is one insert or clear), so a poisoned
        // lock is still safe to use.
        self.hits
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Marks one request as in flight until dropped.
#[derive(Debug)]
pub(crate) struct InFlight<'a> {
    stats: &'a Stats,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.stats.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_tracks_in_flight_and_high_water_mark() {
        let stats = Stats::default();
        let a = stats.request_started("/a");
        let b = stats.request_started("/a");
        assert_eq!(stats.in_flight(), 2);
        drop(a);
        let c = stats.request_started("/b");
        assert_eq!(stats.in_flight(), 2);
        assert_eq!(stats.max_in_flight(), 2);
        assert_eq!(stats.requests(), 3);
        assert_eq!(stats.hits("/a"), 2);
        assert_eq!(stats.hits("/b"), 1);
        assert_eq!(stats.hits("/c"), 0);
        drop(b);
        stats.reset();
        assert_eq!(stats.requests(), 0);
        assert_eq!(stats.hits("/a"), 0);
        assert_eq!(stats.max_in_flight(), 1, "c is still running");
        drop(c);
        assert_eq!(stats.in_flight(), 0);
    }
}
