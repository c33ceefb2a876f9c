-- The pricing-only route: every request a different buyer, so experiment arms are really assigned.
dofile("bench/report.lua")
local counter = 0
function request()
  counter = counter + 1
  return wrk.format("GET", nil, { ["buyer-id"] = "bench-price-buyer-" .. counter, ["buyer-country"] = "DE" })
end
