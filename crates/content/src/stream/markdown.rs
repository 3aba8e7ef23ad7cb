//! The article as Markdown, straight from the arena: the same Markdown as
//! `crate::markdown` makes (the tree prepared by `markdown::prepare`, then
//! htmd's conversion with our options, then `markdown::render`'s escapes),
//! without serializing the article and parsing it again.
//!
//! The walk follows htmd 0.5's (`dom_walker.rs` and its element handlers)
//! step for step, whitespace rules included, with `markdown.rs`'s preparation
//! folded in: headings at their level, links and images absolute, every
//! `<pre>` one fenced block of its exact text with the language found around
//! it, the first row of a table without head cells made its head when no cell
//! holds blocks, head cells below the first row made ordinary cells.

use std::borrow::Cow;

use url::Url;

use super::tree::{AttrName, NONE, Node, Source, Tag};
use crate::markdown::{AMPERSAND, TILDE, escape_paren_items, language, starts_reference, valid};

const REMOVED: u8 = 1;

/// The Markdown of the nodes `roots` (of the root's children for `[0]`),
/// links and images resolved against `base`.
pub(crate) fn render(nodes: &[Node], src: &Source, roots: &[u32], base: &Url) -> String {
    render_with(nodes, src, roots, base, true)
}

/// [`render`]; `readability` says whether Readability's changes that show in
/// the Markdown are made here (`javascript:` links unwrapped): not when a
/// whole page is rendered for comparison.
pub(crate) fn render_with(
    nodes: &[Node],
    src: &Source,
    roots: &[u32],
    base: &Url,
    readability: bool,
) -> String {
    let md = Md {
        nodes,
        src,
        base,
        readability,
    };
    let mut kids: Vec<u32> = Vec::new();
    for &r in roots {
        if r == 0 {
            kids.extend(md.children(0));
        } else if (r as usize) < nodes.len() && nodes[r as usize].flags & REMOVED == 0 {
            kids.push(r);
        }
    }
    let ctx = Ctx {
        parent: Tag::Body,
        code: false,
        cell: false,
        depth: 0,
    };
    let mut out = String::new();
    md.walk_list(&kids, &mut out, ctx, true, false);
    let out = out.trim();
    let out = if out.contains([AMPERSAND, TILDE]) {
        Cow::Owned(out.replace(AMPERSAND, "\\&").replace(TILDE, "\\~"))
    } else {
        Cow::Borrowed(out)
    };
    escape_paren_items(&out)
}

/// Where a node is: its parent's tag, whether a `pre` or `code` or a table
/// cell is around it, and how many of its ancestors are in the article.
#[derive(Clone, Copy)]
struct Ctx {
    parent: Tag,
    code: bool,
    cell: bool,
    depth: u32,
}

impl Ctx {
    fn inside(self, tag: Tag) -> Ctx {
        Ctx {
            parent: tag,
            code: self.code || matches!(tag, Tag::Pre | Tag::Code),
            cell: self.cell || matches!(tag, Tag::Td | Tag::Th),
            depth: self.depth + 1,
        }
    }
}

struct Md<'a> {
    nodes: &'a [Node],
    src: &'a Source,
    base: &'a Url,
    readability: bool,
}

/// How htmd treats an element.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Skipped with its content (our `skip_tags`).
    Skip,
    /// No handler: its content in place.
    Inline,
    Span,
    /// A block: its content between blank lines.
    Block,
    Heading(u8),
    Br,
    Hr,
    Strong,
    Em,
    Code,
    Pre,
    A,
    Img,
    List,
    Li,
    Blockquote,
    Table,
}

fn kind(tag: Tag) -> Kind {
    match tag {
        Tag::Script
        | Tag::Style
        | Tag::Noscript
        | Tag::Template
        | Tag::Iframe
        | Tag::Svg
        | Tag::Button
        | Tag::Form => Kind::Skip,
        Tag::Span => Kind::Span,
        Tag::H1 => Kind::Heading(1),
        Tag::H2 => Kind::Heading(2),
        Tag::H3 => Kind::Heading(3),
        Tag::H4 => Kind::Heading(4),
        Tag::H5 => Kind::Heading(5),
        Tag::H6 => Kind::Heading(6),
        Tag::Br => Kind::Br,
        Tag::Hr => Kind::Hr,
        Tag::B | Tag::Strong => Kind::Strong,
        Tag::I | Tag::Em => Kind::Em,
        Tag::Code => Kind::Code,
        Tag::Pre => Kind::Pre,
        Tag::A => Kind::A,
        Tag::Img => Kind::Img,
        Tag::Ul | Tag::Ol => Kind::List,
        Tag::Li => Kind::Li,
        Tag::Blockquote => Kind::Blockquote,
        Tag::Table => Kind::Table,
        Tag::P
        | Tag::Caption
        | Tag::Td
        | Tag::Th
        | Tag::Tr
        | Tag::Tbody
        | Tag::Thead
        | Tag::Tfoot
        | Tag::Address
        | Tag::Article
        | Tag::Aside
        | Tag::Base
        | Tag::Center
        | Tag::Col
        | Tag::Colgroup
        | Tag::Dd
        | Tag::Details
        | Tag::Dialog
        | Tag::Dir
        | Tag::Div
        | Tag::Dl
        | Tag::Dt
        | Tag::Fieldset
        | Tag::Figcaption
        | Tag::Figure
        | Tag::Footer
        | Tag::Frame
        | Tag::Frameset
        | Tag::Header
        | Tag::Legend
        | Tag::Link
        | Tag::Main
        | Tag::Menu
        | Tag::Nav
        | Tag::Noframes
        | Tag::Optgroup
        | Tag::Option
        | Tag::Param
        | Tag::Search
        | Tag::Section
        | Tag::Summary
        | Tag::Textarea
        | Tag::Title
        | Tag::Track
        | Tag::Body
        | Tag::Head
        | Tag::Html => Kind::Block,
        _ => Kind::Inline,
    }
}

