//! The tokenizer pass: html5gum's WHATWG tokenizer, driven by an emitter that keeps only
//! what link extraction needs.
//!
//! html5gum replaced lol_html by benchmark (see `docs/decisions/0009-html5gum.md`), and
//! reads the page through [`PageReader`] (decision 0012). It
//! implements the spec's tokenizer states, character references included, and passes
//! html5lib's tokenizer suite. What a bare tokenizer lacks is the feedback from tree
//! construction, and this module supplies the part of it that decides what is markup:
//!
//! - after a start tag in HTML content, the switch into RCDATA (`title`, `textarea`), raw
//!   text (`style`, `xmp`, `iframe`, `noembed`, `noframes`), script data or plaintext;
//! - foreign content: a small stack of the elements open inside `<svg>` or `<math>`, with
//!   the HTML integration points and the break-out tags that end foreign content, so that
//!   `<svg><style>` stays markup, `<svg><title>` is not the page's title and CDATA
//!   sections are recognised where the spec recognises them;
//! - `<noscript>`: read as raw text, as a browser with scripting on does, and that text
//!   then scanned again as markup (a crawler runs no scripts and wants the links a
//!   script-less browser would show); to a depth of [`MAX_NOSCRIPT_DEPTH`].
//!
//! Everything else (which elements carry links, `<base>`, robots `<meta>`) is the
//! collector's business: this module reports start tags with their interesting attributes
//! and the text of `<title>`.

use std::borrow::Cow;
use std::convert::Infallible;

use html5gum::{Emitter, Error, State, Tokenizer};

use crate::collect::{Collector, TagAttrs};
use crate::reader::PageReader;

/// `<noscript>` inside `<noscript>` content is scanned at most this deep.
const MAX_NOSCRIPT_DEPTH: u8 = 2;

/// Elements open inside foreign content are tracked to this depth; deeper ones are treated
/// as if closed at once. Real pages nest SVG a few levels; this bounds hostile ones.
const MAX_FOREIGN_DEPTH: usize = 512;

/// Tokenizes `html` and reports start tags and title text to `collector`.
pub(crate) fn scan(html: &str, collector: &mut Collector) {
    scan_at(html, collector, 0);
}

fn scan_at(html: &str, collector: &mut Collector, depth: u8) {
    let emitter = LinkEmitter::new(collector, depth);
    // The token type is `Infallible` (the emitter keeps what it needs itself) and a
    // string reader never fails, so this only drives the tokenizer to the end.
    let _ = Tokenizer::new_with_emitter(PageReader::new(html), emitter).finish();
}

/// The elements whose start tags matter here, recognised once per tag.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tag {
    A,
    Area,
    Link,
    Iframe,
    Frame,
    Base,
    Meta,
    Title,
    Noscript,
    Font,
    AnnotationXml,
    Svg,
    Math,
    Textarea,
    Script,
    /// `style`, `xmp`, `noembed` and `noframes`: raw text, no link.
    RawText,
    Plaintext,
    Other,
}

impl Tag {
    /// One match per tag name: every later decision reads the variant.
    fn of(name: &[u8]) -> Tag {
        match name {
            b"a" => Tag::A,
            b"area" => Tag::Area,
            b"link" => Tag::Link,
            b"iframe" => Tag::Iframe,
            b"frame" => Tag::Frame,
            b"base" => Tag::Base,
            b"meta" => Tag::Meta,
            b"title" => Tag::Title,
            b"noscript" => Tag::Noscript,
            b"font" => Tag::Font,
            b"annotation-xml" => Tag::AnnotationXml,
            b"svg" => Tag::Svg,
            b"math" => Tag::Math,
            b"textarea" => Tag::Textarea,
            b"script" => Tag::Script,
            b"style" | b"xmp" | b"noembed" | b"noframes" => Tag::RawText,
            b"plaintext" => Tag::Plaintext,
            _ => Tag::Other,
        }
    }

