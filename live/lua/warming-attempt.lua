-- Counts one real Lambda attempt of a function for "warming that proves it pays", atomically: a warm hit while a
-- warm-up's environments are still alive (KEYS[2], the credit: environments warmed and not yet used, expiring with
-- their lifetime) is a cold start the warm pool saved, worth the function's learned Init Duration (KEYS[3],
-- placement-stats.lua's A:i mean) or ARGV[3] before one is measured.
-- Once per attempt (KEYS[5], the attempt's mark): the worker counts an attempt before the task's end is published,
-- so that the stats pushed with that end include it, and a repeated publish must not count it again.
-- KEYS: the function's warming hash, its credit, its placement-stats hash, the set of functions, the attempt's mark
-- ARGV: function name, cold '1'/'0', default init ms, ttl seconds, the mark's ttl seconds
-- Answers 1 when counted, 0 when the attempt was counted before.
local hash, credit, pstats, names, mark = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
if not redis.call('SET', mark, '1', 'NX', 'EX', tonumber(ARGV[5])) then return 0 end
redis.call('SADD', names, ARGV[1])
redis.call('HINCRBY', hash, 'attempts', 1)
if ARGV[2] == '1' then
  redis.call('HINCRBY', hash, 'coldStarts', 1)
else
  redis.call('HINCRBY', hash, 'warmHits', 1)
  local left = tonumber(redis.call('GET', credit) or '0') or 0
  if left > 0 then
    redis.call('DECR', credit)
    local init = tonumber(redis.call('HGET', pstats, 'A:i:m') or '') or tonumber(ARGV[3])
    redis.call('HINCRBY', hash, 'savedColdStarts', 1)
    redis.call('HINCRBYFLOAT', hash, 'savedMs', init)
  end
end
redis.call('EXPIRE', hash, tonumber(ARGV[4]))
redis.call('EXPIRE', names, tonumber(ARGV[4]))
return 1
