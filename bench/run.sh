#!/usr/bin/env bash
# npm run bench: serve bench/worker.ts locally on core 0, load it with wrk on core 1, and compare the
# app's routes against floors measured in the same run: a Hono hello route, a Durable Object RPC echo,
# one raw D1 query (d1) and raw Ed25519 signatures (sign). Routes: POST holds (reserve, against echo),
# the pricing-only GET /v1/offers/{id}/price (price), POST /v1/quotes (quote) and the token issuance
# route POST /v1/entitlements/token (issue), all three against hello; and minting alone (mint), the
# step checkout takes after its paid batch. ROUNDS rounds interleave the routes;
# medians are reported, with the median of the per-round ratios. Then a latency phase at one
# connection (LATENCY_ROUTES) compares issuance's p50 with hello's p50 plus three raw signatures.
# ROUTES and LATENCY_ROUTES pick subsets, e.g. ROUTES="hello price" LATENCY_ROUTES="".
# Ends by checking the drop for oversell.
set -euo pipefail
cd "$(dirname "$0")/.."

CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-6s}
ROUNDS=${ROUNDS:-5}
ROUTES=${ROUTES:-hello echo d1 reserve price quote mint issue checkout pos1 pos500 pos500drop}
LATENCY_ROUTES=${LATENCY_ROUTES-hello sign mint issue}
PORT=${PORT:-8788}
SERVER_CORE=${SERVER_CORE:-0}
LOAD_CORE=${LOAD_CORE:-1}
export WRANGLER_SEND_METRICS=false

if ! command -v wrk >/dev/null || ! command -v taskset >/dev/null || ! command -v ss >/dev/null; then
  echo "installing wrk (and util-linux for taskset) from Debian" >&2
  apt-get update -qq && apt-get install -y -qq wrk util-linux iproute2 >/dev/null
fi

state=$(mktemp -d)
log="$state/server.log"
wrangler() { node --no-warnings node_modules/wrangler/wrangler-dist/cli.js "$@"; }

wrangler d1 migrations apply DB --local -c bench/wrangler.toml --persist-to "$state" >/dev/null
taskset -c "$SERVER_CORE" node --no-warnings node_modules/wrangler/wrangler-dist/cli.js dev \
  -c bench/wrangler.toml --ip 127.0.0.1 --port "$PORT" --persist-to "$state" \
  --log-level warn --show-interactive-dev-session=false >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; pkill -P $server 2>/dev/null; rm -rf "$state"' EXIT

base="http://127.0.0.1:$PORT"
for _ in $(seq 1 120); do curl -sf "$base/bench/hello" >/dev/null 2>&1 && break; sleep 0.5; done
curl -sf "$base/bench/hello" >/dev/null || { cat "$log"; echo "server did not start" >&2; exit 1; }
# workerd runs one thread: pin every process of the server tree to the server core.
for pid in $(pgrep -f workerd) $server; do taskset -acp "$SERVER_CORE" "$pid" >/dev/null 2>&1 || true; done

