//! A compact arena tree built straight from html5gum's tokens.
//!
//! Elements are small structs (a one-byte [`Tag`], links to parent, children
//! and siblings as `u32` indices, a range of kept attributes); every text is a
//! range of one shared buffer. The tree construction is a simplification of
//! the WHATWG one, enough for main-content detection: void elements, the
//! implied end tags of `p`, `li`, `dd`/`dt`, table rows and cells, `option`
//! and headings, end tags popping to the nearest matching open element
//! (stopping at the elements that would stop a browser), stray end tags
//! ignored. Scripts, style sheets, `<noscript>` (read as a browser with
//! scripting on reads it), `<textarea>` and the like are tokenized as raw
//! text and dropped; the `<title>` is kept aside. Nesting is bounded as
//! `depth.rs` bounds it: elements deeper than [`MAX_DEPTH`] are unwrapped.

use std::convert::Infallible;

use html5gum::{Emitter, Error, State, Tokenizer};

use ferrocrawl_extract::PageReader;

/// The deepest element kept; deeper ones are unwrapped (their children take
/// their place), as `depth.rs` does for the html5ever path.
pub(crate) const MAX_DEPTH: usize = 512;

/// The `<title>` kept is cut after about this many bytes (it is only
/// compared with headings).
const MAX_TITLE_LEN: usize = 2048;

/// No node: the end of a sibling list, or the root's parent.
pub(crate) const NONE: u32 = u32::MAX;

macro_rules! tags {
    ($($variant:ident = $name:literal),* $(,)?) => {
        /// The elements the extractor tells apart; every other name is
        /// [`Tag::Other`] (told apart by a hash of its name).
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[repr(u8)]
        pub(crate) enum Tag {
            $($variant,)*
            /// An element of another name.
            Other,
            /// A text node.
            Text,
            /// The document (it stands for `<body>`: `<html>`, `<head>` and
            /// `<body>` tags make no node).
            Root,
        }

        impl Tag {
            pub(crate) fn of(name: &[u8]) -> Tag {
                match name {
                    $($name => Tag::$variant,)*
                    _ => Tag::Other,
                }
            }

            /// The element's name, as a Markdown renderer would want it.
            #[allow(dead_code)]
            pub(crate) fn name(self) -> &'static str {
                match self {
                    $(Tag::$variant => match std::str::from_utf8($name) {
                        Ok(name) => name,
                        Err(_) => "",
                    },)*
                    Tag::Other => "",
                    Tag::Text => "#text",
                    Tag::Root => "#document",
                }
            }
        }
    };
}

tags! {
    A = b"a", Abbr = b"abbr", Address = b"address", Area = b"area", Article = b"article",
    Aside = b"aside", Audio = b"audio", B = b"b", Base = b"base", Bdi = b"bdi", Bdo = b"bdo",
    Big = b"big", Blockquote = b"blockquote", Body = b"body", Br = b"br", Button = b"button",
    Canvas = b"canvas", Caption = b"caption", Center = b"center", Cite = b"cite", Code = b"code",
    Col = b"col", Colgroup = b"colgroup", Data = b"data", Datalist = b"datalist", Dd = b"dd",
    Del = b"del", Details = b"details", Dfn = b"dfn", Dialog = b"dialog", Dir = b"dir",
    Div = b"div", Dl = b"dl", Dt = b"dt", Em = b"em", Embed = b"embed", Fieldset = b"fieldset",
    Figcaption = b"figcaption", Figure = b"figure", Font = b"font", Footer = b"footer",
    Form = b"form", Frame = b"frame", Frameset = b"frameset", H1 = b"h1", H2 = b"h2", H3 = b"h3",
    H4 = b"h4", H5 = b"h5", H6 = b"h6", Head = b"head", Header = b"header", Hgroup = b"hgroup",
    Hr = b"hr", Html = b"html", I = b"i", Iframe = b"iframe", Img = b"img", Input = b"input",
    Ins = b"ins", Kbd = b"kbd", Keygen = b"keygen", Label = b"label", Legend = b"legend",
    Li = b"li", Link = b"link", Listing = b"listing", Main = b"main", Map = b"map",
    Mark = b"mark", Math = b"math", Menu = b"menu", Meta = b"meta", Meter = b"meter", Nav = b"nav",
    Nobr = b"nobr", Noembed = b"noembed", Noframes = b"noframes", Noscript = b"noscript",
    Object = b"object", Ol = b"ol", Optgroup = b"optgroup", Option = b"option",
    Output = b"output", P = b"p", Param = b"param", Picture = b"picture",
    Plaintext = b"plaintext", Pre = b"pre", Progress = b"progress", Q = b"q", Rp = b"rp",
    Rt = b"rt", Ruby = b"ruby", S = b"s", Samp = b"samp", Script = b"script",
    Search = b"search", Section = b"section", Select = b"select", Small = b"small",
    Source = b"source", Span = b"span", Strike = b"strike", Strong = b"strong", Style = b"style",
    Sub = b"sub", Summary = b"summary", Sup = b"sup", Svg = b"svg", Table = b"table",
    Tbody = b"tbody", Td = b"td", Template = b"template", Textarea = b"textarea",
    Tfoot = b"tfoot", Th = b"th", Thead = b"thead", Time = b"time", Title = b"title",
    Tr = b"tr", Track = b"track", Tt = b"tt", U = b"u", Ul = b"ul", Var = b"var",
    Video = b"video", Wbr = b"wbr", Xmp = b"xmp",
}

