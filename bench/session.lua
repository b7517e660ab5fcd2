-- wrk script: each connection is one visitor with one session.
-- Run wrk with as many threads as connections (-tN -cN): wrk keeps one Lua state per
-- thread, so the globals below belong to one connection.
-- BENCH_PATH: /api/counter (each request adds one), /api/session (a read; the first
-- request of a connection creates the session through /api/counter) or /health.
local path = os.getenv("BENCH_PATH") or "/api/counter"
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

cookie = nil
last = nil
wrong = 0     -- responses whose count is not what the session should hold
failed = 0    -- non-200 responses

function request()
  if path ~= "/health" and cookie == nil then
    return wrk.format("GET", "/api/counter")
  end
  local headers = {}
  if cookie then headers["Cookie"] = cookie end
  return wrk.format("GET", path, headers)
end

function response(status, headers, body)
  if status ~= 200 then
    failed = failed + 1
    return
  end
  for name, value in pairs(headers) do
    if string.lower(name) == "set-cookie" then
      cookie = string.match(value, "^%s*([^;]+)")
    end
  end
  local count = tonumber(string.match(body, '"count"%s*:%s*(%d+)'))
  if count then
    local expected = last and (path == "/api/counter" and last + 1 or last) or count
    if count ~= expected then wrong = wrong + 1 end
    last = count
  end
end

function done(summary, latency, requests)
  local wrong_total, failed_total = 0, 0
  for _, thread in ipairs(threads) do
    wrong_total = wrong_total + thread:get("wrong")
    failed_total = failed_total + thread:get("failed")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("RESULT requests=%d rps=%.0f p50_us=%d p99_us=%d failed=%d wrong=%d\n",
    summary.requests, summary.requests / secs, latency:percentile(50), latency:percentile(99),
    failed_total + summary.errors.status, wrong_total))
end
