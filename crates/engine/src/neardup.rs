//! Near-duplicate URLs: a query parameter whose values do not change the
//! page (a session id under a name we don't know, a tracking token, a sort
//! order).
//!
//! For each page fetched with a query, and each of its parameters, the page
//! is a sample of its group (host, path, parameter). A page's fingerprint is
//! a SimHash of its text without the tokens that carry digits or are long
//! (ids, the random values themselves). Once a group has [`SAMPLES`] pages
//! whose parameter differs from the first one's, and nearly all of them are
//! within [`DISTANCE`] bits of the first, the parameter is taken not to
//! change the page: further links that only vary it are cut, each with a
//! reason, instead of being crawled without end.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use ferrocrawl_core::Url;

/// Pages (with a value other than the first's) a group needs before it
/// decides.
pub(crate) const SAMPLES: u32 = 30;
/// Of those, how many must be near the first page (out of [`SAMPLES`]).
const NEAR: u32 = 28;
/// SimHash bits two near-duplicate pages may differ in (Manku et al. use 3
/// of 64 for the web; stricter here, since a verdict cuts links).
const DISTANCE: u32 = 2;
/// Groups remembered; past this, new groups are not tracked (memory stays
/// bounded on any site).
const MAX_GROUPS: usize = 100_000;

/// What has been learnt of each (host, path, parameter).
#[derive(Debug, Default)]
pub(crate) struct NearDuplicates {
    groups: Mutex<HashMap<u64, Group>>,
    /// Whether any group has decided: links are only checked then.
    any: AtomicBool,
}

#[derive(Debug)]
struct Group {
    /// The first page's value of the parameter, and its fingerprint.
    first_value: u64,
    first: u64,
    samples: u32,
    near: u32,
    irrelevant: bool,
}

impl NearDuplicates {
    /// Learns from a fetched HTML page with a query.
    pub(crate) fn observe(&self, url: &Url, body: &str) {
        if url.query().is_none() {
            return;
        }
        let print = fingerprint(body);
        let mut groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
        for (name, value) in url.query_pairs() {
            let key = group_key(url, &name);
            let value = hash_one(&value);
            let len = groups.len();
            let group = match groups.get_mut(&key) {
                Some(g) => g,
                None if len >= MAX_GROUPS => continue,
                None => {
                    groups.insert(
                        key,
                        Group {
                            first_value: value,
                            first: print,
                            samples: 0,
                            near: 0,
                            irrelevant: false,
                        },
                    );
                    continue;
                }
            };
            if group.irrelevant || group.samples >= SAMPLES || value == group.first_value {
                continue;
            }
            group.samples += 1;
            if (group.first ^ print).count_ones() <= DISTANCE {
                group.near += 1;
            }
            if group.samples == SAMPLES && group.near >= NEAR {
                group.irrelevant = true;
                self.any.store(true, Ordering::Relaxed);
            }
        }
    }

    /// Why `url` should not be crawled: a parameter of it does not change
    /// the page at its path.
    pub(crate) fn verdict(&self, url: &Url) -> Option<String> {
        if !self.any.load(Ordering::Relaxed) || url.query().is_none() {
            return None;
        }
        let groups = self.groups.lock().unwrap_or_else(|p| p.into_inner());
        url.query_pairs().find_map(|(name, _)| {
            let g = groups.get(&group_key(url, &name))?;
            g.irrelevant.then(|| {
                format!(
                    "near-duplicate: the parameter `{name}` does not change the page at {}{} \
                     ({} of {SAMPLES} pages with other values were the same)",
                    url.origin().ascii_serialization(),
                    url.path(),
                    g.near
                )
            })
        })
    }
}

fn group_key(url: &Url, param: &str) -> u64 {
    let mut h =
        std::hash::BuildHasherDefault::<std::collections::hash_map::DefaultHasher>::default()
            .build_hasher();
    url.host_str().hash(&mut h);
    url.port_or_known_default().hash(&mut h);
    url.path().hash(&mut h);
    param.hash(&mut h);
    h.finish()
}

fn hash_one(value: &str) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// The page's SimHash over its words, leaving out those that look random.
pub(crate) fn fingerprint(body: &str) -> u64 {
    let words: Vec<&str> = body
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !looks_random(w))
        .collect();
    simhash::simhash(&words.join(" "))
}

/// A token of 16 characters or more, or of 8 or more mixing letters and
/// digits: an id, a hash, a session token.
fn looks_random(word: &str) -> bool {
    let n = word.chars().count();
    let digits = word.chars().any(|c| c.is_ascii_digit());
    let letters = word.chars().any(char::is_alphabetic);
    n >= 16 || (n >= 8 && digits && letters)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_with_other_random_tokens_are_the_same_page() {
        let page = |sid: &str| {
            format!(
                "<html><title>session page 3</title><a href=\"/s/10/4?visit={sid}\">page 4</a></html>"
            )
        };
        let a = fingerprint(&page("Zk3q9XbT0aQ7mLp2sWc8rVy1"));
        let b = fingerprint(&page("qQ7sXcVb2nM9kLa0pZr4tYw6"));
        assert_eq!((a ^ b).count_ones(), 0);
        // Pages of a list differ by their items.
        let list = |ids: std::ops::Range<u32>| {
            ids.map(|i| format!("<li><a href=\"/books/{i}\">The Red Fox {i}</a> £{i}.99</li>"))
                .collect::<String>()
        };
        let (p1, p2) = (fingerprint(&list(1..21)), fingerprint(&list(21..41)));
        assert!(
            (p1 ^ p2).count_ones() > DISTANCE,
            "{}",
            (p1 ^ p2).count_ones()
        );
    }

    #[test]
    fn a_parameter_is_judged_after_its_sample() {
        let near = NearDuplicates::default();
        let url = |v: &str| Url::parse(&format!("http://h/p?keep=1&visit={v}")).unwrap();
        for i in 0..=SAMPLES {
            assert_eq!(near.verdict(&url(&format!("v{i}"))), None, "{i}");
            near.observe(&url(&format!("v{i}")), "the same page");
        }
        let why = near.verdict(&url("new")).expect("judged");
        assert!(
            why.contains("`visit`") && why.contains("http://h/p"),
            "{why}"
        );
        // `keep` never took another value: nothing is known of it.
        assert_eq!(
            near.verdict(&Url::parse("http://h/p?keep=2").unwrap()),
            None
        );
        // Another path is another question.
        assert_eq!(
            near.verdict(&Url::parse("http://h/q?visit=x").unwrap()),
            None
        );
    }
}
