-- Takes (or renews) a concurrency slot of a key for a task, or keeps the task in line for one.
-- KEYS: 1 holders (sorted set, member: task id, score: lease expiry ms), 2 waiters (sorted set, score: arrival),
--       3 seen (sorted set, score: liveness expiry ms, so a waiter whose workflow stopped asking leaves the line)
-- ARGV: 1 task id, 2 limit, 3 now (ms), 4 lease (ms), 5 arrival score, 6 waiter liveness (ms)
-- Answers { granted 1|0, position in line (0 when granted), holders }.
local holders, waiters, seen = KEYS[1], KEYS[2], KEYS[3]
local id, limit, now, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', holders, '-inf', now)
local gone = redis.call('ZRANGEBYSCORE', seen, '-inf', now)
for _, w in ipairs(gone) do redis.call('ZREM', waiters, w) end
redis.call('ZREMRANGEBYSCORE', seen, '-inf', now)
if redis.call('ZSCORE', holders, id) then
  redis.call('ZADD', holders, now + lease, id)
  redis.call('ZREM', waiters, id)
  redis.call('ZREM', seen, id)
  return { 1, 0, redis.call('ZCARD', holders) }
end
redis.call('ZADD', waiters, 'NX', ARGV[5], id)
redis.call('ZADD', seen, now + tonumber(ARGV[6]), id)
local free = limit - redis.call('ZCARD', holders)
local rank = redis.call('ZRANK', waiters, id)
if free > 0 and rank < free then
  redis.call('ZREM', waiters, id)
  redis.call('ZREM', seen, id)
  redis.call('ZADD', holders, now + lease, id)
  redis.call('PEXPIRE', holders, lease * 2)
  return { 1, 0, redis.call('ZCARD', holders) }
end
redis.call('PEXPIRE', waiters, 86400000)
redis.call('PEXPIRE', seen, 86400000)
return { 0, rank + 1, redis.call('ZCARD', holders) }