/// htmd's block elements (CommonMark's HTML blocks).
fn is_block(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Address
            | Tag::Article
            | Tag::Aside
            | Tag::Base
            | Tag::Blockquote
            | Tag::Body
            | Tag::Caption
            | Tag::Center
            | Tag::Col
            | Tag::Colgroup
            | Tag::Dd
            | Tag::Details
            | Tag::Dialog
            | Tag::Dir
            | Tag::Div
            | Tag::Dl
            | Tag::Dt
            | Tag::Fieldset
            | Tag::Figcaption
            | Tag::Figure
            | Tag::Footer
            | Tag::Form
            | Tag::Frame
            | Tag::Frameset
            | Tag::H1
            | Tag::H2
            | Tag::H3
            | Tag::H4
            | Tag::H5
            | Tag::H6
            | Tag::Head
            | Tag::Header
            | Tag::Hr
            | Tag::Html
            | Tag::Iframe
            | Tag::Legend
            | Tag::Li
            | Tag::Link
            | Tag::Main
            | Tag::Menu
            | Tag::Nav
            | Tag::Noframes
            | Tag::Ol
            | Tag::Optgroup
            | Tag::Option
            | Tag::P
            | Tag::Param
            | Tag::Pre
            | Tag::Script
            | Tag::Search
            | Tag::Section
            | Tag::Style
            | Tag::Summary
            | Tag::Table
            | Tag::Tbody
            | Tag::Td
            | Tag::Textarea
            | Tag::Tfoot
            | Tag::Th
            | Tag::Thead
            | Tag::Title
            | Tag::Tr
            | Tag::Track
            | Tag::Ul
    )
}

