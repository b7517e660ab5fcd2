-- Move a session that still exists to a new key (an id rotation) and apply changed fields.
-- KEYS[1] session key; KEYS[2] new key.
-- ARGV[1] TTL (ms): the idle timeout, cut short by the absolute deadline (the caller
-- knows the creation time from the load); ARGV[2] number of ARGV items that are
-- field/value pairs to set, then those pairs, then the fields to delete.
-- Returns 1 when moved, 0 when the session is gone (never re-created), -1 when KEYS[2]
-- exists already.
-- (An update without a rotation is a MULTI transaction of plain commands, cheaper for
-- Redis than any script: see RedisStore::update_now.)
local key, new = KEYS[1], KEYS[2]
if redis.call('EXISTS', new) == 1 then return -1 end
-- PEXPIRE restarts the idle timeout and, answering 0 for a missing key, tells whether the
-- session still exists: nothing below runs for a session that has ended.
if redis.call('PEXPIRE', key, ARGV[1]) == 0 then return 0 end
redis.call('RENAME', key, new) -- the TTL moves with the key
local last_set, n = 2 + ARGV[2], #ARGV
-- unpack() is bounded by Lua's C stack: more than 1000 items go in slices of 1000.
for i = 3, last_set, 1000 do
  redis.call('HSET', new, unpack(ARGV, i, math.min(i + 999, last_set)))
end
for i = last_set + 1, n, 1000 do
  redis.call('HDEL', new, unpack(ARGV, i, math.min(i + 999, n)))
end
return 1
