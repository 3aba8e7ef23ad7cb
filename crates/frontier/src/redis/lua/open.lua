-- open: a worker (re)starts. Its leases from before are taken back at once
-- (it can no longer be fetching them), and the acks it made after its last
-- checkpoint are undone: their pages are queued again, as its outputs are
-- cut back to that checkpoint. ARGV[4] the data format version. Returns
-- { leases taken back, acks undone }, or an error for a foreign format.
local version = redis.call('HGET', key('meta'), 'version')
if version and version ~= ARGV[4] then
  return redis.error_reply('FERROCRAWL_FORMAT ' .. version)
end
-- The configuration too: `ferrocrawl status` reads the counters with it.
redis.call('HSET', key('meta'), 'version', ARGV[4], 'cfg', ARGV[2])
touch_worker()
local taken = 0
local raw = redis.call('HGETALL', key('l'))
for i = 1, #raw, 2 do
  local e = lease_entry(raw[i])
  if e and e.worker == WORKER then
    take_back(raw[i], e)
    taken = taken + 1
  end
end
local jkey = key('j:' .. WORKER)
local undone = 0
for _, entry in ipairs(redis.call('LRANGE', jkey, 0, -1)) do
  local rid, kind, bytes, hk = string.match(entry, '^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$')
  if kind == 'd' then incr('done', -1) else incr('failed', -1) end
  incr('bytes', -tonumber(bytes))
  if rid ~= '0' then
    local h = load(hk)
    page_returned(h)
    local _, prio = blob(rid)
    if prio then enqueue(hk, h, rid, prio) end
    save(hk, h)
    schedule(hk, h)
  end
  undone = undone + 1
end
redis.call('DEL', jkey)
return { taken, undone }
