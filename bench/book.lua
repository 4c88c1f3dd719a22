-- wrk script for the throughput phase (bench/wrk.py runs it): each request books a
-- different free slot through the API.
--
--   wrk -t1 -c64 -d20s -s bench/book.lua <base url> -- <booking path> <bodies file>
--
-- The bodies file holds one JSON booking per line, written by bench/wrk.py. The
-- requests are built in init(), so sending one costs wrk nothing but a table lookup.
-- done() prints one line "bench-result {...}" (JSON) for bench/wrk.py to read.

local requests = {}
local next_request = 1
local fallback
statuses = {}
server_ms = {}

function init(args)
  local path, file = args[1], args[2]
  local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}
  for line in io.lines(file) do
    requests[#requests + 1] = wrk.format("POST", path, headers, line)
  end
  -- Out of distinct slots (a very fast machine): ask for something that books nothing
  -- rather than repeat a booking; it shows as 200s in the statuses.
  fallback = wrk.format("GET", "/healthz")
end

function request()
  local r = requests[next_request]
  if r == nil then
    return fallback
  end
  next_request = next_request + 1
  return r
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  -- The app's own time for the request (Server-Timing: app;dur=12.3).
  local timing = headers["Server-Timing"] or headers["server-timing"]
  if timing then
    local dur = timing:match("dur=([%d.]+)")
    if dur then
      server_ms[#server_ms + 1] = tonumber(dur)
    end
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

local function percentile(sorted, q)
  if #sorted == 0 then
    return "null"
  end
  local i = math.min(#sorted, math.max(1, math.floor(q * (#sorted - 1) + 0.5) + 1))
  return string.format("%.2f", sorted[i])
end

function done(summary, latency, _)
  local all_statuses, all_server = {}, {}
  for _, thread in ipairs(threads) do
    for key, count in pairs(thread:get("statuses")) do
      all_statuses[key] = (all_statuses[key] or 0) + count
    end
    for _, ms in ipairs(thread:get("server_ms")) do
      all_server[#all_server + 1] = ms
    end
  end
  table.sort(all_server)
  local parts = {}
  for key, count in pairs(all_statuses) do
    parts[#parts + 1] = string.format('"%s": %d', key, count)
  end
  local e = summary.errors
  io.write(string.format(
    'bench-result {"requests": %d, "duration_us": %d, "statuses": {%s}, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"latency_ms": {"p50": %.2f, "p95": %.2f, "p99": %.2f, "max": %.2f}, ' ..
    '"server_ms": {"p50": %s, "p95": %s, "p99": %s}}\n',
    summary.requests, summary.duration, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000,
    percentile(all_server, 0.50), percentile(all_server, 0.95), percentile(all_server, 0.99)))
end
