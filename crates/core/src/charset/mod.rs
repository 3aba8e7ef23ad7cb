//! Charset sniffing and decoding: turning a response body into text the way a
//! browser would.
//!
//! # Decision order
//!
//! [`sniff`] (and [`decode`], which uses it) settles the encoding with the
//! first of these steps that gives an answer:
//!
//! 1. **Byte order mark** (UTF-8, UTF-16LE, UTF-16BE) → [`Source::Bom`]. The
//!    WHATWG Encoding Standard's *decode* algorithm lets a BOM override every
//!    other signal, and browsers do exactly that, so a page with a BOM reads
//!    the same here as in a browser even when its header lies.
//! 2. **The `charset` parameter of `Content-Type`** → [`Source::Header`]. The
//!    transport-layer declaration is authoritative in the HTML Standard and
//!    for XML (RFC 7303). A label the WHATWG table does not know
//!    (`charset=foo`) is ignored and the next step decides, as browsers do.
//! 3. **An in-document declaration**, depending on the type:
//!    - HTML (`text/html`, `application/xhtml+xml`, or no usable content type,
//!      since crawled pages without a type are overwhelmingly HTML): the HTML
//!      Standard's *prescan* of the first 1024 bytes for `<meta charset>` /
//!      `<meta http-equiv=content-type>` → [`Source::Meta`]; when it finds
//!      none it falls back on an XML declaration at the first byte →
//!      [`Source::XmlDeclaration`] (see [`prescan()`]).
//!    - XML (`text/xml`, `application/xml`, `*+xml` such as RSS and Atom):
//!      the `<?xml … encoding="…"?>` declaration → [`Source::XmlDeclaration`].
//! 4. **JSON** (`application/json`, `*+json`) is UTF-8 → [`Source::Default`]:
//!    RFC 8259 requires UTF-8 for JSON exchanged between systems, and a
//!    `<meta>` inside a JSON string must not change how it is read.
//! 5. **Detection** with [chardetng] (the detector Firefox uses) for other text
//!    types and for HTML/XML that declares nothing → [`Source::Detected`].
//!    UTF-8 is allowed as a guess: browsers forbid that for web-compat
//!    reasons that do not apply to a crawler, and most undeclared modern
//!    pages are UTF-8.
//! 6. **Non-text types** (`image/*`, `application/octet-stream`, …): UTF-8,
//!    lossily → [`Source::Default`]. Guessing a legacy encoding for bytes that
//!    are not text would only invent characters.
//!
//! Declared labels are resolved through the WHATWG label table
//! ([`Encoding::for_label`]), so `latin1` means windows-1252, `gb2312` means
//! GBK, and `iso-2022-kr` means the *replacement* encoding (decodes to one
//! U+FFFD), exactly as in browsers.
//!
//! Decoding never fails: malformed sequences become U+FFFD and
//! [`Decoded::had_errors`] says so.
//!
//! ```
//! use ferrocrawl_core::charset::{self, Source};
//!
//! let body = b"<meta charset=\"windows-1251\"><p>\xcf\xf0\xe8\xe2\xe5\xf2</p>";
//! let decoded = charset::decode(body, Some("text/html"));
//! assert_eq!(decoded.encoding, encoding_rs::WINDOWS_1251);
//! assert_eq!(decoded.source, Source::Meta);
//! assert!(decoded.text.ends_with("<p>Привет</p>"));
//! ```
//!
//! [chardetng]: https://docs.rs/chardetng

mod content_type;
mod prescan;

use chardetng::{EncodingDetector, Iso2022JpDetection, Utf8Detection};
use std::borrow::Cow;

use bytes::Bytes;
use bytestring::ByteString;
use encoding_rs::{Encoding, UTF_8};

use content_type::Kind;
use prescan::Found;

/// How many bytes the detector reads, counted from the first non-ASCII (or
/// ESC) byte.
///
/// chardetng's guess settles within a few kilobytes of natural text, while
/// its cost is linear in what it is fed (it scores ~27 candidate encodings
/// per byte), so a bounded window keeps multi-megabyte bodies cheap. The
/// window starts at the first non-ASCII byte rather than at the start of the
/// body because pages often open with tens of kilobytes of ASCII-only
/// scripts and styles; the detector skips that ASCII prefix cheaply.
const DETECTION_WINDOW: usize = 64 * 1024;

