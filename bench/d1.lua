-- The storage floor: one raw D1 query per request.
dofile("bench/report.lua")
