-- Load a session and start its idle timeout again, in one step.
-- KEYS[1] session key; ARGV[1] now (ms), ARGV[2] idle timeout (ms), ARGV[3] lifetime (ms).
-- Returns the hash as a flat array, or nil when it is missing or past its absolute deadline.
local h = redis.call('HGETALL', KEYS[1])
if #h == 0 then return false end
local created
for i = 1, #h, 2 do
  if h[i] == '\0created' then created = tonumber(h[i + 1]); break end
end
-- A hash without a readable creation time is not ours to judge: hand it back untouched.
if created == nil then return h end
local left = created + tonumber(ARGV[3]) - tonumber(ARGV[1])
if left <= 0 then
  redis.call('DEL', KEYS[1])
  return false
end
redis.call('PEXPIRE', KEYS[1], math.min(tonumber(ARGV[2]), left))
return h
