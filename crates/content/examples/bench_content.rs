//! Main-content extraction throughput on the article-extraction corpus
//! (`shared/corpora/article_extraction`, 132 real news and blog pages), for
//! `bench/content.sh`, which runs trafilatura on the same pages in the same run.
//!
//! ```text
//! cargo run --release -p ferrocrawl-content --example bench_content -- [DIR] [ROUNDS] [text|markdown|both]
//! ```
//! Reads and gunzips every page once, then for ROUNDS (default 5) decodes each
//! page with the core charset pipeline (no `Content-Type`: the corpus has
//! none, so pages without an early `<meta charset>` go through detection) and
//! extracts it: its text (the default, as trafilatura's `extract` gives), its
//! Markdown, or both, with the metadata each time. Prints the page count, the time spent, the part of it spent
//! decoding, and the bytes produced (so the work cannot be optimised away); CPU
//! time and peak RSS are the caller's to measure.

use std::io::Read;
use std::time::Instant;

use ferrocrawl_content::{Rendering, extract_with};
use url::Url;

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
    let rendering = match args.next().as_deref() {
        None | Some("text") => Rendering::Text,
        Some("markdown") => Rendering::Markdown,
        Some("both") => Rendering::Both,
        Some(other) => return Err(format!("`{other}`: write text, markdown or both").into()),
    };
    let truth: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(dir.join("ground-truth.json"))?)?;
    let mut pages = Vec::new();
    for (key, entry) in &truth {
        let file = std::fs::File::open(dir.join("html").join(format!("{key}.html.gz")))?;
        let mut bytes = Vec::new();
        flate2::read::GzDecoder::new(file).read_to_end(&mut bytes)?;
        let url = Url::parse(entry["url"].as_str().unwrap_or("https://example.invalid/"))?;
        pages.push((url, bytes));
    }
    let start = Instant::now();
    let (mut decoding, mut chars) = (std::time::Duration::ZERO, 0);
    for _ in 0..rounds {
        for (url, bytes) in &pages {
            let decode_start = Instant::now();
            let html = ferrocrawl_core::charset::decode(bytes, None).text;
            decoding += decode_start.elapsed();
            let content = extract_with(&html, url, rendering);
            chars += content.text.len() + content.markdown.len();
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let decoding = decoding.as_secs_f64();
    let n = pages.len() * rounds;
    println!(
        "ferrocrawl-content ({rendering:?}): {n} pages in {elapsed:.2} s ({decoding:.2} s of it charset decoding), \
         {:.1} pages/s, {:.1} pages/s without decoding, {chars} bytes out",
        n as f64 / elapsed,
        n as f64 / (elapsed - decoding)
    );
    Ok(())
}
