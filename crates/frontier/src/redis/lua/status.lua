-- status: finished, the wait until the next change (ms, -1 for none), and
-- the counters, read at one moment. Changes nothing.
local c = {}
local raw = redis.call('HGETALL', key('c'))
for i = 1, #raw, 2 do c[raw[i]] = tonumber(raw[i + 1]) end
local function get(f) return c[f] or 0 end
local leased = redis.call('ZCARD', key('leases'))
local waiting = redis.call('ZCARD', key('wait'))
local queued = get('queued')
local workable = queued - math.min(get('qfull'), queued)
local spent = budget_spent()
local finished = leased == 0 and waiting == 0 and (workable == 0 or spent)
local next_at
local function first(k)
  local top = redis.call('ZRANGE', key(k), 0, 0, 'WITHSCORES')
  if #top == 0 then return end
  local t = tonumber(top[2])
  if next_at == nil or t < next_at then next_at = t end
end
if not spent then first('ready') end
first('wait')
first('leases')
local wait = -1
if next_at then wait = math.max(0, next_at - now) end
return { finished and 1 or 0, wait, queued, leased, waiting, get('done'), get('failed'),
  get('dropped'), get('hosts'), get('bytes'), get('stale'), get('expired'), get('full_hosts'),
  get('qfull') }