impl<'a> Md<'a> {
    fn node(&self, n: u32) -> &'a Node {
        &self.nodes[n as usize]
    }

    fn tag(&self, n: u32) -> Tag {
        self.nodes[n as usize].tag
    }

    fn attr(&self, n: u32, name: AttrName) -> Option<&'a str> {
        self.src.attr(&self.nodes[n as usize], name)
    }

    /// Whether `n` is in the article: not removed, and not a paragraph
    /// Readability drops for having neither text nor images nor embeds.
    /// Only paragraphs with no element in them count as such: one whose
    /// images our boilerplate pass removed later stays (as in the current
    /// pipeline, where Readability saw it before).
    fn live(&self, n: u32) -> bool {
        let node = self.node(n);
        if node.flags & REMOVED != 0 {
            return false;
        }
        if !self.readability || node.tag != Tag::P {
            return true;
        }
        let mut c = node.first_child;
        while c != NONE {
            let child = self.node(c);
            if child.flags & REMOVED == 0
                && (child.tag != Tag::Text || !self.src.text_of(child).trim().is_empty())
            {
                return true;
            }
            c = child.next;
        }
        false
    }

    /// The live children of `n`.
    fn children(&self, n: u32) -> impl Iterator<Item = u32> + '_ {
        let mut c = self.nodes[n as usize].first_child;
        std::iter::from_fn(move || {
            while c != NONE {
                let at = c;
                c = self.nodes[at as usize].next;
                if self.live(at) {
                    return Some(at);
                }
            }
            None
        })
    }

    fn next_element(&self, n: u32) -> Option<u32> {
        let mut c = self.node(n).next;
        while c != NONE {
            if self.tag(c) != Tag::Text && self.live(c) {
                return Some(c);
            }
            c = self.node(c).next;
        }
        None
    }

    /// An image's address: its `src`, or, where Readability takes it for a
    /// placeholder (a tiny base64 image, a `lazy` class, `loading="lazy"`
    /// without an address), the last kept attribute that looks like an
    /// image's address (dom_smoothie's `fix_lazy_images`).
    fn image_src(&self, n: u32) -> Option<&'a str> {
        let mut src = self.attr(n, AttrName::Src);
        if !self.readability {
            return src;
        }
        let node = self.node(n);
        let attrs = self
            .src
            .attrs
            .get(node.start as usize..node.end as usize)
            .unwrap_or_default();
        let value = |a: &super::tree::Attr| {
            self.src
                .attr_text
                .get(a.start as usize..a.end as usize)
                .unwrap_or_default()
        };
        if let Some(data) = src.and_then(base64_image) {
            if data.0 == "image/svg+xml" {
                return src;
            }
            let other = attrs
                .iter()
                .filter(|a| a.name != AttrName::Src)
                .any(|a| IMG_EXT.iter().any(|e| value(a).contains(e)));
            if other && data.1.len() < 133 {
                src = None;
            }
        }
        let srcset = self.attr(n, AttrName::Srcset);
        let address =
            |v: Option<&str>| v.is_some_and(|v| !v.trim().is_empty() && !is_data_url(v.trim()));
        let lazy = self
            .attr(n, AttrName::Class)
            .is_some_and(|c| c.contains("lazy"))
            || (self.attr(n, AttrName::Loading) == Some("lazy")
                && !address(src)
                && !address(srcset));
        if (src.is_some() || srcset.is_some()) && !lazy {
            return src;
        }
        for a in attrs {
            if matches!(a.name, AttrName::Src | AttrName::Srcset | AttrName::Alt) {
                continue;
            }
            let v = value(a).to_ascii_lowercase();
            if is_srcset_like(&v) {
                continue;
            }
            if is_src_like(&v) {
                src = Some(value(a));
            }
        }
        src
    }

    fn element_children(&self, n: u32) -> impl Iterator<Item = u32> + '_ {
        self.children(n).filter(|&c| self.tag(c) != Tag::Text)
    }

    /// htmd's `Handlers::walk_children`: the content of `n`.
    fn content(&self, n: u32, ctx: Ctx, text: Option<&str>) -> String {
        let tag = self.tag(n);
        let mut out = String::new();
        let inner = ctx.inside(tag);
        let pre = inner.code;
        if let Some(text) = text {
            // the merged text of combined siblings
            self.text(text, &mut out, !pre && is_block(tag), pre);
        } else {
            let kids: Vec<u32> = self.children(n).collect();
            self.walk_list(&kids, &mut out, inner, is_block(tag), pre);
        }
        out
    }

    /// htmd's `walk_children` over `kids`, whose context is `ctx`.
    fn walk_list(&self, kids: &[u32], out: &mut String, ctx: Ctx, parent_block: bool, pre: bool) {
        let mut trim_leading = !pre && parent_block;
        let mut i = 0;
        let mut merged = String::new();
        while i < kids.len() {
            let child = kids[i];
            let tag = self.tag(child);
            let before = out.len();
            let block = tag != Tag::Text && is_block(tag);
            if block {
                out.truncate(out.trim_end_matches(' ').len());
            }
            if tag == Tag::Text {
                // adjacent texts are one text once the HTML is parsed again
                let mut j = i + 1;
                while j < kids.len() && self.tag(kids[j]) == Tag::Text {
                    j += 1;
                }
                let text = if j == i + 1 {
                    self.src.text_of(self.node(child))
                } else {
                    merged.clear();
                    for &k in &kids[i..j] {
                        merged.push_str(self.src.text_of(self.node(k)));
                    }
                    merged.as_str()
                };
                self.text(text, out, trim_leading, pre);
                i = j;
            } else {
                // htmd combines adjacent like inline elements holding only text
                let mut j = i + 1;
                let mut text: Option<String> = None;
                while j < kids.len() && self.combines(kids[j - 1], kids[j]) {
                    let t = text.get_or_insert_with(|| self.only_text(child).unwrap_or_default());
                    t.push_str(&self.only_text(kids[j]).unwrap_or_default());
                    j += 1;
                }
                self.walk_node(child, out, ctx, pre, false, text.as_deref());
                i = j;
            }
            if out.len() > before {
                trim_leading = block;
            }
        }
    }

    /// The text of an element whose children are all text.
    fn only_text(&self, n: u32) -> Option<String> {
        let mut out = String::new();
        let mut any = false;
        for c in self.children(n) {
            if self.tag(c) != Tag::Text {
                return None;
            }
            any = true;
            out.push_str(self.src.text_of(self.node(c)));
        }
        any.then_some(out)
    }

    /// htmd's `can_combine`: two inline elements of one name (`i`/`em` and
    /// `b`/`strong` count as one), links excepted, with the same attributes,
    /// each holding one text.
    fn combines(&self, a: u32, b: u32) -> bool {
        let (ta, tb) = (self.tag(a), self.tag(b));
        if ta == Tag::Text || tb == Tag::Text || is_block(ta) || ta == Tag::A {
            return false;
        }
        let same = ta == tb && (ta != Tag::Other || self.node(a).name == self.node(b).name)
            || matches!((ta, tb), (Tag::I, Tag::Em) | (Tag::Em, Tag::I))
            || matches!((ta, tb), (Tag::B, Tag::Strong) | (Tag::Strong, Tag::B));
        if !same || self.only_text(a).is_none() || self.only_text(b).is_none() {
            return false;
        }
        let attrs = |n: u32| {
            let node = self.node(n);
            self.src
                .attrs
                .get(node.start as usize..node.end as usize)
                .unwrap_or_default()
                .iter()
                .filter(|a| a.name != AttrName::Style)
                .map(|a| {
                    (
                        a.name,
                        self.src
                            .attr_text
                            .get(a.start as usize..a.end as usize)
                            .unwrap_or_default(),
                    )
                })
        };
        attrs(a).eq(attrs(b))
    }

    /// A text node (htmd's `walk_node` on text).
    fn text(&self, raw: &str, out: &mut String, trim_leading: bool, pre: bool) {
        if pre {
            out.push_str(raw);
            return;
        }
        let last_space = out.ends_with(' ');
        if !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_whitespace()) {
            // (most texts between tags) one space, or none
            if !(trim_leading || last_space) {
                out.push(' ');
            }
            return;
        }
        let raw = placeholders(raw);
        if is_plain_text(&raw) {
            let text = if trim_leading || (raw.starts_with(' ') && last_space) {
                raw.trim_start_matches(' ')
            } else {
                &raw
            };
            out.push_str(text);
            return;
        }
        let escaped = escape_if_needed(&raw);
        let text = compress_whitespace(&escaped);
        let text = if trim_leading || (text.starts_with(' ') && last_space) {
            text.trim_start_matches(' ')
        } else {
            &text
        };
        out.push_str(text);
    }

    /// htmd's `walk_node` on an element; `handled` is whether it is called
    /// through `Handlers::handle` (no parent tag).
    fn walk_node(
        &self,
        n: u32,
        out: &mut String,
        ctx: Ctx,
        pre: bool,
        handled: bool,
        text: Option<&str>,
    ) {
        let tag = self.tag(n);
        match kind(tag) {
            Kind::Skip => {}
            Kind::Span | Kind::Inline => {
                let pre = pre || (handled && ctx.code);
                let mut content = String::new();
                if let Some(text) = text {
                    self.text(text, &mut content, false, pre);
                } else {
                    let kids: Vec<u32> = self.children(n).collect();
                    self.walk_list(&kids, &mut content, ctx.inside(tag), false, pre);
                }
                if kind(tag) == Kind::Span && !pre {
                    trim_newlines(&mut content);
                }
                append_normalized(out, content, pre);
            }
            _ => {
                if let Some(content) = self.handle(n, ctx, text) {
                    append_normalized(out, content, pre);
                }
            }
        }
    }

    /// htmd's `Handlers::handle`: the node as its own output.
    fn handle_node(&self, n: u32, ctx: Ctx) -> String {
        let mut out = String::new();
        if self.tag(n) == Tag::Text {
            self.text(self.src.text_of(self.node(n)), &mut out, true, false);
        } else {
            self.walk_node(n, &mut out, ctx, false, true, None);
        }
        out
    }

    /// The element handlers. The walk recurses through here: what each
    /// handler makes of its content is in [`format`], out of the recursion's
    /// frames.
    fn handle(&self, n: u32, ctx: Ctx, text: Option<&str>) -> Option<String> {
        let tag = self.tag(n);
        match kind(tag) {
            Kind::Skip | Kind::Span | Kind::Inline => None,
            // Readability drops a <br> right before a <p>
            Kind::Br
                if self.readability
                    && self.next_element(n).is_some_and(|e| self.tag(e) == Tag::P) =>
            {
                None
            }
            Kind::Br => Some("  \n".to_owned()),
            Kind::Hr => Some("\n\n* * *\n\n".to_owned()),
            Kind::Pre => Some(self.pre(n, ctx)),
            Kind::A => self.anchor(n, ctx, text),
            Kind::Img => self.image(n),
            Kind::Table => self.table(n, ctx),
            Kind::List if tag == Tag::Ol => {
                format(Kind::List, &self.ol_content(n, ctx), ctx.parent)
            }
            k => format(k, &self.content(n, ctx, text), ctx.parent),
        }
    }

    #[inline(never)]
    fn anchor(&self, n: u32, ctx: Ctx, text: Option<&str>) -> Option<String> {
        let content = self.content(n, ctx, text);
        let Some(href) = self.attr(n, AttrName::Href) else {
            return Some(content);
        };
        if self.readability && href.starts_with("javascript:") {
            // Readability puts the link's text (or a span of its content)
            // in its place
            let mut content = content;
            trim_newlines(&mut content);
            return Some(content);
        }
        let link = self.absolute(href);
        let link = escape_parens(&link);
        let title = self.attr(n, AttrName::Title).map(process_title);
        let content = content.trim_start_matches(is_doc_ws);
        let body = content.trim_end_matches(is_doc_ws);
        let trail = &content[body.len()..];
        let spaces = link.contains(' ');
        let mut s = String::with_capacity(body.len() + link.len() + trail.len() + 8);
        s.push('[');
        s.push_str(body);
        s.push_str("](");
        if spaces {
            s.push('<');
        }
        s.push_str(&link);
        if spaces {
            s.push('>');
        }
        if let Some(title) = title {
            s.push_str(" \"");
            s.push_str(&title);
            s.push('"');
        }
        s.push(')');
        s.push_str(trail);
        Some(s)
    }

    #[inline(never)]
    fn image(&self, n: u32) -> Option<String> {
        let src = self.image_src(n)?;
        let link = self.absolute(src);
        let link = escape_parens(&link);
        let alt = self
            .attr(n, AttrName::Alt)
            .map(process_alt)
            .unwrap_or_default();
        let title = self.attr(n, AttrName::Title).map(process_alt);
        let spaces = link.contains(' ');
        let mut s = String::with_capacity(alt.len() + link.len() + 8);
        s.push_str("![");
        s.push_str(&alt);
        s.push_str("](");
        if spaces {
            s.push('<');
        }
        s.push_str(&link);
        if spaces {
            s.push('>');
        }
        if let Some(title) = title {
            s.push_str(" \"");
            s.push_str(&title);
            s.push('"');
        }
        s.push(')');
        Some(s)
    }

    /// `markdown::prepare`'s absolute address.
    fn absolute<'s>(&self, value: &'s str) -> Cow<'s, str> {
        match self.base.join(value.trim()) {
            Ok(url) => Cow::Owned(url.into()),
            Err(_) => Cow::Borrowed(value),
        }
    }

    /// htmd's `get_ol_content`.
    #[inline(never)]
    fn ol_content(&self, n: u32, ctx: Ctx) -> String {
        let inner = ctx.inside(Tag::Ol);
        let start = self
            .attr(n, AttrName::Start)
            .map_or(1, |s| s.parse::<i32>().unwrap_or(1).max(1) as usize);
        let mut parts: Vec<(String, bool)> = Vec::new();
        let mut items = 0;
        let kids: Vec<u32> = self.children(n).collect();
        let mut i = 0;
        while i < kids.len() {
            let c = kids[i];
            if self.tag(c) == Tag::Text {
                let mut j = i + 1;
                let mut text = String::from(self.src.text_of(self.node(c)));
                while j < kids.len() && self.tag(kids[j]) == Tag::Text {
                    text.push_str(self.src.text_of(self.node(kids[j])));
                    j += 1;
                }
                let mut out = String::new();
                self.text(&text, &mut out, true, false);
                parts.push((out, false));
                i = j;
                continue;
            }
            let is_li = self.tag(c) == Tag::Li;
            items += usize::from(is_li);
            parts.push((self.handle_node(c, inner), is_li));
            i += 1;
        }
        let highest = start + items.saturating_sub(1);
        let width = digits(highest);
        let mut index = start - 1;
        let mut blocks = Vec::with_capacity(parts.len());
        for (text, is_li) in parts {
            if !is_li {
                blocks.push(text);
                continue;
            }
            index += 1;
            let number = index.to_string();
            let spacing = 1 + width.saturating_sub(number.len());
            let content = text.trim_start_matches('\n');
            let content = indent_except_first_line(content, number.len() + 1 + spacing);
            let mut s = String::with_capacity(content.len() + number.len() + spacing + 2);
            s.push('\n');
            s.push_str(&number);
            s.push('.');
            for _ in 0..spacing {
                s.push(' ');
            }
            s.push_str(&content);
            blocks.push(s);
        }
        join_blocks(&blocks)
    }

    /// A `<pre>`: one fenced block of its exact text (`markdown::code_block`
    /// and htmd's code block).
    #[inline(never)]
    fn pre(&self, n: u32, ctx: Ctx) -> String {
        let named = |m: u32| {
            self.attr(m, AttrName::Class)
                .and_then(language)
                .or_else(|| self.attr(m, AttrName::Lang).and_then(valid))
                .or_else(|| self.attr(m, AttrName::DataLang).and_then(valid))
        };
        let code = self.element_children(n).find(|&c| self.tag(c) == Tag::Code);
        let lang = code.and_then(named).or_else(|| named(n)).or_else(|| {
            // a wrapper up to two levels out, inside the article
            let mut a = self.node(n).parent;
            let mut found = None;
            for _ in 0..ctx.depth.min(2) {
                if a == NONE || a == 0 {
                    break;
                }
                found = named(a);
                if found.is_some() {
                    break;
                }
                a = self.node(a).parent;
            }
            found
        });
        let mut text = String::new();
        let mut stack = vec![n];
        while let Some(x) = stack.pop() {
            let node = self.node(x);
            match node.tag {
                Tag::Text => text.push_str(self.src.text_of(node)),
                Tag::Br => text.push('\n'),
                _ => {
                    let mut c = node.last_child;
                    while c != NONE {
                        if self.node(c).flags & REMOVED == 0 {
                            stack.push(c);
                        }
                        c = self.node(c).prev;
                    }
                }
            }
        }
        // the parser drops a newline right after <pre>
        let first = self.node(n).first_child;
        let skip = usize::from(
            first != NONE
                && self.tag(first) == Tag::Text
                && self.src.text_of(self.node(first)).starts_with('\n')
                && text.starts_with('\n'),
        );
        let content = &text[skip..];
        let content = content.strip_suffix('\n').unwrap_or(content);
        let mut longest = 0;
        let mut run = 0;
        for b in content.bytes() {
            if b == b'`' {
                run += 1;
                longest = longest.max(run);
            } else {
                run = 0;
            }
        }
        let fence = "`".repeat(3.max(longest + 1));
        let lang = lang.unwrap_or_default();
        let mut s = String::with_capacity(content.len() + 2 * fence.len() + lang.len() + 6);
        s.push_str("\n\n");
        s.push_str(&fence);
        s.push_str(&lang);
        s.push('\n');
        s.push_str(content);
        s.push('\n');
        s.push_str(&fence);
        s.push_str("\n\n");
        s
    }

    /// htmd's table handler on the table `markdown::table_head` prepared.
    #[inline(never)]
    fn table(&self, n: u32, ctx: Ctx) -> Option<String> {
        let fix = self.table_fix(n);
        if !self.explicit_headers(n, &fix) || ctx.cell {
            // htmd's fallback: the content as blocks
            return Some(self.content(n, ctx, None));
        }
        let inner = ctx.inside(Tag::Table);
        let mut captions: Vec<String> = Vec::new();
        let mut headers: Vec<String> = Vec::new();
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut has_thead = false;
        for child in self.element_children(n) {
            match self.tag(child) {
                Tag::Caption => {
                    captions.push(trim_doc(&self.handle_node(child, inner)).to_owned());
                }
                Tag::Thead => {
                    let row = self
                        .element_children(child)
                        .find(|&r| self.tag(r) == Tag::Tr)
                        .unwrap_or(child);
                    has_thead = true;
                    let ctx = inner.inside(Tag::Thead);
                    let ctx = if row == child {
                        ctx
                    } else {
                        ctx.inside(Tag::Tr)
                    };
                    headers = self.cells(row, Tag::Th, &fix, ctx);
                    if headers.is_empty() {
                        headers = self.cells(row, Tag::Td, &fix, ctx);
                    }
                }
                tag @ (Tag::Tbody | Tag::Tfoot | Tag::Tr) => {
                    let body: Vec<u32> = if tag == Tag::Tr {
                        vec![child]
                    } else {
                        self.element_children(child)
                            .filter(|&r| self.tag(r) == Tag::Tr)
                            .collect()
                    };
                    let ctx = inner.inside(Tag::Tbody).inside(Tag::Tr);
                    for row in body {
                        if !has_thead && headers.is_empty() {
                            headers = self.cells(row, Tag::Th, &fix, ctx);
                            has_thead = !headers.is_empty();
                            if has_thead {
                                continue;
                            }
                        }
                        let cells = self.cells(row, Tag::Td, &fix, ctx);
                        if !cells.is_empty() {
                            rows.push(cells);
                        }
                    }
                }
                _ => {}
            }
        }
        let columns = rows
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(headers.len());
        if columns == 0 {
            let content = self.content(n, ctx, None);
            let content = content.trim_matches('\n');
            if content.is_empty() {
                return None;
            }
            return Some(block(content));
        }
        let mut widths = vec![0; columns];
        for (i, h) in headers.iter().enumerate() {
            widths[i] = h.chars().count();
        }
        for row in &rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut s = String::from("\n\n");
        for caption in captions {
            s.push_str(&caption);
            s.push('\n');
        }
        if !headers.is_empty() {
            table_row(&mut s, &headers, &widths);
            s.push('|');
            for &w in &widths {
                s.push(' ');
                for _ in 0..w {
                    s.push('-');
                }
                s.push_str(" |");
            }
            s.push('\n');
        }
        for row in &rows {
            table_row(&mut s, row, &widths);
        }
        s.push('\n');
        Some(s)
    }

    /// The cells of `row` that are `want` once the table is prepared.
    fn cells(&self, row: u32, want: Tag, fix: &TableFix, ctx: Ctx) -> Vec<String> {
        self.element_children(row)
            .filter(|&c| fix.tag(self.tag(c), row) == want)
            .map(|c| trim_doc(&self.handle_node(c, ctx)).to_owned())
            .collect()
    }

    /// What `markdown::table_head` changes in the table `n`.
    #[inline(never)]
    fn table_fix(&self, n: u32) -> TableFix {
        let mut rows = Vec::new();
        let mut blocks = false;
        let mut stack: Vec<u32> = self.children(n).collect();
        stack.reverse();
        while let Some(x) = stack.pop() {
            match self.tag(x) {
                Tag::Table => {
                    return TableFix {
                        first: NONE,
                        promote: false,
                    };
                }
                Tag::Tr => rows.push(x),
                Tag::P
                | Tag::Div
                | Tag::Ul
                | Tag::Ol
                | Tag::Pre
                | Tag::Blockquote
                | Tag::H1
                | Tag::H2
                | Tag::H3
                | Tag::H4
                | Tag::H5
                | Tag::H6
                | Tag::Figure => blocks = true,
                _ => {}
            }
            let at = stack.len();
            stack.extend(self.children(x));
            stack[at..].reverse();
        }
        let Some(&first) = rows.first() else {
            return TableFix {
                first: NONE,
                promote: false,
            };
        };
        let cells: Vec<u32> = self.element_children(first).collect();
        let headed = cells.iter().any(|&c| self.tag(c) == Tag::Th);
        let promote = !headed && rows.len() >= 2 && cells.len() >= 2 && !blocks;
        if !headed && !promote {
            // a layout table: left as it is
            return TableFix {
                first: NONE,
                promote: false,
            };
        }
        TableFix { first, promote }
    }

    /// htmd's `has_explicit_headers`: a `th` or `thead` in the table, not
    /// in a table inside it.
    #[inline(never)]
    fn explicit_headers(&self, n: u32, fix: &TableFix) -> bool {
        let mut stack: Vec<(u32, u32)> = self.children(n).map(|c| (c, n)).collect();
        while let Some((x, parent)) = stack.pop() {
            let tag = self.tag(x);
            if tag == Tag::Table {
                continue;
            }
            if tag == Tag::Thead || fix.tag(tag, parent) == Tag::Th {
                return true;
            }
            stack.extend(self.children(x).map(|c| (c, x)));
        }
        false
    }
}

