//! The streaming Markdown renderer against the current one, page by page.
//!
//! ```text
//! cargo run --release -p ferrocrawl-content --example md_diff -- [CORPUS] [SHOWN]
//! SITE=/usr/share/doc/rust-doc/html PAGES=2000 cargo run --release -p ferrocrawl-content --example md_diff
//! ```
//! CORPUS defaults to `shared/corpora/article_extraction` (or, with `SITE`,
//! any directory of `.html` files, `PAGES` of them spread evenly); SHOWN
//! (default 5) is how many differing pages have their first differing lines
//! printed. Two comparisons per page:
//!
//! - renderer: the whole `<body>`, no main-content detection, through
//!   html5ever + `markdown.rs` + htmd and through the arena renderer, so the
//!   renderers alone are compared on real pages;
//! - end to end: `extract_with(.., Rendering::Markdown)` against
//!   `stream::extract_markdown_fast` (the extractors' choices included).
//!
//! Then the time of each parse and each renderer apart, in ms per page
//! (`ROUNDS`, default 3). `ONLY_FAST=1` times the arena's parse and renderer
//! alone (for a profiler); `CHOP=1` renders every page cut at 32 places
//! (unclosed markup) and only checks nothing panics; `DUMP=DIR` writes both Markdowns of each differing
//! page there (outside the repository: they hold corpus text).

use std::path::PathBuf;

use ferrocrawl_content::stream::{
    extract_markdown_fast, markdown_of_body_fast, markdown_of_body_fast_timed,
};
use ferrocrawl_content::{
    Rendering, extract_with_dom as extract_with, markdown_of_body, markdown_of_body_timed,
};
use url::Url;

