//! Locating and loading the shared test corpora.

use std::path::PathBuf;

/// The corpus file `rel` (e.g. `psl/psl_registrable_domain_tests.json`),
/// or `None` after printing why the suite is skipped.
pub fn file(rel: &str) -> Option<PathBuf> {
    ferrocrawl_testkit::corpus(rel)
}

/// Parses the JSON corpus file at `path`.
pub fn json(path: &PathBuf) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}
