-- A queue server fn under load (FN: convert_queue, reengage or contracts): pages, sorts and
-- filters vary per request.
local fn = os.getenv("FN") or "convert_queue"
local pages = {1, 2, 3, 7, 20, 40}
local extras = {
  convert_queue = {"", "&query[sort]=likelihood", "&query[filter]=likely", "&query[filter]=ending_7", "&query[q]=labs", "&query[sort]=ends"},
  reengage = {"", "&query[sort]=value", "&query[reason]=price", "&query[filter]=all", "&query[q]=labs", "&query[sort]=lost"},
  contracts = {"", "&query[sort]=mrr", "&query[payment]=problem", "&query[renewal]=90", "&query[q]=labs", "&query[filter]=stripe"},
}
local n = 0
request = function()
  n = n + 1
  local e = extras[fn]
  local body = "query[page]=" .. pages[(n % #pages) + 1] .. e[(n % #e) + 1]
  return wrk.format("POST", "/api/fn/" .. fn, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "success_demo=1",
    ["Origin"] = "http://127.0.0.1:3778",
    ["Host"] = "127.0.0.1:3778",
  }, body)
end
done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors %d (status %d)\n", summary.requests, summary.errors.status, summary.errors.status))
  for _, p in ipairs({50, 90, 95, 99}) do
    io.write(string.format("p%d %.1f ms\n", p, latency:percentile(p) / 1000))
  end
end
