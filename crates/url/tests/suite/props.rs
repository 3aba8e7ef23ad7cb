//! Property tests: canonicalization is idempotent, equivalent spellings of a
//! URL share one fingerprint, and path case is never folded.

use ferrocrawl_url::{Canonicalizer, Scope, ScopeMode, fingerprint, registrable_domain};
use proptest::prelude::*;
use url::Url;

/// Few cases per property keep the suite fast on a 2-core machine; the
/// corpora cover the odd inputs. `PROPTEST_CASES=20000` runs a longer hunt.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

fn all_options() -> Canonicalizer {
    Canonicalizer::builder()
        .sort_query(true)
        .strip_tracking(true)
        .build()
        .expect("no empty parameter names")
}

fn fp(canon: &Canonicalizer, s: &str) -> ferrocrawl_url::Fingerprint {
    let url = canon
        .canonicalize_str(s)
        .unwrap_or_else(|e| panic!("{s}: {e}"));
    fingerprint(&url, "GET", None)
}

fn assert_idempotent(canon: &Canonicalizer, url: &Url) -> Result<(), TestCaseError> {
    let once = canon.canonicalize(url);
    let twice = canon.canonicalize(&once);
    prop_assert_eq!(once.as_str(), twice.as_str(), "from {}", url);
    let reparsed = Url::parse(once.as_str());
    prop_assert_eq!(reparsed.as_ref().map(Url::as_str), Ok(once.as_str()));
    Ok(())
}

/// One piece of a path or query as `(canonical spelling, equivalent
/// spelling)`.
fn piece(raw: &'static str) -> impl Strategy<Value = (String, String)> {
    let unreserved = prop::sample::select(
        b"ABCXYZabcxyz0189-._~"
            .iter()
            .map(|&b| char::from(b))
            .collect::<Vec<_>>(),
    )
    .prop_flat_map(|c| {
        let upper = format!("%{:02X}", u32::from(c));
        let lower = upper.to_ascii_lowercase();
        let plain = c.to_string();
        prop_oneof![
            Just((plain.clone(), plain.clone())),
            Just((plain.clone(), upper)),
            Just((plain, lower)),
        ]
    });
    // Bytes that must stay escaped: `/ ? # % space & = + é`.
    let escaped = prop::sample::select(vec![
        0x2F_u8, 0x3F, 0x23, 0x25, 0x20, 0x26, 0x3D, 0x2B, 0xC3, 0xA9,
    ])
    .prop_flat_map(|b| {
        let upper = format!("%{b:02X}");
        let lower = upper.to_ascii_lowercase();
        prop_oneof![Just((upper.clone(), upper.clone())), Just((upper, lower))]
    });
    let literal = prop::sample::select(raw.chars().collect::<Vec<_>>())
        .prop_map(|c| (c.to_string(), c.to_string()));
    prop_oneof![4 => unreserved, 2 => escaped, 1 => literal]
}

fn word(raw: &'static str, max: usize) -> impl Strategy<Value = (String, String)> {
    prop::collection::vec(piece(raw), 1..max).prop_map(|pieces| {
        pieces
            .into_iter()
            .fold((String::new(), String::new()), |(mut a, mut b), (x, y)| {
                a.push_str(&x);
                b.push_str(&y);
                (a, b)
            })
    })
}

/// Randomly upper-cases ASCII letters (for scheme and host).
fn mixed_case(s: String) -> impl Strategy<Value = String> {
    let len = s.len();
    prop::collection::vec(any::<bool>(), len).prop_map(move |flips| {
        s.chars()
            .zip(flips)
            .map(|(c, up)| if up { c.to_ascii_uppercase() } else { c })
            .collect()
    })
}

#[derive(Debug, Clone)]
struct Forms {
    canonical: String,
    variant: String,
    /// The variant with its query pairs in another order.
    shuffled: String,
}

