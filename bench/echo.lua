dofile("bench/report.lua")
wrk.method = "POST"
wrk.headers["content-type"] = "application/json"
wrk.body = '{"quantity":1}'
