-- A full signed quote: validation, pricing (arm, country) and an HS256 signature, every buyer new.
dofile("bench/report.lua")
local counter = 0
function request()
  counter = counter + 1
  return wrk.format("POST", nil, {
    ["content-type"] = "application/json",
    ["buyer-id"] = "bench-quote-buyer-" .. counter,
    ["buyer-country"] = "DE",
  }, '{"offer_id":"off_bench","quantity":2}')
end
