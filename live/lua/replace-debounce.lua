-- Points a debounce key at a new task if it still points at `previous` (whose window has closed), or at nothing.
-- KEYS: 1 window pointer
-- ARGV: 1 previous owner, 2 new owner, 3 lifetime (ms)
-- Answers 1 when the pointer was moved, 0 when another task owns the key.
local owner = redis.call('GET', KEYS[1])
if owner and owner ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
