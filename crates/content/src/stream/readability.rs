//! Readability's article detection (as dom_smoothie 0.19 ports it, in its
//! default `Readability` mode) on the arena tree, then our boilerplate pass
//! (`clean.rs`'s rules).
//!
//! What Readability measures again and again on a DOM (text length, link
//! text, commas, counts of `p`, `img`, `li`… under an element) is kept here
//! per node as [`Stats`], summed bottom-up once after parsing and kept up to
//! date as nodes are removed (a removed subtree's share is subtracted from
//! its ancestors), so every test is O(1) instead of a subtree walk.

use super::tree::{self, AttrName, NONE, Node, Source, Tag, Tree};

/// Detached from the tree (the node or one of its ancestors was removed).
const REMOVED: u8 = 1;
/// Has a Readability score.
const HAS_SCORE: u8 = 2;
/// A data table (Readability's `data-readability-table`).
const DATA_TABLE: u8 = 4;
/// One of the article's top-level nodes.
const ARTICLE: u8 = 8;

/// Readability's flags, relaxed one at a time while the article is short.
#[derive(Clone, Copy)]
struct Flags {
    strip_unlikely: bool,
    weigh_classes: bool,
    clean_conditionally: bool,
}

/// The article is long enough below this many characters.
const CHAR_THRESHOLD: u32 = 500;
const N_TOP_CANDIDATES: usize = 5;
const MIN_SCORE_TO_ADJUST: f32 = 5.0;

/// What Readability asks about a subtree, summed over the nodes strictly
/// inside it (an element's own tag counts for its ancestors, not itself).
#[derive(Clone, Copy, Default, Debug)]
struct Stats {
    /// Characters, whitespace runs counted as one.
    chars: u32,
    /// Commas (Readability's list of comma characters).
    commas: u32,
    /// Characters inside links, `#fragment` links weighted 0.3.
    link: f32,
    /// Characters inside links.
    link_raw: u32,
    /// Characters inside headings.
    heading: u32,
    /// Characters inside `ul`/`ol`.
    list: u32,
    p: u32,
    img: u32,
    li: u32,
    input: u32,
    embed: u32,
    /// Readability's block elements.
    block: u32,
    pre: u32,
    /// Readability's "textish" elements holding text.
    textish: u32,
    data_table: u32,
    /// `br` and `hr`.
    brhr: u32,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.chars += o.chars;
        self.commas += o.commas;
        self.link += o.link;
        self.link_raw += o.link_raw;
        self.heading += o.heading;
        self.list += o.list;
        self.p += o.p;
        self.img += o.img;
        self.li += o.li;
        self.input += o.input;
        self.embed += o.embed;
        self.block += o.block;
        self.pre += o.pre;
        self.textish += o.textish;
        self.data_table += o.data_table;
        self.brhr += o.brhr;
    }

    fn sub(&mut self, o: &Stats) {
        self.chars = self.chars.saturating_sub(o.chars);
        self.commas = self.commas.saturating_sub(o.commas);
        self.link = (self.link - o.link).max(0.0);
        self.link_raw = self.link_raw.saturating_sub(o.link_raw);
        self.heading = self.heading.saturating_sub(o.heading);
        self.list = self.list.saturating_sub(o.list);
        self.p = self.p.saturating_sub(o.p);
        self.img = self.img.saturating_sub(o.img);
        self.li = self.li.saturating_sub(o.li);
        self.input = self.input.saturating_sub(o.input);
        self.embed = self.embed.saturating_sub(o.embed);
        self.block = self.block.saturating_sub(o.block);
        self.pre = self.pre.saturating_sub(o.pre);
        self.textish = self.textish.saturating_sub(o.textish);
        self.data_table = self.data_table.saturating_sub(o.data_table);
        self.brhr = self.brhr.saturating_sub(o.brhr);
    }
}

/// The counts an element's own tag adds for its ancestors.
fn own(tag: Tag, chars: u32, flags: u8) -> Stats {
    Stats {
        p: u32::from(tag == Tag::P),
        img: u32::from(tag == Tag::Img),
        li: u32::from(tag == Tag::Li),
        input: u32::from(tag == Tag::Input),
        embed: u32::from(matches!(tag, Tag::Object | Tag::Embed | Tag::Iframe)),
        block: u32::from(is_block(tag)),
        pre: u32::from(tag == Tag::Pre),
        textish: u32::from(is_textish(tag) && chars > 0),
        data_table: u32::from(flags & DATA_TABLE != 0),
        brhr: u32::from(matches!(tag, Tag::Br | Tag::Hr)),
        ..Stats::default()
    }
}

fn is_block(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Blockquote
            | Tag::Dl
            | Tag::Div
            | Tag::Img
            | Tag::Ol
            | Tag::P
            | Tag::Pre
            | Tag::Table
            | Tag::Ul
    )
}

fn is_textish(tag: Tag) -> bool {
    is_block(tag) || matches!(tag, Tag::Span | Tag::Li | Tag::Td)
}

/// Readability's comma characters.
fn is_comma(c: char) -> bool {
    matches!(
        c,
        '\u{002C}'
            | '\u{060C}'
            | '\u{FE50}'
            | '\u{FE10}'
            | '\u{FE11}'
            | '\u{2E41}'
            | '\u{2E34}'
            | '\u{2E32}'
            | '\u{FF0C}'
    )
}

/// Characters with whitespace runs counted as one (dom_query's
/// `normalized_char_count`, which carries the run across text nodes; here a
/// text node's leading run counts one, as it does after text that ends in a
/// letter), and commas.
fn text_stats(text: &str) -> (u32, u32) {
    let (mut chars, mut commas) = (0_u32, 0_u32);
    let mut prev_ws = false;
    if text.is_ascii() {
        for &b in text.as_bytes() {
            let ws = b.is_ascii_whitespace();
            if !(prev_ws && ws) {
                chars += 1;
            }
            prev_ws = ws;
            commas += u32::from(b == b',');
        }
        return (chars, commas);
    }
    for c in text.chars() {
        let ws = c.is_whitespace();
        if !(prev_ws && ws) {
            chars += 1;
        }
        prev_ws = ws;
        commas += u32::from(is_comma(c));
    }
    (chars, commas)
}

/// The tree being worked on, with its stats and scores.
struct Dom {
    nodes: Vec<Node>,
    stats: Vec<Stats>,
    score: Vec<f32>,
    /// Which flags changed something in this attempt (`USED_*`).
    used: std::cell::Cell<u8>,
}

