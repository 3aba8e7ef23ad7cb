//! The shared frontier suite against the SQLite frontier, each case on a
//! fresh state file in the temporary directory.

ferrocrawl_testkit::frontier_suite!(|cfg| {
    ferrocrawl_frontier::SqliteFrontier::temporary(cfg).expect("a temporary state file")
});
