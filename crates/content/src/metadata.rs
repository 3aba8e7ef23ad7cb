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
/// runs, because Readability takes the document apart.
pub(crate) fn from_head(document: &Document, url: &Url) -> Metadata {
    let canonical_url = document
        .select("link[rel~=canonical][href]")
        .attr("href")
        .and_then(|href| url.join(href.trim()).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));
    let language = non_empty(document.select("html").attr("lang").as_deref())
        .or_else(|| meta(document, "meta[http-equiv=content-language i]"))
        .or_else(|| {
            meta(document, "meta[property=\"og:locale\"]").map(|locale| locale.replace('_', "-"))
        });
    Metadata {
        title: None,
        author: meta(document, "meta[name=author i]")
            .or_else(|| meta(document, "meta[property=\"article:author\"]")),
        date: meta(document, "meta[property=\"article:published_time\"]")
            .or_else(|| meta(document, "meta[name=date i]"))
            .or_else(|| {
                non_empty(
                    document
                        .select("time[datetime]")
                        .attr("datetime")
                        .as_deref(),
                )
            }),
        language,
        canonical_url,
        description: meta(document, "meta[name=description i]")
            .or_else(|| meta(document, "meta[property=\"og:description\"]")),
    }
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

/// The `<title>`, when Readability could not run.
pub(crate) fn fill_title(meta: &mut Metadata, document: &Document) {
    meta.title = non_empty(Some(&document.select("title").text()));
}

fn meta(document: &Document, selector: &str) -> Option<String> {
    non_empty(document.select(selector).attr("content").as_deref())
}

fn non_empty(value: Option<&str>) -> Option<String> {
    let value = value?.split_whitespace().collect::<Vec<_>>().join(" ");
    (!value.is_empty()).then_some(value)
}
