-- Takes or refreshes an in-flight lease and keeps the peak concurrency of the minute.
-- KEYS: 1 in-flight sorted set (member: task id, score: lease expiry in ms), 2 peaks hash (field: minute)
-- ARGV: 1 now (ms), 2 lease expiry (ms), 3 task id, 4 minute
-- Answers the number in flight.
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
local count = redis.call('ZCARD', KEYS[1])
local peak = tonumber(redis.call('HGET', KEYS[2], ARGV[4]) or '0')
if count > peak then redis.call('HSET', KEYS[2], ARGV[4], count) end
redis.call('EXPIRE', KEYS[2], 3600)
return count