/// What a handler makes of an element's content (`parent` is its parent's
/// tag).
#[inline(never)]
fn format(kind: Kind, content: &str, parent: Tag) -> Option<String> {
    Some(match kind {
        Kind::Block => block(content),
        Kind::Heading(level) => {
            let content = trim_doc(content).trim_matches('\n');
            let mut s = String::with_capacity(content.len() + 12);
            s.push_str("\n\n");
            for _ in 0..level {
                s.push('#');
            }
            s.push(' ');
            s.push_str(content);
            s.push_str("\n\n");
            s
        }
        Kind::Strong | Kind::Em => {
            let marker = if kind == Kind::Strong { "**" } else { "*" };
            let inner = content.trim_start();
            let lead = &content[..content.len() - inner.len()];
            let body = inner.trim_end();
            let trail = &inner[body.len()..];
            if body.is_empty() {
                return None;
            }
            [lead, marker, body, marker, trail].concat()
        }
        Kind::Code => {
            // inline: a <pre> is rendered whole, its <code> with it
            let content = trim_doc(content);
            let delimiter = inline_code_delimiter(content);
            if content.starts_with('`') || content.ends_with('`') {
                [delimiter.as_str(), " ", content, " ", &delimiter].concat()
            } else {
                [delimiter.as_str(), content, &delimiter].concat()
            }
        }
        Kind::List => {
            let trimmed = content.trim_matches('\n');
            if trimmed.is_empty() {
                return None;
            }
            if parent == Tag::Li {
                ["\n", trimmed, "\n"].concat()
            } else {
                ["\n\n", trimmed, "\n\n"].concat()
            }
        }
        Kind::Li => {
            let content = content.trim_start_matches(is_doc_ws);
            if parent == Tag::Ol {
                ["\n", content, "\n"].concat()
            } else {
                let content = indent_except_first_line(content, 2);
                ["\n- ", &content].concat()
            }
        }
        Kind::Blockquote => {
            let content = content.trim_start_matches('\n');
            let content = content.trim_end_matches(is_doc_ws);
            let mut s = String::from("\n\n");
            for (i, line) in content.lines().enumerate() {
                if i > 0 {
                    s.push('\n');
                }
                s.push_str("> ");
                s.push_str(line);
            }
            s.push_str("\n\n");
            s
        }
        // handled before
        Kind::Skip
        | Kind::Inline
        | Kind::Span
        | Kind::Br
        | Kind::Hr
        | Kind::Pre
        | Kind::A
        | Kind::Img
        | Kind::Table => return None,
    })
}

