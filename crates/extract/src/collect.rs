//! What the tokenizer's start tags mean for links: the element rules, then resolution,
//! filtering and de-duplication once the whole page has been seen.
//!
//! The scanner (see `scan.rs`) only reports start tags and title text; everything the brief
//! calls a "rule" lives here, so it is tested without a tokenizer in the way.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::LazyLock;

use foldhash::fast::RandomState;

use url::{Position, Url};

use crate::links::{
    KnownLinks, Link, LinkKind, LinkMemo, LinkOptions, MAX_LINK_LEN, MAX_TITLE_LEN, PageLinks,
};
use crate::refresh::refresh_url;

/// The attributes of one start tag, by lowercase name, with character references decoded.
pub(crate) trait TagAttrs {
    /// The value of the first attribute called `name`, if any.
    fn get(&self, name: &str) -> Option<Cow<'_, str>>;
}

/// A link as written, before the base is known; its value is `values[start..end]`.
#[derive(Debug)]
struct RawLink {
    kind: LinkKind,
    start: usize,
    end: usize,
    nofollow: bool,
}

/// Where the first `<title>` is in the document.
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
enum TitleState {
    #[default]
    NotSeen,
    Inside,
    Done,
}

/// Accumulates what one page says; [`Collector::finish`] turns it into [`PageLinks`].
#[derive(Debug, Default)]
pub(crate) struct Collector {
    raw: Vec<RawLink>,
    /// The raw link values back to back: one buffer instead of a `String` per link.
    values: String,
    /// `Some` once the first `<base href>` was seen, even if its value is unusable: only the
    /// first one counts.
    base: Option<String>,
    title: String,
    title_state: TitleState,
    /// A space is owed before the next title character (whitespace collapsing).
    title_space: bool,
    meta_nofollow: bool,
    meta_noindex: bool,
}

// ===== impl Collector =====

impl Collector {
    /// A start tag (names already lowercase). Elements that carry no link are ignored.
    pub(crate) fn start_tag(&mut self, name: &str, attrs: &(impl TagAttrs + ?Sized)) {
        match name {
            "a" => self.push_rel(LinkKind::Anchor, attrs.get("href"), attrs, false),
            "area" => self.push_rel(LinkKind::Area, attrs.get("href"), attrs, false),
            "link" => self.push_rel(LinkKind::LinkRel, attrs.get("href"), attrs, true),
            "iframe" => self.push(LinkKind::Iframe, attrs.get("src").as_deref(), false),
            "frame" => self.push(LinkKind::Frame, attrs.get("src").as_deref(), false),
            "base" => {
                if self.base.is_none()
                    && let Some(href) = attrs.get("href")
                {
                    self.base = Some(href.into_owned());
                }
            }
            "meta" => self.meta(attrs),
            _ => {}
        }
    }

    /// Whether the scanner should report the text of this `<title>` start tag.
    pub(crate) fn title_start(&mut self) -> bool {
        if self.title_state == TitleState::NotSeen {
            self.title_state = TitleState::Inside;
            true
        } else {
            false
        }
    }

    /// Text (references decoded) inside the first `<title>`.
    pub(crate) fn title_text(&mut self, text: &str) {
        if self.title_state != TitleState::Inside {
            return;
        }
        for c in text.chars() {
            if self.title.len() + c.len_utf8() + 1 > MAX_TITLE_LEN {
                self.title_state = TitleState::Done;
                return;
            }
            if is_ascii_ws(c) {
                self.title_space = !self.title.is_empty();
            } else {
                if self.title_space {
                    self.title.push(' ');
                    self.title_space = false;
                }
                self.title.push(c);
            }
        }
    }

    /// The first `<title>` ended (or the document did).
    pub(crate) fn title_end(&mut self) {
        if self.title_state == TitleState::Inside {
            self.title_state = TitleState::Done;
        }
    }

    fn push_rel(
        &mut self,
        kind: LinkKind,
        value: Option<Cow<'_, str>>,
        attrs: &(impl TagAttrs + ?Sized),
        need_nav_rel: bool,
    ) {
        let Some(value) = value else { return };
        let rel = attrs.get("rel");
        let rel = rel.as_deref().unwrap_or("");
        if need_nav_rel && !has_token(rel, &["next", "prev", "alternate"]) {
            return;
        }
        self.push(kind, Some(&value), has_token(rel, &["nofollow"]));
    }

