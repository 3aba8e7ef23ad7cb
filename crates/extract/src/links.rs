//! The link extraction API: options, the link vocabulary and [`extract_links`].

use url::Url;

use crate::collect::Collector;

/// How [`extract_links`] filters what it finds.
#[derive(Clone, Debug, Default)]
pub struct LinkOptions {
    /// Drop links marked `rel=nofollow` (on the element) and all links when the page
    /// carries `<meta name=robots content=nofollow>` (or `none`). Default: `false`, the
    /// links are returned with [`Link::nofollow`] set and the caller decides.
    pub honour_nofollow: bool,
    /// Skip links whose path ends with one of these extensions (lowercase, without the dot,
    /// compared ASCII case-insensitively; multi-part ones like `tar.gz` work). Default: empty,
    /// nothing is skipped; [`LinkOptions::default_skip_extensions`] gives a list of
    /// non-HTML file types in the spirit of Scrapy's `IGNORED_EXTENSIONS`.
    pub skip_extensions: Vec<String>,
}

/// Which element a link came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// `<a href>`.
    Anchor,
    /// `<area href>` in an image map.
    Area,
    /// `<link href>` whose `rel` contains `next`, `prev` or `alternate`.
    LinkRel,
    /// `<iframe src>`.
    Iframe,
    /// `<frame src>`.
    Frame,
    /// `<meta http-equiv=refresh content="…; url=…">`.
    MetaRefresh,
}

/// One outgoing link, resolved and without its fragment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The absolute http(s) URL, resolved against the effective base, fragment removed.
    pub url: Url,
    /// The element the link came from.
    pub kind: LinkKind,
    /// `true` when every occurrence of this (url, kind) on the page carried `rel=nofollow`.
    /// Page-wide `<meta name=robots content=nofollow>` is reported in
    /// [`PageLinks::meta_nofollow`], not here.
    pub nofollow: bool,
    /// How the link was first written on the page, for a caller's [`KnownLinks`]. `None`
    /// when its resolution depends on the whole page URL (a value that is empty once the
    /// fragment is gone, or starts with `?`).
    pub memo: Option<LinkMemo>,
}

/// A link as written and as resolved, for [`KnownLinks`]: `key` stands for the pair (the
/// base URL's directory, the link value without its fragment), `target` for the URL it
/// resolved to.
///
/// A value that is not empty and does not start with `?` resolves the same way against
/// every base in one directory (`d` on `https://h/a/b.html` and on `https://h/a/c.html` is
/// `https://h/a/d`), so one key stands for one target on every page of that directory.
/// Both are hashes seeded once per process: keep them within one process.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LinkMemo {
    /// The (directory, value) pair.
    pub key: u64,
    /// The resolved, fragment-free URL.
    pub target: u64,
}

/// Links a caller has handled before, so that [`extract_links_with`] need not resolve them
/// again.
///
/// Sites repeat their navigation on every page: on the Rust docs 97% of the links on a
/// page lead to pages a crawler has already queued. Resolving each of them costs a URL
/// parse and an allocation, only for the caller to drop it. [`extract_links_with`] asks
/// [`KnownLinks::recall`] before resolving a link; one the caller recalls is counted in
/// [`PageLinks::known`] instead of being listed. The caller learns keys from
/// [`Link::memo`] of the links it handled.
pub trait KnownLinks {
    /// The target ([`LinkMemo::target`]) of the link written as `key`
    /// ([`LinkMemo::key`]), when the caller needs nothing more of it.
    fn recall(&self, key: u64) -> Option<u64>;
}

/// Nothing is known: every link is resolved and listed.
impl KnownLinks for () {
    fn recall(&self, _: u64) -> Option<u64> {
        None
    }
}