#[path = "pages/mod.rs"]
mod pages;
use pages::corpus;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let site = std::env::var("SITE").ok();
    let dir = args.next().map_or_else(
        || {
            PathBuf::from(site.clone().unwrap_or_else(|| {
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../../../shared/corpora/article_extraction"
                )
                .to_owned()
            }))
        },
        PathBuf::from,
    );
    let shown: usize = args.next().map_or(Ok(5), |n| n.parse())?;
    let rounds: usize = std::env::var("ROUNDS").map_or(Ok(3), |n| n.parse())?;
    let pages = if dir.join("ground-truth.json").exists() {
        corpus(&dir)?
    } else {
        pages::site(&dir)?
    };
    let pages: Vec<(Url, String)> = pages
        .into_iter()
        .map(|(url, bytes)| {
            (
                url,
                ferrocrawl_core::charset::decode(&bytes, None)
                    .text
                    .to_string(),
            )
        })
        .collect();

    if std::env::var_os("CHOP").is_some() {
        // robustness: every page cut at 32 places (markup left unclosed
        // anywhere), through both streaming entry points
        let mut outputs = 0;
        for (url, html) in &pages {
            for i in 1..=32 {
                let mut at = html.len() * i / 33;
                while !html.is_char_boundary(at) {
                    at -= 1;
                }
                outputs += extract_markdown_fast(&html[..at], url).len();
                outputs += markdown_of_body_fast(&html[..at], url).len();
            }
        }
        println!(
            "{} pages cut 32 times each: no panic ({outputs} bytes out)",
            pages.len()
        );
        return Ok(());
    }
    if std::env::var_os("ONLY_FAST").is_some() {
        // for profiling: the arena renderer alone, ROUNDS times
        let (mut parse_ms, mut render_ms) = (0.0, 0.0);
        for _ in 0..rounds {
            for (url, html) in &pages {
                let (md, p, r) = markdown_of_body_fast_timed(html, url);
                std::hint::black_box(md);
                parse_ms += p;
                render_ms += r;
            }
        }
        let n = (pages.len() * rounds) as f64;
        println!(
            "whole body, arena: parse {:.3} + Markdown {:.3} ms per page",
            parse_ms / n,
            render_ms / n
        );
        return Ok(());
    }
    for (what, old, new) in [
        (
            "renderer (whole body)",
            (|html: &str, url: &Url| markdown_of_body(html, url)) as fn(&str, &Url) -> String,
            (|html: &str, url: &Url| markdown_of_body_fast(html, url)) as fn(&str, &Url) -> String,
        ),
        (
            "end to end (article)",
            |html: &str, url: &Url| extract_with(html, url, Rendering::Markdown).markdown,
            extract_markdown_fast,
        ),
    ] {
        let mut same = 0;
        let mut printed = 0;
        let mut same_lines = 0;
        let mut all_lines = 0;
        let (mut old_ms, mut new_ms) = (0.0, 0.0);
        for (url, html) in &pages {
            let start = std::time::Instant::now();
            let a = old(html, url);
            old_ms += start.elapsed().as_secs_f64() * 1e3;
            let start = std::time::Instant::now();
            let b = new(html, url);
            new_ms += start.elapsed().as_secs_f64() * 1e3;
            let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
            all_lines += la.len().max(lb.len());
            same_lines += if a == b {
                la.len()
            } else {
                common_lines(&la, &lb)
            };
            if a == b {
                same += 1;
                continue;
            }
            if let Ok(dump) = std::env::var("DUMP") {
                // outside the repository: the files hold corpus text
                let name: String = url
                    .as_str()
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                    .take(80)
                    .collect();
                let kind = if what.starts_with("renderer") {
                    "body"
                } else {
                    "article"
                };
                std::fs::write(format!("{dump}/{kind}-{name}.old.md"), &a)?;
                std::fs::write(format!("{dump}/{kind}-{name}.new.md"), &b)?;
            }
            if printed < shown {
                printed += 1;
                let at = la.iter().zip(&lb).take_while(|(x, y)| x == y).count();
                println!(
                    "--- {what}: {url} (line {}, {} vs {} lines)",
                    at + 1,
                    la.len(),
                    lb.len()
                );
                for line in la.iter().skip(at).take(3) {
                    println!("  old: {}", clip(line));
                }
                for line in lb.iter().skip(at).take(3) {
                    println!("  new: {}", clip(line));
                }
            }
        }
        println!(
            "{what}: {same} of {} pages identical; {same_lines} of {all_lines} lines in common (LCS); \
             ms per page (one pass, LCS not counted): current {:.3}, streaming {:.3}",
            pages.len(),
            old_ms / pages.len() as f64,
            new_ms / pages.len() as f64
        );
    }

    // whole bodies: each parse, then each rendering, timed apart
    let (mut old_parse, mut old_render, mut new_parse, mut new_render) = (0.0, 0.0, 0.0, 0.0);
    for _ in 0..rounds {
        for (url, html) in &pages {
            let (md, parse, render) = markdown_of_body_timed(html, url);
            std::hint::black_box(md);
            old_parse += parse;
            old_render += render;
            let (md, parse, render) = markdown_of_body_fast_timed(html, url);
            std::hint::black_box(md);
            new_parse += parse;
            new_render += render;
        }
    }
    let n = (pages.len() * rounds) as f64;
    println!(
        "whole body, ms per page: html5ever parse {:.3} + markdown.rs/htmd {:.3}; \
         arena parse {:.3} + arena Markdown {:.3}",
        old_parse / n,
        old_render / n,
        new_parse / n,
        new_render / n
    );
    let (mut parse_ms, mut render_ms) = (0.0, 0.0);
    for _ in 0..rounds {
        for (url, html) in &pages {
            let (p, r) = ferrocrawl_content::stream::time_markdown(html, url);
            parse_ms += p;
            render_ms += r;
        }
    }
    println!(
        "end to end (streaming): ms per page: parse + extraction {:.3}, Markdown rendering {:.3}",
        parse_ms / n,
        render_ms / n
    );
    Ok(())
}

fn clip(line: &str) -> String {
    let mut s: String = line.chars().take(160).collect();
    if s.len() < line.len() {
        s.push('…');
    }
    s
}

/// Lines the two outputs have in common (a longest common subsequence,
/// bounded: long outputs are compared on their first 3,000 lines).
fn common_lines(a: &[&str], b: &[&str]) -> usize {
    let a = &a[..a.len().min(3000)];
    let b = &b[..b.len().min(3000)];
    let mut row = vec![0usize; b.len() + 1];
    for x in a {
        let mut diag = 0;
        for (j, y) in b.iter().enumerate() {
            let up = row[j + 1];
            row[j + 1] = if x == y { diag + 1 } else { up.max(row[j]) };
            diag = up;
        }
    }
    row[b.len()]
}