    /// The element name the collector knows this tag by, for tags that can carry a link,
    /// a base or a robots directive.
    fn collected(self) -> Option<&'static str> {
        match self {
            Tag::A => Some("a"),
            Tag::Area => Some("area"),
            Tag::Link => Some("link"),
            Tag::Iframe => Some("iframe"),
            Tag::Frame => Some("frame"),
            Tag::Base => Some("base"),
            Tag::Meta => Some("meta"),
            _ => None,
        }
    }

    /// The attributes the collector (or the foreign-content rules) read on this element.
    fn attributes(self) -> &'static [&'static str] {
        match self {
            Tag::A | Tag::Area | Tag::Link => &["href", "rel"],
            Tag::Iframe | Tag::Frame => &["src"],
            Tag::Base => &["href"],
            Tag::Meta => &["name", "content", "http-equiv"],
            Tag::Font => &["color", "face", "size"],
            Tag::AnnotationXml => &["encoding"],
            Tag::Title
            | Tag::Noscript
            | Tag::Svg
            | Tag::Math
            | Tag::Textarea
            | Tag::Script
            | Tag::RawText
            | Tag::Plaintext
            | Tag::Other => &[],
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Ns {
    Html,
    Svg,
    MathMl,
}

/// An element open inside foreign content.
#[derive(Debug)]
struct Open {
    name: Box<[u8]>,
    ns: Ns,
    /// Its children are HTML: an HTML or MathML text integration point.
    integration_point: bool,
}

/// What the emitter does with the text it is handed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TextSink {
    Ignore,
    Title,
    Noscript,
}

/// The interesting attributes of the current tag, as ranges into one value buffer.
#[derive(Default)]
struct Attrs {
    tag: Option<Tag>,
    /// `(index into Tag::attributes, start, end)` of each attribute seen, the first of a
    /// name only (the tokenizer drops later duplicates).
    found: Vec<(usize, usize, usize)>,
    values: Vec<u8>,
    /// The name of the attribute being read, until it is complete.
    name: Vec<u8>,
    name_pending: bool,
    /// Index into `found` of the attribute whose value is being read.
    current: Option<usize>,
}

impl TagAttrs for Attrs {
    fn get(&self, name: &str) -> Option<Cow<'_, str>> {
        let names = self.tag?.attributes();
        let &(_, start, end) = self.found.iter().find(|(i, _, _)| names[*i] == name)?;
        Some(utf8(&self.values[start..end]))
    }
}

/// The tokenizer hands out UTF-8 (its input is a `&str`); the lossy path is a safety net.
fn utf8(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

struct LinkEmitter<'c> {
    collector: &'c mut Collector,
    depth: u8,
    /// The current tag's name (lowercase, as the tokenizer hands it over).
    name: Vec<u8>,
    is_end_tag: bool,
    self_closing: bool,
    /// Attribute bookkeeping, active only for tags with interesting attributes.
    attrs: Attrs,
    last_start_tag: Vec<u8>,
    /// Elements open since the outermost `<svg>`/`<math>`; empty in HTML content.
    foreign: Vec<Open>,
    text: TextSink,
    noscript: String,
}

impl<'c> LinkEmitter<'c> {
    fn new(collector: &'c mut Collector, depth: u8) -> Self {
        LinkEmitter {
            collector,
            depth,
            name: Vec::new(),
            is_end_tag: false,
            self_closing: false,
            attrs: Attrs::default(),
            last_start_tag: Vec::new(),
            foreign: Vec::new(),
            text: TextSink::Ignore,
            noscript: String::new(),
        }
    }

    /// Whether a start tag now would be an HTML element (tree construction's "any other
    /// start tag" in foreign content aside).
    fn in_html(&self) -> bool {
        self.foreign
            .last()
            .is_none_or(|top| top.ns == Ns::Html || top.integration_point)
    }

    /// Ends the attribute name being read and decides whether its value is kept.
    fn finish_attr_name(&mut self) {
        let a = &mut self.attrs;
        if !a.name_pending {
            return;
        }
        a.name_pending = false;
        a.current = None;
        let Some(tag) = a.tag else { return };
        let Some(i) = tag.attributes().iter().position(|n| n.as_bytes() == a.name) else {
            return;
        };
        if a.found.iter().any(|(j, _, _)| *j == i) {
            return; // a duplicate: the first one counts
        }
        let at = a.values.len();
        a.found.push((i, at, at));
        a.current = Some(a.found.len() - 1);
    }