    fn push(&mut self, kind: LinkKind, value: Option<&str>, nofollow: bool) {
        let Some(value) = value.map(|v| v.trim_matches(is_ascii_ws)) else {
            return;
        };
        if value.is_empty() || value.len() > MAX_LINK_LEN {
            return;
        }
        let start = self.values.len();
        self.values.push_str(value);
        self.raw.push(RawLink {
            kind,
            start,
            end: self.values.len(),
            nofollow,
        });
    }

    fn meta(&mut self, attrs: &(impl TagAttrs + ?Sized)) {
        if let Some(name) = attrs.get("name")
            && name
                .trim_matches(is_ascii_ws)
                .eq_ignore_ascii_case("robots")
        {
            let content = attrs.get("content");
            for token in content
                .as_deref()
                .unwrap_or("")
                .split(|c: char| c == ',' || is_ascii_ws(c))
            {
                if token.eq_ignore_ascii_case("nofollow") {
                    self.meta_nofollow = true;
                } else if token.eq_ignore_ascii_case("noindex") {
                    self.meta_noindex = true;
                } else if token.eq_ignore_ascii_case("none") {
                    self.meta_nofollow = true;
                    self.meta_noindex = true;
                }
            }
        }
        if let Some(equiv) = attrs.get("http-equiv")
            && equiv
                .trim_matches(is_ascii_ws)
                .eq_ignore_ascii_case("refresh")
            && let Some(content) = attrs.get("content")
        {
            self.push(LinkKind::MetaRefresh, refresh_url(&content), false);
        }
    }

    /// Resolves, filters and de-duplicates. Runs after the whole page so that a `<base>`
    /// or a robots `<meta>` late in the document still applies to every link, as it does
    /// in a browser's DOM. Links `known` recalls are counted, not resolved.
    pub(crate) fn finish(
        self,
        page_url: &Url,
        opts: &LinkOptions,
        known: &(impl KnownLinks + ?Sized),
        encoding: &'static encoding_rs::Encoding,
    ) -> PageLinks {
        let base = self
            .base
            .as_deref()
            .map(|b| b.trim_matches(is_ascii_ws))
            .filter(|b| !b.is_empty())
            .and_then(|b| page_url.join(b).ok())
            .filter(is_http);
        let resolve_against = base.as_ref().unwrap_or(page_url);
        let dir = directory(resolve_against);
        let raw = if opts.honour_nofollow && self.meta_nofollow {
            &[][..]
        } else {
            &self.raw[..]
        };

        let mut links: Vec<Link> = Vec::with_capacity(raw.len());
        let mut known_links = 0;
        let mut skipped = Vec::new();
        // Pages repeat the same href a lot (navigation, "top" links): the same text and kind
        // resolve the same way, so each is resolved once. `None` marks a rejected value.
        // foldhash, not SipHash: these maps live for one page, are seeded per page, and
        // hashing was a tenth of this function's time.
        let mut by_value: HashMap<(&str, LinkKind), Option<Slot>, RandomState> =
            HashMap::with_capacity_and_hasher(raw.len(), RandomState::default());
        // Different texts can still lead to one URL (`a` and `./a`): that needs the target
        // as key, the resolved URL's hash, so no URL string is copied.
        let mut by_target: HashMap<(u64, LinkKind), Slot, RandomState> =
            HashMap::with_capacity_and_hasher(raw.len(), RandomState::default());
        for r in raw {
            if opts.honour_nofollow && r.nofollow {
                continue;
            }
            // The fragment is dropped after resolution anyway, and everything from the
            // first `#` on is the fragment to the URL parser, so `#top`, `#x` and the
            // empty value share one entry (rustdoc pages are mostly such links).
            let value = &self.values[r.start..r.end];
            let value = value.find('#').map_or(value, |at| &value[..at]);
            if let Some(seen) = by_value.get(&(value, r.kind)) {
                if let Some(Slot::Listed(at)) = *seen {
                    // A link is followable if any of its occurrences is.
                    links[at].nofollow &= r.nofollow;
                }
                continue;
            }
            let key = dir
                .filter(|_| same_in_directory(value))
                .map(|dir| MEMO.hash_one((dir, value)));
            let slot = if let Some(target) = key.and_then(|key| known.recall(key)) {
                Some(*by_target.entry((target, r.kind)).or_insert_with(|| {
                    known_links += 1;
                    Slot::Known
                }))
            } else {
                resolve(resolve_against, value, opts, encoding, &mut skipped).map(|url| {
                    let target = MEMO.hash_one(url.as_str());
                    let same = |l: &Link| l.kind == r.kind && l.url == url;
                    let existing = match by_target.get(&(target, r.kind)) {
                        Some(&Slot::Listed(at)) if same(&links[at]) => Some(Slot::Listed(at)),
                        // Recalled with the same target: the same URL, as far as 64 bits tell.
                        Some(&Slot::Known) => Some(Slot::Known),
                        // A hash collision: rare enough for a linear search.
                        Some(_) => links.iter().position(same).map(Slot::Listed),
                        None => None,
                    };
                    match existing {
                        Some(slot) => {
                            if let Slot::Listed(at) = slot {
                                links[at].nofollow &= r.nofollow;
                            }
                            slot
                        }
                        None => {
                            let at = links.len();
                            by_target
                                .entry((target, r.kind))
                                .or_insert(Slot::Listed(at));
                            links.push(Link {
                                url,
                                kind: r.kind,
                                nofollow: r.nofollow,
                                memo: key.map(|key| LinkMemo { key, target }),
                            });
                            Slot::Listed(at)
                        }
                    }
                })
            };
            by_value.insert((value, r.kind), slot);
        }

        PageLinks {
            links,
            title: (!self.title.is_empty()).then_some(self.title),
            base,
            meta_nofollow: self.meta_nofollow,
            meta_noindex: self.meta_noindex,
            known: known_links,
            skipped,
        }
    }
}

