//! The shared frontier suite against the in-memory frontier.

ferrocrawl_testkit::frontier_suite!(ferrocrawl_testkit::frontier_suite::MemoryBackend);