/// An unlikely candidate was removed.
const USED_UNLIKELY: u8 = 1;
/// A class weight was not zero.
const USED_WEIGHTS: u8 = 2;
/// The conditional cleaning removed something.
const USED_CLEANING: u8 = 4;

impl Dom {
    fn new(tree: &Tree) -> Dom {
        // room for the paragraphs `div_into_p` adds
        let room = tree.nodes.len() / 8 + 16;
        let mut nodes = Vec::with_capacity(tree.nodes.len() + room);
        nodes.extend_from_slice(&tree.nodes);
        let mut stats = Vec::with_capacity(nodes.len() + room);
        stats.resize(nodes.len(), Stats::default());
        // Children before their parents: the reverse of a preorder walk
        // (nodes `replace_brs` moved are not in index order).
        let mut order = Vec::with_capacity(nodes.len());
        let mut stack = vec![0_u32];
        while let Some(x) = stack.pop() {
            order.push(x);
            let mut c = nodes[x as usize].last_child;
            while c != NONE {
                stack.push(c);
                c = nodes[c as usize].prev;
            }
        }
        for &i in order.iter().rev() {
            let node = &nodes[i as usize];
            if node.tag == Tag::Text {
                let (chars, commas) = text_stats(tree.source.text_of(node));
                stats[i as usize].chars = chars;
                stats[i as usize].commas = commas;
            }
            if node.parent != NONE {
                let c = contrib(&nodes, &stats, &tree.source, i);
                stats[node.parent as usize].add(&c);
            }
        }
        let mut score = Vec::with_capacity(nodes.len() + room);
        score.resize(nodes.len(), 0.0);
        Dom {
            nodes,
            stats,
            score,
            used: std::cell::Cell::new(0),
        }
    }

    fn mark_used(&self, what: u8) {
        self.used.set(self.used.get() | what);
    }

    /// [`class_weight`] of `n`, noting when it counts.
    fn weight(&self, n: u32, weigh: bool) -> f32 {
        let w = class_weight(&self.nodes[n as usize], weigh);
        if w != 0.0 {
            self.mark_used(USED_WEIGHTS);
        }
        w
    }

    fn tag(&self, n: u32) -> Tag {
        self.nodes[n as usize].tag
    }

    fn chars(&self, n: u32) -> u32 {
        self.stats[n as usize].chars
    }

    fn parent(&self, n: u32) -> u32 {
        self.nodes[n as usize].parent
    }

    fn flag(&self, n: u32, f: u8) -> bool {
        self.nodes[n as usize].flags & f != 0
    }

    /// Removes `n` with its subtree.
    fn remove(&mut self, src: &Source, n: u32) {
        if self.flag(n, REMOVED) || n == 0 {
            return;
        }
        let c = contrib(&self.nodes, &self.stats, src, n);
        let mut a = self.parent(n);
        while a != NONE {
            self.stats[a as usize].sub(&c);
            a = self.parent(a);
        }
        tree::detach(&mut self.nodes, n);
        // flag the subtree, so that lists taken before see it gone
        let mut stack = vec![n];
        while let Some(x) = stack.pop() {
            self.nodes[x as usize].flags |= REMOVED;
            let mut c = self.nodes[x as usize].first_child;
            while c != NONE {
                stack.push(c);
                c = self.nodes[c as usize].next;
            }
        }
    }

    /// Renames `n`, keeping its ancestors' counts right.
    fn rename(&mut self, n: u32, tag: Tag) {
        let chars = self.chars(n);
        let flags = self.nodes[n as usize].flags;
        let old = own(self.tag(n), chars, flags);
        let new = own(tag, chars, flags);
        let mut a = self.parent(n);
        while a != NONE {
            self.stats[a as usize].sub(&old);
            self.stats[a as usize].add(&new);
            a = self.parent(a);
        }
        self.nodes[n as usize].tag = tag;
    }

    fn element_children(&self, n: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut c = self.nodes[n as usize].first_child;
        while c != NONE {
            if self.tag(c) != Tag::Text {
                out.push(c);
            }
            c = self.nodes[c as usize].next;
        }
        out
    }

    fn element_child_count(&self, n: u32) -> usize {
        let mut count = 0;
        let mut c = self.nodes[n as usize].first_child;
        while c != NONE {
            count += usize::from(self.tag(c) != Tag::Text);
            c = self.nodes[c as usize].next;
        }
        count
    }

    /// The next element in document order: the first element child (unless
    /// `skip_children`), else the next element sibling of `n` or of its
    /// nearest ancestor that has one.
    fn next_element(&self, n: u32, skip_children: bool) -> Option<u32> {
        if !skip_children && let Some(c) = self.first_element_child(n) {
            return Some(c);
        }
        let mut at = n;
        while at != NONE && at != 0 {
            if let Some(s) = self.next_element_sibling(at) {
                return Some(s);
            }
            at = self.parent(at);
        }
        None
    }

    fn first_element_child(&self, n: u32) -> Option<u32> {
        self.element_from(self.nodes[n as usize].first_child)
    }

    fn next_element_sibling(&self, n: u32) -> Option<u32> {
        self.element_from(self.nodes[n as usize].next)
    }

    /// The first element among `c` and its next siblings.
    fn element_from(&self, mut c: u32) -> Option<u32> {
        while c != NONE {
            if self.tag(c) != Tag::Text {
                return Some(c);
            }
            c = self.nodes[c as usize].next;
        }
        None
    }

    fn link_density(&self, n: u32) -> f32 {
        let s = &self.stats[n as usize];
        if s.link == 0.0 || s.chars == 0 {
            0.0
        } else {
            s.link / s.chars as f32
        }
    }

