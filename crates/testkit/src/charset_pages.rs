//! HTML pages in legacy encodings, for testing charset detection.
//!
//! Each page carries a few hundred characters of natural text so that a
//! statistical detector has real language to work on when the page declares
//! nothing.

use encoding_rs::Encoding;

/// Where a charset page declares its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Declaration {
    /// Only in the `Content-Type` header.
    Header,
    /// Only in `<meta charset="…">`.
    Meta,
    /// Only in `<meta http-equiv="Content-Type" content="…; charset=…">`.
    HttpEquiv,
    /// Nowhere.
    None,
}

impl Declaration {
    /// Parses the `{where}` path segment.
    pub(crate) fn parse(raw: &str) -> Option<Self> {
        match raw {
            "header" => Some(Self::Header),
            "meta" => Some(Self::Meta),
            "http-equiv" => Some(Self::HttpEquiv),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// One supported encoding.
struct Charset {
    encoding: &'static Encoding,
    /// The label written into headers and meta tags.
    label: &'static str,
    sample: &'static str,
}

/// The encoding names `/charset/{enc}` accepts, as documented.
pub(crate) const NAMES: [&str; 7] = [
    "gbk",
    "gb18030",
    "shift_jis",
    "big5",
    "euc-kr",
    "latin1",
    "utf-8",
];

fn lookup(name: &str) -> Option<Charset> {
    let name = name.to_ascii_lowercase();
    let (encoding, label, sample) = match name.as_str() {
        "gbk" => (encoding_rs::GBK, "gbk", samples::GBK),
        "gb18030" => (encoding_rs::GB18030, "gb18030", samples::GB18030),
        "shift_jis" | "shift-jis" | "sjis" => {
            (encoding_rs::SHIFT_JIS, "shift_jis", samples::SHIFT_JIS)
        }
        "big5" => (encoding_rs::BIG5, "big5", samples::BIG5),
        "euc-kr" | "euc_kr" => (encoding_rs::EUC_KR, "euc-kr", samples::EUC_KR),
        // Browsers and encoding_rs treat ISO-8859-1 as windows-1252; the
        // sample sticks to characters both agree on, so the realistic
        // ISO-8859-1 label is safe to declare.
        "latin1" | "iso-8859-1" | "windows-1252" => {
            (encoding_rs::WINDOWS_1252, "iso-8859-1", samples::LATIN1)
        }
        "utf-8" | "utf8" => (encoding_rs::UTF_8, "utf-8", samples::UTF_8),
        _ => return None,
    };
    Some(Charset {
        encoding,
        label,
        sample,
    })
}

/// The natural-language text embedded in each `/charset/{encoding}/…` page,
/// so a test can check that the decoded page contains it.
///
/// `encoding` is one of `gbk`, `gb18030`, `shift_jis`, `big5`, `euc-kr`,
/// `latin1` (served as windows-1252, declared as ISO-8859-1) or `utf-8`,
/// matched case-insensitively; a few aliases (`sjis`, `iso-8859-1`,
/// `windows-1252`, `utf8`) work too. Returns `None` for anything else.
pub fn charset_sample(encoding: &str) -> Option<&'static str> {
    lookup(encoding).map(|c| c.sample)
}

/// A rendered charset page: its `Content-Type` and encoded bytes.
#[derive(Debug)]
pub(crate) struct CharsetPage {
    pub(crate) content_type: String,
    pub(crate) body: Vec<u8>,
}

/// Renders the page for `encoding` declared at `declaration`, or `None` for
/// an unknown encoding.
pub(crate) fn charset_page(encoding: &str, declaration: Declaration) -> Option<CharsetPage> {
    let charset = lookup(encoding)?;
    let label = charset.label;
    let (content_type, head_declaration) = match declaration {
        Declaration::Header => (format!("text/html; charset={label}"), String::new()),
        Declaration::Meta => (
            "text/html".to_owned(),
            format!("<meta charset=\"{label}\">\n"),
        ),
        Declaration::HttpEquiv => (
            "text/html".to_owned(),
            format!("<meta http-equiv=\"Content-Type\" content=\"text/html; charset={label}\">\n"),
        ),
        Declaration::None => ("text/html".to_owned(), String::new()),
    };
    // The declaration comes first in <head> so it sits well inside the
    // 1024-byte prescan window browsers (and crawlers) look at.
    let html = format!(
        "<!DOCTYPE html>\n<html>\n<head>\n{head_declaration}<title>Charset test page</title>\n\
         </head>\n<body>\n<h1>Sample text</h1>\n<p>{sample}</p>\n</body>\n</html>\n",
        sample = charset.sample,
    );
    // Every sample is encodable in its own encoding (a unit test checks),
    // so no character is replaced by an HTML numeric reference.
    let (bytes, _, _) = charset.encoding.encode(&html);
    Some(CharsetPage {
        content_type,
        body: bytes.into_owned(),
    })
}

mod samples;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_long_and_encodable() {
        for name in NAMES {
            let charset = lookup(name).unwrap();
            let chars = charset.sample.chars().count();
            assert!(chars >= 300, "{name}: sample has only {chars} characters");
            let (_, _, had_errors) = charset.encoding.encode(charset.sample);
            assert!(!had_errors, "{name}: sample has unmappable characters");
        }
    }

    #[test]
    fn pages_round_trip_through_encoding_rs() {
        let wheres = [
            Declaration::Header,
            Declaration::Meta,
            Declaration::HttpEquiv,
            Declaration::None,
        ];
        for name in NAMES {
            for declaration in wheres {
                let page = charset_page(name, declaration).unwrap();
                let charset = lookup(name).unwrap();
                let (text, had_errors) = charset.encoding.decode_without_bom_handling(&page.body);
                assert!(!had_errors, "{name}/{declaration:?}");
                assert!(text.contains(charset_sample(name).unwrap()));
                let label = format!("charset={}", charset.label);
                let in_header = page.content_type.contains(&label);
                let in_body = text.contains(charset.label);
                match declaration {
                    Declaration::Header => assert!(in_header && !in_body),
                    Declaration::Meta => {
                        assert!(!in_header && text.contains("<meta charset="));
                    }
                    Declaration::HttpEquiv => {
                        assert!(!in_header && text.contains("http-equiv") && in_body);
                    }
                    Declaration::None => assert!(!in_header && !in_body),
                }
                if name != "utf-8" {
                    assert!(
                        std::str::from_utf8(&page.body).is_err(),
                        "{name} page should not be valid UTF-8"
                    );
                }
            }
        }
    }

    #[test]
    fn euc_kr_sample_stays_within_ks_x_1001() {
        // encoding_rs encodes EUC-KR as its superset windows-949; keeping to
        // the original EUC-KR range means stricter decoders agree too.
        let (bytes, _, _) = encoding_rs::EUC_KR.encode(samples::EUC_KR);
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] < 0x80 {
                i += 1;
                continue;
            }
            assert!((0xa1..=0xfe).contains(&bytes[i]), "lead byte at {i}");
            assert!((0xa1..=0xfe).contains(&bytes[i + 1]), "trail byte at {i}");
            i += 2;
        }
    }

    #[test]
    fn aliases_and_unknowns() {
        assert_eq!(charset_sample("SJIS"), charset_sample("shift_jis"));
        assert_eq!(charset_sample("windows-1252"), charset_sample("latin1"));
        assert!(charset_sample("koi8-r").is_none());
        assert!(charset_page("koi8-r", Declaration::Meta).is_none());
        assert_eq!(
            Declaration::parse("http-equiv"),
            Some(Declaration::HttpEquiv)
        );
        assert_eq!(Declaration::parse("body"), None);
    }
}