/// `markdown::table_head`'s renaming: the first row's `td`s become `th`s
/// when promoted; `th`s of other rows become `td`s (`first` is [`NONE`]
/// when the table is left as it is).
struct TableFix {
    first: u32,
    promote: bool,
}

impl TableFix {
    /// The tag a cell of `row` has once the table is prepared.
    fn tag(&self, tag: Tag, row: u32) -> Tag {
        if self.first == NONE || !matches!(tag, Tag::Td | Tag::Th) {
            return tag;
        }
        if row == self.first {
            if self.promote { Tag::Th } else { tag }
        } else {
            Tag::Td
        }
    }
}

fn table_row(s: &mut String, cells: &[String], widths: &[usize]) {
    s.push('|');
    for (i, &w) in widths.iter().enumerate() {
        let cell = cells.get(i).map(|c| normalize_cell(c)).unwrap_or_default();
        s.push(' ');
        s.push_str(&cell);
        for _ in cell.chars().count()..w {
            s.push(' ');
        }
        s.push_str(" |");
    }
    s.push('\n');
}

fn normalize_cell(content: &str) -> String {
    let content = content
        .replace('\n', " ")
        .replace('\r', "")
        .replace('|', "&#124;");
    trim_doc(&content).to_owned()
}

fn block(content: &str) -> String {
    let content = content.trim_matches('\n');
    ["\n\n", content, "\n\n"].concat()
}