    /// The text of `n`, whitespace runs collapsed, trimmed.
    fn normalized_text(&self, src: &Source, n: u32) -> String {
        let mut raw = String::new();
        self.raw_text(src, n, &mut raw);
        let mut out = String::with_capacity(raw.len());
        for word in raw.split_whitespace() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(word);
        }
        out
    }

    fn raw_text(&self, src: &Source, n: u32, out: &mut String) {
        let mut stack = vec![n];
        while let Some(x) = stack.pop() {
            let node = &self.nodes[x as usize];
            if node.tag == Tag::Text {
                out.push_str(src.text_of(node));
                continue;
            }
            let mut c = node.last_child;
            while c != NONE {
                stack.push(c);
                c = self.nodes[c as usize].prev;
            }
        }
    }

    fn has_ancestor(&self, n: u32, max: usize, hit: impl Fn(Tag, u8) -> bool) -> bool {
        let mut a = self.parent(n);
        let mut depth = 0;
        while a != NONE && depth < max {
            let node = &self.nodes[a as usize];
            if hit(node.tag, node.flags) {
                return true;
            }
            a = node.parent;
            depth += 1;
        }
        false
    }

    /// Live nodes under `roots` (the roots included, or only the root's
    /// descendants when the article is the whole page), in document order.
    fn preorder(&self, roots: &[u32]) -> Vec<u32> {
        let mut out = Vec::new();
        let mut stack: Vec<u32> = Vec::new();
        for &r in roots.iter().rev() {
            if r == 0 {
                let mut c = self.nodes[0].last_child;
                while c != NONE {
                    stack.push(c);
                    c = self.nodes[c as usize].prev;
                }
            } else {
                stack.push(r);
            }
        }
        while let Some(x) = stack.pop() {
            out.push(x);
            let mut c = self.nodes[x as usize].last_child;
            while c != NONE {
                stack.push(c);
                c = self.nodes[c as usize].prev;
            }
        }
        out
    }
}

/// What node `n` adds to its parent's stats.
fn contrib(nodes: &[Node], stats: &[Stats], src: &Source, n: u32) -> Stats {
    let node = &nodes[n as usize];
    let mut s = stats[n as usize];
    match node.tag {
        Tag::Text => return s,
        Tag::A => {
            let weight = match src.attr(node, AttrName::Href) {
                Some(href) if href.len() > 1 && href.starts_with('#') => 0.3,
                _ => 1.0,
            };
            s.link = s.chars as f32 * weight;
            s.link_raw = s.chars;
        }
        Tag::Ul | Tag::Ol => s.list = s.chars,
        t if t.is_heading() => s.heading = s.chars,
        _ => {}
    }
    s.add(&own(node.tag, s.chars, node.flags));
    s
}

/// Pages extracted and Readability attempts made, for the spike's report.
pub(crate) static COUNTS: [std::sync::atomic::AtomicUsize; 2] = [
    std::sync::atomic::AtomicUsize::new(0),
    std::sync::atomic::AtomicUsize::new(0),
];

/// The next sibling from `n` on that is not whitespace-only text.
fn next_significant(nodes: &[Node], src: &Source, mut n: u32) -> u32 {
    while n != NONE {
        let node = &nodes[n as usize];
        if node.tag != Tag::Text || !src.text_of(node).trim().is_empty() {
            return n;
        }
        n = node.next;
    }
    NONE
}

/// Readability's `replaceBrs`: a run of two or more `<br>` becomes a `<p>`
/// holding the phrasing content after it.
fn replace_brs(tree: &mut Tree) {
    let Tree { nodes, source: src } = tree;
    for br in 0..nodes.len() as u32 {
        if nodes[br as usize].tag != Tag::Br || nodes[br as usize].parent == NONE {
            continue;
        }
        let mut next = next_significant(nodes, src, nodes[br as usize].next);
        let mut replaced = false;
        while next != NONE && nodes[next as usize].tag == Tag::Br {
            replaced = true;
            let after = nodes[next as usize].next;
            tree::detach(nodes, next);
            next = next_significant(nodes, src, after);
        }
        if !replaced {
            continue;
        }
        let p = tree::new_element(nodes, Tag::P);
        tree::insert_before(nodes, br, p);
        tree::detach(nodes, br);
        let mut sib = nodes[p as usize].next;
        while sib != NONE {
            if nodes[sib as usize].tag == Tag::Br {
                let after = next_significant(nodes, src, nodes[sib as usize].next);
                if after != NONE && nodes[after as usize].tag == Tag::Br {
                    break;
                }
            }
            if !is_phrasing(nodes, sib) {
                break;
            }
            let following = nodes[sib as usize].next;
            tree::detach(nodes, sib);
            tree::append(nodes, p, sib);
            sib = following;
        }
        loop {
            let last = nodes[p as usize].last_child;
            if last == NONE || !is_whitespace(nodes, src, last) {
                break;
            }
            tree::detach(nodes, last);
        }
        let parent = nodes[p as usize].parent;
        if parent != NONE && nodes[parent as usize].tag == Tag::P {
            nodes[parent as usize].tag = Tag::Div;
        }
    }
}

/// The main content's text.
pub(crate) fn extract(tree: &mut Tree) -> String {
    let (nodes, roots) = article(tree);
    super::text::render(&nodes, &tree.source, &roots)
}

/// The article: the tree's nodes as the extractor left them (removed ones
/// flagged [`REMOVED`]) and its top-level nodes (`[0]` for the whole page).
pub(crate) fn article(tree: &mut Tree) -> (Vec<Node>, Vec<u32>) {
    replace_brs(tree);
    let tree = &*tree;
    COUNTS[0].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let src = &tree.source;
    let mut flags = Flags {
        strip_unlikely: true,
        weigh_classes: true,
        clean_conditionally: true,
    };
    let mut best: Option<(Dom, Vec<u32>, u32)> = None;
    loop {
        // a fresh copy per attempt (most pages need one)
        COUNTS[1].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut dom = Dom::new(tree);
        let roots = attempt(&mut dom, src, flags);
        let used = dom.used.get();
        let len: u32 = roots.iter().map(|&r| dom.chars(r)).sum();
        if len >= CHAR_THRESHOLD {
            best = Some((dom, roots, len));
            break;
        }
        if best.as_ref().is_none_or(|b| len > b.2) {
            best = Some((dom, roots, len));
        }
        // Relax the next flag. One that changed nothing in this attempt
        // would give the same article again: relax the one after it too.
        if flags.strip_unlikely {
            flags.strip_unlikely = false;
            if used & USED_UNLIKELY != 0 {
                continue;
            }
        }
        if flags.weigh_classes {
            flags.weigh_classes = false;
            if used & USED_WEIGHTS != 0 {
                continue;
            }
        }
        if flags.clean_conditionally {
            flags.clean_conditionally = false;
            if used & USED_CLEANING != 0 {
                continue;
            }
        }
        break;
    }
    let Some((mut dom, roots, _)) = best else {
        return (Vec::new(), Vec::new());
    };
    boilerplate(&mut dom, src, &roots);
    (dom.nodes, roots)
}

