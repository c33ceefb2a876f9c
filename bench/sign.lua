-- The raw signature floor: each request makes 50 Ed25519 signatures with crypto.subtle.
dofile("bench/report.lua")
