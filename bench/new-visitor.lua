-- wrk script: every request is a new visitor (no cookie is ever sent back), so each
-- GET /api/counter creates one more session. Prints how many were created.
local threads = {}
function setup(thread) table.insert(threads, thread) end
created = 0
function response(status, headers, body)
  if status == 200 then created = created + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do total = total + thread:get("created") end
  io.write(string.format("CREATED %d\n", total))
end
