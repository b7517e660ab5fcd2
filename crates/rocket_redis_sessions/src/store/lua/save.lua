-- Apply changed fields to a session that still exists, optionally moving it to a new key.
-- KEYS[1] session key; KEYS[2] (optional) new key for an id rotation.
-- ARGV[1] TTL (ms): the idle timeout, cut short by the absolute deadline (the caller
-- knows the creation time from the load); ARGV[2] number of ARGV items that are
-- field/value pairs to set, then those pairs, then the fields to delete.
-- Returns 1 when saved, 0 when the session is gone (never re-created), -1 when KEYS[2]
-- exists already.
-- Runs for saves that delete fields or rotate the id (a save that only sets fields is
-- HSET + PEXPIRE XX, without a script: see redis.rs); each Lua operation here costs Redis
-- CPU on every such save.
local key, new = KEYS[1], KEYS[2]
if new and redis.call('EXISTS', new) == 1 then return -1 end
-- PEXPIRE restarts the idle timeout and, answering 0 for a missing key, tells whether the
-- session still exists: nothing below runs for a session that has ended. XX: a hash
-- without a TTL is no session (what a script-free update of a session that has just
-- ended leaves for a moment, or a key made persistent by hand), so it is not given one.
if redis.call('PEXPIRE', key, ARGV[1], 'XX') == 0 then
  redis.call('PEXPIRE', key, 0, 'NX') -- deletes such a hash, if there is one
  return 0
end
if new then
  redis.call('RENAME', key, new) -- the TTL moves with the key
  key = new
end
local last_set, n = 2 + ARGV[2], #ARGV
-- unpack() is bounded by Lua's C stack: more than 1000 items go in slices of 1000.
if last_set > 2 then
  if last_set <= 1002 then
    redis.call('HSET', key, unpack(ARGV, 3, last_set))
  else
    for i = 3, last_set, 1000 do
      redis.call('HSET', key, unpack(ARGV, i, math.min(i + 999, last_set)))
    end
  end
end
if n > last_set then
  if n - last_set <= 1000 then
    redis.call('HDEL', key, unpack(ARGV, last_set + 1, n))
  else
    for i = last_set + 1, n, 1000 do
      redis.call('HDEL', key, unpack(ARGV, i, math.min(i + 999, n)))
    end
  end
  -- Redis deletes a hash when its last field goes: an emptied session is kept as the one
  -- reserved field "\0" (which loads skip), with its TTL.
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, '\0', '')
    redis.call('PEXPIRE', key, ARGV[1])
  end
end
return 1
