//! [`Clock`]: where a frontier reads the time.
//!
//! The protocol speaks of time only as wall-clock [`SystemTime`] (lease
//! expiries) and [`Duration`] (waits). Where the time comes from is the
//! backend's choice, injected as a [`SharedClock`]: the in-process frontiers
//! default to [`TokioClock`] (monotonic, and it follows tokio's paused clock
//! in tests), a shared backend would read its server's clock, and tests of
//! any backend can drive a [`ManualClock`].

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of wall-clock time.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// The time now.
    fn now(&self) -> SystemTime;
}

/// A clock shared by a frontier's handles.
pub type SharedClock = Arc<dyn Clock>;

/// The system's wall clock, as it is (it may jump).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// Wall-clock time that never jumps: the system time when the clock was
/// made, plus tokio's monotonic time since. Under tokio's paused test clock
/// it moves only when tokio's time does.
#[derive(Clone, Copy, Debug)]
pub struct TokioClock {
    wall: SystemTime,
    mono: tokio::time::Instant,
}

impl TokioClock {
    /// A clock starting at the system time now.
    pub fn new() -> TokioClock {
        TokioClock {
            wall: SystemTime::now(),
            mono: tokio::time::Instant::now(),
        }
    }

    /// As a [`SharedClock`].
    pub fn shared() -> SharedClock {
        Arc::new(TokioClock::new())
    }
}

impl Default for TokioClock {
    fn default() -> Self {
        TokioClock::new()
    }
}

impl Clock for TokioClock {
    fn now(&self) -> SystemTime {
        self.wall + self.mono.elapsed()
    }
}

/// A clock that moves only when told: for tests of any backend.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    /// A clock at an arbitrary fixed moment (2026-01-01T00:00:00Z).
    pub fn new() -> ManualClock {
        ManualClock::at(UNIX_EPOCH + Duration::from_secs(1_767_225_600))
    }

    /// A clock at `t`.
    pub fn at(t: SystemTime) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(t)))
    }

    /// Move the clock forward by `d`.
    pub fn advance(&self, d: Duration) {
        let mut t = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *t = crate::policy::later(*t, d);
    }

    /// As a [`SharedClock`] (the same clock: advancing one advances both).
    pub fn shared(&self) -> SharedClock {
        Arc::new(self.clone())
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
