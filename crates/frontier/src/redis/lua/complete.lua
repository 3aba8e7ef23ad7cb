-- complete: push the children, then apply the acks, then record the
-- checkpoint, as one step. ARGV[4] the number of children, 6 arguments each
-- (see push_many in lib.lua); then the number of acks, 9 arguments each: id, token,
-- type and six values:
--   d (done): status, bytes, latency ms
--   f (failed)
--   t (retry): wait ms, throttled (1/0), host, robots URL, priority, JSON
--   x (robots.txt unreachable): refused (1/0), error kind, message
--   r (robots.txt answer): k (rules) or u (unavailable), Crawl-delay ms (-1
--     none), source kind (a allow all, d disallow all, p parsed), body, agent
-- then 1 and the checkpoint, or 0. A checkpoint makes this worker's acks
-- final: its journal is emptied and the finished requests forgotten.
-- Returns { added, duplicate, acked, stale }.
touch_worker()
local n = tonumber(ARGV[4])
local added = push_many(5, n)
local a = 5 + n * 6
expire()
local acks = tonumber(ARGV[a])
a = a + 1
local acked, stale = 0, 0
for _ = 1, acks do
  if apply_ack(a) then acked = acked + 1 else stale = stale + 1 end
  a = a + 9
end
if ARGV[a] == '1' then
  local jkey = key('j:' .. WORKER)
  for _, entry in ipairs(redis.call('LRANGE', jkey, 0, -1)) do
    local rid = string.match(entry, '^([^\t]*)')
    if rid ~= '0' then redis.call('HDEL', key('r'), rid) end
  end
  redis.call('DEL', jkey)
  redis.call('SET', key('ck:' .. WORKER), ARGV[a + 1])
end
return { added, n - added, acked, stale }
