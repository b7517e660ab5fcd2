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
local last_set, n = 4 + ARGV[4], #ARGV
-- How much the changes add, in bytes (keys and values) and in keys. Values are JSON,
-- never empty: a length of 0 means the field is not there.
local grow, added = 0, 0
for i = 5, last_set, 2 do
  local old = redis.call('HSTRLEN', key, ARGV[i])
  if old == 0 then
    grow, added = grow + #ARGV[i] + #ARGV[i + 1], added + 1
  else
    grow = grow + #ARGV[i + 1] - old
  end
end
for i = last_set + 1, n do
  local old = redis.call('HSTRLEN', key, ARGV[i])
  if old > 0 then grow, added = grow - #ARGV[i] - old, added - 1 end
end
-- Only a write that grows the session can take it past a limit, so only such a write
-- measures it (a counter going from 5 to 6 reads nothing more); one that does not grow
-- it goes through, even past a limit lowered since.
if added > 0 then
  -- Reserved fields (the empty marker, a user binding) are no keys of the app's.
  local keys = redis.call('HLEN', key) - redis.call('HEXISTS', key, '\0')
    - redis.call('HEXISTS', key, '\0user')
  if keys + added > tonumber(ARGV[3]) then return -2 end
end
if grow > 0 then
  local size, all = 0, redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    if string.byte(all[i], 1) ~= 0 then size = size + #all[i] + #all[i + 1] end
  end
  if size + grow > tonumber(ARGV[2]) then return -2 end
end
if new then
  redis.call('RENAME', key, new) -- the TTL moves with the key
  key = new
end
-- unpack() is bounded by Lua's C stack: more than 1000 items go in slices of 1000.
for i = 5, last_set, 1000 do
  redis.call('HSET', key, unpack(ARGV, i, math.min(i + 999, last_set)))
end
if n > last_set then
  for i = last_set + 1, n, 1000 do
    redis.call('HDEL', key, unpack(ARGV, i, math.min(i + 999, n)))
  end
  -- Redis deletes a hash when its last field goes: an emptied session is kept as the one
  -- reserved field "\0" (which loads skip), with its TTL.
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, '\0', '')
    redis.call('PEXPIRE', key, ARGV[1])
  end
end
return 1