    fn start_tag(&mut self) -> Option<State> {
        self.finish_attr_name();
        let tag = self.attrs.tag.unwrap_or_else(|| Tag::of(&self.name));

        if !self.in_html() {
            if is_breakout(tag, &self.name, &self.attrs) {
                // The tag ends foreign content: back to the nearest HTML context.
                while !self.in_html() {
                    self.foreign.pop();
                }
            } else {
                // A foreign element; `a` is the only one that carries a link (SVG's `<a
                // href>`), and no tokenizer state changes.
                let ns = match tag {
                    Tag::Svg => Ns::Svg,
                    Tag::Math => Ns::MathMl,
                    _ => self.foreign.last().map_or(Ns::Svg, |top| top.ns),
                };
                if tag == Tag::A {
                    self.collector.start_tag("a", &self.attrs);
                }
                if !self.self_closing {
                    let integration_point = integration_point(ns, &self.name, &self.attrs);
                    self.push_open(ns, integration_point);
                }
                return None;
            }
        }

        // HTML content.
        if let Tag::Svg | Tag::Math = tag {
            if !self.self_closing {
                let ns = if tag == Tag::Svg { Ns::Svg } else { Ns::MathMl };
                self.push_open(ns, false);
            }
            return None;
        }
        if let Some(name) = tag.collected() {
            self.collector.start_tag(name, &self.attrs);
        }
        let next = match tag {
            Tag::Title => {
                if self.collector.title_start() {
                    self.text = TextSink::Title;
                }
                Some(State::RcData)
            }
            Tag::Textarea => Some(State::RcData),
            Tag::Script => Some(State::ScriptData),
            Tag::RawText | Tag::Iframe => Some(State::RawText),
            Tag::Noscript => {
                if self.depth < MAX_NOSCRIPT_DEPTH {
                    self.text = TextSink::Noscript;
                }
                Some(State::RawText)
            }
            Tag::Plaintext => Some(State::PlainText),
            _ => None,
        };
        // Inside an integration point, HTML elements are tracked too, so that their end
        // tags do not close the foreign element around them.
        if !self.foreign.is_empty() && !self.self_closing && !is_void(&self.name) {
            self.push_open(Ns::Html, false);
        }
        if next.is_some() {
            // The end tag that leaves the new state must match this one. The tokenizer only
            // asks in the states entered here, so other start tags need not be recorded.
            self.last_start_tag.clone_from(&self.name);
        }
        next
    }

    fn end_tag(&mut self) {
        match self.text {
            TextSink::Title if self.name == b"title" => {
                self.collector.title_end();
                self.text = TextSink::Ignore;
            }
            TextSink::Noscript if self.name == b"noscript" => self.flush_noscript(),
            _ => {}
        }
        if self.foreign.is_empty() {
            return;
        }
        if !self.in_html() && matches!(self.name.as_slice(), b"br" | b"p") {
            // `</br>` and `</p>` break out of foreign content like start tags do.
            while !self.in_html() {
                self.foreign.pop();
            }
            return;
        }
        if let Some(at) = self
            .foreign
            .iter()
            .rposition(|open| *open.name == *self.name)
        {
            self.foreign.truncate(at);
        }
    }

    fn push_open(&mut self, ns: Ns, integration_point: bool) {
        if self.foreign.len() < MAX_FOREIGN_DEPTH {
            self.foreign.push(Open {
                name: self.name.as_slice().into(),
                ns,
                integration_point,
            });
        }
    }

    fn flush_noscript(&mut self) {
        self.text = TextSink::Ignore;
        let raw = std::mem::take(&mut self.noscript);
        scan_at(&raw, self.collector, self.depth + 1);
    }
}

