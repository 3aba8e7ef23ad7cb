-- Shared by every script (prepended to each): the key layout, the clock,
-- hosts, queues and leases. Loaded as one chunk with one operation's file;
-- nothing here runs on its own.
--
-- KEYS[1] is the crawl's prefix, `ferrocrawl:{NAME}:`: every key below
-- starts with it, so all of a crawl's keys share one hash tag (one slot).
-- ARGV[1] the time in ms, or -1 to read the server's TIME; ARGV[2] the
-- frontier config as JSON; ARGV[3] the calling worker's name.
-- Times and durations are integer milliseconds.

local P = KEYS[1]
local function key(s) return P .. s end
local CFG = cjson.decode(ARGV[2])
local WORKER = ARGV[3]
local FAR = CFG.far

local now
do
  local t = tonumber(ARGV[1])
  if t == nil or t < 0 then
    local tt = redis.call('TIME')
    t = tonumber(tt[1]) * 1000 + math.floor(tonumber(tt[2]) / 1000)
  end
  now = t
end

-- The calling worker was seen now: `workers` scores each worker's name by
-- its last call that changed anything (status readers are not workers).
local function touch_worker()
  redis.call('ZADD', key('workers'), now, WORKER)
end

-- policy::later
local function later(t, d)
  if d > FAR then d = FAR end
  return t + d
end

local function incr(field, by)
  if by ~= 0 then redis.call('HINCRBY', key('c'), field, by) end
end

local function count(field)
  return tonumber(redis.call('HGET', key('c'), field) or '0')
end

-- ===== hosts =====
-- h:HOST fields: q queued, f in flight, ls last start, j jitter, b blocked
-- until, bd base delay, cd crawl-delay, d delay, rs robots state (u unknown,
-- p pending, r retry at ra, k known, i ignored), rn robots attempts, g gave
-- up, uk/um unreachable kind and message, rv robots version, pl pages
-- leased, full, ru robots URL ('' for none).

local NUM = { q = 1, f = 1, ls = 1, j = 1, b = 1, bd = 1, cd = 1, d = 1, ra = 1, rn = 1, g = 1,
  rv = 1, pl = 1, full = 1 }

local function load(hk)
  local raw = redis.call('HGETALL', key('h:' .. hk))
  if #raw == 0 then return nil end
  local h = {}
  for i = 1, #raw, 2 do
    local f = raw[i]
    if NUM[f] then h[f] = tonumber(raw[i + 1]) else h[f] = raw[i + 1] end
  end
  return h
end

