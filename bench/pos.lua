-- Offline reconcile: each request is one signed batch of new enrolments from the file named after --
-- (made by the runner right before the run: batches are refused 5 minutes after signing). A batch is
-- answered 200 even when items are rejected, so the items rejected are counted (rejected_items).
dofile("bench/report.lua")
local pool = {}
local counter = 0
rejected_items = 0
function init(args)
  for line in io.lines(args[1]) do pool[#pool + 1] = line end
end
function request()
  counter = counter + 1
  return wrk.format("POST", nil, { ["content-type"] = "application/jose" }, pool[((counter - 1) % #pool) + 1])
end
function response(status, headers, body)
  local _, rejected = body:gsub('"status":"rejected"', "")
  rejected_items = rejected_items + rejected
end
