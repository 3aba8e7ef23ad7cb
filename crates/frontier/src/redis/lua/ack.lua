-- (Prepended to complete.lua and open.lua after lib.lua.) Applying acks,
-- setting requests aside, the per-worker journal of acks not yet committed.

-- A request kept out of every queue until `at` (a retry's or a reclaim's
-- wait), or queued again now if that has come.
local function set_aside(rid, hk, after)
  local h = load(hk)
  if after <= 0 then
    local _, prio = blob(rid)
    enqueue(hk, h, rid, prio)
    save(hk, h)
    schedule(hk, h)
  else
    redis.call('ZADD', key('wait'), later(now, after), rid)
  end
end

-- A finished page stays in `r` until its worker commits: j:WORKER lists
-- `RID<TAB>KIND<TAB>BYTES<TAB>HOST` for each ack since its last checkpoint,
-- so a restarted worker can undo them (open.lua).
local function journal(rid, kind, bytes, hk)
  redis.call('RPUSH', key('j:' .. WORKER), table.concat({ rid, kind, bytes, hk }, '\t'))
end

local function robots_gave_up(hk, h)
  h.g = 1
  h.rs = 'k'
  h.rv = h.rv + 1
  redis.call('HSET', key('rb:' .. hk), 'kind', 'd', 'body', '', 'agent', '')
end

-- policy::auto_throttle, in milliseconds.
local function adapt_delay(h, status, latency)
  local at = CFG.at
  if not at then return end
  local t = at.target
  if t < 0.01 then t = 0.01 end
  local nxt = math.floor((h.d + math.floor(latency / t)) / 2)
  if status >= 400 and nxt < h.d then return end
  local top = at.max
  if top < h.bd then top = h.bd end
  if nxt < h.bd then nxt = h.bd end
  if nxt > top then nxt = top end
  h.d = nxt
end

-- Applies the ack at ARGV[a .. a+8]: id, token, type, then up to six
-- values (see complete.lua). Returns true if applied, false if stale.
local function apply_ack(a)
  local e = take_lease(ARGV[a], ARGV[a + 1])
  if not e then return false end
  local t = ARGV[a + 2]
  local hk = e.hk
  local h = load(hk)
  if h.f > 0 then h.f = h.f - 1 end
  local page = e.kind == 'p'
  if t == 'd' then
    local bytes = tonumber(ARGV[a + 4])
    incr('done', 1)
    incr('bytes', bytes)
    journal(e.rid, 'd', bytes, hk)
    adapt_delay(h, tonumber(ARGV[a + 3]), tonumber(ARGV[a + 5]))
  elseif t == 'f' then
    incr('failed', 1)
    journal(e.rid, 'f', 0, hk)
  elseif t == 't' then
    local after = tonumber(ARGV[a + 3])
    if ARGV[a + 4] == '1' then
      local until_ = later(now, after)
      if until_ > h.b then h.b = until_ end
    end
    if page then
      page_returned(h)
      save(hk, h)
      schedule(hk, h)
      local nhk = ARGV[a + 5]
      ensure_host(nhk, ARGV[a + 6])
      redis.call('HSET', key('r'), e.rid, nhk .. '\t' .. ARGV[a + 7] .. '\t' .. ARGV[a + 8])
      set_aside(e.rid, nhk, after)
      h = load(hk)
    else
      h.rs = 'r'
      h.ra = later(now, after)
    end
  elseif t == 'x' then
    if page then redis.call('HDEL', key('r'), e.rid) end
    h.rn = h.rn + 1
    if ARGV[a + 3] == '1' or h.rn >= CFG.robots_attempts then
      robots_gave_up(hk, h)
      h.uk = ARGV[a + 4]
      h.um = ARGV[a + 5]
    else
      local w = CFG.unreachable_waits
      h.rs = 'r'
      h.ra = later(now, w[math.min(h.rn, #w)])
    end
  elseif t == 'r' then
    if page then redis.call('HDEL', key('r'), e.rid) end
    if ARGV[a + 3] == 'k' then
      local cd = tonumber(ARGV[a + 4])
      if cd >= 0 then
        h.cd = cd
        h.bd = math.max(CFG.delay, cd)
        h.d = math.max(h.d, h.bd)
      end
      h.rs = 'k'
      h.rv = h.rv + 1
      redis.call('HSET', key('rb:' .. hk), 'kind', ARGV[a + 5], 'body', ARGV[a + 6], 'agent', ARGV[a + 7])
    else
      h.rn = h.rn + 1
      if h.rn >= CFG.robots_attempts then
        robots_gave_up(hk, h)
      else
        h.rs = 'r'
        h.ra = later(now, CFG.unavailable_wait)
      end
    end
  end
  save(hk, h)
  schedule(hk, h)
  return true
end