local function save(hk, h)
  local args = { 'HSET', key('h:' .. hk) }
  for f, v in pairs(h) do
    args[#args + 1] = f
    if type(v) == 'number' then args[#args + 1] = string.format('%.17g', v) else args[#args + 1] = v end
  end
  redis.call(unpack(args))
end

-- The host of a request, made on first sight (Host::new).
local function ensure_host(hk, robots_url)
  local h = load(hk)
  if h then return h end
  h = { q = 0, f = 0, j = 1, b = now, bd = CFG.delay, cd = 0, d = CFG.delay,
    rs = CFG.obey and 'u' or 'i', rn = 0, g = 0, rv = 0, pl = 0, full = 0, ru = robots_url }
  save(hk, h)
  incr('hosts', 1)
  return h
end

-- policy::gap
local function gap(h)
  if h.d == 0 then return h.cd end
  local g = math.floor(h.d * h.j)
  if g > FAR then g = FAR end
  if g < h.cd then g = h.cd end
  return g
end

-- Host::ready_at
local function ready_at(h)
  local t = h.b
  if h.ls then
    local n = later(h.ls, gap(h))
    if n > t then t = n end
  end
  if h.rs == 'r' and h.ra > t then t = h.ra end
  return t
end

-- Host::wants_slot
local function wants(h)
  return h.q > 0 and h.full == 0 and h.f < CFG.per_host and h.rs ~= 'p'
end

-- The `ready` sorted set holds exactly the hosts that want a slot, scored by
-- when they may have one. Called after every change to a host.
local function schedule(hk, h)
  if wants(h) then
    redis.call('ZADD', key('ready'), ready_at(h), hk)
  else
    redis.call('ZREM', key('ready'), hk)
  end
end

-- ===== queues =====
-- q:HOST is a sorted set scored by -priority; members `ORDER:RID`, where
-- ORDER (fixed-width hex) puts the oldest first (BFS) or the newest (DFS).
-- r maps RID to `HOST<TAB>PRIORITY<TAB>JSON`.

local SEQ_TOP = 4503599627370496 -- 2^52

local function order_key()
  local seq = redis.call('HINCRBY', key('c'), 'seq', 1)
  if CFG.dfs then seq = SEQ_TOP - seq end
  return string.format('%014x', seq)
end

local function blob(rid)
  local v = redis.call('HGET', key('r'), rid)
  if not v then return nil end
  local hk, prio, json = string.match(v, '^([^\t]*)\t([^\t]*)\t(.*)$')
  return hk, tonumber(prio), json
end

-- One more request on host hk's queue (Scheduler::queued_on).
local function enqueue(hk, h, rid, prio)
  redis.call('ZADD', key('q:' .. hk), -prio, order_key() .. ':' .. rid)
  h.q = h.q + 1
  incr('queued', 1)
  if h.full == 1 then incr('qfull', 1) end
end

-- Put a request kept aside (leased, waiting) back on its host's queue.
local function requeue(rid)
  local hk, prio = blob(rid)
  if not hk then return end
  local h = load(hk)
  enqueue(hk, h, rid, prio)
  save(hk, h)
  schedule(hk, h)
end

-- ===== budgets =====

local function budget_spent()
  return (CFG.max_pages >= 0 and count('pl') >= CFG.max_pages)
    or (CFG.max_bytes >= 0 and count('bytes') >= CFG.max_bytes)
end

-- Scheduler::host_page_returned
local function page_returned(h)
  if h.pl > 0 then h.pl = h.pl - 1 end
  if h.full == 1 and CFG.max_pages_per_host >= 0 and h.pl < CFG.max_pages_per_host then
    h.full = 0
    incr('full_hosts', -1)
    incr('qfull', -h.q)
  end
  local pl = count('pl')
  if pl > 0 then incr('pl', -1) end
end

-- ===== leases =====
-- l maps a lease id to `KIND<TAB>TOKEN<TAB>HOST<TAB>RID<TAB>WORKER<TAB>START
-- <TAB>PREV_START<TAB>PREV_JITTER`; `leases` scores ids by expiry.

local function lease_entry(id)
  local v = redis.call('HGET', key('l'), id)
  if not v then return nil end
  local f = {}
  for part in string.gmatch(v .. '\t', '([^\t]*)\t') do f[#f + 1] = part end
  return { kind = f[1], token = f[2], hk = f[3], rid = f[4], worker = f[5], start = f[6],
    prev_ls = f[7], prev_j = f[8] }
end

local function end_lease(id)
  redis.call('HDEL', key('l'), id)
  redis.call('ZREM', key('leases'), id)
end

-- A lease taken back (expired, or its worker restarted): the request goes
-- back to its queue, robots.txt is asked again.
local function take_back(id, e)
  end_lease(id)
  incr('expired', 1)
  local h = load(e.hk)
  if h.f > 0 then h.f = h.f - 1 end
  if e.kind == 'r' then
    h.rs = 'u'
  else
    page_returned(h)
    local _, prio = blob(e.rid)
    if prio then enqueue(e.hk, h, e.rid, prio) end
  end
  save(e.hk, h)
  schedule(e.hk, h)
end

-- Scheduler::expire: leases past their expiry, by any handle.
local function expire()
  local ids = redis.call('ZRANGEBYSCORE', key('leases'), '-inf', now)
  for _, id in ipairs(ids) do
    local e = lease_entry(id)
    if e then take_back(id, e) else redis.call('ZREM', key('leases'), id) end
  end
end

-- Retries whose wait is over go back to their queues.
local function release()
  local rids = redis.call('ZRANGEBYSCORE', key('wait'), '-inf', now)
  for _, rid in ipairs(rids) do
    redis.call('ZREM', key('wait'), rid)
    requeue(rid)
  end
end

-- The lease (id, token) if held, ended; nil (and counted stale) if not.
local function take_lease(id, token)
  local e = lease_entry(id)
  if not e or e.token ~= token then
    incr('stale', 1)
    return nil
  end
  end_lease(id)
  return e
end

-- ===== pushing =====
-- A request is 6 arguments: the seen-set bucket and field of its
-- fingerprint ('' for dont_filter), host key, robots URL, priority, JSON.
-- Dedup and enqueue happen in one step. Pushes ARGV[first ..] (n requests);
-- each host touched is read and written once, and the counters once.
local function push_many(first, n)
  local added, queued, qfull = 0, 0, 0
  local hosts = {}
  local seq = count('seq')
  local rid = count('rid')
  for i = 0, n - 1 do
    local a = first + i * 6
    local bucket, hk = ARGV[a], ARGV[a + 2]
    if bucket == '' or redis.call('HSETNX', key('s:' .. bucket), ARGV[a + 1], '') == 1 then
      local h = hosts[hk]
      if not h then
        h = ensure_host(hk, ARGV[a + 3])
        hosts[hk] = h
      end
      rid = rid + 1
      seq = seq + 1
      local order = seq
      if CFG.dfs then order = SEQ_TOP - seq end
      local prio = ARGV[a + 4]
      redis.call('HSET', key('r'), rid, hk .. '\t' .. prio .. '\t' .. ARGV[a + 5])
      redis.call('ZADD', key('q:' .. hk), -tonumber(prio), string.format('%014x', order) .. ':' .. rid)
      h.q = h.q + 1
      queued = queued + 1
      if h.full == 1 then qfull = qfull + 1 end
      added = added + 1
    end
  end
  if added > 0 then
    redis.call('HSET', key('c'), 'seq', string.format('%d', seq), 'rid', string.format('%d', rid))
    incr('queued', queued)
    incr('qfull', qfull)
    for hk, h in pairs(hosts) do
      save(hk, h)
      schedule(hk, h)
    end
  end
  return added
end
