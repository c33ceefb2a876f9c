-- A whole checkout with the sandbox: verify the quote, hold one unit of the drop, create the payment
-- (4242…, so it succeeds at once), commit the hold, mark the order paid, grant the entitlement. Each
-- request is its own buyer with a quote made for them (the file named after --), and its own key.
dofile("bench/report.lua")
local pool = {}
local counter = 0
local prefix = tostring(os.time()) .. "-" .. tostring(math.floor(os.clock() * 1e6))
function init(args)
  for line in io.lines(args[1]) do
    local buyer, quote = line:match("^(%S+) (%S+)$")
    if buyer then pool[#pool + 1] = { buyer = buyer, quote = quote } end
  end
end
function request()
  counter = counter + 1
  local pick = pool[((counter - 1) % #pool) + 1]
  return wrk.format("POST", nil, {
    ["content-type"] = "application/json",
    ["buyer-id"] = pick.buyer,
    ["idempotency-key"] = "bench-checkout-" .. prefix .. "-" .. counter,
  }, '{"quote":"' .. pick.quote .. '","email":"' .. pick.buyer .. '@bench.test","payment_method":"4242 4242 4242 4242"}')
end
