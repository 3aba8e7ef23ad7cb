-- drop: end page leases whose robots.txt disallows them (the caller
-- decided, with policy::robots_decision). ARGV[4] the number of leases,
-- then id and token each. The host's slot and page budget are given back,
-- and its last start undone if the dropped page was the last one started,
-- so a disallowed page costs no politeness delay. Returns the number dropped.
local n = tonumber(ARGV[4])
local done = 0
for i = 0, n - 1 do
  local id, token = ARGV[5 + 2 * i], ARGV[6 + 2 * i]
  local e = lease_entry(id)
  if e and e.token == token then
    end_lease(id)
    local h = load(e.hk)
    if h.f > 0 then h.f = h.f - 1 end
    page_returned(h)
    if h.ls and string.format('%d', h.ls) == e.start then
      if e.prev_ls == '' then
        h.ls = nil
        redis.call('HDEL', key('h:' .. e.hk), 'ls')
      else
        h.ls = tonumber(e.prev_ls)
      end
      h.j = tonumber(e.prev_j)
    end
    redis.call('HDEL', key('r'), e.rid)
    incr('dropped', 1)
    save(e.hk, h)
    schedule(e.hk, h)
    done = done + 1
  end
end
return done