impl Tag {
    pub(crate) fn is_void(self) -> bool {
        matches!(
            self,
            Tag::Area
                | Tag::Base
                | Tag::Br
                | Tag::Col
                | Tag::Embed
                | Tag::Hr
                | Tag::Img
                | Tag::Input
                | Tag::Keygen
                | Tag::Link
                | Tag::Meta
                | Tag::Param
                | Tag::Source
                | Tag::Track
                | Tag::Wbr
                | Tag::Frame
        )
    }

    pub(crate) fn is_heading(self) -> bool {
        matches!(
            self,
            Tag::H1 | Tag::H2 | Tag::H3 | Tag::H4 | Tag::H5 | Tag::H6
        )
    }

    /// Start tags that close an open `<p>`.
    fn closes_p(self) -> bool {
        matches!(
            self,
            Tag::Address
                | Tag::Article
                | Tag::Aside
                | Tag::Blockquote
                | Tag::Center
                | Tag::Details
                | Tag::Dialog
                | Tag::Dir
                | Tag::Div
                | Tag::Dl
                | Tag::Fieldset
                | Tag::Figcaption
                | Tag::Figure
                | Tag::Footer
                | Tag::Header
                | Tag::Hgroup
                | Tag::Main
                | Tag::Menu
                | Tag::Nav
                | Tag::Ol
                | Tag::P
                | Tag::Search
                | Tag::Section
                | Tag::Summary
                | Tag::Ul
                | Tag::H1
                | Tag::H2
                | Tag::H3
                | Tag::H4
                | Tag::H5
                | Tag::H6
                | Tag::Pre
                | Tag::Listing
                | Tag::Form
                | Tag::Table
                | Tag::Hr
                | Tag::Xmp
                | Tag::Plaintext
                | Tag::Li
                | Tag::Dd
                | Tag::Dt
        )
    }

    /// The spec's "special" elements (those an end tag of another name does
    /// not pop through), as far as they matter here.
    fn is_special(self) -> bool {
        self.closes_p()
            || matches!(
                self,
                Tag::Button
                    | Tag::Caption
                    | Tag::Td
                    | Tag::Th
                    | Tag::Tr
                    | Tag::Tbody
                    | Tag::Thead
                    | Tag::Tfoot
                    | Tag::Select
                    | Tag::Object
                    | Tag::Template
                    | Tag::Iframe
                    | Tag::Img
                    | Tag::Root
                    | Tag::Svg
                    | Tag::Math
            )
    }

    /// Elements whose end tags the adoption agency handles: they close across
    /// blocks that were opened inside them.
    fn is_formatting(self) -> bool {
        matches!(
            self,
            Tag::A
                | Tag::B
                | Tag::Big
                | Tag::Code
                | Tag::Em
                | Tag::Font
                | Tag::I
                | Tag::Nobr
                | Tag::S
                | Tag::Small
                | Tag::Strike
                | Tag::Strong
                | Tag::Tt
                | Tag::U
        )
    }

    /// Where a search for an open element stops (table and cell boundaries).
    fn is_scope_boundary(self) -> bool {
        matches!(
            self,
            Tag::Table
                | Tag::Td
                | Tag::Th
                | Tag::Caption
                | Tag::Template
                | Tag::Object
                | Tag::Root
                | Tag::Svg
                | Tag::Math
        )
    }

