//! The streaming extractor spike against the current one: quality on the
//! article-extraction corpus, agreement and speed on the corpus and on the
//! lab's Rust docs, and a few hostile page shapes.
//!
//! ```text
//! cargo run --release -p ferrocrawl-content --example fast_spike -- [CORPUS] [SITE] [ROUNDS]
//! ```
//! CORPUS defaults to `shared/corpora/article_extraction`, SITE to
//! `/usr/share/doc/rust-doc/html` (`PAGES`, default 2,000, `.html` files
//! spread evenly over it, or with `LARGEST=N` its N largest), ROUNDS to 2.
//!
//! - `WORST=N` (default 10) lists the N worst corpus pages of the fast
//!   extractor, the pages where it is furthest behind the current one, and
//!   the site pages where the two agree least;
//! - `DUMP=DIR` writes the texts there (outside the repository: they hold
//!   corpus text);
//! - `QUALITY_ONLY=1` stops after the corpus scores;
//! - `STEP=fast` (part of a step's name) times only the matching steps;
//! - `KEY=prefix PATH_OF=text` prints where the fast tree puts a text on the
//!   pages whose key starts with `prefix` (`PATH_OF=` prints the fast text).
//!
//! Pages are decoded once (the core charset pipeline, as a crawl would) before
//! any timing; each timed step is one extractor over every page, ROUNDS
//! times, on this thread. CPU time is the thread's own
//! (`/proc/thread-self/schedstat`), wall time beside it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use ferrocrawl_content::stream::tokenize_only;
use ferrocrawl_content::{Rendering, extract_text_fast, extract_with_dom};
use url::Url;

#[path = "pages/mod.rs"]
#[allow(dead_code, reason = "the corpus is read here with its ground truth")]
mod pages;

/// The corpus test's score (a port of the corpus's `score.py`), reused.
#[allow(dead_code, unused_imports)]
#[path = "../tests/suite/corpus.rs"]
mod corpus;

type Error = Box<dyn std::error::Error>;

/// One timed step: the work on one page, returning a size so that it is not
/// optimised away.
type Step<'a> = dyn Fn(&Page) -> usize + 'a;

struct Page {
    key: String,
    url: Url,
    html: String,
    truth: String,
}

fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let corpus_dir = args.next().map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpora/article_extraction"
            ))
        },
        PathBuf::from,
    );
    let site_dir = PathBuf::from(
        args.next()
            .unwrap_or_else(|| "/usr/share/doc/rust-doc/html".to_owned()),
    );
    let rounds: usize = args.next().map_or(Ok(2), |r| r.parse())?;
    let quality_only = std::env::var("QUALITY_ONLY").is_ok();
    let corpus_pages = corpus_pages(&corpus_dir)?;
    let site_pages = site(&site_dir)?;
    // KEY=prefix PATH_OF=text: where the fast extractor's tree puts a text
    if let (Ok(key), Ok(needle)) = (std::env::var("KEY"), std::env::var("PATH_OF")) {
        for page in corpus_pages
            .iter()
            .chain(&site_pages)
            .filter(|p| p.key.starts_with(&key))
        {
            if needle.is_empty() {
                println!("{}", extract_text_fast(&page.html, &page.url));
            } else {
                println!(
                    "{}",
                    ferrocrawl_content::stream::path_of(&page.html, &needle)
                );
            }
        }
        return Ok(());
    }

    // STEP=fast (a part of a step's name) times only the steps it names,
    // without the quality and agreement passes (for profiling)
    let only = std::env::var("STEP").ok();
    // quality
    let (mut fast_rows, mut current_rows, mut same) = (Vec::new(), Vec::new(), Vec::new());
    let dump = std::env::var("DUMP").ok().map(PathBuf::from);
    for page in corpus_pages.iter().filter(|_| only.is_none()) {
        let fast = extract_text_fast(&page.html, &page.url);
        let current = extract_with_dom(&page.html, &page.url, Rendering::Text).text;
        fast_rows.push(corpus::tp_fp_fn(&page.truth, &fast));
        current_rows.push(corpus::tp_fp_fn(&page.truth, &current));
        same.push(corpus::tp_fp_fn(&current, &fast));
        if let Some(dir) = &dump {
            std::fs::create_dir_all(dir)?;
            std::fs::write(dir.join(format!("{}.fast.txt", page.key)), &fast)?;
            std::fs::write(dir.join(format!("{}.current.txt", page.key)), &current)?;
            std::fs::write(dir.join(format!("{}.truth.txt", page.key)), &page.truth)?;
        }
    }
    let (f1, p, r) = corpus::score(fast_rows.iter().copied());
    let (cf1, cp, cr) = corpus::score(current_rows.iter().copied());
    println!(
        "quality on {} corpus pages (corpus score.py port: 4-token shingle F1 of mean P and R)",
        corpus_pages.len()
    );
    println!(
        "  {:<34} F1 {f1:.4}  P {p:.4}  R {r:.4}",
        "fast (stream::extract_text_fast)"
    );
    println!(
        "  {:<34} F1 {cf1:.4}  P {cp:.4}  R {cr:.4}",
        "html5ever path (extract_with_dom, Text)"
    );
    let (sf1, sp, sr) = corpus::score(same.iter().copied());
    println!("  fast against current's text as truth F1 {sf1:.4}  P {sp:.4}  R {sr:.4}");
    let page_f1 = |(tp, fp, fneg): (f64, f64, f64)| {
        if tp == 0.0 {
            0.0
        } else {
            2.0 * tp / (2.0 * tp + fp + fneg)
        }
    };
    let worst: usize = std::env::var("WORST").map_or(Ok(10), |n| n.parse())?;
    let mut order: Vec<usize> = (0..fast_rows.len()).collect();
    order.sort_by(|&a, &b| page_f1(fast_rows[a]).total_cmp(&page_f1(fast_rows[b])));
    for &i in order.iter().take(worst) {
        let (tp, fp, fneg) = fast_rows[i];
        println!(
            "  worst: {:.12} fast F1 {:.3} (tp {tp:.2} fp {fp:.2} fn {fneg:.2}) current F1 {:.3}  {}",
            corpus_pages[i].key,
            page_f1(fast_rows[i]),
            page_f1(current_rows[i]),
            corpus_pages[i].url
        );
    }

    let mut behind: Vec<usize> = (0..fast_rows.len()).collect();
    let gap = |i: usize| page_f1(fast_rows[i]) - page_f1(current_rows[i]);
    behind.sort_by(|&a, &b| gap(a).total_cmp(&gap(b)));
    for &i in behind.iter().take(worst).filter(|&&i| gap(i) < 0.0) {
        println!(
            "  behind current: {:.12} fast F1 {:.3} current F1 {:.3}  {}",
            corpus_pages[i].key,
            page_f1(fast_rows[i]),
            page_f1(current_rows[i]),
            corpus_pages[i].url
        );
    }

    if quality_only {
        return Ok(());
    }
    let (pages, attempts) = ferrocrawl_content::stream::attempt_counts();
    println!("  fast: {attempts} Readability attempts for {pages} pages");
    // agreement on the site: the current extractor's text as the truth
    let mut agree = Vec::new();
    for page in site_pages.iter().filter(|_| only.is_none()) {
        let fast = extract_text_fast(&page.html, &page.url);
        let current = extract_with_dom(&page.html, &page.url, Rendering::Text).text;
        agree.push(corpus::tp_fp_fn(&current, &fast));
        if let Some(dir) = &dump {
            let name = page.key.replace('/', "_");
            std::fs::write(dir.join(format!("site-{name}.fast.txt")), &fast)?;
            std::fs::write(dir.join(format!("site-{name}.current.txt")), &current)?;
        }
    }
    let mut order: Vec<usize> = (0..agree.len()).collect();
    order.sort_by(|&a, &b| page_f1(agree[a]).total_cmp(&page_f1(agree[b])));
    for &i in order
        .iter()
        .take(worst)
        .filter(|&&i| page_f1(agree[i]) < 0.99)
    {
        println!(
            "  least agreement: F1 {:.3} (tp {:.2} fp {:.2} fn {:.2})  {}",
            page_f1(agree[i]),
            agree[i].0,
            agree[i].1,
            agree[i].2,
            site_pages[i].key
        );
    }
    let (af1, ap, ar) = corpus::score(agree.iter().copied());
    let (pages_after, attempts_after) = ferrocrawl_content::stream::attempt_counts();
    println!(
        "  fast: {} Readability attempts for {} site pages",
        attempts_after - attempts,
        pages_after - pages
    );
    println!(
        "agreement on {} site pages (current text as truth): F1 {af1:.4}  P {ap:.4}  R {ar:.4}",
        site_pages.len()
    );

    // speed
    for (name, pages) in [("corpus", &corpus_pages), ("site", &site_pages)] {
        let bytes: usize = pages.iter().map(|p| p.html.len()).sum();
        println!(
            "speed on {name}: {} pages, {:.1} KB/page mean, {rounds} rounds",
            pages.len(),
            bytes as f64 / pages.len().max(1) as f64 / 1024.0
        );
        let options = ferrocrawl_extract::LinkOptions::default();
        let steps: [(&str, &Step<'_>); 5] = [
            ("plain crawl's extract_links", &|p: &Page| {
                ferrocrawl_extract::extract_links(&p.html, &p.url, &options)
                    .links
                    .len()
            }),
            ("html5gum tokens (DefaultEmitter)", &|p: &Page| {
                html5gum::Tokenizer::new(p.html.as_str()).flatten().count()
            }),
            ("html5gum tokens (no-op emitter)", &|p: &Page| {
                tokenize_only(&p.html)
            }),
            ("fast extractor", &|p: &Page| {
                extract_text_fast(&p.html, &p.url).len()
            }),
            ("current extractor (Text)", &|p: &Page| {
                extract_with_dom(&p.html, &p.url, Rendering::Text)
                    .text
                    .len()
            }),
        ];
        for (step, run) in steps {
            if only.as_ref().is_some_and(|o| !step.contains(o.as_str())) {
                continue;
            }
            let (cpu0, wall0) = (cpu_ns(), Instant::now());
            let mut out = 0;
            for _ in 0..rounds {
                for page in pages.iter() {
                    out += run(page);
                }
            }
            let cpu = (cpu_ns().saturating_sub(cpu0)) as f64 / 1e9;
            let wall = wall0.elapsed().as_secs_f64();
            let n = (pages.len() * rounds) as f64;
            println!(
                "  {step:<34} {:>9.1} pages/s  {:>7.3} ms/page CPU  ({:.3} ms/page wall, {:.1} ns/byte, {out} out)",
                n / cpu,
                cpu * 1e3 / n,
                wall * 1e3 / n,
                cpu * 1e9 / (bytes * rounds) as f64
            );
        }
    }
    if only.is_none() {
        hostile()?;
    }
    Ok(())
}