/// Whether a start tag in foreign content ends it (the spec's list, with `<font>` only when
/// it has a `color`, `face` or `size` attribute).
fn is_breakout(tag: Tag, name: &[u8], attrs: &Attrs) -> bool {
    if tag == Tag::Font {
        return !attrs.found.is_empty();
    }
    matches!(
        name,
        b"b" | b"big"
            | b"blockquote"
            | b"body"
            | b"br"
            | b"center"
            | b"code"
            | b"dd"
            | b"div"
            | b"dl"
            | b"dt"
            | b"em"
            | b"embed"
            | b"h1"
            | b"h2"
            | b"h3"
            | b"h4"
            | b"h5"
            | b"h6"
            | b"head"
            | b"hr"
            | b"i"
            | b"img"
            | b"li"
            | b"listing"
            | b"menu"
            | b"meta"
            | b"nobr"
            | b"ol"
            | b"p"
            | b"pre"
            | b"ruby"
            | b"s"
            | b"small"
            | b"span"
            | b"strong"
            | b"strike"
            | b"sub"
            | b"sup"
            | b"table"
            | b"tt"
            | b"u"
            | b"ul"
            | b"var"
    )
}

/// Whether a foreign element's children are parsed as HTML: SVG's `foreignObject`, `desc`
/// and `title`, MathML's text integration points, and `annotation-xml` carrying HTML.
fn integration_point(ns: Ns, name: &[u8], attrs: &Attrs) -> bool {
    match ns {
        Ns::Svg => matches!(name, b"foreignobject" | b"desc" | b"title"),
        Ns::MathMl => match name {
            b"mi" | b"mo" | b"mn" | b"ms" | b"mtext" => true,
            b"annotation-xml" => attrs.get("encoding").is_some_and(|e| {
                e.eq_ignore_ascii_case("text/html")
                    || e.eq_ignore_ascii_case("application/xhtml+xml")
            }),
            _ => false,
        },
        Ns::Html => false,
    }
}

/// HTML's void elements: they never get an end tag, so they are never pushed.
fn is_void(name: &[u8]) -> bool {
    matches!(
        name,
        b"area"
            | b"base"
            | b"br"
            | b"col"
            | b"embed"
            | b"hr"
            | b"img"
            | b"input"
            | b"link"
            | b"meta"
            | b"source"
            | b"track"
            | b"wbr"
    )
}

impl Emitter for LinkEmitter<'_> {
    type Token = Infallible;

    fn set_last_start_tag(&mut self, last_start_tag: Option<&[u8]>) {
        self.last_start_tag.clear();
        self.last_start_tag
            .extend_from_slice(last_start_tag.unwrap_or_default());
    }

    fn emit_eof(&mut self) {
        match self.text {
            // The document ended inside <title> or <noscript>.
            TextSink::Title => self.collector.title_end(),
            TextSink::Noscript => self.flush_noscript(),
            TextSink::Ignore => {}
        }
        self.text = TextSink::Ignore;
    }

    fn emit_error(&mut self, _: Error) {}

    fn should_emit_errors(&mut self) -> bool {
        false
    }

    fn pop_token(&mut self) -> Option<Infallible> {
        None
    }

    fn emit_string(&mut self, s: &[u8]) {
        match self.text {
            TextSink::Ignore => {}
            TextSink::Title => self.collector.title_text(&utf8(s)),
            TextSink::Noscript => self.noscript.push_str(&utf8(s)),
        }
    }

    fn init_start_tag(&mut self) {
        self.name.clear();
        self.is_end_tag = false;
        self.self_closing = false;
        let a = &mut self.attrs;
        a.tag = None;
        a.found.clear();
        a.values.clear();
        a.name_pending = false;
        a.current = None;
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
        let tag = *self.attrs.tag.get_or_insert_with(|| Tag::of(&self.name));
        if tag.attributes().is_empty() {
            return;
        }
        self.finish_attr_name();
        self.attrs.name.clear();
        self.attrs.name_pending = true;
    }

    fn push_attribute_name(&mut self, s: &[u8]) {
        if self.attrs.name_pending {
            self.attrs.name.extend_from_slice(s);
        }
    }

    fn push_attribute_value(&mut self, s: &[u8]) {
        self.finish_attr_name();
        let a = &mut self.attrs;
        if let Some(i) = a.current {
            a.values.extend_from_slice(s);
            a.found[i].2 = a.values.len();
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
        self.foreign.last().is_some_and(|top| top.ns != Ns::Html)
    }
}
