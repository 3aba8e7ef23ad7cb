//! The Lua scripts, one per atomic operation, each with the shared
//! library (`lua/lib.lua`) in front: Redis scripts can't import.

use redis::Script;

const LIB: &str = include_str!("lua/lib.lua");
const ACK: &str = include_str!("lua/ack.lua");

/// Every script a [`super::RedisFrontier`] runs.
pub(super) struct Scripts {
    pub push: Script,
    pub lease: Script,
    pub drop: Script,
    pub complete: Script,
    pub reclaim: Script,
    pub status: Script,
    pub open: Script,
    pub resync: Script,
}

impl Scripts {
    pub fn new() -> Scripts {
        let with_lib = |body: &str| Script::new(&format!("{LIB}\n{body}"));
        let with_acks = |body: &str| Script::new(&format!("{LIB}\n{ACK}\n{body}"));
        Scripts {
            push: with_lib(include_str!("lua/push.lua")),
            lease: with_lib(include_str!("lua/lease.lua")),
            drop: with_lib(include_str!("lua/drop.lua")),
            complete: with_acks(include_str!("lua/complete.lua")),
            reclaim: with_acks(include_str!("lua/reclaim.lua")),
            status: with_lib(include_str!("lua/status.lua")),
            open: with_lib(include_str!("lua/open.lua")),
            resync: with_lib(include_str!("lua/resync.lua")),
        }
    }
}
