//! The pipeline: metadata, main-content detection, boilerplate, text and Markdown.

use dom_query::Document;
use dom_smoothie::{Config, Readability};
use url::Url;

use crate::{Content, clean, markdown, metadata, text};

/// Extracts the main content of a decoded HTML page.
///
/// `url` is the page's URL: relative links and images are resolved against it
/// (or against the page's `<base href>`). Never fails: a page where no article
/// can be told apart yields its whole `<body>`, cleaned the same way, and a page
/// without text yields empty strings.
pub fn extract(html: &str, url: &Url) -> Content {
    let document = Document::from(html);
    let base = metadata::base_url(&document, url);
    let mut meta = metadata::from_head(&document, url);
    // Readability.js turns every h1 of the article into an h2; remember the
    // real level so the Markdown keeps it.
    markdown::mark_headings(&document);
    let config = Config {
        // the boilerplate pass and the code-language lookup read classes
        keep_classes: true,
        ..Config::default()
    };
    let article = Readability::with_document(document, Some(base.as_str()), Some(config))
        .and_then(|mut readability| readability.parse());
    let body = match article {
        Ok(article) => {
            metadata::fill_from_article(&mut meta, &article);
            Document::from(article.content.as_ref())
        }
        Err(_) => {
            let whole = Document::from(html);
            metadata::fill_title(&mut meta, &whole);
            clean::whole_page(&whole);
            whole
        }
    };
    clean::boilerplate(&body);
    markdown::prepare(&body, &base);
    Content {
        text: text::render(&body),
        markdown: markdown::render(&body),
        metadata: meta,
    }
}