fn is_doc_ws(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | ' ')
}

fn trim_doc(s: &str) -> &str {
    s.trim_matches(is_doc_ws)
}

fn trim_newlines(content: &mut String) {
    let start = content.len() - content.trim_start_matches('\n').len();
    if start > 0 {
        content.drain(..start);
    }
    let end = content.trim_end_matches('\n').len();
    content.truncate(end);
}

/// htmd's `append_normalized_content`.
fn append_normalized(out: &mut String, mut content: String, pre: bool) {
    if out.is_empty() {
        *out = content;
        return;
    }
    if pre {
        out.push_str(&content);
        return;
    }
    let last = out.len() - out.trim_end_matches('\n').len();
    let first = content.len() - content.trim_start_matches('\n').len();
    if last + first > 2 {
        content.drain(..(last + first - 2).min(first));
    }
    if last == 0 && first == 0 && out.ends_with(' ') && content.starts_with(' ') {
        content.remove(0);
    }
    out.push_str(&content);
}

/// htmd's `join_blocks`.
fn join_blocks(contents: &[String]) -> String {
    let mut result = String::with_capacity(contents.iter().map(String::len).sum());
    for content in contents {
        if content.is_empty() {
            continue;
        }
        let left = result.trim_end_matches('\n').len();
        let right = content.trim_start_matches('\n');
        let newlines = (result.len() - left)
            .max(content.len() - right.len())
            .min(2);
        result.truncate(left);
        for _ in 0..newlines {
            result.push('\n');
        }
        result.push_str(right);
    }
    result
}