/// One of Readability's attempts: the article's top-level nodes (`[0]` for
/// the whole page).
fn attempt(dom: &mut Dom, src: &Source, flags: Flags) -> Vec<u32> {
    let elements = collect_elements_to_score(dom, src, flags.strip_unlikely);
    let top = score_elements(dom, &elements, flags.weigh_classes);
    let mut tc = top.first().copied().unwrap_or(0);
    if tc != 0 {
        tc = find_common_candidate(dom, tc, &top, flags.weigh_classes);
        // the only child: its parent instead
        loop {
            let parent = dom.parent(tc);
            if parent == 0 || parent == NONE || dom.element_child_count(parent) != 1 {
                break;
            }
            tc = parent;
        }
    }
    let roots = if tc == 0 {
        vec![0]
    } else {
        if !dom.flag(tc, HAS_SCORE) {
            init_score(dom, tc, flags.weigh_classes);
        }
        assign_article(dom, src, tc)
    };
    for &r in &roots {
        dom.nodes[r as usize].flags |= ARTICLE;
    }
    prep_article(dom, src, &roots, flags);
    roots
        .into_iter()
        .filter(|&r| !dom.flag(r, REMOVED))
        .collect()
}

const UNLIKELY: &[&str] = &[
    "-ad-",
    "ai2html",
    "banner",
    "breadcrumbs",
    "combx",
    "comment",
    "community",
    "cover-wrap",
    "disqus",
    "extra",
    "footer",
    "gdpr",
    "header",
    "legends",
    "menu",
    "related",
    "remark",
    "replies",
    "rss",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "social",
    "sponsor",
    "supplemental",
    "ad-break",
    "agegate",
    "pagination",
    "pager",
    "popup",
    "yom-remote",
];

const MAYBE: &[&str] = &[
    "and", "article", "body", "column", "content", "layout", "main", "mathjax", "shadow",
];

const NEGATIVE: &[&str] = &[
    "-ad-",
    "hidden",
    "banner",
    "combx",
    "comment",
    "com-",
    "contact",
    "footer",
    "gdpr",
    "masthead",
    "media",
    "meta",
    "outbrain",
    "promo",
    "related",
    "scroll",
    "share",
    "shoutbox",
    "sidebar",
    "skyscraper",
    "sponsor",
    "shopping",
    "tags",
    "widget",
];

const POSITIVE: &[&str] = &[
    "article", "body", "content", "entry", "hentry", "h-entry", "main", "page", "post", "text",
    "blog", "story",
];

const UNLIKELY_ROLES: &[&str] = &[
    "menu",
    "menubar",
    "complementary",
    "navigation",
    "alert",
    "alertdialog",
    "dialog",
];

/// `class`/`id` bits (computed while parsing, see [`class_mask`]).
const M_UNLIKELY: u16 = 1;
const M_NEG_CLASS: u16 = 1 << 1;
const M_POS_CLASS: u16 = 1 << 2;
const M_NEG_ID: u16 = 1 << 3;
const M_POS_ID: u16 = 1 << 4;
const M_SHARE: u16 = 1 << 5;
const M_DROP: u16 = 1 << 6;
const M_MEDIA: u16 = 1 << 7;
const M_FALLBACK_IMAGE: u16 = 1 << 8;

/// Class fragments of our boilerplate pass (`clean.rs`), matched as CSS's
/// `[class*=…]` does: case-sensitively.
const DROP_CLASSES: &[&str] = &[
    "caption",
    "byline",
    "author",
    "timestamp",
    "newsletter",
    "meta",
    "print",
];
const MEDIA_CLASSES: &[&str] = &["gallery", "photo", "image"];

/// Readability's lists in one automaton (ASCII case-insensitive, as
/// Readability lowercases), and ours in another.
struct Automata {
    readability: aho_corasick::AhoCorasick,
    ours: aho_corasick::AhoCorasick,
}

static AUTOMATA: std::sync::LazyLock<Option<Automata>> = std::sync::LazyLock::new(|| {
    let readability: Vec<&str> = [UNLIKELY, MAYBE, NEGATIVE, POSITIVE].concat();
    let ours: Vec<&str> = [DROP_CLASSES, MEDIA_CLASSES, &["fallback-image"]].concat();
    Some(Automata {
        readability: aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(readability)
            .ok()?,
        ours: aho_corasick::AhoCorasick::new(ours).ok()?,
    })
});

/// Which of Readability's lists `value` matches: bits 1 unlikely, 2 maybe,
/// 4 negative, 8 positive.
fn groups(automata: &Automata, value: &[u8]) -> u8 {
    let (u, m, n) = (UNLIKELY.len(), MAYBE.len(), NEGATIVE.len());
    let mut out = 0;
    for hit in automata.readability.find_overlapping_iter(value) {
        let i = hit.pattern().as_usize();
        out |= if i < u {
            1
        } else if i < u + m {
            2
        } else if i < u + m + n {
            4
        } else {
            8
        };
    }
    if value
        .split(u8::is_ascii_whitespace)
        .any(|w| w.eq_ignore_ascii_case(b"hid"))
    {
        out |= 4;
    }
    out
}

/// What an element's `class` and `id` say, for the rules that read them.
pub(crate) fn class_mask(class: Option<&[u8]>, id: Option<&[u8]>) -> u16 {
    let Some(automata) = AUTOMATA.as_ref() else {
        return 0;
    };
    let mut mask = 0;
    let gc = class.map_or(0, |c| groups(automata, c));
    let gi = id.map_or(0, |i| groups(automata, i));
    let g = gc | gi;
    if g & 1 != 0 && g & 2 == 0 {
        mask |= M_UNLIKELY;
    }
    if gc & 4 != 0 {
        mask |= M_NEG_CLASS;
    }
    if gc & 8 != 0 {
        mask |= M_POS_CLASS;
    }
    if gi & 4 != 0 {
        mask |= M_NEG_ID;
    }
    if gi & 8 != 0 {
        mask |= M_POS_ID;
    }
    let share = |v: &[u8]| {
        v.split(|&b| b == b' ' || b == b'_').any(|part| {
            part.eq_ignore_ascii_case(b"share") || part.eq_ignore_ascii_case(b"sharedaddy")
        })
    };
    if class.is_some_and(share) || id.is_some_and(share) {
        mask |= M_SHARE;
    }
    if let Some(c) = class {
        let (d, m) = (DROP_CLASSES.len(), MEDIA_CLASSES.len());
        for hit in automata.ours.find_overlapping_iter(c) {
            let i = hit.pattern().as_usize();
            mask |= if i < d {
                M_DROP
            } else if i < d + m {
                M_MEDIA
            } else {
                M_FALLBACK_IMAGE
            };
        }
    }
    mask
}

