//! The crate's one opaque error type.

use std::fmt;

/// An error from a sink.
///
/// Opaque on purpose: ask it what went wrong with the `is_*` predicates, and
/// walk [`std::error::Error::source`] for the underlying cause.
pub struct Error {
    kind: Kind,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

#[derive(Debug)]
pub(crate) enum Kind {
    /// Reading or writing a file or stream failed.
    Io,
    /// The CSV encoder failed.
    Csv,
    /// SQLite or PostgreSQL refused a statement or a connection.
    Database,
    /// An item lacks the sink's key field; holds a short rendering of the item.
    MissingKey { key: String, item: String },
    /// The sink can no longer be used (a worker died, the database connection
    /// was lost, or it was closed).
    Closed,
}

impl Error {
    pub(crate) fn new(kind: Kind) -> Self {
        Error { kind, source: None }
    }

    pub(crate) fn with<E>(kind: Kind, source: E) -> Self
    where
        E: Into<Box<dyn std::error::Error + Send + Sync + 'static>>,
    {
        Error {
            kind,
            source: Some(source.into()),
        }
    }

    pub(crate) fn missing_key(key: &str, index: usize, item: &crate::Item) -> Self {
        Error::new(Kind::MissingKey {
            key: key.to_owned(),
            item: format!("#{index} {}", crate::value::preview(item)),
        })
    }

    /// Reading or writing a file or stream failed.
    pub fn is_io(&self) -> bool {
        matches!(self.kind, Kind::Io)
    }

    /// The CSV encoder failed.
    pub fn is_csv(&self) -> bool {
        matches!(self.kind, Kind::Csv)
    }

    /// The database refused a statement or a connection.
    pub fn is_database(&self) -> bool {
        matches!(self.kind, Kind::Database)
    }

    /// An item lacked the sink's key field (or it was `null`).
    pub fn is_missing_key(&self) -> bool {
        matches!(self.kind, Kind::MissingKey { .. })
    }

    /// The sink can no longer be used (it was closed, its worker died, or its
    /// database connection was lost).
    pub fn is_closed(&self) -> bool {
        matches!(self.kind, Kind::Closed)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ferrocrawl_sink::Error");
        d.field("kind", &self.kind);
        if let Some(source) = &self.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Io => f.write_str("sink i/o error"),
            Kind::Csv => f.write_str("csv encoding error"),
            Kind::Database => f.write_str("database error"),
            Kind::MissingKey { key, item } => {
                write!(f, "item lacks key field {key:?}: {item}")
            }
            Kind::Closed => f.write_str("sink is closed"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_ref()
            .map(|e| &**e as &(dyn std::error::Error + 'static))
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::with(Kind::Io, e)
    }
}

impl From<::csv::Error> for Error {
    fn from(e: ::csv::Error) -> Self {
        Error::with(Kind::Csv, e)
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::with(Kind::Database, e)
    }
}

impl From<tokio_postgres::Error> for Error {
    fn from(e: tokio_postgres::Error) -> Self {
        // A lost connection is not about the statement: callers that retry
        // item by item on database errors must stop instead.
        let kind = if e.is_closed() {
            Kind::Closed
        } else {
            Kind::Database
        };
        Error::with(kind, e)
    }
}
