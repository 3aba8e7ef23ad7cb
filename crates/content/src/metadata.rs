//! Metadata from the page's `<head>`, and from what Readability found.

use dom_query::Document;
use dom_smoothie::Article;
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
    meta.title = non_empty(Some(&article.title));
    if let Some(byline) = non_empty(article.byline.as_deref()) {
        meta.author = Some(byline);
    }
    if let Some(date) = non_empty(article.published_time.as_deref()) {
        meta.date = Some(date);
    }
    if meta.language.is_none() {
        meta.language = non_empty(article.lang.as_deref());
    }
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
