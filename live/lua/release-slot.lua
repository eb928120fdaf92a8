-- Gives a concurrency slot back.
-- KEYS: 1 holders, 2 waiters (as acquire-slot.lua)
-- ARGV: 1 task id, 2 limit
-- Answers the task ids next in line for the freed slots, to be woken.
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local free = tonumber(ARGV[2]) - redis.call('ZCARD', KEYS[1])
if free <= 0 then return {} end
return redis.call('ZRANGE', KEYS[2], 0, free - 1)