/// Where the encoding decision came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// A byte order mark at the start of the body.
    Bom,
    /// The `charset` parameter of the `Content-Type` header.
    Header,
    /// A `<meta>` element found by the HTML prescan.
    Meta,
    /// An XML declaration (`<?xml … encoding="…"?>`).
    XmlDeclaration,
    /// Guessed from the bytes by the detector.
    Detected,
    /// A fixed rule: JSON is UTF-8, and non-text bodies are read as UTF-8.
    Default,
}

/// A decoded body.
#[derive(Clone, Debug)]
pub struct Decoded {
    /// The text; malformed input became U+FFFD. A BOM is not part of it.
    /// It derefs to `str`; decoded from a response's UTF-8 body it shares the
    /// body's buffer instead of copying it.
    pub text: ByteString,
    /// The encoding the body was decoded with.
    pub encoding: &'static Encoding,
    /// Where that encoding came from.
    pub source: Source,
    /// Whether malformed sequences were replaced with U+FFFD.
    pub had_errors: bool,
}

/// Decides the encoding of a response body and decodes it to text.
///
/// `content_type` is the `Content-Type` header value, if any. See the
/// [module documentation](self) for the decision order. Never panics.
pub fn decode(body: &[u8], content_type: Option<&str>) -> Decoded {
    decode_with(body, content_type, |text, _| {
        ByteString::from(text.into_owned())
    })
}

/// [`decode`] for a body already in a [`Bytes`] buffer: when the body is
/// UTF-8 that decodes to itself (valid UTF-8, or ASCII-only text in an
/// ASCII-compatible encoding), the text shares the buffer instead of copying
/// it. Responses decode this way.
pub fn decode_shared(body: &Bytes, content_type: Option<&str>) -> Decoded {
    let decision = decide(body, content_type);
    if decision.encoding == UTF_8 {
        // Valid UTF-8 is its own text: validating it while taking the shared
        // buffer is the only pass over it (encoding_rs would make a second).
        let bom_length = decision.bom_length.min(body.len());
        if let Ok(text) = ByteString::try_from(body.slice(bom_length..)) {
            return Decoded {
                text,
                encoding: UTF_8,
                source: decision.source,
                had_errors: false,
            };
        }
    }
    decode_decided(body, decision, |text, bom_length| match text {
        // Borrowed means the payload itself is the text: share it.
        Cow::Borrowed(_) => ByteString::try_from(body.slice(bom_length..))
            .unwrap_or_else(|_| ByteString::from(text.as_ref())),
        Cow::Owned(owned) => ByteString::from(owned),
    })
}