# wrangler dev puts a proxy runtime in front of the worker's own runtime. Load the worker's runtime
# directly (its entry socket is on an ephemeral port), as production has no such proxy; every route,
# floors included, is measured the same way. Falls back to the proxied port if it cannot be found.
inner=$(ps -eo pid,args | awk '/workerd serve/ && /entry=127.0.0.1:0/ {print $1; exit}')
for candidate in $(ss -ltnp 2>/dev/null | awk -v pid="pid=$inner," '$0 ~ pid {split($4, a, ":"); print a[2]}'); do
  if [ "$(curl -s -m 2 "http://127.0.0.1:$candidate/bench/hello")" = "hello" ]; then base="http://127.0.0.1:$candidate"; break; fi
done
echo "loading $base (wrangler dev's proxy is on $PORT)"

drop=$(curl -sf -X POST "$base/bench/setup" | node -e 'process.stdin.on("data", d => process.stdout.write(JSON.parse(d).drop_id))')
echo "drop: $drop   connections: $CONNECTIONS   duration: $DURATION   rounds: $ROUNDS   server core $SERVER_CORE, wrk core $LOAD_CORE"

results="$state/results.jsonl"
started=$(($(date +%s) * 1000))
# CPU time the worker's runtime spent, in clock ticks: per request it is steadier than req/s on a noisy host.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$inner/stat"; }
load() { # name route round connections
  local route=$2 args=()
  if [ "$route" = issue ]; then
    # Fresh credentials for this run (outside the timing): each one rotates on use.
    curl -sf -X POST "$base/bench/sessions?n=256" >"$state/credentials.txt"
    args=(-- "$state/credentials.txt")
  fi
  case "$route" in
    pos1) curl -sf -X POST "$base/bench/pos-batches?n=${POS1_POOL:-1500}&size=1" >"$state/batches.txt"; args=(-- "$state/batches.txt") ;;
    pos500) curl -sf -X POST "$base/bench/pos-batches?n=${POS500_POOL:-40}&size=500" >"$state/batches.txt"; args=(-- "$state/batches.txt") ;;
    # The same, every item a drop sale from an allotment: what consuming allotments adds.
    pos500drop) curl -sf -X POST "$base/bench/pos-batches?n=${POS500_POOL:-40}&size=500&drop=$drop" >"$state/batches.txt"; args=(-- "$state/batches.txt") ;;
  esac
  if [ "$route" = checkout ]; then
    # A quote per buyer for this run (outside the timing); a buyer's quote is reused only if the pool
    # runs out, and the drop's per-buyer limit (5) allows that.
    curl -sf -X POST "$base/bench/checkout-quotes?n=${CHECKOUT_POOL:-1500}&drop=$drop" >"$state/quotes.txt"
    args=(-- "$state/quotes.txt")
  fi
  before=$(cpu_ticks)
  local script="bench/$route.lua"
  case "$route" in pos1 | pos500*) script=bench/pos.lua ;; esac
  line=$(taskset -c "$LOAD_CORE" wrk -t1 -c"$4" -d"$DURATION" --timeout 30s --latency -s "$script" "$(url_of "$route")" "${args[@]}" | grep '^BENCH_JSON ' | cut -d' ' -f2-)
  ticks=$(( $(cpu_ticks) - before ))
  echo "{\"name\":\"$1\",\"round\":$3,\"cpu_ticks\":$ticks,\"ticks_per_s\":$(getconf CLK_TCK),${line#\{}" >>"$results"
}
url_of() {
  case "$1" in
    hello) echo "$base/bench/hello" ;;
    echo) echo "$base/bench/echo" ;;
    reserve) echo "$base/v1/drops/$drop/holds" ;;
    price) echo "$base/v1/offers/off_bench/price?quantity=2" ;;
    quote) echo "$base/v1/quotes" ;;
    issue) echo "$base/v1/entitlements/token" ;;
    sign) echo "$base/bench/sign" ;;
    checkout) echo "$base/v1/checkouts" ;;
    pos1 | pos500*) echo "$base/v1/pos/reconcile" ;;
    d1 | mint) echo "$base/bench/$1" ;;
  esac
}
for route in $ROUTES $LATENCY_ROUTES; do
  case "$route" in issue | checkout | pos1 | pos500*) continue ;; esac # warmed by their own runs; they need inputs
  taskset -c "$LOAD_CORE" wrk -t1 -c"$CONNECTIONS" -d2s -s "bench/$route.lua" "$(url_of "$route")" >/dev/null 2>&1
done
# Rounds interleave the routes, so the machine's drift falls on all of them alike.
for round in $(seq 1 "$ROUNDS"); do
  for route in $ROUTES; do
    # A 500-item batch takes a few hundred ms of the single core: at 32 connections the queue outlives the
    # run and eats into the next route's. Both POS routes run at POS_CONNECTIONS so they compare fairly.
    case "$route" in pos1 | pos500*) load "$route" "$route" "$round" "${POS_CONNECTIONS:-2}" ;; *) load "$route" "$route" "$round" "$CONNECTIONS" ;; esac
  done
done
# Latency at one connection: what a single buyer waits, with nothing queued ahead of them.
for round in $(seq 1 "$ROUNDS"); do
  for route in $LATENCY_ROUTES; do load "$route@1" "$route" "$round" 1; done
done

check=$(curl -sf "$base/bench/check/$drop")
stats=$(curl -sf "$base/bench/checkout-stats?since=$started")
node bench/summarize.mjs "$results" "$check" "$stats"
