//! The shared frontier suite against the in-memory frontier after its queue
//! has moved to disk (a threshold of three queued requests).

ferrocrawl_testkit::frontier_suite!(ferrocrawl_testkit::frontier_suite::SpillingMemoryBackend);
