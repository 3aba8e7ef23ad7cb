//! Metadata from the head, Open Graph and the byline.

use ferrocrawl_content::extract;

use super::base;

#[test]
fn metadata_comes_from_the_head() {
    let html = r#"<html lang="de-AT"><head>
<title>Survey results from four districts | Example News</title>
<meta name="description" content="What four thousand households told us.">
<meta name="author" content="Ada Example">
<meta property="article:published_time" content="2026-03-01T08:00:00Z">
<link rel="canonical" href="/2026/survey/">
</head><body><article><h1>Survey results from four districts</h1>
<p>The committee met on Tuesday to review the results of the survey, which covered
more than four thousand households across the region over the summer months.</p>
<p>Members agreed to publish the full data set next month, once the remaining
questions about sampling have been answered by the statistics office.</p>
</article></body></html>"#;
    let meta = extract(html, &base()).metadata;
    assert_eq!(
        meta.title.as_deref(),
        Some("Survey results from four districts")
    );
    assert_eq!(meta.author.as_deref(), Some("Ada Example"));
    assert_eq!(meta.date.as_deref(), Some("2026-03-01T08:00:00Z"));
    assert_eq!(meta.language.as_deref(), Some("de-AT"));
    assert_eq!(
        meta.canonical_url.as_ref().map(url::Url::as_str),
        Some("https://news.example/2026/survey/")
    );
    assert_eq!(
        meta.description.as_deref(),
        Some("What four thousand households told us.")
    );
}

#[test]
fn a_page_without_an_article_still_gives_its_text() {
    let meta_and_text = extract(
        "<html><head><title>Short</title></head><body><p>Just one line.</p></body></html>",
        &base(),
    );
    assert_eq!(meta_and_text.text, "Just one line.");
    assert_eq!(meta_and_text.markdown, "Just one line.");
    assert_eq!(meta_and_text.metadata.title.as_deref(), Some("Short"));
}

#[test]
fn a_page_without_head_and_body_tags_keeps_its_metadata() {
    // Both tags are optional in HTML, and minimal pages leave them out.
    let c = extract(
        "<!doctype html><html lang=\"fr\"><title>Court</title>\
         <meta name=\"description\" content=\"Une page.\">\
         <link rel=\"canonical\" href=\"/court\"><p>Une seule ligne de texte.</p>",
        &base(),
    );
    assert_eq!(c.metadata.title.as_deref(), Some("Court"));
    assert_eq!(c.metadata.description.as_deref(), Some("Une page."));
    assert_eq!(c.metadata.language.as_deref(), Some("fr"));
    assert_eq!(
        c.metadata
            .canonical_url
            .map(|u| u.path().to_owned())
            .as_deref(),
        Some("/court")
    );
    assert_eq!(c.text, "Une seule ligne de texte.");
}

#[test]
fn an_empty_page_gives_empty_content() {
    let c = extract("", &base());
    assert_eq!(c.text, "");
    assert_eq!(c.markdown, "");
}

#[test]
fn language_falls_back_on_content_language_then_og_locale() {
    let page = |head: &str| {
        format!(
            "<html><head>{head}<title>t</title></head><body><article><p>The committee met \
             on Tuesday to review the results of the survey of four thousand households.</p>\
             </article></body></html>"
        )
    };
    let language = |head: &str| extract(&page(head), &base()).metadata.language;
    assert_eq!(language(""), None);
    assert_eq!(
        language("<meta http-equiv=\"Content-Language\" content=\"fr\">"),
        Some("fr".to_owned())
    );
    assert_eq!(
        language("<meta property=\"og:locale\" content=\"pt_BR\">"),
        Some("pt-BR".to_owned())
    );
}
