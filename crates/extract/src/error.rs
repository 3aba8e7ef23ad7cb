//! The crate's one error type. Only sitemap parsing can fail: link extraction takes any
//! text and returns what it finds.

use std::fmt;

use url::Url;

use crate::sitemap::Sitemap;

/// Why a sitemap could not be read (fully).
///
/// `Display` names the sitemap URL and the problem; the underlying XML or gzip error is
/// available through [`std::error::Error::source`]. Entries read before the problem are
/// kept: see [`Error::partial`].
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    url: Url,
    partial: Sitemap,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum Kind {
    #[error("malformed XML at byte {position}")]
    Xml {
        position: u64,
        #[source]
        source: quick_xml::Error,
    },
    #[error("XML ends inside {inside} at byte {position}; truncated?")]
    Truncated { inside: String, position: u64 },
    #[error("not a sitemap: the root element is <{0}>, not <urlset> or <sitemapindex>")]
    NotSitemap(String),
    #[error("not a sitemap: XML without a root element")]
    NoRoot,
    #[error(
        "decompressed size exceeds {limit} bytes (the sitemaps.org limit); \
         a gzip bomb or an oversized sitemap"
    )]
    TooLarge { limit: u64 },
    #[error("corrupt gzip data")]
    Gzip(#[source] std::io::Error),
}

// ===== impl Error =====

impl Error {
    pub(crate) fn new(kind: Kind, url: &Url, partial: Sitemap) -> Self {
        Error {
            inner: Box::new(Inner {
                kind,
                url: url.clone(),
                partial,
            }),
        }
    }

    /// The URL of the sitemap that failed.
    pub fn url(&self) -> &Url {
        &self.inner.url
    }

    /// The document is not a well-formed sitemap: broken or truncated XML, or XML whose
    /// root is neither `<urlset>` nor `<sitemapindex>` (an HTML error page, a feed).
    pub fn is_malformed(&self) -> bool {
        matches!(
            self.inner.kind,
            Kind::Xml { .. } | Kind::Truncated { .. } | Kind::NotSitemap(_) | Kind::NoRoot
        )
    }

    /// The XML ended inside an element, as a cut-off download does.
    pub fn is_truncated(&self) -> bool {
        matches!(self.inner.kind, Kind::Truncated { .. })
    }

    /// The gzip body decompressed to more than [`crate::MAX_SITEMAP_SIZE`] bytes.
    pub fn is_too_large(&self) -> bool {
        matches!(self.inner.kind, Kind::TooLarge { .. })
    }

    /// The gzip data itself is corrupt.
    pub fn is_decompression(&self) -> bool {
        matches!(self.inner.kind, Kind::Gzip(_))
    }

    /// The entries read before the problem, in document order: for a truncated download
    /// or a bomb cut at the size cap these are usable URLs. Empty when nothing was read.
    pub fn partial(&self) -> &Sitemap {
        &self.inner.partial
    }

    /// Takes the entries read before the problem (see [`Error::partial`]).
    pub fn into_partial(self) -> Sitemap {
        self.inner.partial
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sitemap {}: {}", self.inner.url, self.inner.kind)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("url", &self.inner.url.as_str())
            .field("kind", &self.inner.kind)
            .field("partial_urls", &self.inner.partial.urls.len())
            .field("partial_sitemaps", &self.inner.partial.sitemaps.len())
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        // Display already printed the kind; the chain continues with its cause.
        std::error::Error::source(&self.inner.kind)
    }
}
