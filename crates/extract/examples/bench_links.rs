//! Link extraction throughput on real pages from disk: a sample of the Rust docs
//! (`/usr/share/doc/rust-doc/html`) and all of the PostgreSQL 15 docs (Debian packages
//! `rust-doc` and `postgresql-doc-15`).
//!
//! ```text
//! cargo run --release -p ferrocrawl-extract --example bench_links -- [--files N]
//! ```
//! Reports MB/s, pages/s and links/s (best of 3 rounds, on-CPU time), per-page p50/p99
//! (best of 5 tries each), the mean for 15–25 KB pages, the fixed cost of one call and
//! peak RSS. `docs/decisions/0005-link-extractor.md` and `0009-html5gum.md` have the numbers
//! this produced for lol_html, html5ever's tokenizer and html5gum when the tokenizer was chosen.

use std::path::{Path, PathBuf};
use std::time::Instant;

use ferrocrawl_extract::{LinkOptions, extract_links};
use url::Url;

struct Page {
    url: Url,
    html: String,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let files: usize = args
        .iter()
        .position(|a| a == "--files")
        .and_then(|i| args.get(i + 1)?.parse().ok())
        .unwrap_or(3000);

    let sets = [
        (
            "rust-doc",
            load(Path::new("/usr/share/doc/rust-doc/html"), files),
        ),
        (
            "postgresql-doc-15",
            load(Path::new("/usr/share/doc/postgresql-doc-15/html"), files),
        ),
    ];
    if sets.iter().all(|(_, pages)| pages.is_empty()) {
        println!("no pages: install the rust-doc and postgresql-doc-15 packages");
        return;
    }
    let rss_base = peak_rss_kib();
    println!("peak RSS after loading pages: {} MiB", rss_base / 1024);
    let opts = LinkOptions::default();

    for (set, pages) in sets.iter().filter(|(_, pages)| !pages.is_empty()) {
        let bytes: usize = pages.iter().map(|p| p.html.len()).sum();
        let mut sizes: Vec<usize> = pages.iter().map(|p| p.html.len()).collect();
        sizes.sort_unstable();
        println!(
            "\n== {set}: {} pages, {:.1} MB, median page {:.1} KB",
            pages.len(),
            bytes as f64 / 1e6,
            sizes[sizes.len() / 2] as f64 / 1e3
        );
        // Warm-up, then the best of 3 rounds. Rounds are timed in on-CPU time, not wall
        // time: the machine is shared, and waiting in the run queue is not our cost.
        let links: usize = pages
            .iter()
            .map(|p| extract_links(&p.html, &p.url, &opts).links.len())
            .sum();
        let secs = (0..3)
            .map(|_| {
                let start = cpu_seconds();
                for p in pages {
                    std::hint::black_box(extract_links(&p.html, &p.url, &opts));
                }
                cpu_seconds() - start
            })
            .fold(f64::INFINITY, f64::min);
        let mut per_page: Vec<f64> = pages
            .iter()
            .map(|p| {
                // The fastest of 5 tries filters out preemption by other processes.
                (0..5)
                    .map(|_| {
                        let start = Instant::now();
                        std::hint::black_box(extract_links(&p.html, &p.url, &opts));
                        start.elapsed().as_secs_f64() * 1e6
                    })
                    .fold(f64::INFINITY, f64::min)
            })
            .collect();
        let (n, sum) = pages
            .iter()
            .zip(&per_page)
            .filter(|(p, _)| (15_000..25_000).contains(&p.html.len()))
            .fold((0u32, 0.0), |(n, sum), (_, us)| (n + 1, sum + us));
        per_page.sort_by(f64::total_cmp);
        println!(
            "{:7.1} MB/s {:9.0} pages/s {:10.0} links/s | p50 {:6.1} us, p99 {:7.1} us per page \
             | 15-25 KB pages ({n}): {:.1} us | {links} links",
            bytes as f64 / secs / 1e6,
            pages.len() as f64 / secs,
            links as f64 / secs,
            per_page[per_page.len() / 2],
            per_page[per_page.len() * 99 / 100],
            sum / f64::from(n.max(1)),
        );
    }

    // The fixed cost of one call, on a page with one link.
    let url = Url::parse("https://docs.example/").expect("a valid URL");
    let tiny = "<html><title>t</title><a href=/a>a</a></html>";
    let start = cpu_seconds();
    for _ in 0..20_000 {
        std::hint::black_box(extract_links(tiny, &url, &opts));
    }
    println!(
        "\n{:.2} us per call on a one-link page",
        (cpu_seconds() - start) * 1e6 / 20_000.0
    );
    let rss = peak_rss_kib();
    println!(
        "peak RSS {} MiB ({} MiB above the loaded pages)",
        rss / 1024,
        rss.saturating_sub(rss_base) / 1024
    );
}

/// Up to `max` HTML files under `root`, spread evenly over the sorted listing.
fn load(root: &Path, max: usize) -> Vec<Page> {
    let mut paths = Vec::new();
    walk(root, &mut paths);
    paths.sort();
    let step = paths.len().div_ceil(max.max(1)).max(1);
    paths
        .iter()
        .step_by(step)
        .filter_map(|path| {
            let bytes = std::fs::read(path).ok()?;
            let rel = path.strip_prefix(root).ok()?.to_string_lossy().into_owned();
            Some(Page {
                url: Url::parse("https://docs.example/").ok()?.join(&rel).ok()?,
                html: String::from_utf8_lossy(&bytes).into_owned(),
            })
        })
        .collect()
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "html") {
            out.push(path);
        }
    }
}

/// This thread's time on a CPU so far (Linux schedstat), in seconds.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

/// VmHWM from /proc/self/status, in KiB.
fn peak_rss_kib() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}
