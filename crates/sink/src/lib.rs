//! ferrocrawl's item sinks: where scraped items go.
//!
//! An [`Item`] is a JSON object. Every output implements [`Sink`]:
//! `write` a batch (may buffer), `flush` to make it durable, `close` to
//! flush and release.
//!
//! - [`JsonlSink`]: JSON Lines to a file or standard output.
//! - [`CsvSink`]: CSV under a stable header.
//! - [`SqliteSink`]: one SQLite table, created and widened on demand, with
//!   optional upsert by key.
//! - [`PostgresSink`]: the same for PostgreSQL.
//! - [`BoxSink`]: any of them, chosen at run time.
//! - [`SharedSink`]: one sink written by several owners.
//!
//! The file sinks report the length of their file that is durable
//! ([`Sink::committed`]); [`JsonlSink::resume`] and [`CsvSink::resume`]
//! reopen the file at that length after a crash, so output is written
//! exactly once.
//!
//! A [`Pipeline`] checks, fixes up and deduplicates items before they are
//! written; an [`ItemWriter`] puts one in front of a sink and writes every
//! item that does not get through, with the stage and reason, to a failures
//! sink.
//!
//! Failures are one opaque [`Error`] with predicates.
//!
//! ```
//! use ferrocrawl_sink::{Item, JsonlSink, Sink};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), ferrocrawl_sink::Error> {
//! let dir = tempfile::tempdir()?;
//! let mut sink = JsonlSink::create(dir.path().join("items.jsonl")).await?;
//! let item: Item = serde_json::json!({"url": "https://example.com/", "title": "Example"})
//!     .as_object()
//!     .cloned()
//!     .unwrap_or_default();
//! sink.write(&[item]).await?;
//! sink.close().await?;
//! # Ok(())
//! # }
//! ```

mod boxed;
mod csv;
mod error;
mod jsonl;
mod pipeline;
mod postgres;
mod resume;
mod shared;
mod sink;
mod sqlite;
mod value;
mod writer;

pub use crate::csv::CsvSink;
pub use boxed::BoxSink;
pub use error::Error;
pub use jsonl::JsonlSink;
pub use pipeline::{Pipeline, Rejected, StageStats};
pub use postgres::PostgresSink;
pub use shared::SharedSink;
pub use sink::{Item, Sink};
pub use sqlite::SqliteSink;
pub use writer::{Counts, ItemWriter};
