//! Progress on stderr while running, and the summary at the end.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Counters for the summary, updated as results arrive.
#[derive(Debug, Default)]
pub struct Tally {
    /// Responses by status code.
    pub statuses: BTreeMap<u16, u64>,
    /// Failures by error kind (`invalid_url`, `connect`, …).
    pub errors: BTreeMap<String, u64>,
    /// Seconds per request, for percentiles.
    latencies: Vec<f64>,
    /// Body bytes received.
    pub bytes: u64,
    /// Requests that count as failed (an error, or a status of 400 or more).
    pub failed: u64,
    /// Requests finished, failed or not.
    pub done: u64,
}

impl Tally {
    /// Count a response.
    pub fn response(&mut self, status: u16, bytes: usize, elapsed: Duration) {
        *self.statuses.entry(status).or_default() += 1;
        self.bytes += bytes as u64;
        self.latencies.push(elapsed.as_secs_f64());
        self.done += 1;
        if status >= 400 {
            self.failed += 1;
        }
    }

    /// Count a failure with no response.
    pub fn error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_owned()).or_default() += 1;
        self.done += 1;
        self.failed += 1;
    }

    /// The multi-line summary printed at the end.
    pub fn summary(&mut self, wall: Duration) -> String {
        let mut out = String::new();
        let secs = wall.as_secs_f64();
        let rate = if secs > 0.0 {
            self.done as f64 / secs
        } else {
            0.0
        };
        let _ = writeln!(
            out,
            "done: {} requests in {:.2}s ({:.1}/s), {} failed, {} received",
            self.done,
            secs,
            rate,
            self.failed,
            human_bytes(self.bytes)
        );
        if !self.statuses.is_empty() {
            let parts: Vec<String> = self
                .statuses
                .iter()
                .map(|(s, n)| format!("{s}: {n}"))
                .collect();
            let _ = writeln!(out, "status: {}", parts.join(", "));
        }
        if !self.errors.is_empty() {
            let parts: Vec<String> = self
                .errors
                .iter()
                .map(|(k, n)| format!("{k}: {n}"))
                .collect();
            let _ = writeln!(out, "errors: {}", parts.join(", "));
        }
        if !self.latencies.is_empty() {
            self.latencies.sort_by(f64::total_cmp);
            let _ = writeln!(
                out,
                "latency: p50 {:.3}s, p95 {:.3}s, max {:.3}s",
                percentile(&self.latencies, 0.50),
                percentile(&self.latencies, 0.95),
                self.latencies.last().copied().unwrap_or(0.0)
            );
        }
        out
    }
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = (p * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The progress bar: done/total, rate, errors and ETA, on stderr. Hidden
/// when stderr is not a terminal or with --quiet.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
}

impl Progress {
    /// A bar for `total` requests.
    pub fn new(total: u64, quiet: bool) -> Progress {
        let bar = if quiet {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
        } else {
            ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(4))
        };
        let style = ProgressStyle::with_template(
            "{elapsed_precise} [{bar:30}] {pos}/{len} {rate} errors {msg} ETA {eta}",
        )
        .map(with_rate)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message("0");
        Progress {
            bar,
            started: Instant::now(),
        }
    }

    /// One more request finished.
    pub fn tick(&self, failed: u64) {
        self.bar.inc(1);
        self.bar.set_message(failed.to_string());
    }

    /// Time since start.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Remove the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// `{rate}` in a template: whole items a second (`875/s`, not `875.6154/s`).
pub(crate) fn with_rate(style: ProgressStyle) -> ProgressStyle {
    style.with_key(
        "rate",
        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0}/s", state.per_sec());
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summary_counts_and_percentiles() {
        let mut t = Tally::default();
        for i in 1..=100 {
            t.response(
                if i % 10 == 0 { 500 } else { 200 },
                10,
                Duration::from_millis(i),
            );
        }
        t.error("connect");
        let s = t.summary(Duration::from_secs(1));
        assert!(s.contains("101 requests"), "{s}");
        assert!(s.contains("11 failed"), "{s}");
        assert!(s.contains("200: 90, 500: 10"), "{s}");
        assert!(s.contains("connect: 1"), "{s}");
        assert!(s.contains("p50 0.050s, p95 0.095s, max 0.100s"), "{s}");
    }
}
