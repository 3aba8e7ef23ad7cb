//! [`HostLimiter`]: at most N requests in flight per host.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Limits concurrent requests per key (`host:port`). reqwest's pool has no
/// such limit, so the scheduler enforces it.
///
/// Keys with nothing in flight are forgotten, so memory follows the number of
/// busy hosts, not every host ever seen.
#[derive(Debug)]
pub struct HostLimiter {
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// A slot for one request to one host; released on drop.
#[derive(Debug)]
pub struct HostPermit {
    permit: Option<OwnedSemaphorePermit>,
    key: String,
    limiter: Arc<HostLimiter>,
}

// ===== impl HostLimiter =====

impl HostLimiter {
    /// A limiter allowing `per_host` requests at once per key (at least 1).
    pub fn new(per_host: usize) -> Arc<HostLimiter> {
        Arc::new(HostLimiter {
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        })
    }

    /// The limit per key.
    pub fn per_host(&self) -> usize {
        self.per_host
    }

    /// Wait for a slot for `key`.
    pub async fn acquire(self: &Arc<Self>, key: &str) -> HostPermit {
        let sem = {
            let mut hosts = self.lock();
            hosts
                .entry(key.to_owned())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        let permit = sem
            .acquire_owned()
            .await
            .expect("host semaphores are never closed");
        HostPermit {
            permit: Some(permit),
            key: key.to_owned(),
            limiter: Arc::clone(self),
        }
    }

    /// Keys currently tracked (hosts with requests in flight or waiting).
    pub fn active_hosts(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Semaphore>>> {
        // The map holds no invariant a panic could break mid-way.
        self.hosts.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Drop for HostPermit {
    fn drop(&mut self) {
        // Order matters: give the slot back first, then see whether the host
        // is idle (only the map holds its semaphore, all slots free).
        drop(self.permit.take());
        let mut hosts = self.limiter.lock();
        if let Some(sem) = hosts.get(&self.key)
            && Arc::strong_count(sem) == 1
            && sem.available_permits() == self.limiter.per_host
        {
            hosts.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_per_key_and_forgets_idle_hosts() {
        let l = HostLimiter::new(2);
        let a1 = l.acquire("a:80").await;
        let a2 = l.acquire("a:80").await;
        let b1 = l.acquire("b:80").await;
        let third =
            tokio::time::timeout(std::time::Duration::from_millis(20), l.acquire("a:80")).await;
        assert!(third.is_err(), "a third slot for a:80 must wait");
        assert_eq!(l.active_hosts(), 2);
        drop((a1, a2, b1));
        assert_eq!(l.active_hosts(), 0);
    }
}