    fn is_table_part(self) -> bool {
        matches!(
            self,
            Tag::Table | Tag::Tbody | Tag::Thead | Tag::Tfoot | Tag::Tr | Tag::Td | Tag::Th
        )
    }
}

/// The attributes kept; the others are dropped while tokenizing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(crate) enum AttrName {
    Class,
    Id,
    Href,
    Src,
    Alt,
    Lang,
    Role,
    Itemprop,
    Style,
    Hidden,
    AriaHidden,
    AriaModal,
    Rel,
    Summary,
    Datatable,
    Colspan,
    Title,
    DataLang,
    Start,
    Srcset,
    Loading,
    DataSrc,
    DataSrcset,
    DataLazySrc,
    DataOriginal,
}

impl AttrName {
    fn of(name: &[u8]) -> Option<AttrName> {
        Some(match name {
            b"class" => AttrName::Class,
            b"id" => AttrName::Id,
            b"href" => AttrName::Href,
            b"src" => AttrName::Src,
            b"alt" => AttrName::Alt,
            b"lang" => AttrName::Lang,
            b"role" => AttrName::Role,
            b"itemprop" => AttrName::Itemprop,
            b"style" => AttrName::Style,
            b"hidden" => AttrName::Hidden,
            b"aria-hidden" => AttrName::AriaHidden,
            b"aria-modal" => AttrName::AriaModal,
            b"rel" => AttrName::Rel,
            b"summary" => AttrName::Summary,
            b"datatable" => AttrName::Datatable,
            b"colspan" => AttrName::Colspan,
            b"title" => AttrName::Title,
            b"data-lang" => AttrName::DataLang,
            b"start" => AttrName::Start,
            b"srcset" => AttrName::Srcset,
            b"loading" => AttrName::Loading,
            b"data-src" => AttrName::DataSrc,
            b"data-srcset" => AttrName::DataSrcset,
            b"data-lazy-src" => AttrName::DataLazySrc,
            b"data-original" => AttrName::DataOriginal,
            _ => return None,
        })
    }
}

/// One kept attribute: its value is `attr_text[start..end]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attr {
    pub(crate) name: AttrName,
    pub(crate) start: u32,
    pub(crate) end: u32,
}

/// A node of the arena.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    pub(crate) tag: Tag,
    /// Flags of the extractor (see `readability.rs`).
    pub(crate) flags: u8,
    /// What the `class` and `id` say, read once (`readability::class_mask`).
    pub(crate) mask: u16,
    pub(crate) parent: u32,
    pub(crate) first_child: u32,
    pub(crate) last_child: u32,
    pub(crate) prev: u32,
    pub(crate) next: u32,
    /// Text nodes: the text's range in [`Source::text`]; elements: the range
    /// of their attributes in [`Source::attrs`].
    pub(crate) start: u32,
    pub(crate) end: u32,
    /// [`Tag::Other`]: a hash of the name, to match end tags.
    pub(crate) name: u32,
}

impl Node {
    fn new(tag: Tag, parent: u32) -> Node {
        Node {
            tag,
            flags: 0,
            mask: 0,
            parent,
            first_child: NONE,
            last_child: NONE,
            prev: NONE,
            next: NONE,
            start: 0,
            end: 0,
            name: 0,
        }
    }
}

/// What the tree's nodes point into; never changed after parsing.
#[derive(Debug, Default)]
pub(crate) struct Source {
    pub(crate) text: String,
    pub(crate) attrs: Vec<Attr>,
    pub(crate) attr_text: String,
    /// The first `<title>`'s text.
    pub(crate) title: String,
}

impl Source {
    pub(crate) fn text_of(&self, node: &Node) -> &str {
        self.text
            .get(node.start as usize..node.end as usize)
            .unwrap_or_default()
    }

    pub(crate) fn attr(&self, node: &Node, name: AttrName) -> Option<&str> {
        if node.tag == Tag::Text || node.tag == Tag::Root {
            return None;
        }
        let attrs = self.attrs.get(node.start as usize..node.end as usize)?;
        let a = attrs.iter().find(|a| a.name == name)?;
        Some(
            self.attr_text
                .get(a.start as usize..a.end as usize)
                .unwrap_or_default(),
        )
    }
}

