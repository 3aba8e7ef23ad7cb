//! Metadata from the page's `<head>`, and from what Readability found.

use std::fmt::Write as _;

use dom_query::Document;
use dom_smoothie::{Article, Readability};
use url::Url;

use crate::Metadata;

/// The URL relative references resolve against: `<base href>` when it is an
/// http(s) URL, else the page's own.
pub(crate) fn base_url(document: &Document, url: &Url) -> Url {
    document
        .select("base[href]")
        .attr("href")
        .and_then(|href| url.join(href.trim()).ok())
        .filter(|base| matches!(base.scheme(), "http" | "https"))
        .unwrap_or_else(|| url.clone())
}

/// What the page says about itself in its markup. Read before Readability
/// runs, because Readability takes the document apart. One walk over the
/// document's `<meta>`, `<link>` and `<time>` elements; for each field the
/// first element in document order of the best kind wins.
pub(crate) fn from_head(document: &Document, url: &Url) -> Metadata {
    let mut canonical = None;
    let mut found: [Option<String>; Key::COUNT] = Default::default();
    let mut first = |key: Key, value: Option<String>| {
        if found[key as usize].is_none() {
            found[key as usize] = value;
        }
    };
    for node in document
        .select("meta[content], link[rel][href], time[datetime]")
        .nodes()
    {
        if node.has_name("link") {
            let canonical_link = node.attr("rel").is_some_and(|rel| {
                rel.split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("canonical"))
            });
            if canonical_link && canonical.is_none() {
                canonical = node.attr("href").map(|h| h.to_string());
            }
            continue;
        }
        if node.has_name("time") {
            first(Key::Time, non_empty(node.attr("datetime").as_deref()));
            continue;
        }
        let content = || non_empty(node.attr("content").as_deref());
        if let Some(name) = node.attr("name") {
            match name.to_ascii_lowercase().as_str() {
                "author" => first(Key::Author, content()),
                "date" => first(Key::Date, content()),
                "description" => first(Key::Description, content()),
                _ => {}
            }
        }
        if let Some(property) = node.attr("property") {
            match &*property {
                "article:author" => first(Key::ArticleAuthor, content()),
                "article:published_time" => first(Key::Published, content()),
                "og:description" => first(Key::OgDescription, content()),
                "og:locale" => first(Key::OgLocale, content()),
                _ => {}
            }
        }
        if node
            .attr("http-equiv")
            .is_some_and(|h| h.eq_ignore_ascii_case("content-language"))
        {
            first(Key::ContentLanguage, content());
        }
    }
    let mut take = |key: Key| found[key as usize].take();
    let canonical_url = canonical
        .and_then(|href| url.join(href.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let lang = document
        .root()
        .element_children()
        .into_iter()
        .find(|n| n.has_name("html"))
        .and_then(|html| non_empty(html.attr("lang").as_deref()));
    let language = lang
        .or_else(|| take(Key::ContentLanguage))
        .or_else(|| take(Key::OgLocale).map(|locale| locale.replace('_', "-")));
    Metadata {
        title: None,
        author: take(Key::Author).or_else(|| take(Key::ArticleAuthor)),
        date: take(Key::Published)
            .or_else(|| take(Key::Date))
            .or_else(|| take(Key::Time)),
        language,
        canonical_url,
        description: take(Key::Description).or_else(|| take(Key::OgDescription)),
    }
}

/// The values [`from_head`] collects.
#[derive(Clone, Copy)]
enum Key {
    Author,
    ArticleAuthor,
    Published,
    Date,
    Time,
    Description,
    OgDescription,
    OgLocale,
    ContentLanguage,
}

impl Key {
    const COUNT: usize = 9;
}

/// Title, byline, date and language as Readability found them (it reads
/// JSON-LD and bylines in the body too); they win over the `<meta>` guesses,
/// except that a language from the markup stays.
pub(crate) fn fill_from_article(meta: &mut Metadata, article: &Article) {
    fill(
        meta,
        &article.title,
        article.byline.as_deref(),
        article.published_time.as_deref(),
        article.lang.as_deref(),
    );
}

fn fill(
    meta: &mut Metadata,
    title: &str,
    byline: Option<&str>,
    published: Option<&str>,
    lang: Option<&str>,
) {
    meta.title = non_empty(Some(title));
    if let Some(byline) = non_empty(byline) {
        meta.author = Some(byline);
    }
    if let Some(date) = non_empty(published) {
        meta.date = Some(date);
    }
    if meta.language.is_none() {
        meta.language = non_empty(lang);
    }
}

/// The metadata of a page, and the URL its links resolve against, read from
/// a small document standing for it instead of the whole page's DOM: the
/// page's `<head>` as it is, then a body of its top `headings` (which
/// Readability's title cleanup looks at) and of the JSON-LD scripts,
/// `<time>` elements and `<meta>` and `<link>` tags of its body. The same reading as [`from_head`] and
/// Readability's own, at the cost of parsing the head. `byline` is the
/// article's byline as the caller found it in the body (Readability looks
/// there when the head names no author).
#[allow(
    dead_code,
    reason = "for the streaming extractor (issue 15), not wired in yet"
)]
pub(crate) fn summarized(
    html: &str,
    url: &Url,
    headings: &[(u8, String)],
    byline: Option<&str>,
) -> (Metadata, Url) {
    let document = Document::from(summary(html, headings).as_str());
    let base = base_url(&document, url);
    let mut meta = from_head(&document, url);
    match Readability::with_document(document, Some(base.as_str()), None) {
        Ok(readability) => {
            let found = readability.get_article_metadata(readability.parse_json_ld());
            fill(
                &mut meta,
                &found.title,
                found.byline.as_deref().or(byline),
                found.published_time.as_deref(),
                found.lang.as_deref(),
            );
        }
        Err(_) => meta.title = None,
    }
    title_from_headings(&mut meta, headings);
    (meta, base)
}