/// Everything [`extract_links`] learned from one page.
#[derive(Clone, Debug, Default)]
pub struct PageLinks {
    /// The links, in document order, each (url, kind) once.
    pub links: Vec<Link>,
    /// The text of the first `<title>`, whitespace collapsed and trimmed; `None` when absent
    /// or blank. Capped at [`MAX_TITLE_LEN`] bytes.
    pub title: Option<String>,
    /// The effective `<base href>`: the first `<base>` with an `href`, resolved against the
    /// page URL, when it is http(s). `None` means links resolve against the page URL.
    pub base: Option<Url>,
    /// The page said `<meta name=robots content=nofollow>` (or `none`).
    pub meta_nofollow: bool,
    /// The page said `<meta name=robots content=noindex>` (or `none`).
    pub meta_noindex: bool,
    /// Distinct links left out of [`PageLinks::links`] because the caller's [`KnownLinks`]
    /// recalled them; always 0 from [`extract_links`]. The page links to
    /// `links.len() + known` distinct (url, kind) pairs.
    pub known: usize,
    /// Links left out because [`LinkOptions`] skips their extension (images,
    /// archives, ...), resolved, so a crawl can say it skipped them.
    pub skipped: Vec<Url>,
}

/// Link values longer than this (in bytes, after trimming) are skipped: no crawler keeps
/// such URLs (Scrapy's limit is 2,083), and it bounds the work per attribute.
pub const MAX_LINK_LEN: usize = 8 * 1024;

/// [`PageLinks::title`] is cut (at a character boundary) after this many bytes.
pub const MAX_TITLE_LEN: usize = 1024;

// ===== impl LinkOptions =====

impl LinkOptions {
    /// File extensions that are almost never HTML pages: archives, images, audio, video,
    /// office documents and binaries, after Scrapy's `IGNORED_EXTENSIONS`.
    pub fn default_skip_extensions() -> Vec<String> {
        const EXTENSIONS: &[&str] = &[
            // archives
            "7z", "7zip", "bz2", "rar", "tar", "tar.gz", "xz", "zip", "gz", "tgz", "zst",
            // images
            "mng", "pct", "bmp", "gif", "jpg", "jpeg", "png", "pst", "psp", "tif", "tiff", "ai",
            "drw", "dxf", "eps", "ps", "svg", "cdr", "ico", "webp", "avif", "heic",
            // audio
            "mp3", "wma", "ogg", "wav", "ra", "aac", "mid", "au", "aiff", "flac", "m4a",
            // video
            "3gp", "asf", "asx", "avi", "mov", "mp4", "mpg", "mpeg", "qt", "rm", "swf", "wmv",
            "m4v", "flv", "webm", "mkv", // office suites
            "xls", "xlsx", "ppt", "pptx", "pps", "doc", "docx", "odt", "ods", "odg", "odp",
            // other
            "css", "pdf", "exe", "bin", "rss", "dmg", "iso", "apk", "jar", "msi", "deb", "rpm",
            "woff", "woff2", "ttf", "otf", "eot",
        ];
        EXTENSIONS.iter().map(|e| (*e).to_owned()).collect()
    }

    /// Whether `url`'s path ends with `.ext` for one of [`LinkOptions::skip_extensions`].
    pub(crate) fn skips(&self, url: &Url) -> bool {
        if self.skip_extensions.is_empty() {
            return false;
        }
        let path = url.path().as_bytes();
        self.skip_extensions.iter().any(|ext| {
            let ext = ext.as_bytes();
            path.len() > ext.len()
                && path[path.len() - ext.len() - 1] == b'.'
                && path[path.len() - ext.len()..].eq_ignore_ascii_case(ext)
        })
    }
}