/// A parsed page: the nodes (node 0 is the root) and what they point into.
#[derive(Debug)]
pub(crate) struct Tree {
    pub(crate) nodes: Vec<Node>,
    pub(crate) source: Source,
}

impl Tree {
    pub(crate) fn parse(html: &str) -> Tree {
        let mut builder = Builder::new(html.len());
        // The token type is `Infallible` and the reader never fails: this only
        // drives the tokenizer to the end.
        let _ = Tokenizer::new_with_emitter(PageReader::new(html), &mut builder).finish();
        builder.finish()
    }
}

/// Appends `child` as the last child of `parent`.
pub(crate) fn append(nodes: &mut [Node], parent: u32, child: u32) {
    let last = nodes[parent as usize].last_child;
    {
        let c = &mut nodes[child as usize];
        c.parent = parent;
        c.prev = last;
        c.next = NONE;
    }
    if last == NONE {
        nodes[parent as usize].first_child = child;
    } else {
        nodes[last as usize].next = child;
    }
    nodes[parent as usize].last_child = child;
}

/// Unlinks `node` from its parent (its subtree stays with it).
pub(crate) fn detach(nodes: &mut [Node], node: u32) {
    let Node {
        parent, prev, next, ..
    } = nodes[node as usize];
    if parent == NONE {
        return;
    }
    if prev == NONE {
        nodes[parent as usize].first_child = next;
    } else {
        nodes[prev as usize].next = next;
    }
    if next == NONE {
        nodes[parent as usize].last_child = prev;
    } else {
        nodes[next as usize].prev = prev;
    }
    let n = &mut nodes[node as usize];
    n.parent = NONE;
    n.prev = NONE;
    n.next = NONE;
}

/// Inserts the detached `node` before `before` (a child of some parent).
pub(crate) fn insert_before(nodes: &mut [Node], before: u32, node: u32) {
    let parent = nodes[before as usize].parent;
    let prev = nodes[before as usize].prev;
    {
        let n = &mut nodes[node as usize];
        n.parent = parent;
        n.prev = prev;
        n.next = before;
    }
    nodes[before as usize].prev = node;
    if prev == NONE {
        if parent != NONE {
            nodes[parent as usize].first_child = node;
        }
    } else {
        nodes[prev as usize].next = node;
    }
}

/// New element of `tag`, not linked yet.
pub(crate) fn new_element(nodes: &mut Vec<Node>, tag: Tag) -> u32 {
    let id = nodes.len() as u32;
    let mut node = Node::new(tag, NONE);
    // no attributes: an empty range
    node.start = 0;
    node.end = 0;
    nodes.push(node);
    id
}

/// What the emitter does with text.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Sink {
    Tree,
    Skip,
    Title,
}

