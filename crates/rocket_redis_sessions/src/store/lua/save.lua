-- Apply changed fields to a session that still exists, optionally moving it to a new key,
-- unless they would take it past its limits.
-- KEYS[1] session key; KEYS[2] (optional) new key for an id rotation.
-- ARGV[1] TTL (ms): the idle timeout, cut short by the absolute deadline (the caller
-- knows the creation time from the load); ARGV[2] max_bytes; ARGV[3] max_keys; ARGV[4]
-- number of ARGV items that are field/value pairs to set, then those pairs, then the
-- fields to delete.
-- Returns 1 when saved, 0 when the session is gone (never re-created), -1 when KEYS[2]
-- exists already, -2 when the changes would take the session past max_bytes or max_keys
-- (nothing written). Checked here, in the step that writes: however many requests write
-- to one session at once, none can take it past its limits.
local key, new = KEYS[1], KEYS[2]
if new and redis.call('EXISTS', new) == 1 then return -1 end
-- PEXPIRE restarts the idle timeout and, answering 0 for a missing key, tells whether the
-- session still exists: nothing below runs for a session that has ended. XX: a hash
-- without a TTL is no session (a key made persistent by hand, say), so it is not given
-- one.
if redis.call('PEXPIRE', key, ARGV[1], 'XX') == 0 then
  redis.call('PEXPIRE', key, 0, 'NX') -- deletes such a hash, if there is one
  return 0
end
local max_bytes, max_keys = tonumber(ARGV[2]), tonumber(ARGV[3])
local last_set, n = 4 + ARGV[4], #ARGV
-- The reserved field "\0s" holds the data's size (the bytes of every key and value), so
-- that a save reads one number instead of the whole session. A session written without
-- it (by an earlier version) is measured once.
local size = tonumber(redis.call('HGET', key, '\0s'))
local reserved, measured = 1, false
if not size then
  size, reserved, measured = 0, 0, true
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    if string.byte(all[i], 1) == 0 then
      reserved = reserved + 1
    else
      size = size + #all[i] + #all[i + 1]
    end
  end
end
local count = redis.call('HLEN', key) - reserved
local size_before, count_before = size, count
-- Values are JSON, never empty: a length of 0 means the field is not there.
for i = 5, last_set, 2 do
  local old = redis.call('HSTRLEN', key, ARGV[i])
  if old == 0 then
    size, count = size + #ARGV[i] + #ARGV[i + 1], count + 1
  else
    size = size + #ARGV[i + 1] - old
  end
end
for i = last_set + 1, n do
  local old = redis.call('HSTRLEN', key, ARGV[i])
  if old > 0 then size, count = size - #ARGV[i] - old, count - 1 end
end
-- A write that does not grow the session past a limit goes through (one that shrinks a
-- session over a lowered limit, say).
if (size > max_bytes and size > size_before) or (count > max_keys and count > count_before) then
  return -2
end
if new then
  redis.call('RENAME', key, new) -- the TTL moves with the key
  key = new
end
-- unpack() is bounded by Lua's C stack: more than 1000 items go in slices of 1000.
for i = 5, last_set, 1000 do
  redis.call('HSET', key, unpack(ARGV, i, math.min(i + 999, last_set)))
end
for i = last_set + 1, n, 1000 do
  redis.call('HDEL', key, unpack(ARGV, i, math.min(i + 999, n)))
end
-- Also keeps an emptied session's hash in being (Redis deletes a hash without fields).
redis.call('HSET', key, '\0s', size)
if measured and reserved > 0 then redis.call('HDEL', key, '\0') end -- the earlier empty marker
return 1
