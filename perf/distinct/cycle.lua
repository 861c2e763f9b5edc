-- wrk script: POST the reviews of a file (one JSON document per line) in turn, each connection's
-- thread starting at its own offset, so that every request carries a pod the server has not just seen.
-- Usage: REVIEWS=reviews.jsonl wrk -s perf/distinct/cycle.lua ... https://host:port/inject
-- RATE=R CONNECTIONS=C: about R requests/s in all, each of the C connections waiting C/R s after each
-- answer before its next request (Debian's wrk has no open-loop rate control: this is a paced closed
-- loop, so a stall of the server delays the requests after it instead of queueing them, and its p99
-- is a lower bound; at half of capacity the pace, not the server, sets the rate).
local bodies = {}
local next_index = 1
local pause_ms = 0

function init(args)
  local path = os.getenv("REVIEWS") or "reviews.jsonl"
  for line in io.lines(path) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  if #bodies == 0 then error("no reviews in " .. path) end
  -- Threads start apart from each other (wrk gives each its own Lua state).
  next_index = (tonumber(wrk.thread:get("id") or 0) * 997) % #bodies + 1
  local rate, connections = tonumber(os.getenv("RATE") or ""), tonumber(os.getenv("CONNECTIONS") or "")
  if rate and rate > 0 and connections then pause_ms = connections * 1000 / rate end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function setup(thread)
  thread_count = (thread_count or 0) + 1
  thread:set("id", thread_count)
end

function delay()
  return pause_ms
end

function request()
  local body = bodies[next_index]
  next_index = next_index % #bodies + 1
  return wrk.format(nil, nil, nil, body)
end

function done(summary, latency, requests)
  io.write(string.format("wrk-summary requests=%d errors=%d non2xx=%d p50_us=%d p99_us=%d mean_us=%.0f\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(99), latency.mean))
end
