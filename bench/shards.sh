#!/usr/bin/env bash
# npm run bench:shards — issue 18's benchmark, on the production bundle served the way `npm run bench`
# serves it (Miniflare's Node API on a direct socket, core 0; the load generator on core 1):
#   1. reserve throughput on one drop split across SHARDS shard objects (1 2 4 8), ROUNDS interleaved
#      rounds of wrk at CONNECTIONS, each on a fresh drop; medians, and each count's ratio to 1 shard
#      measured in the same round. Locally every object shares one workerd thread (one core), so this
#      shows what sharding costs, not what it buys: on Cloudflare each shard is its own object.
#   2. after the rounds, every drop's aggregated stock against what wrk was told: units held must equal
#      the 201s counted (nothing oversold, nothing lost), through the gateway's aggregated snapshot;
#   3. the admission queue under a stampede (bench/queue.mjs): tickets a second, and the time from the
#      last unit going until every waiting viewer knows.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
BENCH_MODE=faithful
SHARDS=${SHARDS:-1 2 4 8}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-5s}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-5}
QUEUE_VIEWERS=${QUEUE_VIEWERS:-2000}
SERVER_CORE=${SERVER_CORE:-0}
LOAD_CORE=${LOAD_CORE:-1}
export WRANGLER_SEND_METRICS=false
if ! command -v wrk >/dev/null || ! command -v taskset >/dev/null; then
  echo "installing wrk (and util-linux for taskset) from Debian" >&2
  apt-get update -qq && apt-get install -y -qq wrk util-linux >/dev/null
fi
export BENCH_TMP=${BENCH_TMP:-${TMPDIR:-/tmp}}
state=$(mktemp -d -p "$BENCH_TMP")
server=""
cleanup() { stop_tree "$server"; rm -rf "$state"; }
trap cleanup EXIT
results="$state/shards.jsonl"

wrangler d1 migrations apply DB --local -c bench/wrangler.toml --persist-to "$state" >"$state/migrate.log" 2>&1 ||
  { cat "$state/migrate.log" >&2; exit 1; }
start_server ""
echo "loading $base   server core $SERVER_CORE, load core $LOAD_CORE   shards: $SHARDS"
new_drop() { curl -sf -X POST "$base/bench/setup?$1" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>process.stdout.write(JSON.parse(s).drop_id))'; }

run() { # shards round duration -> one JSON line in $results
  local d line
  d=$(new_drop "shards=$1")
  line=$(taskset -c "$LOAD_CORE" wrk -t1 -c"$CONNECTIONS" -d"$3" --timeout 30s --latency -s bench/reserve.lua \
    "$base/v1/drops/$d/holds" | grep '^BENCH_JSON ' | cut -d' ' -f2-) || { echo "wrk failed ($1 shards)" >&2; return 0; }
  [ "$2" = warmup ] && return 0
  echo "{\"shards\":$1,\"round\":$2,\"drop\":\"$d\",\"stock\":$(curl -sf "$base/bench/stock/$d"),${line#\{}" >>"$results"
}
for n in $SHARDS; do run "$n" warmup "$WARMUP"; done
for round in $(seq 1 "$ROUNDS"); do
  for n in $SHARDS; do run "$n" "$round" "$DURATION"; done
done
taskset -c "$LOAD_CORE" node bench/queue.mjs "$base" "$QUEUE_VIEWERS" | tee "$state/queue.log"
node bench/shards-summary.mjs "$results" "$state/queue.log" "${BENCH_JSON:-/tmp/bench-shards-$(date +%Y%m%d-%H%M%S).json}"
