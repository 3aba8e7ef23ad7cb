//! Sitemaps (<https://www.sitemaps.org/protocol.html>): XML `<urlset>` and `<sitemapindex>`,
//! gzip-compressed or not, and plain-text sitemaps with one URL per line.

use std::cell::Cell;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;

use flate2::bufread::MultiGzDecoder;
use quick_xml::Reader;
use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use url::Url;

use crate::error::{Error, Kind};
use crate::links::MAX_LINK_LEN;

/// What a sitemap lists.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sitemap {
    /// Page URLs (`<urlset><url><loc>`, or the lines of a text sitemap), in document order.
    pub urls: Vec<Url>,
    /// Further sitemaps (`<sitemapindex><sitemap><loc>`), in document order.
    pub sitemaps: Vec<Url>,
}

/// A gzip body may decompress to at most this many bytes: 50 MiB, the sitemaps.org limit
/// for an uncompressed sitemap. Anything larger is refused as a bomb (with what was read
/// before the cap as [`Error::partial`]).
pub const MAX_SITEMAP_SIZE: u64 = 50 * 1024 * 1024;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Parses a sitemap or sitemap index.
///
/// Accepts XML `<urlset>`/`<sitemapindex>` with or without the sitemaps.org namespace (any
/// prefix), gzip-compressed XML or text (recognised by the gzip magic bytes, whatever the
/// Content-Type said), and plain-text sitemaps (one URL per line; a body not starting with
/// `<` is taken as text). `<loc>` text is trimmed and its entities decoded; entries that are
/// relative, unparsable, longer than [`crate::MAX_LINK_LEN`] or not http(s) are skipped.
/// Whether the URLs are on the sitemap's host is the caller's policy, not checked here.
///
/// # Errors
///
/// Broken or truncated XML, XML that is not a sitemap (an HTML error page), corrupt gzip,
/// and gzip that decompresses past [`MAX_SITEMAP_SIZE`]. The error names `sitemap_url`,
/// and [`Error::partial`] holds the entries read before the problem: a truncated download
/// still yields its first URLs, but only if the caller asks for them.
pub fn parse_sitemap(body: &[u8], sitemap_url: &Url) -> Result<Sitemap, Error> {
    if body.starts_with(&GZIP_MAGIC) {
        let exceeded = Rc::new(Cell::new(false));
        let capped = Capped {
            inner: MultiGzDecoder::new(body),
            left: MAX_SITEMAP_SIZE,
            exceeded: Rc::clone(&exceeded),
        };
        let mut parser = Parser::new(sitemap_url);
        let result = parser.parse(BufReader::new(capped));
        match result {
            // The cap is checked first: hitting it cuts the document, which then also looks
            // truncated or broken.
            _ if exceeded.get() => Err(parser.fail(Kind::TooLarge {
                limit: MAX_SITEMAP_SIZE,
            })),
            Ok(()) => Ok(parser.out),
            Err(kind) => Err(parser.fail(kind)),
        }
    } else {
        let mut parser = Parser::new(sitemap_url);
        match parser.parse(body) {
            Ok(()) => Ok(parser.out),
            Err(kind) => Err(parser.fail(kind)),
        }
    }
}

/// Which element an open tag is, as far as sitemaps care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    /// `<urlset>` or `<sitemapindex>`.
    Root,
    Url,
    Sitemap,
    Loc,
    Other,
}

struct Parser<'u> {
    sitemap_url: &'u Url,
    out: Sitemap,
}

// ===== impl Parser =====

impl<'u> Parser<'u> {
    fn new(sitemap_url: &'u Url) -> Self {
        Parser {
            sitemap_url,
            out: Sitemap::default(),
        }
    }

    fn fail(self, kind: Kind) -> Error {
        Error::new(kind, self.sitemap_url, self.out)
    }

    /// Sniffs XML or text and parses accordingly.
    fn parse(&mut self, mut input: impl BufRead) -> Result<(), Kind> {
        // Skip a UTF-8 BOM and leading whitespace to see the first real byte.
        let mut at_start = true;
        let first = loop {
            let buf = input.fill_buf().map_err(Kind::Gzip)?;
            let Some(&b) = buf.first() else { break None };
            if at_start && buf.starts_with(b"\xEF\xBB\xBF") {
                input.consume(3);
            } else if b.is_ascii_whitespace() {
                input.consume(1);
            } else {
                break Some(b);
            }
            at_start = false;
        };
        match first {
            Some(b'<') => self.parse_xml(input),
            Some(_) => self.parse_text(input),
            None => Ok(()),
        }
    }

