-- Every request is a new buyer with a new Idempotency-Key, one unit each; 503s (shed) are counted.
dofile("bench/report.lua")
local counter = 0
local prefix = tostring(os.time()) .. "-" .. tostring(math.floor(os.clock() * 1e6))
overloaded = 0
function request()
  counter = counter + 1
  local id = prefix .. "-" .. counter
  return wrk.format("POST", nil, {
    ["content-type"] = "application/json",
    ["buyer-id"] = "bench-buyer-" .. id,
    ["idempotency-key"] = "bench-" .. id,
  }, '{"quantity":1}')
end
function response(status, headers, body)
  if status == 503 then overloaded = overloaded + 1 end
end
