-- resync: a worker reached Redis again after losing it. Redis may have
-- restarted from its append-only file without its last second of writes,
-- so it may hold leases of this worker that the worker has already acked
-- (the acks were lost): they are taken back now rather than at their
-- expiry, and their pages leased again. ARGV[4] the number of leases the
-- worker holds, then their ids: those stay. Returns the number taken back.
touch_worker()
local held = {}
for i = 1, tonumber(ARGV[4]) do held[ARGV[4 + i]] = true end
local taken = 0
local raw = redis.call('HGETALL', key('l'))
for i = 1, #raw, 2 do
  local id = raw[i]
  if not held[id] then
    local e = lease_entry(id)
    if e and e.worker == WORKER then
      take_back(id, e)
      taken = taken + 1
    end
  end
end
return taken
