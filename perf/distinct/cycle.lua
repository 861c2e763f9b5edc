-- wrk script: POST the reviews of a file (one JSON document per line) in turn, each connection's
-- thread starting at its own offset, so that every request carries a pod the server has not just seen.
-- Usage: REVIEWS=reviews.jsonl wrk -s perf/distinct/cycle.lua ... https://host:port/inject
-- RATE=R THREADS=T (wrk's -t): R requests/s in all, each thread (whose connections share one Lua
-- state) handing its connections one request every T/R s (Debian's wrk has no open-loop rate
-- control, and its delay() counts whole milliseconds: a request waits for its due time, never more
-- than 1 ms early). A connection still waits for each answer, so a stall of the server delays the
-- requests after it instead of queueing them: the p99 is a lower bound. At half of capacity the
-- schedule, not the server, sets the rate.
local bodies = {}
local next_index = 1
local interval_ms = 0
local due_ms = nil
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } cycle_timespec;
  int clock_gettime(int clock, cycle_timespec *now);
]]
local now_spec = ffi.new("cycle_timespec")
local function now_ms()
  ffi.C.clock_gettime(1, now_spec) -- CLOCK_MONOTONIC
  return tonumber(now_spec.tv_sec) * 1000 + tonumber(now_spec.tv_nsec) / 1e6
end

function init(args)
  local path = os.getenv("REVIEWS") or "reviews.jsonl"
  for line in io.lines(path) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  if #bodies == 0 then error("no reviews in " .. path) end
  -- Threads start apart from each other (wrk gives each its own Lua state).
  next_index = (tonumber(wrk.thread:get("id") or 0) * 997) % #bodies + 1
  local rate, threads = tonumber(os.getenv("RATE") or ""), tonumber(os.getenv("THREADS") or "1")
  if rate and rate > 0 then interval_ms = threads * 1000 / rate end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  -- As the apiserver's Go client asks (ACCEPT_ENCODING= sends none).
  local accept = os.getenv("ACCEPT_ENCODING") or "gzip"
  if #accept > 0 then wrk.headers["Accept-Encoding"] = accept end
end

function setup(thread)
  thread_count = (thread_count or 0) + 1
  thread:set("id", thread_count)
end

function delay()
  if interval_ms == 0 then return 0 end
  local now = now_ms()
  due_ms = due_ms and due_ms + interval_ms or now
  -- Behind schedule (the server was slow): send now and let the schedule catch up.
  if due_ms < now - 1000 then due_ms = now end
  local wait = due_ms - now
  return wait >= 1 and math.floor(wait) or 0
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
