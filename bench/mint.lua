-- Minting alone (claims and an Ed25519 signature with the parsed key), no storage.
dofile("bench/report.lua")