/// Pages built to be hard: one run of each extractor on each.
fn hostile() -> Result<(), Error> {
    let url = Url::parse("https://hostile.example/")?;
    let shapes = [
        (
            "20,000 nested <div>",
            format!("{}text{}", "<div>".repeat(20_000), "</div>".repeat(20_000)),
        ),
        (
            "3,000 nested tables",
            "<table><tr><td>cell, with a comma, ".repeat(3_000),
        ),
        (
            "3,000 nested lists",
            "<ul><li>item, with a comma, and more".repeat(3_000),
        ),
        (
            "3,000 nested <ins><del><a>",
            format!("<div>{}x</div>", "<ins><del><a>".repeat(3_000)),
        ),
        (
            "30,000 unclosed <div><p>",
            "<div class=post><p>A paragraph, with commas, and <a href=/x>a link</a> in it.</p>\n"
                .repeat(30_000),
        ),
        (
            "30,000 paragraphs (2.2 MB)",
            format!(
                "<article>{}</article>",
                "<p>A paragraph, with commas, and <a href=/x>a link</a> in it.</p>\n"
                    .repeat(30_000)
            ),
        ),
    ];
    println!("hostile pages (one run each, wall ms): fast / current");
    for (name, html) in &shapes {
        let t0 = Instant::now();
        let fast = extract_text_fast(html, &url).len();
        let t1 = t0.elapsed();
        let current = extract_with_dom(html, &url, Rendering::Text).text.len();
        let t2 = t0.elapsed() - t1;
        println!(
            "  {name:<28} {:>9.1} ms / {:>9.1} ms  ({fast} / {current} bytes out)",
            t1.as_secs_f64() * 1e3,
            t2.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

/// This thread's CPU time in nanoseconds (0 where /proc has no schedstat).
fn cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// The corpus's pages, gunzipped and decoded, with their URLs and bodies.
fn corpus_pages(dir: &Path) -> Result<Vec<Page>, Error> {
    let truth: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ground-truth.json"))?)?;
    let mut pages = Vec::new();
    for (key, entry) in &truth {
        let file = std::fs::File::open(dir.join("html").join(format!("{key}.html.gz")))?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(file).read_to_end(&mut bytes)?;
        let url = Url::parse(entry["url"].as_str().unwrap_or("https://example.invalid/"))?;
        pages.push(Page {
            key: key.clone(),
            url,
            html: ferrocrawl_core::charset::decode(&bytes, None)
                .text
                .to_string(),
            truth: entry["articleBody"].as_str().unwrap_or("").to_owned(),
        });
    }
    Ok(pages)
}

/// A site's pages: `PAGES` (default 2,000) `.html` files under `dir`, spread
/// evenly over them in path order (as `bench_content.rs` picks them).
fn site(dir: &Path) -> Result<Vec<Page>, Error> {
    let mut pages = Vec::new();
    for (url, bytes) in pages::site(dir)? {
        pages.push(Page {
            key: url.path().trim_start_matches('/').to_owned(),
            html: ferrocrawl_core::charset::decode(&bytes, None)
                .text
                .to_string(),
            url,
            truth: String::new(),
        });
    }
    Ok(pages)
}
