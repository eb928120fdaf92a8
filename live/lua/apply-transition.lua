-- Applies one task transition to the live projection, atomically, if the task is still where the caller saw it.
-- The rules (what moves which counter) are worked out by transitionEffect() in live/projection-rules.ts; this
-- script only compares the task's recorded state with the caller's expectation and, when they agree, writes the
-- effect. When they differ it writes nothing and answers the real state, from which the caller works the
-- transition out again.
--
-- KEYS: 1 task hash, 2 counters hash, 3 event stream, 4 series bucket hash, 5 durations list,
--       6 series-bucket durations list, 7 completions sorted set
-- ARGV: 1 expected status ('' = no record), 2 expected placement ('' = none), 3 new status, 4 new placement
--       ('' = none), 5 event JSON, 6 stream max length, 7 now (ms), 8 task TTL (s), 9 series TTL (s),
--       10 duration sample ('' = none), 11 durations kept, 12 bucket durations kept, 13 '1' if a completion,
--       14 number of counter increments N, then N triples (field, 'i' or 'f', increment),
--       then the series increments as (field, increment) pairs
local taskKey, counters, stream = KEYS[1], KEYS[2], KEYS[3]
local status = redis.call('HGET', taskKey, 'status') or ''
local placement = redis.call('HGET', taskKey, 'placement') or ''
if status ~= ARGV[1] or placement ~= ARGV[2] then
  return { 0, status, placement }
end

local n = tonumber(ARGV[14])
local at = 15
for _ = 1, n do
  local field, kind, by = ARGV[at], ARGV[at + 1], ARGV[at + 2]
  if kind == 'f' then
    redis.call('HINCRBYFLOAT', counters, field, by)
  else
    redis.call('HINCRBY', counters, field, by)
  end
  at = at + 3
end

redis.call('HSET', taskKey, 'status', ARGV[3])
if ARGV[4] ~= '' then redis.call('HSET', taskKey, 'placement', ARGV[4]) end
redis.call('EXPIRE', taskKey, tonumber(ARGV[8]))
redis.call('XADD', stream, 'MAXLEN', '~', ARGV[6], '*', 'event', ARGV[5])

local series = false
while at < #ARGV do
  redis.call('HINCRBY', KEYS[4], ARGV[at], ARGV[at + 1])
  series = true
  at = at + 2
end
if series then redis.call('EXPIRE', KEYS[4], tonumber(ARGV[9])) end
if ARGV[10] ~= '' then
  redis.call('LPUSH', KEYS[5], ARGV[10])
  redis.call('LTRIM', KEYS[5], 0, tonumber(ARGV[11]) - 1)
  redis.call('LPUSH', KEYS[6], ARGV[10])
  redis.call('LTRIM', KEYS[6], 0, tonumber(ARGV[12]) - 1)
  redis.call('EXPIRE', KEYS[6], tonumber(ARGV[9]))
end
if ARGV[13] == '1' then redis.call('ZADD', KEYS[7], ARGV[7], taskKey) end
return { 1, ARGV[3], ARGV[4] }