fn decode_with(
    body: &[u8],
    content_type: Option<&str>,
    text: impl FnOnce(Cow<'_, str>, usize) -> ByteString,
) -> Decoded {
    decode_decided(body, decide(body, content_type), text)
}

fn decode_decided(
    body: &[u8],
    decision: Decision,
    text: impl FnOnce(Cow<'_, str>, usize) -> ByteString,
) -> Decoded {
    let Decision {
        encoding,
        source,
        bom_length,
    } = decision;
    // The BOM, if any, was consumed by the decision; decoding without BOM
    // handling keeps `had_errors` honest and the decision authoritative.
    let bom_length = bom_length.min(body.len());
    let payload = body.get(bom_length..).unwrap_or_default();
    // For ASCII-compatible encodings encoding_rs checks for an all-ASCII
    // input with SIMD first and then only borrows.
    let (decoded, had_errors) = encoding.decode_without_bom_handling(payload);
    Decoded {
        text: text(decoded, bom_length),
        encoding,
        source,
        had_errors,
    }
}

/// Decides the encoding of a response body without decoding it.
///
/// Same decision as [`decode`]. Never panics.
pub fn sniff(body: &[u8], content_type: Option<&str>) -> (&'static Encoding, Source) {
    let decision = decide(body, content_type);
    (decision.encoding, decision.source)
}

/// The HTML Standard's "prescan a byte stream to determine its encoding",
/// over the first 1024 bytes of `bytes`.
///
/// Finds `<meta charset=…>` and `<meta http-equiv="content-type"
/// content="…; charset=…">` while skipping comments and other tags the way
/// the spec does. A declared UTF-16 means UTF-8 and x-user-defined means
/// windows-1252 (a document whose markup was readable as ASCII is neither).
/// Without a usable `<meta>`, it returns the encoding of an XML declaration
/// at the very first byte, as the spec's "get an XML encoding" step says; and
/// a document that starts with `<?x` in UTF-16 (no BOM) is UTF-16LE/BE.
///
/// `None` is the spec's null: the caller goes on to other means (the HTML
/// default being a locale-dependent encoding such as windows-1252).
///
/// ```
/// use ferrocrawl_core::charset::prescan;
///
/// assert_eq!(prescan(b"<!-- x --><meta charset='euc-jp'>"), Some(encoding_rs::EUC_JP));
/// assert_eq!(prescan(b"<title>no declaration</title>"), None);
/// ```
pub fn prescan(bytes: &[u8]) -> Option<&'static Encoding> {
    prescan::prescan(bytes).map(Found::encoding)
}

/// The `charset` parameter of a `Content-Type` value, resolved through the
/// WHATWG label table ([`Encoding::for_label`]).
///
/// `None` when the value is not a valid MIME type, has no `charset`, or names
/// an encoding the table does not know. Quoted values (`charset="gbk"`) and
/// combined header values (`text/html, text/html; charset=gbk`) are handled
/// as the Fetch Standard's "extract a MIME type" does.
///
/// ```
/// use ferrocrawl_core::charset::from_content_type;
///
/// assert_eq!(from_content_type("text/html; charset=\"GBK\""), Some(encoding_rs::GBK));
/// assert_eq!(from_content_type("text/html; charset=latin1"), Some(encoding_rs::WINDOWS_1252));
/// assert_eq!(from_content_type("text/html; charset=foo"), None);
/// ```
pub fn from_content_type(content_type: &str) -> Option<&'static Encoding> {
    let charset = content_type::extract(content_type)?.charset?;
    Encoding::for_label(&charset)
}

/// The outcome of [`decide`]: the encoding, why, and how many leading bytes
/// are a BOM to skip.
struct Decision {
    encoding: &'static Encoding,
    source: Source,
    bom_length: usize,
}

fn decide(body: &[u8], content_type: Option<&str>) -> Decision {
    let decision = |encoding, source| Decision {
        encoding,
        source,
        bom_length: 0,
    };
    if let Some((encoding, bom_length)) = Encoding::for_bom(body) {
        return Decision {
            encoding,
            source: Source::Bom,
            bom_length,
        };
    }
    let mime = content_type.and_then(content_type::extract);
    if let Some(encoding) = mime
        .as_ref()
        .and_then(|mime| mime.charset.as_deref())
        .and_then(Encoding::for_label)
    {
        return decision(encoding, Source::Header);
    }
    // A missing or unparseable type is sniffed like HTML: that is what a
    // browser would render it as, and a meta declaration is the best
    // evidence there is.
    let kind = mime.as_ref().map_or(Kind::Html, |mime| mime.kind());
    match kind {
        Kind::Html => match prescan::prescan(body) {
            Some(Found::Meta(encoding)) => decision(encoding, Source::Meta),
            Some(Found::XmlDeclaration(encoding)) => decision(encoding, Source::XmlDeclaration),
            None => decision(detect(body), Source::Detected),
        },
        Kind::Xml => match prescan::xml_declaration(body) {
            Some(encoding) => decision(encoding, Source::XmlDeclaration),
            None => decision(detect(body), Source::Detected),
        },
        Kind::Json | Kind::Binary => decision(UTF_8, Source::Default),
        Kind::Text => decision(detect(body), Source::Detected),
    }
}

