-- Apply changed fields to a session that still exists, optionally moving it to a new key.
-- KEYS[1] session key; KEYS[2] (optional) new key for an id rotation.
-- ARGV[1] TTL (ms): the idle timeout, cut short by the absolute deadline (the caller
-- knows the creation time from the load); ARGV[2] number of ARGV items that are
-- field/value pairs to set, then those pairs, then the fields to delete.
-- Returns 1 when saved, 0 when the session is gone (never re-created), -1 when KEYS[2]
-- exists already.
local key = KEYS[1]
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
-- PEXPIRE restarts the idle timeout and, answering 0 for a missing key, tells whether the
-- session still exists: nothing below runs for a session that has ended.
if redis.call('PEXPIRE', key, ARGV[1]) == 0 then return 0 end
if KEYS[2] then
  redis.call('RENAME', key, KEYS[2]) -- the TTL moves with the key
  key = KEYS[2]
end
local first_del = 3 + tonumber(ARGV[2])
local n = #ARGV
-- unpack() is bounded by Lua's C stack: write in slices of 500 pairs.
for i = 3, first_del - 1, 1000 do
  redis.call('HSET', key, unpack(ARGV, i, math.min(i + 999, first_del - 1)))
end
for i = first_del, n, 1000 do
  redis.call('HDEL', key, unpack(ARGV, i, math.min(i + 999, n)))
end
return 1
