-- Folds one finished attempt into the learned placement figures, atomically: decayed means (a sample's weight halves
-- every half-life) of the run time, of the Init Duration of cold starts, of the cold-start ratio and of the local CPU
-- share, per function version (KEYS[1]) and per function (KEYS[2]); the local pool's service time (KEYS[3]) and its
-- recent completions (KEYS[4]). Mirrors observe() and observeRatio() of domain/duration-model.ts.
-- ARGV: now, halfLifeMs, group ('L' or 'A'), durationMs, initMs or '', cold '1'/'0'/'', cpuShare or '', member, ttl,
-- heldMs or '' (a local attempt's time in its slot: the run and its overhead)
local now, half, group = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
local duration, init, cold, cpu = tonumber(ARGV[4]), tonumber(ARGV[5]), ARGV[6], tonumber(ARGV[7])
local member, ttl = ARGV[8], tonumber(ARGV[9])
local held = tonumber(ARGV[10] or '')

local function mean(key, field, sample)
  local v = redis.call('HMGET', key, field .. ':m', field .. ':w', field .. ':t')
  local m, w, t = tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or now
  if w > 0 then w = w * 2 ^ (-math.max(0, now - t) / half) end
  redis.call('HSET', key, field .. ':m', tostring((m * w + sample) / (w + 1)), field .. ':w', tostring(w + 1),
    field .. ':t', tostring(math.max(now, t)))
end

local function share(key, field, hit)
  local v = redis.call('HMGET', key, field .. ':h', field .. ':n', field .. ':t')
  local h, n, t = tonumber(v[1]) or 0, tonumber(v[2]) or 0, tonumber(v[3]) or now
  local f = 0
  if n > 0 then f = 2 ^ (-math.max(0, now - t) / half) end
  local add = 0
  if hit then add = 1 end
  redis.call('HSET', key, field .. ':h', tostring(h * f + add), field .. ':n', tostring(n * f + 1),
    field .. ':t', tostring(math.max(now, t)))
end

for i = 1, 2 do
  local key = KEYS[i]
  if duration then mean(key, group .. ':d', duration) end
  if init and cold == '1' then mean(key, group .. ':i', init) end
  if cold == '1' or cold == '0' then share(key, group .. ':c', cold == '1') end
  if cpu then mean(key, group .. ':u', cpu) end
  if held then mean(key, group .. ':h', held) end
  redis.call('EXPIRE', key, ttl)
end
if group == 'L' and duration then
  -- The pool's service time is the slot's: a task behind it waits for the overhead too.
  mean(KEYS[3], 'svc', held or duration)
  redis.call('EXPIRE', KEYS[3], ttl)
  redis.call('ZADD', KEYS[4], now, member)
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now - 60000)
  redis.call('EXPIRE', KEYS[4], 120)
end
return 1