/// Guesses the encoding with chardetng.
fn detect(body: &[u8]) -> &'static Encoding {
    let ascii_prefix = Encoding::ascii_valid_up_to(body);
    // ESC is the one ASCII byte the detector cares about: it may start
    // ISO-2022-JP, which is 7-bit yet not ASCII.
    let start = body
        .get(..ascii_prefix)
        .and_then(|ascii| ascii.iter().position(|&b| b == 0x1B))
        .unwrap_or(ascii_prefix);
    // All ASCII without ESC: every ASCII-compatible encoding reads it the
    // same, and chardetng (UTF-8 allowed) would answer UTF-8, so skip
    // building the detector.
    if start == body.len() {
        return UTF_8;
    }
    let end = start.saturating_add(DETECTION_WINDOW).min(body.len());
    // Valid UTF-8 with a non-ASCII byte inside the window is what chardetng
    // (UTF-8 allowed) answers UTF-8 for, whatever else it scores: say so
    // without building the detector, which costs ~27 scorers per byte. The
    // check is SIMD and runs over the rest of the body, not just the window.
    // (A window without non-ASCII is left to the detector: ESCs there may
    // make it ISO-2022-JP.)
    if ascii_prefix < end {
        let rest = body.get(ascii_prefix..).unwrap_or_default();
        if Encoding::utf8_valid_up_to(rest) == rest.len() {
            return UTF_8;
        }
    }
    let window = body.get(..end).unwrap_or(body);
    // ISO-2022-JP is allowed: browsers forbid it as an XSS precaution that
    // is irrelevant to text extraction, and old Japanese pages use it.
    let mut detector = EncodingDetector::new(Iso2022JpDetection::Allow);
    // `last` only when the window is the whole body: a window cut inside a
    // multi-byte character must not count as a malformed ending.
    detector.feed(window, end == body.len());
    // No TLD: the crawler's URL is not known here, and None means "generic".
    detector.guess(None, Utf8Detection::Allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `detect` answered before it trusted valid UTF-8: chardetng over
    /// the window.
    fn chardetng_alone(body: &[u8]) -> &'static Encoding {
        let ascii_prefix = Encoding::ascii_valid_up_to(body);
        let start = body[..ascii_prefix]
            .iter()
            .position(|&b| b == 0x1B)
            .unwrap_or(ascii_prefix);
        if start == body.len() {
            return UTF_8;
        }
        let end = start.saturating_add(DETECTION_WINDOW).min(body.len());
        let mut detector = EncodingDetector::new(Iso2022JpDetection::Allow);
        detector.feed(&body[..end], end == body.len());
        detector.guess(None, Utf8Detection::Allow)
    }

    #[test]
    fn trusting_valid_utf8_answers_what_the_detector_would() {
        let long_ascii = "<p>plain</p>".repeat(DETECTION_WINDOW / 8);
        let esc = "\x1b$B$3$s$K$A$O\x1b(B";
        let mut bodies: Vec<Vec<u8>> = vec![
            format!("<p>{CHINESE_SIMPLIFIED}</p>").into_bytes(),
            format!("<p>{FRENCH}</p>").into_bytes(),
            format!("<p>{JAPANESE}</p>{long_ascii}").into_bytes(),
            // ESC first, UTF-8 inside the window, and past it
            format!("{esc}<p>{FRENCH}</p>").into_bytes(),
            format!("{esc}{long_ascii}{long_ascii}<p>{FRENCH}</p>").into_bytes(),
            // invalid UTF-8 after a valid start, inside and past the window
            [FRENCH.as_bytes(), b"\xff"].concat(),
            [
                FRENCH.as_bytes(),
                long_ascii.as_bytes(),
                long_ascii.as_bytes(),
                b"\xe9t\xe9",
            ]
            .concat(),
            encode(FRENCH, WINDOWS_1252),
            encode(JAPANESE, SHIFT_JIS),
        ];
        bodies.push(encode(&format!("{esc}{FRENCH}"), WINDOWS_1252));
        for body in &bodies {
            assert_eq!(
                detect(body),
                chardetng_alone(body),
                "{:?}",
                String::from_utf8_lossy(&body[..body.len().min(80)])
            );
        }
    }

    #[test]
    fn utf8_bodies_share_their_buffer_and_others_are_decoded() {
        let body = Bytes::from_static("\u{feff}<p>héllo</p>".as_bytes());
        let d = decode_shared(&body, Some("text/html; charset=utf-8"));
        assert_eq!(&*d.text, "<p>héllo</p>");
        assert_eq!(d.text.as_bytes().as_ptr(), body[3..].as_ptr(), "no copy");
        let latin1 = Bytes::from_static(b"<p>h\xe9llo</p>");
        let d = decode_shared(&latin1, Some("text/html; charset=windows-1252"));
        assert_eq!(&*d.text, "<p>héllo</p>");
        let broken = Bytes::from_static(b"<p>h\xffllo</p>");
        let d = decode_shared(&broken, Some("text/html; charset=utf-8"));
        assert_eq!((&*d.text, d.had_errors), ("<p>h\u{fffd}llo</p>", true));
    }
    use encoding_rs::{
        BIG5, EUC_JP, GBK, ISO_8859_2, SHIFT_JIS, UTF_16BE, UTF_16LE, WINDOWS_1251, WINDOWS_1252,
    };

    const CHINESE_SIMPLIFIED: &str = "中华人民共和国位于亚洲东部，首都是北京。\
        全国共有三十四个省级行政区，人口超过十四亿。中国有着悠久的历史和灿烂的文化，\
        长城、故宫和兵马俑都是世界闻名的名胜古迹。近年来，中国经济发展迅速，\
        科学技术水平不断提高，人民生活也越来越好。";
    const JAPANESE: &str = "日本は東アジアに位置する島国で、首都は東京です。\
        四季がはっきりしていて、春には桜が咲き、秋には紅葉がとても美しいです。\
        日本料理は世界中で人気があり、寿司やラーメン、天ぷらなどがよく知られています。\
        毎年たくさんの観光客が京都や奈良の古いお寺を訪れます。";
    const CHINESE_TRADITIONAL: &str = "臺灣位於東亞，是一個美麗的島嶼。\
        這裡有高山、森林和海洋，自然景觀非常豐富。臺北是最大的城市，擁有許多博物館和夜市。\
        臺灣的小吃很有名，例如牛肉麵、珍珠奶茶和蚵仔煎，吸引了很多來自世界各地的遊客。";
    const FRENCH: &str = "Le château de Versailles est une ancienne résidence royale française. \
        Située à une vingtaine de kilomètres de Paris, elle a été construite à la demande \
        de Louis XIV. Aujourd'hui, des millions de visiteurs étrangers découvrent chaque \
        année ses jardins, ses fontaines et la célèbre galerie des Glaces. \
        Ça dépend de la météo de l'été, évidemment, mais la forêt voisine est très appréciée.";

    fn encode(text: &str, encoding: &'static Encoding) -> Vec<u8> {
        let (bytes, _, unmappable) = encoding.encode(text);
        assert!(!unmappable, "{} cannot encode the sample", encoding.name());
        bytes.into_owned()
    }

    #[test]
    fn bom_beats_header_and_meta() {
        let mut body = b"\xEF\xBB\xBF<meta charset=shift_jis>".to_vec();
        body.extend_from_slice("é".as_bytes());
        let d = decode(&body, Some("text/html; charset=windows-1252"));
        assert_eq!((d.encoding, d.source), (UTF_8, Source::Bom));
        assert_eq!(d.text, "<meta charset=shift_jis>é");
        assert!(!d.had_errors);

        let d = decode(b"\xFF\xFEh\0i\0", Some("text/plain; charset=utf-8"));
        assert_eq!(
            (d.encoding, d.source, &*d.text),
            (UTF_16LE, Source::Bom, "hi")
        );
        let d = decode(b"\xFE\xFF\0h\0i", Some("application/json"));
        assert_eq!(
            (d.encoding, d.source, &*d.text),
            (UTF_16BE, Source::Bom, "hi")
        );
    }

    #[test]
    fn header_beats_meta() {
        let d = decode(
            b"<meta charset=euc-jp>\xE9",
            Some("text/html; charset=iso-8859-2"),
        );
        assert_eq!((d.encoding, d.source), (ISO_8859_2, Source::Header));
        assert_eq!(d.text, "<meta charset=euc-jp>é");
    }

    #[test]
    fn unknown_header_label_falls_through() {
        let body = b"<meta charset=windows-1251>\xCF\xF0\xE8\xE2\xE5\xF2";
        let d = decode(body, Some("text/html; charset=foo"));
        assert_eq!((d.encoding, d.source), (WINDOWS_1251, Source::Meta));
        assert!(d.text.ends_with("Привет"));
        assert_eq!(
            sniff(b"plain ascii", Some("text/plain; charset=foo")),
            (UTF_8, Source::Detected)
        );
        assert_eq!(from_content_type("text/html; charset=foo"), None);
    }

    #[test]
    fn json_ignores_meta() {
        let body = "{\"html\": \"<meta charset=shift_jis>\", \"name\": \"José\"}".as_bytes();
        for ct in [
            "application/json",
            "application/ld+json; profile=x",
            "text/json",
        ] {
            let d = decode(body, Some(ct));
            assert_eq!((d.encoding, d.source), (UTF_8, Source::Default), "{ct}");
            assert!(d.text.contains("José"));
        }
        // The header still wins over the JSON rule.
        let d = decode(
            b"{\"a\": \"\xE9\"}",
            Some("application/json; charset=latin1"),
        );
        assert_eq!(
            (d.encoding, d.source, &*d.text),
            (WINDOWS_1252, Source::Header, "{\"a\": \"é\"}")
        );
    }

    #[test]
    fn quoted_header_charset() {
        let body = encode(CHINESE_SIMPLIFIED, GBK);
        let d = decode(&body, Some("text/html; charset=\"gbk\""));
        assert_eq!((d.encoding, d.source), (GBK, Source::Header));
        assert_eq!(d.text, CHINESE_SIMPLIFIED);
        assert_eq!(from_content_type("text/html;charset=\"GB2312\""), Some(GBK));
    }

    #[test]
    fn round_trips() {
        let samples: [(&str, &'static Encoding, &str); 4] = [
            (CHINESE_SIMPLIFIED, GBK, "gbk"),
            (JAPANESE, SHIFT_JIS, "shift_jis"),
            (CHINESE_TRADITIONAL, BIG5, "big5"),
            (FRENCH, WINDOWS_1252, "latin1"),
        ];
        for (text, encoding, label) in samples {
            let body = encode(text, encoding);

            let d = decode(&body, Some(&format!("text/plain; charset={label}")));
            assert_eq!(
                (d.encoding, d.source),
                (encoding, Source::Header),
                "{label}"
            );
            assert_eq!(d.text, text);
            assert!(!d.had_errors);

            let mut page = format!("<!DOCTYPE html><html><head><meta charset=\"{label}\"><title>t</title></head><body><p>").into_bytes();
            page.extend_from_slice(&body);
            page.extend_from_slice(b"</p></body></html>");
            let d = decode(&page, Some("text/html"));
            assert_eq!((d.encoding, d.source), (encoding, Source::Meta), "{label}");
            assert!(d.text.contains(text));

            let d = decode(&body, None);
            assert_eq!(
                (d.encoding, d.source),
                (encoding, Source::Detected),
                "{label}"
            );
            assert_eq!(d.text, text);
            let d = decode(&body, Some("text/plain"));
            assert_eq!(
                (d.encoding, d.source),
                (encoding, Source::Detected),
                "{label}"
            );
        }
    }

    #[test]
    fn xml_declaration() {
        let body = b"<?xml version=\"1.0\" encoding=\"EUC-JP\"?><rss><title>\xC6\xFC\xCB\xDC</title></rss>";
        for ct in ["application/rss+xml", "text/xml", "application/atom+xml"] {
            let d = decode(body, Some(ct));
            assert_eq!(
                (d.encoding, d.source),
                (EUC_JP, Source::XmlDeclaration),
                "{ct}"
            );
            assert!(d.text.contains("<title>日本</title>"));
        }
        // Without a type the HTML prescan falls back on the declaration.
        assert_eq!(sniff(body, None), (EUC_JP, Source::XmlDeclaration));
        // XML that declares nothing is detected (valid UTF-8 here).
        let d = decode(
            "<rss><title>日本</title></rss>".as_bytes(),
            Some("application/xml"),
        );
        assert_eq!((d.encoding, d.source), (UTF_8, Source::Detected));
    }

    #[test]
    fn non_text_is_lossy_utf8() {
        let d = decode(b"\x89PNG\r\n\x1a\n\0\xff", Some("image/png"));
        assert_eq!((d.encoding, d.source), (UTF_8, Source::Default));
        assert!(d.had_errors);
        assert!(d.text.starts_with('\u{FFFD}'));
    }

    #[test]
    fn ascii_is_utf8_and_clean() {
        let d = decode(b"<html><body>hello</body></html>", None);
        assert_eq!(
            (d.encoding, d.source, d.had_errors),
            (UTF_8, Source::Detected, false)
        );
        assert_eq!(decode(b"", None).text, "");
    }

    #[test]
    fn iso_2022_jp_is_detected() {
        let body = encode(JAPANESE, encoding_rs::ISO_2022_JP);
        let d = decode(&body, Some("text/plain"));
        assert_eq!(d.encoding, encoding_rs::ISO_2022_JP);
        assert_eq!(d.text, JAPANESE);
    }

    #[test]
    fn long_ascii_prefix_does_not_hide_the_text() {
        let mut body = vec![b' '; 3 * DETECTION_WINDOW];
        body.extend_from_slice(&encode(JAPANESE, SHIFT_JIS));
        assert_eq!(
            sniff(&body, Some("text/plain")),
            (SHIFT_JIS, Source::Detected)
        );
    }

    #[test]
    fn window_cut_inside_a_character_is_not_an_error() {
        // 'é' is two bytes in UTF-8; an odd prefix length splits one at the
        // window's end, which must not disqualify UTF-8.
        let mut body = b"x".to_vec();
        body.extend("é".repeat(DETECTION_WINDOW).as_bytes());
        assert_eq!(sniff(&body, Some("text/plain")), (UTF_8, Source::Detected));
    }

    #[test]
    fn huge_bodies() {
        let sample = encode(JAPANESE, SHIFT_JIS);
        let body: Vec<u8> = sample.iter().copied().cycle().take(4 << 20).collect();
        let d = decode(&body, None);
        assert_eq!((d.encoding, d.source), (SHIFT_JIS, Source::Detected));
        assert!(d.text.starts_with(JAPANESE));
        // Terminal colours are ESC sequences but not ISO-2022-JP.
        let log = b"\x1b[31mred\x1b[0m and a plain log line\n".repeat(100_000);
        assert_eq!(sniff(&log, Some("text/plain")), (UTF_8, Source::Detected));
    }

    #[test]
    fn garbage_never_panics() {
        // A small xorshift generator: reproducible without a dependency.
        let mut state = 0x2545_F491_4F6C_DD1D_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"<>!-/?=\"' \t\nmetacharsetMETAhttp-equivcontent;xml\x00\xFE\xFF\xEF\xBB\xBF\x1B\x80\xE3";
        let types = [
            None,
            Some("text/html"),
            Some("text/xml"),
            Some("text/plain"),
            Some("application/json"),
            Some("image/gif"),
            Some("text/html; charset=\"utf-16"),
            Some(";;=\",,"),
        ];
        for round in 0..2000 {
            let len = usize::try_from(next() % 64).unwrap();
            let body: Vec<u8> = (0..len)
                .map(|_| {
                    let r = next();
                    if r % 3 == 0 {
                        r.to_le_bytes()[1]
                    } else {
                        alphabet[usize::try_from(r % alphabet.len() as u64).unwrap()]
                    }
                })
                .collect();
            let ct = types[round % types.len()];
            let d = decode(&body, ct);
            assert_eq!(sniff(&body, ct), (d.encoding, d.source));
            let _ = prescan(&body);
        }
    }
}