/// htmd's `indent_text_except_first_line`, line ends trimmed.
fn indent_except_first_line(text: &str, indent: usize) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches(is_doc_ws);
        if i > 0 {
            out.push('\n');
        }
        if i > 0 && !line.is_empty() {
            for _ in 0..indent {
                out.push(' ');
            }
        }
        out.push_str(line);
    }
    out
}

/// htmd's `digits` (of the highest number of an ordered list).
fn digits(num: usize) -> usize {
    if num == 0 {
        return 1;
    }
    ((num + 1) as f32).log10().ceil() as usize
}

fn inline_code_delimiter(content: &str) -> String {
    let mut runs = Vec::new();
    let mut run = 0;
    let mut longest = 0;
    for b in content.bytes() {
        if b == b'`' {
            run += 1;
            longest = longest.max(run);
        } else if run > 0 {
            runs.push(run);
            run = 0;
        }
    }
    if run > 0 {
        runs.push(run);
    }
    let len = if content.starts_with('`') || content.ends_with('`') {
        longest + 1
    } else {
        (1..).find(|l| !runs.contains(l)).unwrap_or(1)
    };
    "`".repeat(len)
}

fn escape_parens(link: &str) -> Cow<'_, str> {
    if link.contains(['(', ')']) {
        Cow::Owned(link.replace('(', "\\(").replace(')', "\\)"))
    } else {
        Cow::Borrowed(link)
    }
}