/// Where a distinct link of the page went in [`Collector::finish`].
#[derive(Clone, Copy, Debug)]
enum Slot {
    /// `links[at]`.
    Listed(usize),
    /// Recalled by the caller: counted, not listed.
    Known,
}

/// The hasher of [`LinkMemo`] keys and targets, seeded once per process so that keys from
/// one page match keys from the next.
static MEMO: LazyLock<RandomState> = LazyLock::new(RandomState::default);

/// The part of `base` a relative path resolves against: the URL up to the last `/` of its
/// path. `None` for a base with an opaque path, which resolves nothing but fragments.
fn directory(base: &Url) -> Option<&str> {
    if base.cannot_be_a_base() {
        return None;
    }
    let through_path = &base[..Position::AfterPath];
    Some(&through_path[..through_path.rfind('/')? + 1])
}

/// Whether `value` (fragment removed) resolves the same against every base in one
/// directory.
///
/// Left out: values that are empty or query-only once the URL parser is done with them.
/// It strips leading C0 controls and spaces, so a value that starts with one is left out
/// too. A value naming the base's own scheme without an authority (`https:`,
/// `https:?page=2`) is relative to the whole base URL, file name and query included, so
/// a value with a colon is kept only when `//` (or a backslash form) follows the colon.
/// That still keeps every absolute `scheme://` link; the few others are resolved each time.
fn same_in_directory(value: &str) -> bool {
    let bytes = value.as_bytes();
    let starts_well = bytes.first().is_some_and(|&b| b > b' ' && b != b'?');
    let authority_after_colon = match value.find(':') {
        None => true,
        Some(at) => matches!(
            bytes.get(at + 1..at + 3),
            Some([b'/' | b'\\', b'/' | b'\\'])
        ),
    };
    starts_well && authority_after_colon
}

/// The absolute, fragment-free http(s) URL a link value stands for, unless it is filtered.
fn resolve(
    base: &Url,
    value: &str,
    opts: &LinkOptions,
    encoding: &'static encoding_rs::Encoding,
    skipped: &mut Vec<Url>,
) -> Option<Url> {
    let mut url = if encoding != encoding_rs::UTF_8 && !value.is_ascii() && value.contains('?') {
        // The WHATWG URL parser's encoding override: the query in the page's
        // encoding (characters it can't encode become `&#N;`, as in browsers).
        fn encoder(
            encoding: &'static encoding_rs::Encoding,
        ) -> impl Fn(&str) -> std::borrow::Cow<'_, [u8]> {
            move |s| encoding.encode(s).0
        }
        let encode = encoder(encoding);
        Url::options()
            .base_url(Some(base))
            .encoding_override(Some(&encode))
            .parse(value)
            .ok()?
    } else {
        base.join(value).ok()?
    };
    if !is_http(&url) {
        return None;
    }
    url.set_fragment(None);
    if opts.skips(&url) {
        skipped.push(url);
        return None;
    }
    Some(url)
}

fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// Whether the space-separated `list` holds one of `wanted` (ASCII case-insensitively).
fn has_token(list: &str, wanted: &[&str]) -> bool {
    list.split(is_ascii_ws)
        .any(|t| wanted.iter().any(|w| t.eq_ignore_ascii_case(w)))
}

/// ASCII whitespace as HTML and URL specs define it: tab, LF, FF, CR and space.
pub(crate) fn is_ascii_ws(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\x0C' | '\r' | ' ')
}