/// Extracts the outgoing links, title, base and robots meta flags of an HTML page.
///
/// `html` is the decoded page text and `page_url` the final URL of the page (after
/// redirects). Never panics: markup that is not HTML yields an empty [`PageLinks`].
///
/// Sources: `a[href]`, `area[href]`, `link[href]` with a `rel` of `next`, `prev` or
/// `alternate`, `iframe[src]`, `frame[src]` and `<meta http-equiv=refresh>`. Values are
/// trimmed of ASCII whitespace (empty ones skipped), character references decoded, resolved
/// against the effective base with the WHATWG URL parser, and kept only when the result is
/// http or https; the fragment is dropped and each (url, kind) is kept once, in document
/// order.
pub fn extract_links(html: &str, page_url: &Url, opts: &LinkOptions) -> PageLinks {
    extract_links_with(html, page_url, opts, &())
}

/// [`extract_links`], leaving out the links `known` recalls (see [`KnownLinks`]): they are
/// neither resolved nor listed, only counted in [`PageLinks::known`].
///
/// `known` must only recall keys learned from links extracted with the same `opts`, since a
/// recalled link skips the filters too.
pub fn extract_links_with(
    html: &str,
    page_url: &Url,
    opts: &LinkOptions,
    known: &(impl KnownLinks + ?Sized),
) -> PageLinks {
    extract_links_in(html, page_url, opts, known, encoding_rs::UTF_8)
}