fn name_hash(name: &[u8]) -> u32 {
    // FNV-1a
    let mut h: u32 = 0x811c_9dc5;
    for &b in name {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

struct Builder {
    nodes: Vec<Node>,
    text: Vec<u8>,
    attrs: Vec<Attr>,
    attr_text: Vec<u8>,
    title: Vec<u8>,
    title_seen: bool,
    /// Open elements, innermost last (the root is not on it).
    stack: Vec<u32>,
    /// Elements left out for being too deep, still open.
    overflow: usize,
    /// Open `<svg>` and `<math>` elements.
    foreign: usize,
    name: Vec<u8>,
    is_end_tag: bool,
    self_closing: bool,
    /// Where the current tag's attributes start in `attrs`.
    attr_mark: usize,
    attr_text_mark: usize,
    attr_name: Vec<u8>,
    attr_name_pending: bool,
    /// The attribute whose value is being read is kept.
    attr_current: bool,
    last_start_tag: Vec<u8>,
    sink: Sink,
    /// `class_mask` by a hash of the class and id.
    masks: std::collections::HashMap<u64, u16>,
}

impl Builder {
    fn new(len: usize) -> Builder {
        let mut nodes = Vec::with_capacity(len / 32 + 16);
        nodes.push(Node::new(Tag::Root, NONE));
        Builder {
            nodes,
            text: Vec::with_capacity(len / 3),
            attrs: Vec::new(),
            attr_text: Vec::new(),
            title: Vec::new(),
            title_seen: false,
            stack: Vec::new(),
            overflow: 0,
            foreign: 0,
            name: Vec::new(),
            is_end_tag: false,
            self_closing: false,
            attr_mark: 0,
            attr_text_mark: 0,
            attr_name: Vec::new(),
            attr_name_pending: false,
            attr_current: false,
            last_start_tag: Vec::new(),
            sink: Sink::Tree,
            masks: std::collections::HashMap::new(),
        }
    }

    fn finish(self) -> Tree {
        let to_string = |bytes: Vec<u8>| {
            String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
        };
        let text = to_string(self.text);
        let attr_text = to_string(self.attr_text);
        let title = to_string(self.title);
        Tree {
            nodes: self.nodes,
            source: Source {
                text,
                attrs: self.attrs,
                attr_text,
                title,
            },
        }
    }

    fn current(&self) -> u32 {
        self.stack.last().copied().unwrap_or(0)
    }

    fn tag_at(&self, i: usize) -> Tag {
        self.nodes[self.stack[i] as usize].tag
    }

    /// Pops the open elements from index `i` of the stack on.
    fn pop_to(&mut self, i: usize) {
        for j in i..self.stack.len() {
            if matches!(self.tag_at(j), Tag::Svg | Tag::Math) {
                self.foreign = self.foreign.saturating_sub(1);
            }
        }
        self.stack.truncate(i);
    }

    /// The index in the stack of the innermost open element for which `hit`
    /// holds, searching outwards until `stop` holds.
    fn find_open(&self, hit: impl Fn(Tag) -> bool, stop: impl Fn(Tag) -> bool) -> Option<usize> {
        for i in (0..self.stack.len()).rev() {
            let tag = self.tag_at(i);
            if hit(tag) {
                return Some(i);
            }
            if stop(tag) {
                return None;
            }
        }
        None
    }

    fn close_p(&mut self) {
        if let Some(i) = self.find_open(
            |t| t == Tag::P,
            |t| t.is_scope_boundary() || t == Tag::Button,
        ) {
            self.pop_to(i);
        }
    }

    fn finish_attr_name(&mut self) {
        if !self.attr_name_pending {
            return;
        }
        self.attr_name_pending = false;
        self.attr_current = false;
        let Some(name) = AttrName::of(&self.attr_name) else {
            return;
        };
        if self.attrs[self.attr_mark..].iter().any(|a| a.name == name) {
            return; // a duplicate: the first one counts
        }
        let at = self.attr_text.len() as u32;
        self.attrs.push(Attr {
            name,
            start: at,
            end: at,
        });
        self.attr_current = true;
    }

    fn drop_attrs(&mut self) {
        self.attrs.truncate(self.attr_mark);
        self.attr_text.truncate(self.attr_text_mark);
    }

    fn start_tag(&mut self) -> Option<State> {
        self.finish_attr_name();
        let tag = Tag::of(&self.name);
        if self.foreign > 0 {
            if is_breakout(tag) {
                while self.foreign > 0 && !self.stack.is_empty() {
                    let top = self.stack.len() - 1;
                    self.pop_to(top);
                }
            } else {
                self.element(tag, !self.self_closing);
                return None;
            }
        }
        match tag {
            Tag::Html | Tag::Head | Tag::Body => {
                self.drop_attrs();
                return None;
            }
            Tag::Title => {
                self.drop_attrs();
                self.sink = if self.title_seen {
                    Sink::Skip
                } else {
                    self.title_seen = true;
                    Sink::Title
                };
                self.last_start_tag.clone_from(&self.name);
                return Some(State::RcData);
            }
            Tag::Script
            | Tag::Style
            | Tag::Noscript
            | Tag::Textarea
            | Tag::Xmp
            | Tag::Noembed
            | Tag::Noframes
            | Tag::Iframe => {
                self.drop_attrs();
                self.sink = Sink::Skip;
                self.last_start_tag.clone_from(&self.name);
                return Some(match tag {
                    Tag::Script => State::ScriptData,
                    Tag::Textarea => State::RcData,
                    _ => State::RawText,
                });
            }
            _ => {}
        }
        // implied end tags
        if tag.closes_p() {
            self.close_p();
        }
        match tag {
            Tag::Li => self.close_item(|t| t == Tag::Li),
            Tag::Dd | Tag::Dt => self.close_item(|t| matches!(t, Tag::Dd | Tag::Dt)),
            Tag::H1 | Tag::H2 | Tag::H3 | Tag::H4 | Tag::H5 | Tag::H6 => {
                if let Some(&top) = self.stack.last()
                    && self.nodes[top as usize].tag.is_heading()
                {
                    self.stack.pop();
                }
            }
            Tag::Td | Tag::Th => {
                if let Some(i) =
                    self.find_open(|t| matches!(t, Tag::Td | Tag::Th), |t| t == Tag::Table)
                {
                    self.pop_to(i);
                }
            }
            Tag::Tr => {
                if let Some(i) = self.find_open(|t| t == Tag::Tr, |t| t == Tag::Table) {
                    self.pop_to(i);
                }
            }
            Tag::Tbody | Tag::Thead | Tag::Tfoot => {
                if let Some(i) = self.find_open(
                    |t| matches!(t, Tag::Tbody | Tag::Thead | Tag::Tfoot),
                    |t| t == Tag::Table,
                ) {
                    self.pop_to(i);
                }
            }
            Tag::Option | Tag::Optgroup => {
                if let Some(&top) = self.stack.last()
                    && self.nodes[top as usize].tag == Tag::Option
                {
                    self.stack.pop();
                }
            }
            Tag::A => {
                if let Some(i) = self.find_open(|t| t == Tag::A, Tag::is_scope_boundary) {
                    self.pop_to(i);
                }
            }
            Tag::Button => {
                if let Some(i) = self.find_open(|t| t == Tag::Button, Tag::is_scope_boundary) {
                    self.pop_to(i);
                }
            }
            _ => {}
        }
        let push = !tag.is_void();
        self.element(tag, push);
        if tag == Tag::Plaintext {
            return Some(State::PlainText);
        }
        None
    }

    /// Closes an open `li` (or `dd`/`dt`) before a new one.
    fn close_item(&mut self, hit: impl Fn(Tag) -> bool) {
        if let Some(i) = self.find_open(hit, |t| {
            t.is_special() && !matches!(t, Tag::Address | Tag::Div | Tag::P)
        }) {
            self.pop_to(i);
        }
    }

    /// The current tag's `readability::class_mask`, cached by the class and
    /// id (pages repeat them).
    fn class_mask(&mut self) -> u16 {
        let value = |name| {
            self.attrs[self.attr_mark..]
                .iter()
                .find(|a| a.name == name)
                .map(|a| &self.attr_text[a.start as usize..a.end as usize])
        };
        let (class, id) = (value(AttrName::Class), value(AttrName::Id));
        if class.is_none() && id.is_none() {
            return 0;
        }
        let mut key = name_hash(class.unwrap_or_default()) as u64;
        key = key << 32 | u64::from(name_hash(id.unwrap_or_default()));
        key ^= u64::from(class.is_some()) << 63 | u64::from(id.is_some()) << 31;
        if let Some(&mask) = self.masks.get(&key) {
            return mask;
        }
        let mask = super::readability::class_mask(class, id);
        self.masks.insert(key, mask);
        mask
    }

    /// Adds an element for the current tag under the current node, and opens
    /// it when `open`.
    fn element(&mut self, tag: Tag, open: bool) {
        if self.stack.len() >= MAX_DEPTH {
            // unwrapped: its children go where it would have been
            self.drop_attrs();
            if open {
                self.overflow += 1;
            }
            return;
        }
        let id = self.nodes.len() as u32;
        let mut node = Node::new(tag, NONE);
        node.start = self.attr_mark as u32;
        node.end = self.attrs.len() as u32;
        if tag == Tag::Other {
            node.name = name_hash(&self.name);
        }
        if self.attrs.len() > self.attr_mark {
            node.mask = self.class_mask();
        }
        self.nodes.push(node);
        let parent = self.current();
        append(&mut self.nodes, parent, id);
        if open {
            self.stack.push(id);
            if matches!(tag, Tag::Svg | Tag::Math) {
                self.foreign += 1;
            }
        }
    }

    fn end_tag(&mut self) {
        self.drop_attrs();
        if self.sink != Sink::Tree {
            // the end of a raw text element (the tokenizer only ends those
            // with their own end tag)
            self.sink = Sink::Tree;
            return;
        }
        let tag = Tag::of(&self.name);
        if matches!(tag, Tag::Html | Tag::Head | Tag::Body | Tag::Br) {
            return;
        }
        if self.overflow > 0 {
            self.overflow -= 1;
            return;
        }
        let hash = if tag == Tag::Other {
            name_hash(&self.name)
        } else {
            0
        };
        let nodes = &self.nodes;
        let matches = |id: u32| {
            let n = &nodes[id as usize];
            n.tag == tag && (tag != Tag::Other || n.name == hash)
        };
        let mut found = None;
        for i in (0..self.stack.len()).rev() {
            let id = self.stack[i];
            if matches(id) {
                found = Some(i);
                break;
            }
            let open = nodes[id as usize].tag;
            if self.foreign > 0 && !matches!(open, Tag::Svg | Tag::Math) {
                // inside foreign content anything may be closed
                continue;
            }
            // The spec's scopes: a table part's end tag stays in its table,
            // `</li>` in its list; the end tags of special and formatting
            // elements close what was opened inside them, up to a table
            // cell; any other end tag stops at a special element.
            let stop = if tag.is_table_part() {
                open == Tag::Table && tag != Tag::Table
            } else if tag == Tag::Li {
                open.is_scope_boundary() || matches!(open, Tag::Ul | Tag::Ol)
            } else if tag.is_special() || tag.is_formatting() {
                open.is_scope_boundary()
            } else {
                open.is_special()
            };
            if stop {
                break;
            }
        }
        if let Some(i) = found {
            self.pop_to(i);
        }
    }

    fn push_text(&mut self, s: &[u8]) {
        let parent = self.current();
        let last = self.nodes[parent as usize].last_child;
        let end = self.text.len() as u32;
        self.text.extend_from_slice(s);
        let new_end = self.text.len() as u32;
        if last != NONE {
            let l = &mut self.nodes[last as usize];
            if l.tag == Tag::Text && l.end == end {
                l.end = new_end;
                return;
            }
        }
        let id = self.nodes.len() as u32;
        let mut node = Node::new(Tag::Text, NONE);
        node.start = end;
        node.end = new_end;
        self.nodes.push(node);
        append(&mut self.nodes, parent, id);
    }
}

/// Start tags that end foreign content.
fn is_breakout(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::B
            | Tag::Big
            | Tag::Blockquote
            | Tag::Body
            | Tag::Br
            | Tag::Center
            | Tag::Code
            | Tag::Dd
            | Tag::Div
            | Tag::Dl
            | Tag::Dt
            | Tag::Em
            | Tag::Embed
            | Tag::H1
            | Tag::H2
            | Tag::H3
            | Tag::H4
            | Tag::H5
            | Tag::H6
            | Tag::Head
            | Tag::Hr
            | Tag::I
            | Tag::Img
            | Tag::Li
            | Tag::Listing
            | Tag::Menu
            | Tag::Meta
            | Tag::Nobr
            | Tag::Ol
            | Tag::P
            | Tag::Pre
            | Tag::Ruby
            | Tag::S
            | Tag::Small
            | Tag::Span
            | Tag::Strong
            | Tag::Strike
            | Tag::Sub
            | Tag::Sup
            | Tag::Table
            | Tag::Tt
            | Tag::U
            | Tag::Ul
            | Tag::Var
    )
}

impl Emitter for &mut Builder {
    type Token = Infallible;

    fn set_last_start_tag(&mut self, last_start_tag: Option<&[u8]>) {
        self.last_start_tag.clear();
        self.last_start_tag
            .extend_from_slice(last_start_tag.unwrap_or_default());
    }

    fn emit_eof(&mut self) {}

    fn emit_error(&mut self, _: Error) {}

    fn should_emit_errors(&mut self) -> bool {
        false
    }

    fn pop_token(&mut self) -> Option<Infallible> {
        None
    }

    fn emit_string(&mut self, s: &[u8]) {
        match self.sink {
            Sink::Tree => self.push_text(s),
            Sink::Skip => {}
            Sink::Title => {
                // enough of a title to compare headings with
                if self.title.len() < MAX_TITLE_LEN {
                    self.title.extend_from_slice(s);
                }
            }
        }
    }

    fn init_start_tag(&mut self) {
        self.name.clear();
        self.is_end_tag = false;
        self.self_closing = false;
        self.attr_mark = self.attrs.len();
        self.attr_text_mark = self.attr_text.len();
        self.attr_name_pending = false;
        self.attr_current = false;
    }

    fn init_end_tag(&mut self) {
        self.init_start_tag();
        self.is_end_tag = true;
    }

    fn init_comment(&mut self) {}

    fn emit_current_tag(&mut self) -> Option<State> {
        if self.is_end_tag {
            self.end_tag();
            None
        } else {
            self.start_tag()
        }
    }

    fn emit_current_comment(&mut self) {}

    fn emit_current_doctype(&mut self) {}

    fn set_self_closing(&mut self) {
        self.self_closing = true;
    }

    fn set_force_quirks(&mut self) {}

    fn push_tag_name(&mut self, s: &[u8]) {
        self.name.extend_from_slice(s);
    }

    fn push_comment(&mut self, _: &[u8]) {}

    fn push_doctype_name(&mut self, _: &[u8]) {}

    fn init_doctype(&mut self) {}

    fn init_attribute(&mut self) {
        if self.is_end_tag {
            return;
        }
        self.finish_attr_name();
        self.attr_name.clear();
        self.attr_name_pending = true;
    }

    fn push_attribute_name(&mut self, s: &[u8]) {
        if self.attr_name_pending {
            self.attr_name.extend_from_slice(s);
        }
    }

    fn push_attribute_value(&mut self, s: &[u8]) {
        self.finish_attr_name();
        if self.attr_current {
            self.attr_text.extend_from_slice(s);
            let end = self.attr_text.len() as u32;
            if let Some(a) = self.attrs.last_mut() {
                a.end = end;
            }
        }
    }

    fn set_doctype_public_identifier(&mut self, _: &[u8]) {}

    fn set_doctype_system_identifier(&mut self, _: &[u8]) {}

    fn push_doctype_public_identifier(&mut self, _: &[u8]) {}

    fn push_doctype_system_identifier(&mut self, _: &[u8]) {}

    fn current_is_appropriate_end_tag_token(&mut self) -> bool {
        self.is_end_tag && self.name == self.last_start_tag
    }

    fn adjusted_current_node_present_but_not_in_html_namespace(&mut self) -> bool {
        self.foreign > 0
    }
}

/// Only html5gum's tokens, nothing built: the floor the benchmark compares
/// against.
pub fn tokenize_only(html: &str) -> usize {
    struct Count(usize, Vec<u8>, bool, Vec<u8>);
    impl Emitter for &mut Count {
        type Token = Infallible;
        fn set_last_start_tag(&mut self, last: Option<&[u8]>) {
            self.3.clear();
            self.3.extend_from_slice(last.unwrap_or_default());
        }
        fn emit_eof(&mut self) {}
        fn emit_error(&mut self, _: Error) {}
        fn should_emit_errors(&mut self) -> bool {
            false
        }
        fn pop_token(&mut self) -> Option<Infallible> {
            None
        }
        fn emit_string(&mut self, s: &[u8]) {
            self.0 += s.len();
        }
        fn init_start_tag(&mut self) {
            self.1.clear();
            self.2 = false;
        }
        fn init_end_tag(&mut self) {
            self.1.clear();
            self.2 = true;
        }
        fn init_comment(&mut self) {}
        fn emit_current_tag(&mut self) -> Option<State> {
            self.0 += 1;
            if self.2 {
                return None;
            }
            let state = html5gum::naive_next_state(&self.1);
            if state.is_some() {
                self.3.clone_from(&self.1);
            }
            state
        }
        fn emit_current_comment(&mut self) {}
        fn emit_current_doctype(&mut self) {}
        fn set_self_closing(&mut self) {}
        fn set_force_quirks(&mut self) {}
        fn push_tag_name(&mut self, s: &[u8]) {
            self.1.extend_from_slice(s);
        }
        fn push_comment(&mut self, _: &[u8]) {}
        fn push_doctype_name(&mut self, _: &[u8]) {}
        fn init_doctype(&mut self) {}
        fn init_attribute(&mut self) {}
        fn push_attribute_name(&mut self, _: &[u8]) {}
        fn push_attribute_value(&mut self, s: &[u8]) {
            self.0 += s.len();
        }
        fn set_doctype_public_identifier(&mut self, _: &[u8]) {}
        fn set_doctype_system_identifier(&mut self, _: &[u8]) {}
        fn push_doctype_public_identifier(&mut self, _: &[u8]) {}
        fn push_doctype_system_identifier(&mut self, _: &[u8]) {}
        fn current_is_appropriate_end_tag_token(&mut self) -> bool {
            self.2 && self.1 == self.3
        }
    }
    let mut count = Count(0, Vec::new(), false, Vec::new());
    let _ = Tokenizer::new_with_emitter(PageReader::new(html), &mut count).finish();
    count.0
}
