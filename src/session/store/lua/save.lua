-- Apply changed fields to a session that still exists, optionally moving it to a new key.
-- KEYS[1] session key; KEYS[2] (optional) new key for an id rotation.
-- ARGV[1] now (ms), ARGV[2] idle timeout (ms), ARGV[3] lifetime (ms),
-- ARGV[4] number of ARGV items that are field/value pairs to set, then those pairs,
-- then the fields to delete.
-- Returns 1 when saved, 0 when the session is gone (never re-created), -1 when KEYS[2]
-- exists already.
local key = KEYS[1]
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local created = tonumber(redis.call('HGET', key, '\0created'))
if created == nil then return 0 end
local left = created + tonumber(ARGV[3]) - tonumber(ARGV[1])
if left <= 0 then
  redis.call('DEL', key)
  return 0
end
if KEYS[2] then
  redis.call('RENAME', key, KEYS[2])
  key = KEYS[2]
end
local first_del = 5 + tonumber(ARGV[4])
local n = #ARGV
for i = 5, first_del - 1, 1000 do
  redis.call('HSET', key, unpack(ARGV, i, math.min(i + 999, first_del - 1)))
end
for i = first_del, n, 1000 do
  redis.call('HDEL', key, unpack(ARGV, i, math.min(i + 999, n)))
end
redis.call('PEXPIRE', key, math.min(tonumber(ARGV[2]), left))
return 1
