//! Block-aware text of the article, as dom_query's `formatted_text` and our
//! `text.rs` make it from the html5ever tree: blocks separated by blank
//! lines, `br`/`li`/`tr` ending a line, table cells separated by a space,
//! whitespace collapsed except inside `<pre>`.

use super::tree::{NONE, Node, Source, Tag};

enum Op {
    Open(u32),
    Close(Tag),
}

fn breaks_block(tag: Tag) -> bool {
    matches!(
        tag,
        Tag::Article
            | Tag::Blockquote
            | Tag::Section
            | Tag::Div
            | Tag::P
            | Tag::Pre
            | Tag::H1
            | Tag::H2
            | Tag::H3
            | Tag::H4
            | Tag::H5
            | Tag::H6
            | Tag::Ul
            | Tag::Ol
            | Tag::Dl
            | Tag::Table
    )
}

/// The text of the nodes `roots` (of the root's children for `[0]`).
pub(crate) fn render(nodes: &[Node], src: &Source, roots: &[u32]) -> String {
    const REMOVED: u8 = 1;
    let mut ops: Vec<Op> = Vec::new();
    let push_children = |ops: &mut Vec<Op>, n: u32| {
        let mut c = nodes[n as usize].last_child;
        while c != NONE {
            ops.push(Op::Open(c));
            c = nodes[c as usize].prev;
        }
    };
    for &r in roots.iter().rev() {
        if r == 0 {
            push_children(&mut ops, 0);
        } else if nodes[r as usize].flags & REMOVED == 0 {
            ops.push(Op::Open(r));
        }
    }
    let mut text = String::new();
    while let Some(op) = ops.pop() {
        match op {
            Op::Open(id) => {
                let node = &nodes[id as usize];
                if node.tag == Tag::Text {
                    push_normalized(&mut text, src.text_of(node));
                    continue;
                }
                if !(text.is_empty() || text.ends_with("\n\n")) && breaks_block(node.tag) {
                    text.push('\n');
                }
                ops.push(Op::Close(node.tag));
                if node.tag == Tag::Pre {
                    raw_text(nodes, src, id, &mut text);
                    continue;
                }
                push_children(&mut ops, id);
            }
            Op::Close(tag) => close(&mut text, tag),
        }
    }
    tidy(&text)
}

fn raw_text(nodes: &[Node], src: &Source, n: u32, out: &mut String) {
    let mut stack = vec![n];
    while let Some(x) = stack.pop() {
        let node = &nodes[x as usize];
        if node.tag == Tag::Text {
            out.push_str(src.text_of(node));
            continue;
        }
        let mut c = node.last_child;
        while c != NONE {
            stack.push(c);
            c = nodes[c as usize].prev;
        }
    }
}

fn push_normalized(text: &mut String, new: &str) {
    let follows_newline = text.is_empty() || text.ends_with(['\n', ' ']);
    let start_ws = !follows_newline && new.starts_with(char::is_whitespace);
    let end_ws = new.ends_with(char::is_whitespace);
    let mut words = new.split_whitespace();
    let Some(first) = words.next() else {
        if !follows_newline && !new.is_empty() {
            text.push(' ');
        }
        return;
    };
    if start_ws {
        text.push(' ');
    }
    text.push_str(first);
    for w in words {
        text.push(' ');
        text.push_str(w);
    }
    if end_ws {
        text.push(' ');
    }
}

fn close(text: &mut String, tag: Tag) {
    if text.is_empty() || text.ends_with("\n\n") {
        return;
    }
    if breaks_block(tag) {
        text.truncate(text.trim_end_matches(' ').len());
        text.push_str("\n\n");
    } else if matches!(tag, Tag::Br | Tag::Hr | Tag::Li | Tag::Tr) {
        text.truncate(text.trim_end_matches(' ').len());
        text.push('\n');
    } else if matches!(tag, Tag::Td | Tag::Th) && !text.ends_with(['\n', ' ']) {
        text.push(' ');
    }
}

/// Lines trimmed at their end, runs of blank lines cut to one (`text.rs`).
fn tidy(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut blank = 0;
    for line in raw.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            continue;
        }
        if !out.is_empty() {
            out.push_str(if blank > 0 { "\n\n" } else { "\n" });
        }
        blank = 0;
        out.push_str(line);
    }
    out
}