fn class_weight(node: &Node, weigh: bool) -> f32 {
    if !weigh {
        return 0.0;
    }
    let m = node.mask;
    let mut weight = 0.0;
    for (neg, pos) in [(M_NEG_CLASS, M_POS_CLASS), (M_NEG_ID, M_POS_ID)] {
        if m & neg != 0 {
            weight -= 25.0;
        }
        if m & pos != 0 {
            weight += 25.0;
        }
    }
    weight
}

fn node_score(dom: &Dom, n: u32, weigh: bool) -> f32 {
    let base = match dom.tag(n) {
        Tag::Div => 5.0,
        Tag::Pre | Tag::Td | Tag::Blockquote => 3.0,
        Tag::Address | Tag::Ol | Tag::Ul | Tag::Dl | Tag::Dd | Tag::Dt | Tag::Li | Tag::Form => {
            -3.0
        }
        Tag::H1 | Tag::H2 | Tag::H3 | Tag::H4 | Tag::H5 | Tag::H6 | Tag::Th => -5.0,
        _ => 0.0,
    };
    base + dom.weight(n, weigh)
}

fn init_score(dom: &mut Dom, n: u32, weigh: bool) {
    dom.score[n as usize] = node_score(dom, n, weigh);
    dom.nodes[n as usize].flags |= HAS_SCORE;
}

fn get_score(dom: &Dom, n: u32) -> f32 {
    if dom.flag(n, HAS_SCORE) {
        dom.score[n as usize]
    } else {
        0.0
    }
}

fn is_visible(src: &Source, node: &Node) -> bool {
    if src.attr(node, AttrName::Hidden).is_some() {
        return false;
    }
    if let Some(style) = src.attr(node, AttrName::Style) {
        let style = style.to_ascii_lowercase();
        if style_has(&style, "display", "none") || style_has(&style, "visibility", "hidden") {
            return false;
        }
    }
    src.attr(node, AttrName::AriaHidden) != Some("true") || node.mask & M_FALLBACK_IMAGE != 0
}

fn style_has(style: &str, key: &str, val: &str) -> bool {
    let Some(pos) = style.find(key) else {
        return false;
    };
    let mut rest = &style[pos..];
    let Some(colon) = rest.find(':') else {
        return false;
    };
    rest = &rest[colon + 1..];
    if let Some(semi) = rest.find(';') {
        rest = &rest[..semi];
    }
    rest = rest.trim_start();
    if let Some(ws) = rest.find(char::is_whitespace) {
        rest = &rest[..ws];
    }
    rest.trim_end() == val
}

fn is_phrasing(nodes: &[Node], n: u32) -> bool {
    match nodes[n as usize].tag {
        Tag::Text
        | Tag::Abbr
        | Tag::Audio
        | Tag::B
        | Tag::Bdo
        | Tag::Br
        | Tag::Button
        | Tag::Cite
        | Tag::Code
        | Tag::Data
        | Tag::Datalist
        | Tag::Dfn
        | Tag::Em
        | Tag::Embed
        | Tag::I
        | Tag::Img
        | Tag::Input
        | Tag::Kbd
        | Tag::Label
        | Tag::Mark
        | Tag::Math
        | Tag::Meter
        | Tag::Noscript
        | Tag::Object
        | Tag::Output
        | Tag::Progress
        | Tag::Q
        | Tag::Ruby
        | Tag::Samp
        | Tag::Script
        | Tag::Select
        | Tag::Small
        | Tag::Span
        | Tag::Font
        | Tag::Strong
        | Tag::Sub
        | Tag::Sup
        | Tag::Textarea
        | Tag::Time
        | Tag::Var
        | Tag::Wbr => true,
        Tag::A | Tag::Del | Tag::Ins => {
            let mut c = nodes[n as usize].first_child;
            if c == NONE {
                return false;
            }
            while c != NONE {
                if !is_phrasing(nodes, c) {
                    return false;
                }
                c = nodes[c as usize].next;
            }
            true
        }
        _ => false,
    }
}

fn is_whitespace(nodes: &[Node], src: &Source, n: u32) -> bool {
    let node = &nodes[n as usize];
    match node.tag {
        Tag::Text => src.text_of(node).trim().is_empty(),
        Tag::Br => true,
        _ => false,
    }
}

/// Readability's first pass: drops hidden, unlikely and empty elements and
/// lists the elements to score.
fn collect_elements_to_score(dom: &mut Dom, src: &Source, strip_unlikely: bool) -> Vec<u32> {
    let mut out = Vec::new();
    let title = article_title(&src.title).to_lowercase();
    let mut remove_title = !title.is_empty();
    let mut next = dom.next_element(0, false);
    while let Some(mut n) = next {
        let node = dom.nodes[n as usize];
        let tag = node.tag;
        if !is_visible(src, &node)
            || tag == Tag::Template
            || tag == Tag::Dialog
            || (src.attr(&node, AttrName::AriaModal) == Some("true")
                && src.attr(&node, AttrName::Role) == Some("dialog"))
        {
            next = dom.next_element(n, true);
            dom.remove(src, n);
            continue;
        }
        if tag == Tag::Svg {
            next = dom.next_element(n, true);
            continue;
        }
        if remove_title
            && matches!(tag, Tag::H1 | Tag::H2)
            && text_similarity(&title, &dom.normalized_text(src, n).to_lowercase()) > 0.75
        {
            remove_title = false;
            next = dom.next_element(n, true);
            dom.remove(src, n);
            continue;
        }
        if strip_unlikely {
            let unlikely = tag != Tag::A
                && node.mask & M_UNLIKELY != 0
                && !dom.has_ancestor(n, 3, |t, _| matches!(t, Tag::Table | Tag::Code));
            if unlikely
                || src
                    .attr(&node, AttrName::Role)
                    .is_some_and(|r| UNLIKELY_ROLES.contains(&r))
            {
                dom.mark_used(USED_UNLIKELY);
                next = dom.next_element(n, true);
                dom.remove(src, n);
                continue;
            }
        }
        if matches!(
            tag,
            Tag::Div
                | Tag::Section
                | Tag::Header
                | Tag::H1
                | Tag::H2
                | Tag::H3
                | Tag::H4
                | Tag::H5
                | Tag::H6
        ) && dom.chars(n) == 0
        {
            let children = dom.element_child_count(n);
            if children == 0 || children == dom.stats[n as usize].brhr as usize {
                next = dom.next_element(n, true);
                dom.remove(src, n);
                continue;
            }
        }
        if matches!(
            tag,
            Tag::Section
                | Tag::H2
                | Tag::H3
                | Tag::H4
                | Tag::H5
                | Tag::H6
                | Tag::P
                | Tag::Td
                | Tag::Pre
        ) {
            out.push(n);
        }
        if tag == Tag::Div {
            div_into_p(dom, src, n);
            if let Some(p) = single_child(dom, src, n, Tag::P)
                && dom.link_density(n) < 0.25
            {
                // the div becomes its paragraph
                let c = contrib(&dom.nodes, &dom.stats, src, p);
                dom.stats[n as usize].sub(&c);
                tree::detach(&mut dom.nodes, p);
                tree::insert_before(&mut dom.nodes, n, p);
                dom.remove(src, n);
                out.push(p);
                n = p;
            } else if dom.stats[n as usize].block == 0 {
                dom.rename(n, Tag::P);
                out.push(n);
            }
        }
        next = dom.next_element(n, false);
    }
    out
}

