-- Every request is a new buyer with a new Idempotency-Key, one unit each.
dofile("bench/report.lua")
local counter = 0
local prefix = tostring(os.time()) .. "-" .. tostring(math.floor(os.clock() * 1e6))
function request()
  counter = counter + 1
  local id = prefix .. "-" .. counter
  return wrk.format("POST", nil, {
    ["content-type"] = "application/json",
    ["buyer-id"] = "bench-buyer-" .. id,
    ["idempotency-key"] = "bench-" .. id,
  }, '{"quantity":1}')
end
