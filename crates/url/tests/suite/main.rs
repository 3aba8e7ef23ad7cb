//! Integration tests of `ferrocrawl-url`, in one binary: conformance suites
//! over the shared corpora and property tests.
//!
//! Corpora are found in `$FERROCRAWL_CORPORA`, else in `shared/corpora`
//! next to the workspace. A missing corpus skips its suite with a message.

mod corpus;
mod props;
mod psl;
mod whatwg;