/// The only element child of `n`, when it is a `tag` and `n` holds no text
/// of its own.
fn single_child(dom: &Dom, src: &Source, n: u32, tag: Tag) -> Option<u32> {
    let mut found = None;
    let mut c = dom.nodes[n as usize].first_child;
    while c != NONE {
        let node = &dom.nodes[c as usize];
        if node.tag == Tag::Text {
            if !src.text_of(node).trim().is_empty() {
                return None;
            }
        } else if found.is_some() {
            return None;
        } else {
            found = Some(c);
        }
        c = node.next;
    }
    found.filter(|&f| dom.tag(f) == tag)
}

/// Wraps each run of phrasing content among a div's children in a `p`.
fn div_into_p(dom: &mut Dom, src: &Source, div: u32) {
    let mut child = dom.nodes[div as usize].first_child;
    while child != NONE {
        if !is_phrasing(&dom.nodes, child) || is_whitespace(&dom.nodes, src, child) {
            child = dom.nodes[child as usize].next;
            continue;
        }
        let p = tree::new_element(&mut dom.nodes, Tag::P);
        dom.stats.push(Stats::default());
        dom.score.push(0.0);
        tree::insert_before(&mut dom.nodes, child, p);
        let mut at = child;
        while at != NONE && is_phrasing(&dom.nodes, at) {
            let next = dom.nodes[at as usize].next;
            let c = contrib(&dom.nodes, &dom.stats, src, at);
            tree::detach(&mut dom.nodes, at);
            tree::append(&mut dom.nodes, p, at);
            dom.stats[p as usize].add(&c);
            at = next;
        }
        // trailing whitespace goes
        loop {
            let last = dom.nodes[p as usize].last_child;
            if last == NONE || !is_whitespace(&dom.nodes, src, last) {
                break;
            }
            let c = contrib(&dom.nodes, &dom.stats, src, last);
            dom.stats[p as usize].sub(&c);
            let mut a = div;
            while a != NONE {
                dom.stats[a as usize].sub(&c);
                a = dom.parent(a);
            }
            tree::detach(&mut dom.nodes, last);
            dom.nodes[last as usize].flags |= REMOVED;
        }
        let added = own(Tag::P, dom.chars(p), 0);
        let mut a = div;
        while a != NONE {
            dom.stats[a as usize].add(&added);
            a = dom.parent(a);
        }
        child = at;
    }
}

const TITLE_SEPARATORS: &[char] = &['|', '-', '–', '—', '\\', '/', '>', '»'];
const TITLE_HIERARCHY: &[char] = &['\\', '/', '>', '»'];

/// What is before the last separator followed by a space.
fn cut_last(t: &str) -> Option<&str> {
    let (at, sep) = t
        .char_indices()
        .rev()
        .find(|(_, c)| TITLE_SEPARATORS.contains(c))?;
    if t.get(at + sep.len_utf8()..)?.starts_with(' ') {
        t.get(..at).map(str::trim)
    } else {
        None
    }
}

/// What is after the first separator, when a space follows it.
fn cut_first(t: &str) -> Option<&str> {
    let (at, sep) = t
        .char_indices()
        .find(|(_, c)| TITLE_SEPARATORS.contains(c))?;
    let rest = t.get(at + sep.len_utf8()..)?;
    rest.starts_with(' ').then(|| rest.trim())
}

/// The `<title>` with the site's name cut off where a separator tells it
/// apart (Readability's `getArticleTitle`, its separator rule only).
fn article_title(title: &str) -> String {
    let orig = title.trim();
    let mut cur = orig;
    let mut hierarchy = false;
    if orig.contains(TITLE_SEPARATORS) {
        hierarchy = orig.contains(TITLE_HIERARCHY);
        if let Some(t) = cut_last(orig) {
            cur = t;
        }
        if cur.split_whitespace().count() < 3
            && let Some(t) = cut_first(orig)
        {
            cur = t;
        }
    }
    let words = cur.split_whitespace().count();
    let orig_words = orig
        .split(TITLE_SEPARATORS)
        .flat_map(str::split_whitespace)
        .count();
    if words <= 4 && (!hierarchy || words + 1 != orig_words) {
        return orig.to_owned();
    }
    cur.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn text_similarity(a: &str, b: &str) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a.contains(b) {
        return 1.0;
    }
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let tokens_a = words(a);
    let tokens_b = words(b);
    let total: usize = tokens_b.iter().map(|s| s.chars().count()).sum();
    if total == 0 {
        return 0.0;
    }
    let unique: usize = tokens_b
        .iter()
        .filter(|t| !tokens_a.contains(t))
        .map(|s| s.chars().count())
        .sum();
    1.0 - unique as f64 / total as f64
}