/// How much of a page without `</head>` or `<body>` tags the summary reads.
const HEADLESS_PREFIX: usize = 64 * 1024;

/// The small document [`summarized`] reads (see there).
#[allow(
    dead_code,
    reason = "for the streaming extractor (issue 15), not wired in yet"
)]
fn summary(html: &str, headings: &[(u8, String)]) -> String {
    let bytes = html.as_bytes();
    let head_end = [&b"</head"[..], b"</HEAD", b"<body", b"<BODY"]
        .iter()
        .filter_map(|needle| memchr::memmem::find(bytes, needle))
        .min()
        // `<head>` and `<body>` tags are optional: without them the head's
        // elements are somewhere in the page's start
        .unwrap_or_else(|| {
            let mut end = html.len().min(HEADLESS_PREFIX);
            while !html.is_char_boundary(end) {
                end -= 1;
            }
            end
        });
    let mut out = String::with_capacity(head_end + 4096);
    out.push_str(html.get(..head_end).unwrap_or_default());
    out.push_str("</head><body>");
    for (level, text) in headings {
        let text = text
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        let _ = write!(out, "<h{level}>{text}</h{level}>");
    }
    for (open, close) in [
        (&b"<script"[..], &b"</script>"[..]),
        (b"<SCRIPT", b"</SCRIPT>"),
        (b"<time", b"</time>"),
    ] {
        let mut at = head_end;
        while let Some(start) = memchr::memmem::find(&bytes[at..], open).map(|i| at + i) {
            let Some(end) =
                memchr::memmem::find(&bytes[start..], close).map(|i| start + i + close.len())
            else {
                break;
            };
            at = end;
            let element = html.get(start..end).unwrap_or_default();
            let tag_end = element.find('>').unwrap_or(element.len());
            let wanted = if open.eq_ignore_ascii_case(b"<time") {
                element[..tag_end].contains("datetime")
            } else {
                element[..tag_end].to_ascii_lowercase().contains("ld+json")
            };
            if wanted {
                out.push_str(element);
            }
        }
    }
    // `<meta>` and `<link>` tags after the head: pages close their head
    // early, or put them in the body, and a parser keeps them where they are
    for open in [&b"<meta"[..], b"<META", b"<link", b"<LINK"] {
        let mut at = head_end;
        while let Some(start) = memchr::memmem::find(&bytes[at..], open).map(|i| at + i) {
            let Some(end) = crate::strip::start_tag_end(bytes, start + open.len()) else {
                break;
            };
            at = end;
            out.push_str(html.get(start..end).unwrap_or_default());
        }
    }
    out.push_str("</body></html>");
    out
}

