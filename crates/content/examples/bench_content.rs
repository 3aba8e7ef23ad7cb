//! Main-content extraction throughput on the article-extraction corpus
//! (`shared/corpora/article_extraction`, 132 real news and blog pages), for
//! `bench/content.sh`, which runs trafilatura on the same pages in the same run.
//!
//! ```text
//! cargo run --release -p ferrocrawl-content --example bench_content -- [DIR] [ROUNDS] [text|markdown|both|meta|parse]
//! PAGES=2000 cargo run --release -p ferrocrawl-content --example bench_content -- /usr/share/doc/rust-doc/html 1 markdown
//! ```
//! DIR is the corpus (it has `ground-truth.json`) or any directory of `.html`
//! files, such as the lab's rust docs.
//! Reads and gunzips every page once, then for ROUNDS (default 5) decodes each
//! page with the core charset pipeline (no `Content-Type`: the corpus has
//! none, so pages without an early `<meta charset>` go through detection) and
//! extracts it: its text (the default, as trafilatura's `extract` gives), its
//! Markdown, or both, with the metadata each time. Prints the page count, the time spent, the part of it spent
//! decoding, and the bytes produced (so the work cannot be optimised away); CPU
//! time and peak RSS are the caller's to measure.

use std::time::Instant;

use ferrocrawl_content::{Rendering, extract_with};

#[path = "pages/mod.rs"]
mod pages;
use pages::{corpus, site};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let dir = args.next().map_or_else(
        || {
            std::path::PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/corpora/article_extraction"
            ))
        },
        std::path::PathBuf::from,
    );
    let rounds: usize = args.next().map_or(Ok(5), |r| r.parse())?;
    let mode = args.next();
    // `parse`: html5ever's parse into dom_query's tree only, the floor of any
    // extractor built on that DOM
    let parse_only = mode.as_deref() == Some("parse");
    let rendering = match mode.as_deref().filter(|_| !parse_only) {
        None | Some("text") => Rendering::Text,
        Some("markdown") => Rendering::Markdown,
        Some("both") => Rendering::Both,
        Some("meta") => Rendering::Neither,
        Some(other) => {
            return Err(format!("`{other}`: write text, markdown, both, meta or parse").into());
        }
    };
    let pages = if dir.join("ground-truth.json").exists() {
        corpus(&dir)?
    } else {
        site(&dir)?
    };
    let start = Instant::now();
    let (mut decoding, mut chars) = (std::time::Duration::ZERO, 0);
    let mut slowest = Vec::new();
    for _ in 0..rounds {
        for (url, bytes) in &pages {
            let decode_start = Instant::now();
            let html = ferrocrawl_core::charset::decode(bytes, None).text;
            decoding += decode_start.elapsed();
            let extract_start = Instant::now();
            if parse_only {
                let document = dom_query::Document::from(&*html);
                chars += document.root().children_it(false).count();
            } else {
                let content = extract_with(&html, url, rendering);
                chars += content.text.len() + content.markdown.len();
            }
            slowest.push((extract_start.elapsed(), bytes.len(), url));
        }
    }
    // SLOWEST=N lists the N pages that took longest
    let shown: usize = std::env::var("SLOWEST").map_or(Ok(0), |n| n.parse())?;
    slowest.sort_by_key(|page| std::cmp::Reverse(page.0));
    for (took, size, url) in slowest.iter().take(shown) {
        eprintln!("{:8.2} ms {:>9} B  {url}", took.as_secs_f64() * 1e3, size);
    }
    let elapsed = start.elapsed().as_secs_f64();
    let decoding = decoding.as_secs_f64();
    let n = pages.len() * rounds;
    println!(
        "ferrocrawl-content ({}): {n} pages in {elapsed:.2} s ({decoding:.2} s of it charset decoding), \
         {:.1} pages/s, {:.1} pages/s without decoding, {chars} bytes out",
        if parse_only {
            "parse only".to_owned()
        } else {
            format!("{rendering:?}")
        },
        n as f64 / elapsed,
        n as f64 / (elapsed - decoding)
    );
    Ok(())
}