    fn parse_text(&mut self, mut input: impl BufRead) -> Result<(), Kind> {
        let mut line = Vec::new();
        loop {
            line.clear();
            // Lines are read whole; their total is bounded by the body or the gzip cap.
            if input.read_until(b'\n', &mut line).map_err(Kind::Gzip)? == 0 {
                return Ok(());
            }
            let text = String::from_utf8_lossy(&line);
            if let Some(url) = absolute_http(&text) {
                self.out.urls.push(url);
            }
        }
    }

    fn parse_xml(&mut self, input: impl BufRead) -> Result<(), Kind> {
        let mut reader = Reader::from_reader(input);
        // `&` not followed by a name and `;` is a common error in hand-made sitemaps
        // (`?a=1&b=2`); read it as a literal ampersand, as every search engine does.
        reader.config_mut().allow_dangling_amp = true;
        let mut buf = Vec::new();
        let mut open: Vec<Tag> = Vec::new();
        let mut root = String::new();
        let mut seen_root = false;
        // The `<loc>` being read, if one is open where it counts.
        let mut loc: Option<Loc> = None;
        loop {
            buf.clear();
            let event = reader.read_event_into(&mut buf).map_err(|source| {
                // quick-xml passes reader errors through: for gzip input those are ours.
                match source {
                    quick_xml::Error::Io(e) => Kind::Gzip(io::Error::new(e.kind(), e.to_string())),
                    source => Kind::Xml {
                        position: reader.error_position(),
                        source,
                    },
                }
            })?;
            match event {
                Event::Empty(e) if !seen_root => {
                    root_name(&e)?;
                    seen_root = true;
                }
                Event::Start(e) if !seen_root => {
                    root = root_name(&e)?;
                    open.push(Tag::Root);
                    seen_root = true;
                }
                Event::Start(e) => {
                    let tag = match e.local_name().as_ref() {
                        "url" => Tag::Url,
                        "sitemap" => Tag::Sitemap,
                        "loc" => Tag::Loc,
                        _ => Tag::Other,
                    };
                    if tag == Tag::Loc && matches!(open.last(), Some(Tag::Url | Tag::Sitemap)) {
                        loc = Some(Loc::default());
                    }
                    open.push(tag);
                }
                Event::End(_) => {
                    let closed = open.pop();
                    if closed == Some(Tag::Loc)
                        && let Some(Loc {
                            text,
                            overlong: false,
                        }) = loc.take()
                        && let Some(url) = absolute_http(&text)
                    {
                        match open.last() {
                            Some(Tag::Url) => self.out.urls.push(url),
                            Some(Tag::Sitemap) => self.out.sitemaps.push(url),
                            _ => {}
                        }
                    }
                }
                Event::Text(t) => push_loc(&mut loc, &t),
                Event::CData(t) => push_loc(&mut loc, &t),
                Event::GeneralRef(r) if loc.is_some() => {
                    let decoded = match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        Ok(None) => resolve_predefined_entity(&r)
                            .map_or_else(|| format!("&{};", &*r), str::to_owned),
                        Err(_) => format!("&{};", &*r),
                    };
                    push_loc(&mut loc, &decoded);
                }
                Event::Eof => {
                    return match (seen_root, open.is_empty()) {
                        (false, _) => Err(Kind::NoRoot),
                        (true, true) => Ok(()),
                        (true, false) => Err(Kind::Truncated {
                            inside: match open.last() {
                                Some(Tag::Url) => "<url>".to_owned(),
                                Some(Tag::Sitemap) => "<sitemap>".to_owned(),
                                Some(Tag::Loc) => "<loc>".to_owned(),
                                Some(Tag::Root) => format!("<{root}>"),
                                _ => "an element".to_owned(),
                            },
                            position: reader.buffer_position(),
                        }),
                    };
                }
                _ => {}
            }
        }
    }
}

/// The text of a `<loc>` so far.
#[derive(Default)]
struct Loc {
    text: String,
    /// Past [`MAX_LINK_LEN`]: the entry will be skipped, so its text is no longer kept.
    overlong: bool,
}

/// Appends to the open `<loc>`, if any.
fn push_loc(loc: &mut Option<Loc>, text: &str) {
    let Some(loc) = loc else { return };
    if loc.overlong || loc.text.len() + text.len() > MAX_LINK_LEN {
        loc.overlong = true;
        loc.text = String::new();
    } else {
        loc.text.push_str(text);
    }
}

