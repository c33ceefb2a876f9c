-- Shared by the wrk scripts: one JSON line with what the runner needs. A script that checks answers
-- counts refusals hidden in a 2xx body (per-item rejections of a POS batch) in `rejected_items`, and
-- 503 answers (a drop shedding load) in `overloaded`.
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local rejected, overloaded = 0, 0
  for _, thread in ipairs(threads) do
    rejected = rejected + (thread:get("rejected_items") or 0)
    overloaded = overloaded + (thread:get("overloaded") or 0)
  end
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"seconds":%.3f,"rps":%.1f,"p50_ms":%.3f,"p90_ms":%.3f,"non2xx":%d,"socket_errors":%d,"rejected_items":%d,"overloaded":%d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    rejected, overloaded))
end
