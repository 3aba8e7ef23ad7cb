//! Conformance of `registrable_domain` with the Public Suffix List's own
//! test cases (`shared/corpora/psl`).

use ferrocrawl_url::registrable_domain;

use crate::corpus;

/// Cases where the PSL data compiled into the `psl` crate legitimately
/// disagrees with the corpus (a newer or older list), with the reason.
/// Empty: psl 2.1.247 agrees with every case in the corpus.
const KNOWN_LIST_DIFFERENCES: &[(&str, &str)] = &[];

#[test]
fn psl_registrable_domain_corpus() {
    let Some(path) = corpus::file("psl/psl_registrable_domain_tests.json") else {
        return;
    };
    let cases = corpus::json(&path);
    let cases = cases.as_array().expect("the corpus is a JSON array");
    let (mut passed, mut known, mut failed) = (0, 0, Vec::new());
    for case in cases {
        let id = case["id"].as_str().expect("every case has an id");
        // A null input stands for "no host"; the API takes a string, and
        // the empty string is the closest thing.
        let input = case["input"].as_str().unwrap_or("");
        let expected = case["expected_registrable_domain"].as_str();
        let actual = registrable_domain(input);
        if actual.as_deref() == expected {
            passed += 1;
        } else if let Some((_, why)) = KNOWN_LIST_DIFFERENCES.iter().find(|(k, _)| *k == id) {
            println!("known difference {id}: {why}");
            known += 1;
        } else {
            println!("FAIL {id}: input {input:?}, expected {expected:?}, got {actual:?}");
            failed.push(id.to_owned());
        }
    }
    println!(
        "psl corpus: {} cases, {passed} passed, {known} known list differences, {} failed",
        cases.len(),
        failed.len()
    );
    assert!(failed.is_empty(), "failing PSL cases: {failed:?}");
}
