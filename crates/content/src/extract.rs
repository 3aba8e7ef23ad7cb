//! The pipeline: metadata, main-content detection, boilerplate, text and Markdown.

use dom_query::Document;
use dom_smoothie::{Config, Readability};
use url::Url;

use crate::{Content, clean, depth, markdown, metadata, strip, text};

/// Extracts the main content of a decoded HTML page: its text, its Markdown
/// and its metadata.
///
/// `url` is the page's URL: relative links and images are resolved against it
/// (or against the page's `<base href>`). Never fails: a page where no article
/// can be told apart yields its whole `<body>`, cleaned the same way, and a page
/// without text yields empty strings.
///
/// When only one of text and Markdown is wanted, [`extract_with`] skips
/// rendering the other.
pub fn extract(html: &str, url: &Url) -> Content {
    extract_with(html, url, Rendering::Both)
}

/// Which renderings of the main content [`extract_with`] makes; the others
/// are left empty. The metadata is always read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rendering {
    /// Text and Markdown.
    #[default]
    Both,
    /// [`Content::text`] only.
    Text,
    /// [`Content::markdown`] only.
    Markdown,
    /// Neither: the metadata only.
    Neither,
}

/// [`extract`], making only the renderings asked for.
///
/// ```
/// use ferrocrawl_content::{Rendering, extract_with};
///
/// let html = "<html><body><article><p>One paragraph of the article's text, long \
///     enough to count as an article for the detector that finds it.</p></article></body></html>";
/// let url = url::Url::parse("https://example.org/a")?;
/// let content = extract_with(html, &url, Rendering::Text);
/// assert!(content.text.starts_with("One paragraph"));
/// assert!(content.markdown.is_empty());
/// # Ok::<(), url::ParseError>(())
/// ```
pub fn extract_with(html: &str, url: &Url, rendering: Rendering) -> Content {
    crate::stream::page::extract(html, url, rendering)
}

/// [`extract_with`] on html5ever's DOM with dom_smoothie and htmd: the
/// pipeline the streaming extractor replaced, kept to compare them.
#[doc(hidden)]
pub fn extract_with_dom(html: &str, url: &Url, rendering: Rendering) -> Content {
    // Half a page's bytes are often scripts and style sheets that
    // Readability removes anyway: not parsing them halves the parse.
    let html = strip::scripts_and_styles(html);
    let html = html.as_ref();
    let document = Document::from(html);
    depth::cap(&document);
    let base = metadata::base_url(&document, url);
    let mut meta = metadata::from_head(&document, url);
    // Readability.js turns every h1 of the article into an h2; remember the
    // real level so the Markdown keeps it.
    let headings = markdown::mark_headings(&document);
    let marked = clean::marked(&document);
    let config = Config {
        // the boilerplate pass and the code-language lookup read classes
        keep_classes: true,
        ..Config::default()
    };
    // After a successful parse, Readability's document holds the article in
    // `#readability-page-1` (with what is left of the page around it): work
    // on that subtree instead of parsing the article's HTML again.
    let article = Readability::with_document(document, Some(base.as_str()), Some(config)).and_then(
        |mut readability| {
            readability
                .parse()
                .map(|article| (article, readability.doc))
        },
    );
    let (document, root) = match article {
        Ok((article, doc)) => {
            metadata::fill_from_article(&mut meta, &article);
            metadata::title_from_headings(&mut meta, &headings);
            (doc, "#readability-page-1")
        }
        Err(_) => {
            let whole = Document::from(html);
            depth::cap(&whole);
            metadata::fill_title(&mut meta, &whole);
            clean::whole_page(&whole);
            (whole, "body")
        }
    };
    let Some(root) = document.select_single(root).nodes().first().copied() else {
        return Content {
            metadata: meta,
            ..Content::default()
        };
    };
    if rendering == Rendering::Neither {
        return Content {
            metadata: meta,
            ..Content::default()
        };
    }
    clean::boilerplate(&root, &marked);
    // The text first: rendering the Markdown escapes the tree's text.
    let text = match rendering {
        Rendering::Both | Rendering::Text => text::render(&root),
        Rendering::Markdown | Rendering::Neither => String::new(),
    };
    let markdown = match rendering {
        Rendering::Both | Rendering::Markdown => {
            markdown::restore_title(&root, &headings, meta.title.as_deref());
            markdown::prepare(&root, &base);
            markdown::render(&root)
        }
        Rendering::Text | Rendering::Neither => String::new(),
    };
    Content {
        text,
        markdown,
        metadata: meta,
    }
}