/// Readability's scores: each paragraph's to its parent, half to its
/// grandparent, a third of that further up; the top candidates.
fn score_elements(dom: &mut Dom, elements: &[u32], weigh: bool) -> Vec<u32> {
    const SEEN: u8 = 16;
    let mut order: Vec<u32> = Vec::new();
    for &el in elements {
        if dom.flag(el, REMOVED) {
            continue;
        }
        let len = dom.chars(el);
        if len < 25 {
            continue;
        }
        let content = 2 + dom.stats[el as usize].commas + (len / 100).min(3);
        let mut anc = dom.parent(el);
        let mut level = 0;
        while anc != NONE && level < 5 {
            let divider = match level {
                0 => 1.0,
                1 => 2.0,
                l => (l * 3) as f32,
            };
            if !dom.flag(anc, SEEN) {
                dom.nodes[anc as usize].flags |= SEEN;
                dom.score[anc as usize] = node_score(dom, anc, weigh);
                order.push(anc);
            }
            dom.score[anc as usize] += content as f32 / divider;
            if anc == 0 {
                break;
            }
            anc = dom.parent(anc);
            level += 1;
        }
    }
    let mut scored = Vec::new();
    for &n in &order {
        dom.nodes[n as usize].flags &= !SEEN;
        let base = dom.score[n as usize];
        if base <= 0.0 {
            dom.score[n as usize] = 0.0;
            continue;
        }
        let score = if base > MIN_SCORE_TO_ADJUST {
            base * (1.0 - dom.link_density(n))
        } else {
            base
        };
        dom.score[n as usize] = score;
        dom.nodes[n as usize].flags |= HAS_SCORE;
        scored.push((n, score));
    }
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored
        .into_iter()
        .take(N_TOP_CANDIDATES)
        .map(|c| c.0)
        .collect()
}

fn ancestors(dom: &Dom, n: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut a = dom.parent(n);
    while a != NONE {
        out.push(a);
        a = dom.parent(a);
    }
    out
}

/// Readability.js's search for a better top candidate: a common ancestor of
/// the close runners-up, or a parent scoring higher.
fn find_common_candidate(dom: &mut Dom, mut tc: u32, top: &[u32], weigh: bool) -> u32 {
    let tc_score = get_score(dom, tc);
    let alternatives: Vec<Vec<u32>> = top
        .iter()
        .skip(1)
        .filter(|&&alt| get_score(dom, alt) / tc_score >= 0.75)
        .map(|&alt| ancestors(dom, alt))
        .collect();
    if alternatives.len() > 3 {
        let mut parent = dom.parent(tc);
        while parent != NONE && parent != 0 {
            let lists = alternatives.iter().filter(|l| l.contains(&parent)).count();
            if lists >= 3 {
                tc = parent;
                break;
            }
            parent = dom.parent(parent);
        }
    }
    // adjust by parent
    if !dom.flag(tc, HAS_SCORE) {
        init_score(dom, tc, weigh);
    }
    let mut last = get_score(dom, tc);
    let threshold = last / 3.0;
    let mut parent = dom.parent(tc);
    while parent != NONE && parent != 0 {
        if !dom.flag(parent, HAS_SCORE) {
            parent = dom.parent(parent);
            continue;
        }
        let score = get_score(dom, parent);
        if score < threshold {
            break;
        }
        if score > last {
            tc = parent;
            break;
        }
        last = score;
        parent = dom.parent(parent);
    }
    tc
}

/// The top candidate and those of its siblings that look like content.
fn assign_article(dom: &mut Dom, src: &Source, tc: u32) -> Vec<u32> {
    let tc_score = get_score(dom, tc);
    let threshold = (tc_score * 0.2).max(10.0);
    let parent = dom.parent(tc);
    let tc_class = src
        .attr(&dom.nodes[tc as usize], AttrName::Class)
        .unwrap_or("");
    let mut out = Vec::new();
    for s in dom.element_children(parent) {
        let mut append = s == tc;
        if !append {
            let mut bonus = 0.0;
            if !tc_class.is_empty()
                && src.attr(&dom.nodes[s as usize], AttrName::Class) == Some(tc_class)
            {
                bonus += tc_score * 0.2;
            }
            let score = get_score(dom, s);
            if score > 0.0 {
                append = score + bonus >= threshold;
            } else if dom.tag(s) == Tag::P {
                let len = dom.chars(s);
                let density = dom.link_density(s);
                append = (len > 80 && density < 0.25)
                    || (len < 80 && len > 0 && density == 0.0 && {
                        let text = dom.normalized_text(src, s);
                        text.ends_with('.') || text.contains(". ")
                    });
            }
        }
        if append {
            if !matches!(
                dom.tag(s),
                Tag::Article | Tag::Section | Tag::P | Tag::Ol | Tag::Ul
            ) {
                dom.rename(s, Tag::Div);
            }
            out.push(s);
        }
    }
    out
}

/// Readability's cleaning of the article it picked.
fn prep_article(dom: &mut Dom, src: &Source, roots: &[u32], flags: Flags) {
    let all = dom.preorder(roots);
    // share bars
    for &n in &all {
        if dom.flag(n, REMOVED) || dom.tag(n) == Tag::Text {
            continue;
        }
        let share = dom.nodes[n as usize].mask & M_SHARE != 0;
        if share && dom.chars(n) < CHAR_THRESHOLD {
            dom.remove(src, n);
        }
    }
    mark_data_tables(dom, src, &all);
    clean_conditionally(dom, src, &all, flags, |t| {
        matches!(t, Tag::Form | Tag::Fieldset)
    });
    for &n in &all {
        if !dom.flag(n, REMOVED)
            && matches!(
                dom.tag(n),
                Tag::Object
                    | Tag::Embed
                    | Tag::Footer
                    | Tag::Link
                    | Tag::Aside
                    | Tag::Iframe
                    | Tag::Input
                    | Tag::Textarea
                    | Tag::Select
                    | Tag::Button
            )
        {
            dom.remove(src, n);
        }
    }
    for &n in &all {
        if !dom.flag(n, REMOVED)
            && matches!(dom.tag(n), Tag::H1 | Tag::H2)
            && dom.weight(n, flags.weigh_classes) < 0.0
        {
            dom.remove(src, n);
        }
    }
    clean_conditionally(dom, src, &all, flags, |t| {
        matches!(t, Tag::Table | Tag::Ul | Tag::Div)
    });
}