fn equivalent_forms() -> impl Strategy<Value = Forms> {
    let scheme = prop::sample::select(vec!["http", "https"]);
    let host = prop::collection::vec("[a-z0-9]{1,8}", 1..4).prop_map(|l| l.join(".") + ".test");
    let path = prop::collection::vec(word("!$()*+,;=:@", 6), 0..5);
    let query = prop::collection::vec((word("!$()*,;:@/?", 5), word("!$()*,;:@/?", 5)), 0..5);
    (scheme, host, path, query, any::<bool>(), any::<bool>())
        .prop_flat_map(|(scheme, host, path, query, port, fragment)| {
            let n = query.len();
            (
                Just((scheme, path, query, port, fragment)),
                mixed_case(scheme.to_owned()),
                Just(host.clone()),
                mixed_case(host),
                Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
            )
        })
        .prop_map(
            |((scheme, path, query, port, fragment), v_scheme, host, v_host, order)| {
                let c_path: Vec<&str> = path.iter().map(|(c, _)| c.as_str()).collect();
                let v_path: Vec<&str> = path.iter().map(|(_, v)| v.as_str()).collect();
                let c_pairs: Vec<String> = query
                    .iter()
                    .map(|((k, _), (v, _))| format!("{k}={v}"))
                    .collect();
                let v_pairs: Vec<String> = query
                    .iter()
                    .map(|((_, k), (_, v))| format!("{k}={v}"))
                    .collect();
                let port = match (port, scheme) {
                    (false, _) => "",
                    (true, "http") => ":80",
                    (true, _) => ":443",
                };
                let fragment = if fragment { "#Frag%7e" } else { "" };
                let c_query = if c_pairs.is_empty() {
                    String::new()
                } else {
                    format!("?{}", c_pairs.join("&"))
                };
                let v_query = if v_pairs.is_empty() {
                    "?".to_owned()
                } else {
                    format!("?{}", v_pairs.join("&"))
                };
                let shuffled: Vec<&str> = order.iter().map(|&i| v_pairs[i].as_str()).collect();
                let s_query = if shuffled.is_empty() {
                    String::new()
                } else {
                    format!("?{}", shuffled.join("&"))
                };
                let canonical = format!("{scheme}://{host}/{}{c_query}", c_path.join("/"));
                let variant = format!(
                    "{v_scheme}://{v_host}{port}/{}{v_query}{fragment}",
                    v_path.join("/")
                );
                let shuffled = format!(
                    "{v_scheme}://{v_host}{port}/{}{s_query}{fragment}",
                    v_path.join("/")
                );
                Forms {
                    canonical,
                    variant,
                    shuffled,
                }
            },
        )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn canonicalization_is_idempotent_on_generated_urls(forms in equivalent_forms()) {
        for canon in [Canonicalizer::default(), all_options()] {
            for s in [&forms.canonical, &forms.variant, &forms.shuffled] {
                assert_idempotent(&canon, &Url::parse(s).unwrap())?;
            }
        }
    }

    #[test]
    fn canonicalization_is_idempotent_on_arbitrary_references(
        base in prop::sample::select(vec![
            "http://Example.com/a/b?c#d",
            "https://xn--bcher-kva.example:8443/%7e/",
            "foo://Host/a/b",
            "non-spec:/.//p",
            "mailto:a@b",
            "file:///tmp/x",
        ]),
        reference in prop_oneof![".{0,60}", "[ -~]{0,60}", "[%0-9a-fA-F/?&=#.~]{0,40}"],
    ) {
        let base = Url::parse(base).unwrap();
        if let Ok(url) = base.join(&reference) {
            // Only where the `url` crate itself round-trips (see whatwg.rs).
            if Url::parse(url.as_str()).map(|u| u.as_str() == url.as_str()) == Ok(true) {
                assert_idempotent(&Canonicalizer::default(), &url)?;
                assert_idempotent(&all_options(), &url)?;
            }
        }
    }

    #[test]
    fn equivalent_forms_share_a_fingerprint(forms in equivalent_forms()) {
        let canon = Canonicalizer::default();
        prop_assert_eq!(fp(&canon, &forms.canonical), fp(&canon, &forms.variant), "{:?}", forms);
        let sorted = Canonicalizer::builder().sort_query(true).build().unwrap();
        prop_assert_eq!(fp(&sorted, &forms.canonical), fp(&sorted, &forms.shuffled), "{:?}", forms);
    }

    #[test]
    fn canonical_form_is_reached(forms in equivalent_forms()) {
        // The canonical spelling generated above is already canonical.
        let canon = Canonicalizer::default();
        let url = canon.canonicalize_str(&forms.canonical).unwrap();
        let parsed = Url::parse(&forms.canonical).unwrap();
        prop_assert_eq!(url.as_str(), parsed.as_str());
    }

    #[test]
    fn path_case_differences_give_different_fingerprints(
        // No `.` segments: `/a/..` and `/A/..` are both `/`.
        before in "[a-z0-9/_-]{0,10}",
        letter in "[a-z]",
        after in "[a-z0-9/_-]{0,10}(\\.[a-z]{1,4})?",
    ) {
        let lower = format!("https://example.test/{before}{letter}{after}");
        let upper = format!("https://example.test/{before}{}{after}", letter.to_ascii_uppercase());
        for canon in [Canonicalizer::default(), all_options()] {
            prop_assert_ne!(fp(&canon, &lower), fp(&canon, &upper));
        }
    }

    #[test]
    fn registrable_domain_and_scope_never_panic(
        host in prop_oneof![".{0,30}", "[a-zA-Z0-9.%\\[\\]:-]{0,30}", "(xn--[a-z0-9-]{0,6}\\.){0,3}[a-z]{0,4}"],
        path in "[a-zA-Z0-9/%.]{0,40}",
    ) {
        let domain = registrable_domain(&host);
        if let Some(d) = &domain {
            // The answer is itself a registrable domain.
            let again = registrable_domain(d);
            prop_assert_eq!(again.as_ref(), Some(d), "{:?}", host);
        }
        let scope = Scope::builder()
            .seed(Url::parse("https://www.example.co.uk/").unwrap())
            .mode(ScopeMode::Domain)
            .max_depth(4)
            .build()
            .unwrap();
        if let Ok(url) = Url::parse(&format!("https://{host}/{path}")) {
            let _ = scope.check(&url);
        }
    }
}
