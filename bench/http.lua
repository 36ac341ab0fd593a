-- wrk script for bench/http.sh and bench/soak.sh: one endpoint of Patron's API (or a weighted
-- mix of them), the Bearer token, POST bodies, and the result as JSON.
--
-- Usage: PATRON_TOKEN=... BENCH_ENDPOINT=overview BENCH_CUSTOMERS=1000000 \
--          BENCH_OUT=result.json wrk -t2 -c16 -d10s -s bench/http.lua http://127.0.0.1:PORT
--
-- BENCH_ENDPOINT: healthz | overview | search | agenda | indicators | interaction | mix
--   healthz      GET /healthz (the ceiling: a constant through the same server stack)
--   overview     GET /api/v1/customers/{id}/overview, id uniform in 1..BENCH_CUSTOMERS
--   search       GET /api/v1/customers?q=<BENCH_QUERY, default 张伟> (a two-character CJK search)
--   agenda       GET /api/v1/agenda
--   indicators   GET /api/v1/indicators
--   interaction  POST /api/v1/interactions (a visit to a random customer: a write)
--   mix          the soak's mix: overview 40%, search 30%, agenda 10%, indicators 18%,
--                interaction 2%
-- BENCH_OUT: where done() writes the summary (requests, duration, errors, latency percentiles
-- in microseconds); nothing is written when it is unset.

local token = os.getenv("PATRON_TOKEN") or ""
local endpoint = os.getenv("BENCH_ENDPOINT") or "healthz"
local customers = tonumber(os.getenv("BENCH_CUSTOMERS") or "1000") or 1000
local query = os.getenv("BENCH_QUERY") or "张伟"
local out = os.getenv("BENCH_OUT")
-- BENCH_DELAY_MS: a pause before each request of a connection (bench/soak.sh without oha: a
-- rough rate of connections / pause; not corrected for coordinated omission).
local pause_ms = tonumber(os.getenv("BENCH_DELAY_MS") or "")

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local search_path = "/api/v1/customers?q=" .. urlencode(query)
local auth = { ["Authorization"] = "Bearer " .. token }
local post_headers = {
  ["Authorization"] = "Bearer " .. token,
  ["Content-Type"] = "application/json",
}

local builders = {
  healthz = function() return wrk.format("GET", "/healthz") end,
  overview = function()
    return wrk.format("GET", "/api/v1/customers/" .. math.random(1, customers) .. "/overview", auth)
  end,
  search = function() return wrk.format("GET", search_path, auth) end,
  agenda = function() return wrk.format("GET", "/api/v1/agenda", auth) end,
  indicators = function() return wrk.format("GET", "/api/v1/indicators", auth) end,
  interaction = function()
    local body = string.format(
      '{"customer_id":%d,"kind":"visit","outcome":"benchmark","notes":"bench/http.lua"}',
      math.random(1, customers))
    return wrk.format("POST", "/api/v1/interactions", post_headers, body)
  end,
}

-- Cumulative weights (percent) of the soak's mix.
local mix = {
  { 40, "overview" }, { 70, "search" }, { 80, "agenda" }, { 98, "indicators" },
  { 100, "interaction" },
}

if endpoint ~= "mix" and not builders[endpoint] then
  error("unknown BENCH_ENDPOINT " .. endpoint)
end

local threads_made = 0
function setup(thread)
  threads_made = threads_made + 1
  thread:set("bench_thread_no", threads_made)
end

function init(args)
  -- A different random stream per thread (wrk gives each thread its own Lua state; setup()
  -- set the global bench_thread_no in it).
  math.randomseed(os.time() * 100 + (bench_thread_no or 0))
end

if pause_ms then
  function delay() return pause_ms end
end

function request()
  if endpoint == "mix" then
    local r = math.random(1, 100)
    for _, w in ipairs(mix) do
      if r <= w[1] then return builders[w[2]]() end
    end
  end
  return builders[endpoint]()
end

function done(summary, latency, requests)
  if not out then return end
  local e = summary.errors
  local f = assert(io.open(out, "w"))
  f:write(string.format(
    '{"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency.stdev,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
  f:close()
end
