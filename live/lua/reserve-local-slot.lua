-- Reserves a local slot atomically when fewer than the threshold are in flight, so a burst of simultaneous AUTO
-- placements cannot all see "0 in flight" and all stay local. Expired leases are dropped first.
-- KEYS: 1 in-flight sorted set (member: task id, score: lease expiry in ms)
-- ARGV: 1 now (ms), 2 threshold, 3 task id, 4 lease expiry (ms)
-- Answers { in flight before reserving, 1 if reserved else 0 }.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local count = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[3]) then return { count - 1, 1 } end
if count < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[3])
  return { count, 1 }
end
return { count, 0 }
