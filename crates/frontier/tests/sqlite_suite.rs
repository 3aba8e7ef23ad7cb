//! The shared frontier suite against the SQLite frontier, each case on a
//! fresh state file in its own temporary directory.

ferrocrawl_testkit::frontier_suite!(ferrocrawl_testkit::frontier_suite::SqliteBackend::default());
