//! The pages the content examples read: the article corpus, or a directory
//! of `.html` files such as the lab's rust docs. Shared by `bench_content`
//! and `md_diff` (`#[path]` module: not an example of its own).

use std::io::Read;
use std::path::Path;

use url::Url;

/// Pages with their URLs.
pub type Pages = Vec<(Url, Vec<u8>)>;

/// The corpus's pages, gunzipped, with their URLs.
pub fn corpus(dir: &Path) -> Result<Pages, Box<dyn std::error::Error>> {
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
    Ok(pages)
}

/// A site's pages: `PAGES` (default 2,000) `.html` files under `dir`, spread
/// evenly over them in path order (or with `LARGEST=N` the N largest), e.g. the lab's rust docs
/// (`/usr/share/doc/rust-doc/html`), each with the URL the lab serves it at.
pub fn site(dir: &Path) -> Result<Pages, Box<dyn std::error::Error>> {
    let limit: usize = std::env::var("PAGES").map_or(Ok(2000), |p| p.parse())?;
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at)? {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "html") {
                files.push(path);
            }
        }
    }
    files.sort();
    // LARGEST=N: the N largest files instead
    if let Ok(n) = std::env::var("LARGEST") {
        let mut sized: Vec<(u64, std::path::PathBuf)> = files
            .into_iter()
            .map(|f| (std::fs::metadata(&f).map_or(0, |m| m.len()), f))
            .collect();
        sized.sort_by_key(|s| std::cmp::Reverse(s.0));
        files = sized.into_iter().take(n.parse()?).map(|(_, f)| f).collect();
    }
    let base = Url::parse("http://127.0.0.1:8082/")?;
    let mut pages = Vec::new();
    let step = (files.len() / limit.max(1)).max(1);
    for path in files.into_iter().step_by(step).take(limit) {
        let relative = path.strip_prefix(dir)?.to_string_lossy().into_owned();
        pages.push((base.join(&relative)?, std::fs::read(&path)?));
    }
    Ok(pages)
}