/// The root element's local name, if it is a sitemap's.
fn root_name(e: &quick_xml::events::BytesStart<'_>) -> Result<String, Kind> {
    let name = e.local_name();
    let name: &str = name.as_ref();
    if name == "urlset" || name == "sitemapindex" {
        Ok(name.to_owned())
    } else {
        Err(Kind::NotSitemap(truncate(name, 64)))
    }
}

/// An absolute http(s) URL, or `None`.
fn absolute_http(text: &str) -> Option<Url> {
    let text = text.trim_matches(|c: char| c.is_ascii_whitespace());
    if text.is_empty() || text.len() > MAX_LINK_LEN {
        return None;
    }
    Url::parse(text)
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
}

fn truncate(s: &str, max: usize) -> String {
    s.char_indices()
        .nth(max)
        .map_or(s, |(end, _)| &s[..end])
        .to_owned()
}

/// Reads at most `left` bytes and flags any attempt to read beyond.
struct Capped<R> {
    inner: R,
    left: u64,
    exceeded: Rc<Cell<bool>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => {
                    self.exceeded.set(true);
                    Err(io::Error::other("decompressed size cap reached"))
                }
            };
        }
        let max = usize::try_from(self.left)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::GzEncoder;

    use super::*;

    fn at() -> Url {
        Url::parse("https://example.com/sitemap.xml").expect("valid")
    }

    fn parse(body: &[u8]) -> Result<Sitemap, Error> {
        parse_sitemap(body, &at())
    }

    fn strs(urls: &[Url]) -> Vec<&str> {
        urls.iter().map(Url::as_str).collect()
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        enc.write_all(data).expect("in memory");
        enc.finish().expect("in memory")
    }

    #[test]
    fn urlset_with_namespace() {
        let xml = br#"<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url><loc>
      https://example.com/a
  </loc><lastmod>2024-01-01</lastmod>
    <image:image><image:loc>https://example.com/a.png</image:loc></image:image></url>
  <url><loc>https://example.com/b?x=1&amp;y=2&#38;z=&#x33;&lt;</loc></url>
  <url><loc><![CDATA[https://example.com/c?q=<&>]]></loc></url>
  <url><loc>/relative</loc></url>
  <url><loc>ftp://example.com/f</loc></url>
  <url><loc></loc></url>
  <url><priority>1</priority></url>
</urlset>"#;
        let map = parse(xml).expect("valid sitemap");
        assert_eq!(
            strs(&map.urls),
            [
                "https://example.com/a",
                "https://example.com/b?x=1&y=2&z=3%3C",
                "https://example.com/c?q=%3C&%3E",
            ]
        );
        assert!(map.sitemaps.is_empty());
    }

    #[test]
    fn without_namespace_or_with_a_prefix() {
        let plain = b"<urlset><url><loc>http://example.com/1</loc></url></urlset>";
        assert_eq!(
            strs(&parse(plain).expect("valid").urls),
            ["http://example.com/1"]
        );
        let prefixed = br#"<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sm:url><sm:loc>http://example.com/2</sm:loc></sm:url></sm:urlset>"#;
        assert_eq!(
            strs(&parse(prefixed).expect("valid").urls),
            ["http://example.com/2"]
        );
        assert_eq!(parse(b"<urlset/>").expect("valid"), Sitemap::default());
        assert_eq!(parse(b"").expect("valid"), Sitemap::default());
    }

    #[test]
    fn sitemap_index() {
        let xml = b"\xEF\xBB\xBF<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>
            <sitemap><loc>https://example.com/s1.xml.gz</loc><lastmod>2024-01-01</lastmod></sitemap>
            <sitemap><loc>https://example.com/s2.xml</loc></sitemap>
          </sitemapindex>";
        let map = parse(xml).expect("valid index");
        assert_eq!(
            strs(&map.sitemaps),
            [
                "https://example.com/s1.xml.gz",
                "https://example.com/s2.xml"
            ]
        );
        assert!(map.urls.is_empty());
    }

    #[test]
    fn dangling_ampersands_are_literal() {
        let xml = b"<urlset><url><loc>https://example.com/?a=1&b=2</loc></url></urlset>";
        assert_eq!(
            strs(&parse(xml).expect("lenient").urls),
            ["https://example.com/?a=1&b=2"]
        );
    }

    #[test]
    fn gzip_xml_and_text() {
        let xml = gzip(b"<urlset><url><loc>https://example.com/gz</loc></url></urlset>");
        assert_eq!(
            strs(&parse(&xml).expect("valid").urls),
            ["https://example.com/gz"]
        );
        let text = gzip(b"https://example.com/t1\nhttps://example.com/t2\n");
        assert_eq!(
            strs(&parse(&text).expect("valid").urls),
            ["https://example.com/t1", "https://example.com/t2"]
        );
    }

    #[test]
    fn text_sitemap() {
        let text = b"\xEF\xBB\xBFhttps://example.com/1\r\n\n   http://example.com/2  \r\nnot a url\n/relative\nmailto:x@example.com\nhttps://example.com/3";
        let map = parse(text).expect("valid");
        assert_eq!(
            strs(&map.urls),
            [
                "https://example.com/1",
                "http://example.com/2",
                "https://example.com/3"
            ]
        );
        // Binary garbage is just lines that are not URLs.
        assert_eq!(
            parse(&[0x00, 0xFF, 0xFE, b'\n', 0x80]).expect("lenient"),
            Sitemap::default()
        );
    }

    #[test]
    fn broken_xml_is_an_error_naming_the_sitemap_with_the_partial_result() {
        let xml = b"<urlset><url><loc>https://example.com/1</loc></url><url><loc>x</url></urlset>";
        let err = parse(xml).expect_err("mismatched end tag");
        assert!(err.is_malformed() && !err.is_truncated());
        assert_eq!(err.url(), &at());
        let shown = err.to_string();
        assert!(
            shown.contains("https://example.com/sitemap.xml") && shown.contains("malformed XML"),
            "{shown}"
        );
        assert!(std::error::Error::source(&err).is_some());
        assert_eq!(strs(&err.partial().urls), ["https://example.com/1"]);
    }

    #[test]
    fn truncated_xml_keeps_what_was_read() {
        let xml =
            b"<urlset><url><loc>https://example.com/1</loc></url><url><loc>https://example.com/2";
        let err = parse(xml).expect_err("truncated");
        assert!(err.is_truncated() && err.is_malformed(), "{err}");
        assert!(err.to_string().contains("ends inside <loc>"), "{err}");
        let err = parse(b"<urlset><url><loc>https://example.com/1</loc>").expect_err("truncated");
        assert!(err.to_string().contains("ends inside <url>"), "{err}");
        // A complete <loc> counts even when its <url> was cut off.
        assert_eq!(strs(&err.partial().urls), ["https://example.com/1"]);
        assert_eq!(strs(&err.into_partial().urls), ["https://example.com/1"]);
    }

    #[test]
    fn xml_that_is_not_a_sitemap() {
        let err = parse(b"<!DOCTYPE html><html><body>Not found</body></html>").expect_err("html");
        assert!(err.is_malformed());
        assert!(err.to_string().contains("<html>"), "{err}");
        let err = parse(b"<?xml version='1.0'?><!-- nothing -->").expect_err("no root");
        assert!(err.is_malformed(), "{err}");
    }

    #[test]
    fn corrupt_gzip() {
        let mut data = gzip(b"<urlset><url><loc>https://example.com/1</loc></url></urlset>");
        let mid = data.len() / 2;
        data[mid..].iter_mut().for_each(|b| *b = !*b);
        let err = parse(&data).expect_err("corrupt");
        assert!(err.is_decompression() || err.is_malformed(), "{err}");
        assert!(parse(&[0x1f, 0x8b]).is_err());
    }

    #[test]
    fn gzip_bomb_over_the_cap() {
        // One small member with a URL, then the same 1 MiB-of-spaces member 51 times:
        // about 60 KiB on the wire, over 50 MiB inflated.
        let mut bomb = gzip(b"<urlset><url><loc>https://example.com/before</loc></url>");
        let spaces = gzip(&vec![b' '; 1 << 20]);
        for _ in 0..51 {
            bomb.extend_from_slice(&spaces);
        }
        assert!(bomb.len() < 128 * 1024, "{} bytes", bomb.len());
        let err = parse(&bomb).expect_err("over the cap");
        assert!(err.is_too_large(), "{err}");
        assert!(err.to_string().contains("52428800 bytes"), "{err}");
        assert_eq!(strs(&err.partial().urls), ["https://example.com/before"]);
    }

    #[test]
    fn long_locs_are_skipped() {
        let long = format!(
            "<urlset><url><loc>https://example.com/{}</loc></url><url><loc>https://example.com/ok</loc></url></urlset>",
            "a".repeat(MAX_LINK_LEN)
        );
        assert_eq!(
            strs(&parse(long.as_bytes()).expect("valid").urls),
            ["https://example.com/ok"]
        );
    }
}
