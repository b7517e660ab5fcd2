-- Write a session that is, or becomes, bound to a user, and the entries of the users'
-- indexes that change with it, in one step.
-- KEYS: those ARGV[1] names, in this order: o the stored session, n the session after
-- the write, u the index to remove an entry from, b the index to add an entry to.
-- ARGV[1] the letters of the keys given, in that order ("onub", "nb", "ou", ...);
-- ARGV[2] "move": apply the changes to o and rename it n; "create": delete o (if given)
--   and write n with the fields; "delete": delete o;
-- ARGV[3] "1" when o must still exist (n goes on with its data), else "0";
-- ARGV[4] TTL of n (ms); ARGV[5] handle to remove from u; ARGV[6] handle to add to b;
-- ARGV[7] the entry to add (JSON); ARGV[8] the least TTL b may have (ms): the time left
--   to n's absolute deadline, so that the index outlives every session in it;
-- ARGV[9] the number of ARGV items after it that are field/value pairs to set, then those
--   pairs, then (move only) the fields to delete.
-- Returns 1 when written, 0 when o had to exist and is gone (nothing written), -1 when n
-- exists already (nothing written). "delete" returns whether o existed (1 or 0); its
-- index entry goes either way.
local given, k = ARGV[1], 0
local function key(letter)
  if string.find(given, letter, 1, true) then
    k = k + 1
    return KEYS[k]
  end
end
local old, new, unbound, bound = key('o'), key('n'), key('u'), key('b')
local mode, ttl = ARGV[2], ARGV[4]
if new and new ~= old and redis.call('EXISTS', new) == 1 then return -1 end
-- As in a save: PEXPIRE ... XX restarts the idle timeout and tells whether the session
-- still exists; a hash without a TTL is no session, and is deleted.
if old and ARGV[3] == '1' and redis.call('PEXPIRE', old, ttl, 'XX') == 0 then
  redis.call('PEXPIRE', old, 0, 'NX')
  return 0
end
local last_set, n = 9 + ARGV[9], #ARGV
local result = 1
-- unpack() is bounded by Lua's C stack: more than 1000 items go in slices of 1000.
if mode == 'move' then
  for i = 10, last_set, 1000 do
    redis.call('HSET', old, unpack(ARGV, i, math.min(i + 999, last_set)))
  end
  for i = last_set + 1, n, 1000 do
    redis.call('HDEL', old, unpack(ARGV, i, math.min(i + 999, n)))
  end
  -- An emptied session is kept as the one reserved field "\0", with its TTL.
  if redis.call('EXISTS', old) == 0 then redis.call('HSET', old, '\0', '') end
  redis.call('PEXPIRE', old, ttl)
  if new ~= old then redis.call('RENAME', old, new) end
elseif mode == 'create' then
  if old then redis.call('DEL', old) end
  if last_set < 10 then redis.call('HSET', new, '\0', '') end
  for i = 10, last_set, 1000 do
    redis.call('HSET', new, unpack(ARGV, i, math.min(i + 999, last_set)))
  end
  redis.call('PEXPIRE', new, ttl)
else
  result = redis.call('DEL', old)
end
if unbound then redis.call('HDEL', unbound, ARGV[5]) end
if bound then
  redis.call('HSET', bound, ARGV[6], ARGV[7])
  if redis.call('PTTL', bound) < tonumber(ARGV[8]) then redis.call('PEXPIRE', bound, ARGV[8]) end
end
return result