/// The article's own title when the `<title>` adds the site's name to it and
/// Readability kept both (it keeps a short title whole: "Survey results |
/// Example News"): the part between separators (`|`, `-`, `–`, `—`, `:`,
/// `/`, `»`, `·`) that one of the page's top headings names.
pub(crate) fn title_from_headings(meta: &mut Metadata, headings: &[(u8, String)]) {
    let Some(title) = meta.title.as_deref() else {
        return;
    };
    let separator = |word: &&str| !word.is_empty() && word.chars().all(|c| "|-–—:/»·".contains(c));
    // separators stand between spaces: "Wi-Fi" and "10:30" are one word
    let words: Vec<&str> = title.split(' ').collect();
    let parts: Vec<String> = words
        .split(separator)
        .map(|part| part.join(" ").trim().to_owned())
        .filter(|part| !part.is_empty())
        .collect();
    if parts.len() < 2 {
        return;
    }
    let named = parts.into_iter().find(|part| {
        headings
            .iter()
            .any(|(_, heading)| heading.eq_ignore_ascii_case(part))
    });
    if let Some(part) = named {
        meta.title = Some(part);
    }
}

/// The `<title>`, when Readability could not run.
pub(crate) fn fill_title(meta: &mut Metadata, document: &Document) {
    meta.title = non_empty(Some(&document.select("title").text()));
}

fn non_empty(value: Option<&str>) -> Option<String> {
    let value = value?.split_whitespace().collect::<Vec<_>>().join(" ");
    (!value.is_empty()).then_some(value)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use dom_query::Document;
    use url::Url;

    use crate::{Rendering, extract_with, markdown, strip};

    /// On the article corpus, the metadata read from the small document
    /// [`super::summary`] makes is the whole page's, field by field (the
    /// byline found in the body is the caller's: here the whole page's).
    #[test]
    fn the_summary_gives_the_whole_pages_metadata() {
        let Some(dir) = ferrocrawl_testkit::corpus("article_extraction") else {
            eprintln!(
                "!!! article_extraction corpus absent: the metadata summary test is SKIPPED !!!"
            );
            return;
        };
        let truth: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(dir.join("ground-truth.json")).unwrap())
                .unwrap();
        let (mut pages, mut differ) = (0, Vec::new());
        for (key, entry) in &truth {
            let file =
                std::fs::File::open(dir.join("html").join(format!("{key}.html.gz"))).unwrap();
            let mut bytes = Vec::new();
            flate2::read::GzDecoder::new(file)
                .read_to_end(&mut bytes)
                .unwrap();
            let html = ferrocrawl_core::charset::decode(&bytes, None).text;
            let url = Url::parse(entry["url"].as_str().unwrap()).unwrap();
            let whole = extract_with(&html, &url, Rendering::Neither).metadata;
            let stripped = strip::scripts_and_styles(&html);
            let headings = markdown::mark_headings(&Document::from(stripped.as_ref()));
            let (summed, _) =
                super::summarized(&stripped, &url, &headings, whole.author.as_deref());
            pages += 1;
            for (field, a, b) in [
                ("title", &whole.title, &summed.title),
                ("author", &whole.author, &summed.author),
                ("date", &whole.date, &summed.date),
                ("language", &whole.language, &summed.language),
                ("description", &whole.description, &summed.description),
            ] {
                if a != b {
                    differ.push(format!("{key:.12} {field}: {a:?} / {b:?}"));
                }
            }
            if whole.canonical_url != summed.canonical_url {
                differ.push(format!("{key:.12} canonical"));
            }
        }
        assert!(pages > 100);
        assert!(
            differ.is_empty(),
            "{} of {pages} pages differ:\n{}",
            differ.len(),
            differ.join("\n")
        );
    }
}
