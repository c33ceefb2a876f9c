-- The token issuance route: exchange a refresh credential for a token and the credential's successor.
-- Each credential works once, so the script keeps a pool: it starts with the credentials the runner
-- created (the file named after --), takes one per request, and returns each response's successor.
dofile("bench/report.lua")
local pool = {}
function init(args)
  for line in io.lines(args[1]) do pool[#pool + 1] = line end
end
function request()
  local credential = table.remove(pool) or "cc_rt_pool-ran-dry"
  return wrk.format("POST", nil, { ["content-type"] = "application/json" },
    '{"refresh_token":"' .. credential .. '"}')
end
function response(status, headers, body)
  local successor = body:match('"refresh_token":"(cc_rt_[%w_-]+)"')
  if successor then pool[#pool + 1] = successor end
end