fn mark_data_tables(dom: &mut Dom, src: &Source, all: &[u32]) {
    for &t in all {
        if dom.flag(t, REMOVED) || dom.tag(t) != Tag::Table {
            continue;
        }
        let node = dom.nodes[t as usize];
        let data = if src.attr(&node, AttrName::Role) == Some("presentation")
            || src.attr(&node, AttrName::Datatable) == Some("0")
        {
            false
        } else if src.attr(&node, AttrName::Summary).is_some() {
            true
        } else {
            let inside = dom.preorder(&[t]);
            if inside[1..].iter().any(|&d| {
                matches!(
                    dom.tag(d),
                    Tag::Caption | Tag::Col | Tag::Colgroup | Tag::Tfoot | Tag::Thead | Tag::Th
                )
            }) {
                true
            } else if inside[1..].iter().any(|&d| dom.tag(d) == Tag::Table) {
                false
            } else {
                let (mut rows, mut cols) = (0_usize, 0_usize);
                for &r in &inside {
                    if dom.tag(r) != Tag::Tr {
                        continue;
                    }
                    rows += 1;
                    let mut in_row = 0_usize;
                    for &c in &dom.preorder(&[r]) {
                        if dom.tag(c) == Tag::Td {
                            let span = src
                                .attr(&dom.nodes[c as usize], AttrName::Colspan)
                                .and_then(|v| v.trim().parse::<usize>().ok())
                                .unwrap_or(1)
                                .clamp(1, 1000);
                            in_row = in_row.saturating_add(span);
                        }
                    }
                    cols = cols.max(in_row);
                }
                if rows == 1 || cols == 1 {
                    false
                } else if rows >= 10 || cols > 4 {
                    true
                } else {
                    rows.saturating_mul(cols) > 10
                }
            }
        };
        if data {
            dom.nodes[t as usize].flags |= DATA_TABLE;
            let mut a = dom.parent(t);
            while a != NONE {
                dom.stats[a as usize].data_table += 1;
                a = dom.parent(a);
            }
        }
    }
}

const AD_WORDS: &[&str] = &[
    "ad",
    "advertising",
    "advertisement",
    "pub",
    "publicité",
    "werb",
    "werbung",
    "广告",
    "реклама",
    "anuncio",
];

const LOADING_WORDS: &[&str] = &["loading", "正在加载", "загрузка", "chargement", "cargando"];

fn clean_conditionally(
    dom: &mut Dom,
    src: &Source,
    all: &[u32],
    flags: Flags,
    tags: impl Fn(Tag) -> bool,
) {
    if !flags.clean_conditionally {
        return;
    }
    for &n in all.iter().rev() {
        if !dom.flag(n, REMOVED) && tags(dom.tag(n)) && should_clean(dom, src, n, flags) {
            dom.mark_used(USED_CLEANING);
            dom.remove(src, n);
        }
    }
}

fn should_clean(dom: &Dom, src: &Source, n: u32, flags: Flags) -> bool {
    let s = dom.stats[n as usize];
    if s.data_table > 0 || dom.flag(n, DATA_TABLE) {
        return false;
    }
    if dom.has_ancestor(n, usize::MAX, |_, f| f & DATA_TABLE != 0) {
        return false;
    }
    let node = &dom.nodes[n as usize];
    let weight = dom.weight(n, flags.weigh_classes);
    if weight < 0.0 {
        return s.pre == 0;
    }
    if s.commas >= 10 {
        return false;
    }
    let chars = s.chars;
    if chars < 20 {
        let text = dom.normalized_text(src, n).to_lowercase();
        let trimmed = text.trim_end_matches(['…', '.']);
        if AD_WORDS.contains(&text.as_str()) || LOADING_WORDS.contains(&trimmed) {
            return true;
        }
    }
    let is_list =
        matches!(node.tag, Tag::Ul | Tag::Ol) || (chars > 0 && s.list as f32 / chars as f32 > 0.9);
    let img = s.img;
    let should_remove = || {
        let figure = dom.has_ancestor(n, usize::MAX, |t, _| t == Tag::Figure);
        let p = s.p as f32;
        let imgf = img as f32;
        if !figure && imgf > 1.0 && p / imgf < 0.5 {
            return true;
        }
        if !is_list && s.li as f32 - 100.0 > p {
            return true;
        }
        if s.input as f32 > (p / 3.0).floor() {
            return true;
        }
        let density = dom.link_density(n);
        let heading_density = if chars == 0 {
            0.0
        } else {
            s.heading as f32 / chars as f32
        };
        if !is_list
            && !figure
            && chars < 25
            && (img == 0 || img > 2)
            && density > 0.0
            && heading_density < 0.9
        {
            return true;
        }
        if !is_list && weight < 25.0 && density > 0.2 {
            return true;
        }
        if weight >= 25.0 && density > 0.5 {
            return true;
        }
        if (s.embed == 1 && chars < 75) || s.embed > 1 {
            return true;
        }
        if img == 0 && s.textish == 0 {
            return true;
        }
        false
    };
    let remove = should_remove();
    if is_list && remove {
        let mut c = node.first_child;
        while c != NONE {
            if dom.element_child_count(c) > 1 {
                return true;
            }
            c = dom.nodes[c as usize].next;
        }
        return img != s.li;
    }
    remove
}

/// `clean.rs`'s rules on the article Readability picked.
fn boilerplate(dom: &mut Dom, src: &Source, roots: &[u32]) {
    const LINK_DENSITY: f32 = 0.8;
    const MAX_SHARE: f32 = 0.3;
    let total: u32 = roots.iter().map(|&r| dom.chars(r)).sum();
    let limit = MAX_SHARE * total as f32;
    let all = dom.preorder(roots);
    for &n in &all {
        if dom.flag(n, REMOVED) || dom.tag(n) == Tag::Text {
            continue;
        }
        let drop = matches!(
            dom.tag(n),
            Tag::Aside | Tag::Nav | Tag::Header | Tag::Footer | Tag::Time | Tag::Figcaption
        ) || dom.nodes[n as usize].mask & M_DROP != 0;
        if drop && dom.chars(n) as f32 <= limit {
            dom.remove(src, n);
        }
    }
    for &n in &all {
        if dom.flag(n, REMOVED) || dom.tag(n) == Tag::Text {
            continue;
        }
        let media = dom.tag(n) == Tag::Figure || dom.nodes[n as usize].mask & M_MEDIA != 0;
        if media && dom.chars(n) as f32 <= limit {
            // as `clean.rs`: its images stay, before it (the Markdown shows
            // them; the text has none)
            for img in dom.preorder(&[n]) {
                if dom.tag(img) == Tag::Img && !dom.flag(img, REMOVED) {
                    tree::detach(&mut dom.nodes, img);
                    tree::insert_before(&mut dom.nodes, n, img);
                }
            }
            dom.remove(src, n);
        }
    }
    for &n in &all {
        if dom.flag(n, REMOVED)
            || !matches!(
                dom.tag(n),
                Tag::Ul | Tag::Ol | Tag::Div | Tag::Section | Tag::P
            )
        {
            continue;
        }
        let s = dom.stats[n as usize];
        if s.chars as f32 <= limit
            && s.chars > 0
            && s.link_raw as f32 >= LINK_DENSITY * s.chars as f32
        {
            dom.remove(src, n);
        }
    }
}
