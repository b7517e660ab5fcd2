-- End sessions of one user, with their index entries, in one step.
-- KEYS[1] the user's index; KEYS[2..] the sessions' keys.
-- ARGV: for each session key, its handle in the index and the entry read for it.
-- If an entry is no longer what was read (its session moved to a new id, or left the
-- index), nothing is done and -1 returned: the caller reads the index again. Otherwise
-- the sessions and their entries are deleted; returns how many sessions existed.
-- (Also used to prune entries whose sessions expired: those delete nothing.)
for i = 2, #KEYS do
  if redis.call('HGET', KEYS[1], ARGV[2 * i - 3]) ~= ARGV[2 * i - 2] then return -1 end
end
local ended = 0
for i = 2, #KEYS do
  ended = ended + redis.call('DEL', KEYS[i])
  redis.call('HDEL', KEYS[1], ARGV[2 * i - 3])
end
return ended
