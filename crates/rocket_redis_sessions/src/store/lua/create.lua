-- Create a session; never overwrite one.
-- KEYS[1] session key; KEYS[2] (optional) key of an ended session to delete in the same step.
-- ARGV[1] TTL (ms); ARGV[2..] field, value, field, value, ... (none for an empty
-- session, kept as the one reserved field "\0": Redis holds no empty hash).
-- Returns 1 when created, 0 when the key exists already (and then deletes nothing).
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if KEYS[2] then redis.call('DEL', KEYS[2]) end
local n = #ARGV
if n < 2 then redis.call('HSET', KEYS[1], '\0', '') end
-- unpack() is bounded by Lua's C stack: write in slices of 500 pairs.
for i = 2, n, 1000 do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 999, n)))
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
