-- reclaim: give a lease back unfinished, to be leased again ARGV[6] ms
-- from now. ARGV[4] id, ARGV[5] token. Returns 1, or 0 if stale.
touch_worker()
expire()
local e = take_lease(ARGV[4], ARGV[5])
if not e then return 0 end
local h = load(e.hk)
if h.f > 0 then h.f = h.f - 1 end
if e.kind == 'r' then
  h.rs = 'u'
  save(e.hk, h)
  schedule(e.hk, h)
else
  page_returned(h)
  save(e.hk, h)
  schedule(e.hk, h)
  set_aside(e.rid, e.hk, tonumber(ARGV[6]))
end
return 1
