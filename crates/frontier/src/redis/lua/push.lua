-- push: dedup and queue requests. ARGV[4] the number of requests, then 6
-- arguments each (see push_many in lib.lua). Returns the number added.
touch_worker()
return push_many(5, tonumber(ARGV[4]))