fn process_title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let line = trim_doc(line);
        if line.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push('\n');
        }
        for c in line.chars() {
            if c == '"' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

fn process_alt(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut first = true;
    for line in text.lines() {
        let line = trim_doc(line).replace('"', "\\\"");
        if line.is_empty() {
            continue;
        }
        if !first {
            out.push('\n');
        }
        first = false;
        out.push_str(&line);
    }
    out
}

/// The image extensions dom_smoothie's lazy-image fix looks for.
const IMG_EXT: [&str; 6] = [".jpg", ".jpeg", ".png", ".webp", ".avif", ".gif"];

fn is_data_url(v: &str) -> bool {
    v.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:"))
}

/// A `data:TYPE;base64,DATA` address as (TYPE, DATA).
fn base64_image(src: &str) -> Option<(&str, &str)> {
    let rest = src.strip_prefix("data:")?;
    let at = rest.find(";base64,")?;
    let data = &rest[at + 8..];
    (!data.is_empty()).then_some((&rest[..at], data))
}

/// A value read as a `srcset` (an image address followed by a width).
fn is_srcset_like(s: &str) -> bool {
    let bytes = s.as_bytes();
    IMG_EXT.iter().any(|ext| {
        s.match_indices(ext).any(|(pos, _)| {
            let at = pos + ext.len();
            at + 1 < bytes.len()
                && bytes[at].is_ascii_whitespace()
                && bytes[at + 1].is_ascii_digit()
        })
    })
}

/// A value read as an image's address.
fn is_src_like(s: &str) -> bool {
    s.trim()
        .split('.')
        .skip(1)
        .any(|part| IMG_EXT.iter().any(|ext| part.starts_with(&ext[1..])))
}

/// `markdown::escape_text`'s stand-ins for `~` and for `&` starting a
/// reference.
fn placeholders(text: &str) -> Cow<'_, str> {
    if !text.contains(['~', '&']) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, c) in text.char_indices() {
        match c {
            '~' => out.push(TILDE),
            '&' if starts_reference(&text[i + 1..]) => out.push(AMPERSAND),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn is_plain_text(text: &str) -> bool {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return true;
    };
    if matches!(first, b'=' | b'~' | b'>' | b'-' | b'+' | b'#' | b'0'..=b'9') {
        return false;
    }
    let mut previous_space = false;
    for &b in bytes {
        match b {
            b'\\' | b'*' | b'_' | b'`' | b'[' | b']' | b'<' => return false,
            b' ' => {
                if previous_space {
                    return false;
                }
                previous_space = true;
            }
            b'\t' | b'\n' | b'\r' | 0x0C | 0x0B => return false,
            _ => previous_space = false,
        }
    }
    true
}

/// htmd's `escape_if_needed`.
fn escape_if_needed(text: &str) -> Cow<'_, str> {
    let Some(first) = text.chars().next() else {
        return Cow::Borrowed(text);
    };
    let mut need = matches!(first, '=' | '~' | '>' | '-' | '+' | '#' | '0'..='9');
    if !need {
        need = text
            .bytes()
            .any(|b| matches!(b, b'\\' | b'*' | b'_' | b'`' | b'[' | b']'));
    }
    if !need {
        return escape_html(Cow::Borrowed(text));
    }
    let leading = match first {
        '=' | '~' | '>' => true,
        '-' | '+' => text.chars().nth(1) == Some(' '),
        '#' => is_atx_heading(text),
        _ => false,
    };
    let mut escaped = String::with_capacity(text.len() + 8);
    if leading {
        escaped.push('\\');
    }
    for c in text.chars() {
        match c {
            '\\' => escaped.push_str("\\\\"),
            '*' => escaped.push_str("\\*"),
            '_' => escaped.push_str("\\_"),
            '`' => escaped.push_str("\\`"),
            '[' => escaped.push_str("\\["),
            ']' => escaped.push_str("\\]"),
            c => escaped.push(c),
        }
    }
    if first.is_ascii_digit()
        && let Some(dot) = ordered_item_dot(&escaped)
    {
        escaped.replace_range(dot..dot + 1, "\\.");
    }
    escape_html(Cow::Owned(escaped))
}

fn is_atx_heading(text: &str) -> bool {
    let mut prev_hash = false;
    for c in text.chars() {
        if c == '#' {
            prev_hash = true;
        } else if c == ' ' {
            return prev_hash;
        } else {
            return false;
        }
    }
    false
}

fn ordered_item_dot(text: &str) -> Option<usize> {
    let mut prev_numeric = false;
    let mut dot = 0;
    let mut prev_dot = false;
    for (i, c) in text.char_indices() {
        if c.is_numeric() {
            if prev_dot {
                return None;
            }
            prev_numeric = true;
        } else if c == '.' {
            if !prev_numeric {
                return None;
            }
            dot = i;
            prev_dot = true;
        } else if c == ' ' {
            return prev_dot.then_some(dot);
        } else {
            return None;
        }
    }
    None
}

/// htmd's `escape_html`: `<` that would start a tag escaped.
fn escape_html(text: Cow<'_, str>) -> Cow<'_, str> {
    if !text.contains('<') {
        return text;
    }
    let src = text.as_ref();
    let mut out = String::with_capacity(src.len() + 8);
    let mut last = 0;
    for (i, c) in src.char_indices() {
        if c == '<' && starts_tag(&src[i + 1..]) {
            out.push_str(&src[last..i]);
            out.push_str("\\<");
            last = i + 1;
        }
    }
    if last == 0 {
        return text;
    }
    out.push_str(&src[last..]);
    Cow::Owned(out)
}

fn starts_tag(rest: &str) -> bool {
    let mut chars = rest.chars();
    match chars.next() {
        Some('!') => {
            let rest = chars.as_str();
            !(rest.starts_with("[CDATA[") || rest.starts_with("\\[CDATA\\["))
        }
        Some('?') => true,
        Some('/') => chars.next().is_some_and(|c| c.is_ascii_alphabetic()),
        Some(c) => c.is_ascii_alphabetic(),
        None => false,
    }
}

/// htmd's `compress_whitespace`: runs of ASCII whitespace to one space.
fn compress_whitespace(input: &str) -> Cow<'_, str> {
    if !input
        .as_bytes()
        .windows(2)
        .any(|w| w[0].is_ascii_whitespace() && w[1].is_ascii_whitespace())
        && !input.bytes().any(|b| b.is_ascii_whitespace() && b != b' ')
    {
        return Cow::Borrowed(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut in_ws = false;
    for c in input.chars() {
        if c.is_ascii_whitespace() {
            if !in_ws {
                out.push(' ');
            }
            in_ws = true;
        } else {
            in_ws = false;
            out.push(c);
        }
    }
    Cow::Owned(out)
}
