-- Budget spend of one task, atomically and idempotently, in every counter it falls under (KEYS: one hash per scope and
-- period). `commit` adds the task's estimate to the committed spend once; `settle` moves it out of committed and adds
-- the actual cost to spent, once per task, however often the final transition is delivered.
-- ARGV: op ('commit' or 'settle'), taskId, amount (USD), then one expiry (unix seconds) per key.
-- Returns, per key, { spent before, committed before, spent after, committed after } as strings.
local op, task, amount = ARGV[1], ARGV[2], tonumber(ARGV[3])
local out = {}
for i, key in ipairs(KEYS) do
  local v = redis.call('HMGET', key, 'spent', 'committed')
  local spent, committed = tonumber(v[1]) or 0, tonumber(v[2]) or 0
  local before = { tostring(spent), tostring(committed) }
  if redis.call('HEXISTS', key, 's:' .. task) == 0 then
    if op == 'commit' then
      if redis.call('HEXISTS', key, 'c:' .. task) == 0 then
        redis.call('HSET', key, 'c:' .. task, tostring(amount))
        committed = tonumber(redis.call('HINCRBYFLOAT', key, 'committed', tostring(amount)))
      end
    else
      local held = tonumber(redis.call('HGET', key, 'c:' .. task) or '0')
      if held ~= 0 then
        committed = tonumber(redis.call('HINCRBYFLOAT', key, 'committed', tostring(-held)))
        redis.call('HDEL', key, 'c:' .. task)
      end
      spent = tonumber(redis.call('HINCRBYFLOAT', key, 'spent', tostring(amount)))
      redis.call('HSET', key, 's:' .. task, '1')
    end
    redis.call('EXPIREAT', key, tonumber(ARGV[3 + i]))
  end
  table.insert(out, { before[1], before[2], tostring(spent), tostring(committed) })
end
return out
