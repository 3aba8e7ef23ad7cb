-- lease: take back expired leases, release due retries, then up to ARGV[4]
-- leases that politeness allows now. ARGV[5] holds jitter factors
-- (policy::jitter_factor, drawn by the caller), comma-separated, used in turn.
-- Returns { leases, dropped }: a lease is { id, kind ('p' or 'r'), expires,
-- host, JSON or robots URL, robots version to check the page against (0:
-- nothing to check) }; a drop is { reason ('u' unavailable, 'x'
-- unreachable), JSON, error kind, message }.
touch_worker()
local max = tonumber(ARGV[4])
local jitters = {}
for j in string.gmatch(ARGV[5], '[^,]+') do jitters[#jitters + 1] = tonumber(j) end

expire()
release()

local leases, dropped = {}, {}

local function grant(kind, hk, rid, start, prev_ls, prev_j)
  local id = redis.call('HINCRBY', key('c'), 'tok', 1)
  local expires = later(now, CFG.ttl)
  redis.call('HSET', key('l'), id, table.concat({ kind, id, hk, rid, WORKER, start, prev_ls, prev_j }, '\t'))
  redis.call('ZADD', key('leases'), expires, id)
  return id, expires
end

while #leases < max do
  if budget_spent() then break end
  local top = redis.call('ZRANGE', key('ready'), 0, 0, 'WITHSCORES')
  if #top == 0 or tonumber(top[2]) > now then break end
  local hk = top[1]
  local h = load(hk)
  if h.rs == 'u' or h.rs == 'r' then
    if h.ru ~= '' then
      -- robots.txt first, single-flight: the host's pages wait for it.
      h.rs = 'p'
      h.f = h.f + 1
      local id, expires = grant('r', hk, '0', '', '', '')
      leases[#leases + 1] = { id, 'r', expires, hk, h.ru, 0 }
    else
      h.rs = 'i'
    end
  else
    local popped = redis.call('ZPOPMIN', key('q:' .. hk))
    local rid = popped[1] and string.match(popped[1], ':(.*)$')
    local json
    if rid then
      h.q = h.q - 1
      incr('queued', -1)
      json = select(3, blob(rid))
    end
    if not json then
      -- The count and the queue disagree (keys changed by hand): trust the
      -- queue, so the host stops asking for a slot it can't use.
      if not rid then
        incr('queued', -h.q)
        h.q = 0
      end
    elseif h.uk then
      redis.call('HDEL', key('r'), rid)
      incr('dropped', 1)
      dropped[#dropped + 1] = { 'x', json, h.uk, h.um }
    elseif h.g == 1 then
      redis.call('HDEL', key('r'), rid)
      incr('dropped', 1)
      dropped[#dropped + 1] = { 'u', json, '', '' }
    else
      local prev_ls, prev_j = h.ls and string.format('%d', h.ls) or '', string.format('%.17g', h.j)
      h.f = h.f + 1
      h.ls = now
      h.j = jitters[#leases % math.max(#jitters, 1) + 1] or 1
      incr('pl', 1)
      h.pl = h.pl + 1
      if h.full == 0 and CFG.max_pages_per_host >= 0 and h.pl >= CFG.max_pages_per_host then
        h.full = 1
        incr('full_hosts', 1)
        incr('qfull', h.q)
      end
      local id, expires = grant('p', hk, rid, string.format('%d', now), prev_ls, prev_j)
      local check = 0
      if h.rs == 'k' then check = h.rv end
      leases[#leases + 1] = { id, 'p', expires, hk, json, check }
    end
  end
  save(hk, h)
  schedule(hk, h)
end

return { leases, dropped }
