-- One permit of a rate, as an exact sliding window: granted when fewer than `limit` were granted in the last period.
-- A permit taken ahead (by the workflow, when the task was placed) is moved to the moment the attempt really starts:
-- its old entry goes, and the new one is granted only if the window at that moment has room, so the window holds
-- attempt start times, and attempts that waited in a queue cannot start in a burst.
-- KEYS: 1 window (sorted set, member: permit id, score: when granted, ms)
-- ARGV: 1 limit, 2 period (ms), 3 now (ms), 4 permit id, 5 the permit id this one replaces ('' for none)
-- Answers { granted 1|0, ms until a permit may be free (0 when granted) }.
local key, limit, period, now = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if ARGV[5] ~= '' then redis.call('ZREM', key, ARGV[5]) end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
if redis.call('ZCARD', key) < limit then
  redis.call('ZADD', key, now, ARGV[4])
  redis.call('PEXPIRE', key, period * 2)
  return { 1, 0 }
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return { 0, tonumber(oldest[2]) + period - now }
