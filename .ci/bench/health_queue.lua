-- Health queue server fn under load: pages, sorts and filters vary per request.
local pages = {1, 2, 3, 7, 20, 40}
local extras = {"", "&query[sort]=arr", "&query[band]=red", "&query[filter]=renewing_90", "&query[q]=labs", "&query[sort]=renewal"}
local n = 0
request = function()
  n = n + 1
  local body = "query[page]=" .. pages[(n % #pages) + 1] .. extras[(n % #extras) + 1]
  return wrk.format("POST", "/api/fn/health_queue", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "success_demo=1",
    ["Origin"] = "http://127.0.0.1:3777",
    ["Host"] = "127.0.0.1:3777",
  }, body)
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors %d (status %d)\n", summary.requests, summary.errors.status, summary.errors.status))
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("p%d %.1f ms\n", p, latency:percentile(p) / 1000))
  end
end
