//! Canonicalization over the WHATWG URL parsing corpus
//! (`shared/corpora/url_whatwg`).
//!
//! The `url` crate's parsing is not re-tested here. For every case whose
//! input parses, canonicalization (default and with every option on) must
//! not panic, must be idempotent, and must give a URL that re-parses to
//! itself.

use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use ferrocrawl_url::Canonicalizer;
use url::Url;

use crate::corpus;

/// The key rust-url's `expected_failures.txt` uses for a case.
fn case_key(input: &str, base: Option<&str>) -> String {
    match base {
        Some(base) => format!(
            "<{}> against <{}>",
            input.escape_default(),
            base.escape_default()
        ),
        None => format!("<{}>", input.escape_default()),
    }
}

fn parse(input: &str, base: Option<&str>) -> Option<Url> {
    match base {
        Some(base) => {
            let base = Url::parse(base).ok()?;
            Url::options().base_url(Some(&base)).parse(input).ok()
        }
        None => Url::parse(input).ok(),
    }
}

/// Why `canon` fails the properties for `url`, if it does.
fn check(canon: &Canonicalizer, url: &Url) -> Option<String> {
    let once = match catch_unwind(AssertUnwindSafe(|| canon.canonicalize(url))) {
        Ok(u) => u,
        Err(_) => return Some("canonicalize panicked".into()),
    };
    let twice = canon.canonicalize(&once);
    if twice.as_str() != once.as_str() {
        return Some(format!("not idempotent: {once} then {twice}"));
    }
    match Url::parse(once.as_str()) {
        Ok(again) if again.as_str() == once.as_str() => None,
        Ok(again) => Some(format!("{once} re-parses as {again}")),
        Err(e) => Some(format!("{once} does not re-parse: {e}")),
    }
}

#[test]
fn whatwg_corpus_canonicalizes_cleanly() {
    let Some(path) = corpus::file("url_whatwg/urltestdata.json") else {
        return;
    };
    let known: HashSet<String> = corpus::file("url_whatwg/rust-url-expected_failures.txt")
        .and_then(|p| std::fs::read_to_string(p).ok())
        .map(|t| t.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let data = corpus::json(&path);
    let canonicalizers = [
        ("default", Canonicalizer::default()),
        (
            "all options",
            Canonicalizer::builder()
                .sort_query(true)
                .strip_tracking(true)
                .build()
                .unwrap(),
        ),
    ];

    let (mut cases, mut parsed, mut url_crate_unstable, mut changed) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for case in data.as_array().expect("the corpus is a JSON array") {
        // Strings are comments and section headers.
        let Some(input) = case.get("input").and_then(|v| v.as_str()) else {
            continue;
        };
        cases += 1;
        let base = case.get("base").and_then(|v| v.as_str());
        let Some(url) = parse(input, base) else {
            continue;
        };
        parsed += 1;
        let key = case_key(input, base);
        // Where the `url` crate itself does not round-trip its output, the
        // canonical form cannot either; that is not ours to test.
        if Url::parse(url.as_str()).map(|u| u.as_str() == url.as_str()) != Ok(true) {
            println!(
                "url crate does not round-trip {key} (known: {})",
                known.contains(&key)
            );
            url_crate_unstable += 1;
            continue;
        }
        for (name, canon) in &canonicalizers {
            if let Some(why) = check(canon, &url) {
                println!("FAIL {key} [{name}]: {why}");
                failures.push(format!("{key} [{name}]"));
            }
        }
        if canonicalizers[0].1.canonicalize(&url).as_str() != url.as_str() {
            changed += 1;
        }
    }
    println!(
        "whatwg corpus: {cases} parse cases, {parsed} parse, {url_crate_unstable} skipped \
         (url crate does not round-trip), {changed} changed by canonicalization, {} failed",
        failures.len()
    );
    assert!(parsed > 0, "no case parsed: wrong corpus format?");
    assert!(failures.is_empty(), "failing cases: {failures:#?}");
}