/// [`extract_links_with`] for a page decoded from `encoding`: as browsers
/// do (the WHATWG URL parser's encoding override), the query of a link is
/// encoded in the page's encoding, so `?q=中文` on a GBK page goes out as
/// `?q=%D6%D0%CE%C4`. The path is UTF-8 whatever the page.
pub fn extract_links_in(
    html: &str,
    page_url: &Url,
    opts: &LinkOptions,
    known: &(impl KnownLinks + ?Sized),
    encoding: &'static encoding_rs::Encoding,
) -> PageLinks {
    let mut collector = Collector::default();
    crate::scan::scan(html, &mut collector);
    collector.finish(page_url, opts, known, encoding.output_encoding())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://example.com/dir/page.html").expect("valid")
    }

    fn extract(html: &str) -> PageLinks {
        extract_links(html, &page(), &LinkOptions::default())
    }

    fn urls(html: &str) -> Vec<(String, LinkKind)> {
        extract(html)
            .links
            .into_iter()
            .map(|l| (l.url.to_string(), l.kind))
            .collect()
    }

    fn one(url: &str, kind: LinkKind) -> Vec<(String, LinkKind)> {
        vec![(url.to_owned(), kind)]
    }

    /// Issue 16: `?q=中文` on a GBK page went out as UTF-8.
    #[test]
    fn a_query_is_encoded_in_the_pages_encoding() {
        let html = "<a href='/s?q=中文'>s</a><a href='/路径?q=中文'>p</a>";
        let gbk = extract_links_in(
            html,
            &page(),
            &LinkOptions::default(),
            &(),
            encoding_rs::GBK,
        );
        let got: Vec<&str> = gbk.links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            got,
            [
                "https://example.com/s?q=%D6%D0%CE%C4",
                "https://example.com/%E8%B7%AF%E5%BE%84?q=%D6%D0%CE%C4",
            ]
        );
        let utf8: Vec<String> = extract(html)
            .links
            .iter()
            .map(|l| l.url.to_string())
            .collect();
        assert_eq!(utf8[0], "https://example.com/s?q=%E4%B8%AD%E6%96%87");
    }

    #[test]
    fn every_source_in_document_order() {
        let html = r#"<html><head>
            <link rel=next href=/n><link rel=stylesheet href=/s.css>
            <meta http-equiv=refresh content="5; url=/r">
            </head><body>
            <a href=a>a</a><map><area href=/area></map>
            <iframe src=/if></iframe><frameset><frame src=/fr></frameset>
            <img src=/img.png><script src=/s.js></script><form action=/f></form>
            </body></html>"#;
        use LinkKind::*;
        assert_eq!(
            urls(html),
            [
                ("https://example.com/n", LinkRel),
                ("https://example.com/r", MetaRefresh),
                ("https://example.com/dir/a", Anchor),
                ("https://example.com/area", Area),
                ("https://example.com/if", Iframe),
                ("https://example.com/fr", Frame),
            ]
            .map(|(u, k)| (u.to_owned(), k))
        );
    }

    #[test]
    fn link_needs_a_navigational_rel() {
        let html = r#"<link rel="prev" href=/p><link rel="ALTERNATE" hreflang=de href=/de>
            <link rel="alternate stylesheet" href=/alt.css><link rel=icon href=/i>
            <link rel=canonical href=/c><link href=/none><link rel="  next  " href=/n>"#;
        let got: Vec<_> = urls(html).into_iter().map(|(u, _)| u).collect();
        assert_eq!(
            got,
            [
                "https://example.com/p",
                "https://example.com/de",
                "https://example.com/alt.css",
                "https://example.com/n"
            ]
        );
    }

    #[test]
    fn meta_refresh_content_is_parsed() {
        for content in [
            "0; url=/x",
            "0;URL='/x'",
            "3, /x",
            "0; Url = &quot;/x&quot;",
            "0 /x",
        ] {
            let html = format!(r#"<meta http-equiv="Refresh" content="{content}">"#);
            assert_eq!(
                urls(&html),
                one("https://example.com/x", LinkKind::MetaRefresh),
                "{content}"
            );
        }
        assert!(urls(r#"<meta http-equiv=refresh content="5">"#).is_empty());
        assert!(urls(r#"<meta http-equiv=refresh content="x; url=/y">"#).is_empty());
        assert!(urls(r#"<meta name=refresh content="0; url=/y">"#).is_empty());
    }

    #[test]
    fn first_base_href_sets_the_base_even_after_the_links() {
        let got = extract(
            r#"<a href=early>e</a><base target=_top><base href="/other/"><base href="/ignored/"><a href=late>l</a>"#,
        );
        assert_eq!(
            got.base.as_ref().map(Url::as_str),
            Some("https://example.com/other/")
        );
        let got: Vec<_> = got.links.iter().map(|l| l.url.as_str()).collect();
        assert_eq!(
            got,
            [
                "https://example.com/other/early",
                "https://example.com/other/late"
            ]
        );
    }

    #[test]
    fn base_must_be_http() {
        for base in [
            "javascript:void(0)",
            "ftp://files.example/",
            "data:text/html,x",
            "  ",
        ] {
            let got = extract(&format!(r#"<base href="{base}"><a href=x>x</a>"#));
            assert_eq!(got.base, None, "{base}");
            assert_eq!(got.links[0].url.as_str(), "https://example.com/dir/x");
        }
        let got = extract(r#"<base href="http://cdn.example/b/"><a href=x>x</a>"#);
        assert_eq!(got.links[0].url.as_str(), "http://cdn.example/b/x");
    }

    #[test]
    fn character_references_in_attributes_are_decoded() {
        let got = urls(
            r#"<a href="/q?a=1&amp;b=2&#38;c=3&#x26;d=4">1</a>
               <a href="/legacy?x=1&copy=2&amp=3&ampy">2</a>
               <a href="/x&sol;y&#47;z">3</a>
               <a href="/&notin;&notit;">4</a>"#,
        );
        let got: Vec<_> = got.iter().map(|(u, _)| u.as_str()).collect();
        assert_eq!(
            got,
            [
                "https://example.com/q?a=1&b=2&c=3&d=4",
                "https://example.com/legacy?x=1&copy=2&amp=3&ampy",
                "https://example.com/x/y/z",
                "https://example.com/%E2%88%89&notit;",
            ]
        );
    }

    #[test]
    fn values_are_trimmed_and_empty_ones_skipped() {
        assert_eq!(
            urls("<a href=\" \t\n/x \r\n\">x</a><a href=''>e</a><a href='  '>w</a><a>no</a>"),
            one("https://example.com/x", LinkKind::Anchor)
        );
        let long = format!("<a href=/{}>x</a>", "a".repeat(MAX_LINK_LEN));
        assert!(urls(&long).is_empty());
    }

    #[test]
    fn non_http_schemes_are_skipped() {
        for href in [
            "mailto:a@example.com",
            "javascript:void(0)",
            " JavaScript:alert(1)",
            "data:text/html,hi",
            "tel:+123",
            "ftp://example.com/f",
            "file:///etc/passwd",
            "about:blank",
            "urn:isbn:123",
            "http://[broken",
        ] {
            assert!(
                urls(&format!(r#"<a href="{href}">x</a>"#)).is_empty(),
                "{href}"
            );
        }
        assert_eq!(
            urls("<a href=HTTP://Example.COM/A>x</a>"),
            one("http://example.com/A", LinkKind::Anchor)
        );
    }

    #[test]
    fn fragments_are_dropped_and_duplicates_merged() {
        let got = extract(
            r##"<a href="#top">t</a><a href="/x#a">1</a><a href="/x#b">2</a><a href="../x">3</a>
               <iframe src="/x"></iframe><a href="/x">4</a>"##,
        );
        let got: Vec<_> = got.links.iter().map(|l| (l.url.as_str(), l.kind)).collect();
        assert_eq!(
            got,
            [
                ("https://example.com/dir/page.html", LinkKind::Anchor),
                ("https://example.com/x", LinkKind::Anchor),
                ("https://example.com/x", LinkKind::Iframe),
            ]
        );
    }

    #[test]
    fn nofollow_is_reported_and_optionally_honoured() {
        let html = r#"<a rel="external NoFollow" href=/a>a</a><a href=/b>b</a>
            <a rel=nofollow href=/c>c</a><a href=/c>c again</a><area rel=nofollow href=/d>"#;
        let got = extract(html);
        let flags: Vec<_> = got
            .links
            .iter()
            .map(|l| (l.url.path(), l.nofollow))
            .collect();
        assert_eq!(
            flags,
            [("/a", true), ("/b", false), ("/c", false), ("/d", true)]
        );
        assert!(!got.meta_nofollow);

        let honour = LinkOptions {
            honour_nofollow: true,
            ..LinkOptions::default()
        };
        let got = extract_links(html, &page(), &honour);
        let paths: Vec<_> = got.links.iter().map(|l| l.url.path()).collect();
        assert_eq!(paths, ["/b", "/c"]);
    }

    #[test]
    fn meta_robots() {
        let html = r#"<a href=/a>a</a><META NAME="Robots" CONTENT="NoIndex,NOFOLLOW">"#;
        let got = extract(html);
        assert!(got.meta_nofollow && got.meta_noindex);
        assert_eq!(got.links.len(), 1, "reported, not dropped, by default");
        let honour = LinkOptions {
            honour_nofollow: true,
            ..LinkOptions::default()
        };
        assert!(extract_links(html, &page(), &honour).links.is_empty());

        let none = extract(r#"<meta name=robots content="none">"#);
        assert!(none.meta_nofollow && none.meta_noindex);
        let index = extract(
            r#"<meta name=robots content="index, follow"><meta name=googlebot content=nofollow>"#,
        );
        assert!(!index.meta_nofollow && !index.meta_noindex);
    }

    #[test]
    fn skip_extensions() {
        let opts = LinkOptions {
            skip_extensions: LinkOptions::default_skip_extensions(),
            ..LinkOptions::default()
        };
        let html = r#"<a href=/a.PNG>1</a><a href=/b.tar.gz>2</a><a href=/c.pdf?x=1>3</a>
            <a href=/d?f=.png>4</a><a href=/e.html>5</a><a href=/png>6</a><a href=/dir.zip/>7</a>"#;
        let got = extract_links(html, &page(), &opts);
        let paths: Vec<_> = got.links.iter().map(|l| l.url.path()).collect();
        assert_eq!(paths, ["/d", "/e.html", "/png", "/dir.zip/"]);
        assert!(
            LinkOptions::default_skip_extensions()
                .iter()
                .all(|e| *e == e.to_lowercase())
        );
    }

    #[test]
    fn title() {
        assert_eq!(
            extract("<title>\n  Hello \t &amp;\n world </title>")
                .title
                .as_deref(),
            Some("Hello & world")
        );
        assert_eq!(
            extract("<title>first</title><title>second</title>")
                .title
                .as_deref(),
            Some("first")
        );
        assert_eq!(extract("<title> </title>").title, None);
        assert_eq!(extract("<p>no title</p>").title, None);
        assert_eq!(
            extract("<title><b>not a tag</b>").title.as_deref(),
            Some("<b>not a tag</b>")
        );
        assert_eq!(
            extract("<body><svg><title>icon</title></svg><title>real</title>")
                .title
                .as_deref(),
            Some("real")
        );
        let long = extract(&format!("<title>{}</title>", "é".repeat(MAX_TITLE_LEN)));
        let long = long.title.unwrap_or_default();
        assert!(long.len() <= MAX_TITLE_LEN && long.starts_with('é'));
    }

    #[test]
    fn raw_text_and_comments_hide_links_but_noscript_and_template_do_not() {
        let html = r#"<script>document.write('<a href=/script>')</script>
            <style>a { background: url(/style) } </style><!-- <a href=/comment> -->
            <textarea><a href=/textarea></textarea><title><a href=/title></title>
            <noscript><a href=/noscript>n</a></noscript>
            <template><a href=/template>t</a></template>
            <svg><a href=/svg><text>s</text></a></svg>"#;
        let got: Vec<_> = urls(html).into_iter().map(|(u, _)| u).collect();
        assert_eq!(
            got,
            [
                "https://example.com/noscript",
                "https://example.com/template",
                "https://example.com/svg"
            ]
        );
    }

    #[test]
    fn foreign_content_follows_tree_construction() {
        let found = |html: &str| -> Vec<String> {
            urls(html)
                .into_iter()
                .map(|(u, _)| u.trim_start_matches("https://example.com/").to_owned())
                .collect()
        };
        // In SVG, <style> and <title> are ordinary elements, not raw text.
        assert_eq!(found("<svg><style><a href=/s>x</a></style></svg>"), ["s"]);
        assert_eq!(found("<svg><title><a href=/t>x</a></title></svg>"), ["t"]);
        // A CDATA section is one only in foreign content; in HTML it is a bogus comment
        // that ends at the first `>`.
        assert!(found("<svg><![CDATA[ > <a href=/c> ]]></svg>").is_empty());
        assert_eq!(found("<p><![CDATA[ > <a href=/c> ]]>"), ["c"]);
        // A break-out tag ends foreign content, so <style> is raw text again.
        assert!(found("<svg><g><p><style><a href=/hidden></style>").is_empty());
        // MathML text integration points and foreignObject hold HTML.
        assert!(found("<math><mi><style><a href=/hidden></style></mi></math>").is_empty());
        assert!(
            found("<svg><foreignObject><textarea><a href=/h></textarea></foreignObject></svg>")
                .is_empty()
        );
        // After </svg>, HTML again: <title> is the page's.
        let got = extract("<svg><title>icon</title></svg><title>page</title><a href=/a>a</a>");
        assert_eq!(got.title.as_deref(), Some("page"));
    }

    #[test]
    fn unclosed_title_swallows_the_rest_but_stays_capped() {
        let got = extract(&format!("<title>abc <a href=/x>{}", "y".repeat(1 << 20)));
        assert!(got.links.is_empty());
        let title = got.title.unwrap_or_default();
        assert!(title.starts_with("abc <a href=/x>yyy") && title.len() <= MAX_TITLE_LEN);
    }

    #[test]
    fn noscript_meta_refresh_and_ambiguous_markup() {
        assert_eq!(
            urls(r#"<head><noscript><meta http-equiv=refresh content="0;url=/nojs"></noscript>"#),
            one("https://example.com/nojs", LinkKind::MetaRefresh)
        );
        // Ambiguous markup (`<select><xmp>`) must not end the scan early.
        let got = urls("<select><xmp><script></script></xmp></select><a href=/after>a</a>");
        assert!(got.contains(&("https://example.com/after".to_owned(), LinkKind::Anchor)));
    }

    #[test]
    fn tokenizer_details() {
        // Upper case, unquoted values, duplicate attributes (the first wins), no spaces.
        assert_eq!(
            urls("<A HREF=/x HREF=/y>x</A>"),
            one("https://example.com/x", LinkKind::Anchor)
        );
        assert_eq!(
            urls("<a\nhref\n=\n'/x'>x</a>"),
            one("https://example.com/x", LinkKind::Anchor)
        );
        assert_eq!(
            urls("<a title='>' href=\"/x\">"),
            one("https://example.com/x", LinkKind::Anchor)
        );
        assert!(urls("<a data-href=/x>x</a><ab href=/y>").is_empty());
    }

    #[test]
    fn garbage_never_panics() {
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        const PIECES: &[&str] = &[
            "<a href=",
            "<a href='",
            "\"",
            "'",
            ">",
            "<",
            "</",
            "/>",
            "&",
            "&amp",
            "&#",
            "&#x",
            "&#1114112;",
            ";",
            "<base href=",
            "<meta http-equiv=refresh content=",
            "0;url=",
            "<script>",
            "</script>",
            "<svg>",
            "</svg>",
            "<math>",
            "<title>",
            "</title>",
            "<noscript>",
            "</noscript>",
            "<!--",
            "-->",
            "<![CDATA[",
            "]]>",
            "<select>",
            "<template>",
            "<frameset>",
            "<plaintext>",
            "<textarea>",
            "\0",
            "é",
            "\u{FEFF}",
            " ",
            "\n",
            "x",
            "/",
            "#",
            "?",
            "%",
            "javascript:",
            "http://",
            "//",
            "<!doctype",
        ];
        let page = page();
        for _ in 0..3000 {
            let len = (next() % 40) as usize;
            let html: String = (0..len)
                .map(|_| PIECES[(next() % PIECES.len() as u64) as usize])
                .collect();
            let _ = extract_links(&html, &page, &LinkOptions::default());
        }
        let bytes: Vec<u8> = (0..64 * 1024).map(|_| next() as u8).collect();
        let _ = extract(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn huge_inputs_are_handled() {
        let huge_attr = format!(
            "<a href=/ok>x</a><a title='{}' href=/x>x</a>",
            "x".repeat(4 << 20)
        );
        assert_eq!(urls(&huge_attr).len(), 2);
        let deep = "<div><svg><g>".repeat(50_000) + "<a href=/deep>";
        assert_eq!(
            urls(&deep),
            one("https://example.com/deep", LinkKind::Anchor)
        );
        let unclosed = "<a href='/never-closed".repeat(10_000);
        let _ = urls(&unclosed);
    }

    /// A caller's memory of handled links, as a crawler keeps it.
    #[derive(Default)]
    struct Handled(std::collections::HashMap<u64, u64>);

    impl Handled {
        fn learn(&mut self, page: &PageLinks) {
            for memo in page.links.iter().filter_map(|l| l.memo) {
                self.0.insert(memo.key, memo.target);
            }
        }
    }

    impl KnownLinks for Handled {
        fn recall(&self, key: u64) -> Option<u64> {
            self.0.get(&key).copied()
        }
    }

    fn at(url: &str, html: &str, known: &Handled) -> PageLinks {
        let url = Url::parse(url).expect("valid");
        extract_links_with(html, &url, &LinkOptions::default(), known)
    }

    fn listed(page: &PageLinks) -> Vec<&str> {
        page.links.iter().map(|l| l.url.as_str()).collect()
    }

    #[test]
    fn known_links_are_counted_not_listed() {
        let nav = r#"<a href=a.html>a</a><a href="../up.html">up</a><a href=/abs>abs</a>
            <a href="https://other.example/x">x</a>"#;
        let mut handled = Handled::default();
        let first = at("https://h.example/d/one.html", nav, &handled);
        assert_eq!(first.links.len(), 4);
        assert_eq!(first.known, 0);
        handled.learn(&first);

        // Another page of the same directory: the same values are recalled, the new one and
        // the page-relative ones are resolved.
        let html = format!("{nav}<a href=new.html>n</a><a href=?page=2>p</a><a href=#top>t</a>");
        let second = at("https://h.example/d/two.html?x=1", &html, &handled);
        assert_eq!(
            listed(&second),
            [
                "https://h.example/d/new.html",
                "https://h.example/d/two.html?page=2",
                "https://h.example/d/two.html?x=1",
            ]
        );
        assert_eq!(second.known, 4);
        let unaided = at(
            "https://h.example/d/two.html?x=1",
            &html,
            &Handled::default(),
        );
        assert_eq!(unaided.links.len(), second.links.len() + second.known);
        assert_eq!(unaided.known, 0);

        // In another directory `a.html` is another URL: resolved again. Absolute values
        // are keyed by directory too, so they are resolved once per directory.
        let elsewhere = at("https://h.example/e/one.html", nav, &handled);
        assert_eq!(elsewhere.known, 0);
        assert_eq!(elsewhere.links.len(), 4);
    }

    #[test]
    fn memo_keys_follow_the_effective_base() {
        let handled = Handled::default();
        let key = |url: &str, html: &str| {
            let page = at(url, html, &handled);
            page.links.first().and_then(|l| l.memo).map(|m| m.key)
        };
        let a = key("https://h.example/d/one.html", "<a href=x>");
        assert!(a.is_some());
        assert_eq!(a, key("https://h.example/d/two.html?q#f", "<a href=x>"));
        assert_ne!(a, key("https://h.example/e/one.html", "<a href=x>"));
        assert_ne!(a, key("http://h.example/d/one.html", "<a href=x>"));
        assert_eq!(
            a,
            key(
                "https://h.example/e/one.html",
                "<base href=/d/><a href=x#frag>"
            )
        );
        // Values whose meaning depends on the whole page URL get no key.
        for value in [
            "",
            "#top",
            "?q=1",
            "&#1;?q",
            "https:",
            "https:?page=2",
            "HTTPS:#x",
            "ht&#9;tps:?x",
            "https:x.html",
        ] {
            let html = format!("<a href='{value}'>");
            assert_eq!(
                key("https://h.example/d/one.html", &html),
                None,
                "{value:?}"
            );
        }
    }

    #[test]
    fn a_value_naming_the_page_s_own_scheme_is_never_recalled() {
        // `https:?page=2` keeps the page's file name: a different URL on each page.
        let mut handled = Handled::default();
        let html = "<a href='https:?page=2'>next</a><a href='https://h.example/abs'>x</a>";
        let first = at("https://h.example/d/a.html", html, &handled);
        assert_eq!(
            listed(&first),
            ["https://h.example/d/a.html?page=2", "https://h.example/abs"]
        );
        handled.learn(&first);
        let second = at("https://h.example/d/b.html", html, &handled);
        assert_eq!(listed(&second), ["https://h.example/d/b.html?page=2"]);
        assert_eq!(second.known, 1, "the absolute link is recalled");
    }

    #[test]
    fn a_known_link_spelled_two_ways_counts_once() {
        let mut handled = Handled::default();
        handled.learn(&at("https://h.example/d/one.html", "<a href=a>", &handled));
        let page = at(
            "https://h.example/d/two.html",
            "<a href=a><a href=./a><a href=/d/a><a href=b>",
            &handled,
        );
        assert_eq!(page.known, 1);
        assert_eq!(listed(&page), ["https://h.example/d/b"]);
    }
}
