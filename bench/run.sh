#!/usr/bin/env bash
# npm run bench: serve bench/worker.ts on core 0, load it from core 1, and compare the app's routes with
# floors measured in the same run (docs/benchmark.md says what each one means):
#   1. throughput: ROUNDS interleaved rounds of every route in ROUTES at CONNECTIONS (medians, per-round
#      ratios, CPU per request from /proc), the Postgres peer (pg) among them;
#   2. latency at one connection (LATENCY_ROUTES);
#   3. saturation: reserves on one fresh drop at SAT_CONNECTIONS (bench/saturate.mjs);
#   4. the oversell check of every drop the run reserved on;
#   5. latency mode: a second server whose D1 round trips each wait D1_DELAY_MS (D1_DELAY_ROUTES at 1);
#   6. with FANOUT=1, the stock stream's broadcast fan-out (bench/fanout.sh: FANOUT_SOCKETS sockets on
#      one relay, time from a hold to the last viewer's message), on its own server after the others.
# BENCH_MODE=faithful (default: Miniflare's Node API on a direct socket) or wrangler (wrangler dev).
# QUICK=1 is a smoke test: one short round, a small aged drop.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

if [ "${QUICK:-0}" = 1 ]; then
  : "${ROUNDS:=1}" "${DURATION:=2s}" "${LATENCY_DURATION:=2s}" "${WARMUP:=1s}" "${SAT_DURATION:=4}"
  : "${AGED_HOLDS:=5000}" "${CHECKOUT_POOL:=300}" "${POS1_POOL:=400}" "${POS500_POOL:=12}"
  : "${RENEWALS:=200}" "${RENEWAL_ROUNDS:=1}" "${DELAY_RENEWALS:=100}"
fi
BENCH_MODE=${BENCH_MODE:-faithful}
CONNECTIONS=${CONNECTIONS:-32}
DURATION=${DURATION:-5s}
LATENCY_DURATION=${LATENCY_DURATION:-$DURATION}
WARMUP=${WARMUP:-2s}
ROUNDS=${ROUNDS:-5}
ROUTES=${ROUTES:-hello echo d1 reserve reserve_aged pg price quote mint issue checkout pos1 pos500 pos500drop}
LATENCY_ROUTES=${LATENCY_ROUTES-hello sign mint issue}
D1_DELAY_MS=${D1_DELAY_MS:-20}
D1_DELAY_ROUTES=${D1_DELAY_ROUTES-checkout issue}
SAT_CONNECTIONS=${SAT_CONNECTIONS:-256}
SAT_DURATION=${SAT_DURATION:-12}
AGED_HOLDS=${AGED_HOLDS:-50000}
PG_PEER=${PG_PEER:-1}
SERVER_CORE=${SERVER_CORE:-0}
LOAD_CORE=${LOAD_CORE:-1}
export WRANGLER_SEND_METRICS=false
case "$BENCH_MODE" in faithful | wrangler) ;; *) echo "BENCH_MODE is faithful or wrangler" >&2; exit 2 ;; esac

if ! command -v wrk >/dev/null || ! command -v taskset >/dev/null || ! command -v ss >/dev/null; then
  echo "installing wrk (and util-linux for taskset) from Debian" >&2
  apt-get update -qq && apt-get install -y -qq wrk util-linux iproute2 >/dev/null
fi

# BENCH_TMP: where the run keeps its state (D1, the objects, the Postgres cluster); /dev/shm takes the
# disk's fsync latency out of both sides.
export BENCH_TMP=${BENCH_TMP:-${TMPDIR:-/tmp}}
state=$(mktemp -d -p "$BENCH_TMP")
server="" pg_url="" pg_peer="" pgdir=""
cleanup() { stop_tree "$server"; stop_pg; rm -rf "$state"; }
trap cleanup EXIT
results="$state/results.jsonl" checks="$state/checks.jsonl"
# One field of the JSON on stdin; nothing (and a note on stderr) if stdin is not JSON.
json_field() {
  node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{process.stdout.write(String(JSON.parse(s)[process.argv[1]]))}catch{console.error(`not JSON: ${s.slice(0,200)}`)}})' "$1"
}
new_drop() { curl -sf -X POST "$base/bench/setup" | json_field drop_id; }

wrangler d1 migrations apply DB --local -c bench/wrangler.toml --persist-to "$state" >"$state/migrate.log" 2>&1 ||
  { cat "$state/migrate.log" >&2; exit 1; }
start_server ""
case " $ROUTES " in *" pg "*) if [ "$PG_PEER" != 0 ]; then start_pg; else echo "Postgres peer skipped (PG_PEER=0)"; fi ;; esac
[ -z "$pg_url" ] && ROUTES=$(echo " $ROUTES " | sed 's/ pg / /')
echo "mode: $BENCH_MODE   loading $base   server core $SERVER_CORE, load core $LOAD_CORE"

drop=$(new_drop) # checkout, the POS allotments and the warm-up reserves
started=$(($(date +%s) * 1000))
echo "drop: $drop   connections: $CONNECTIONS   duration: $DURATION   rounds: $ROUNDS"

script_of() { case "$1" in pos1 | pos500*) echo bench/pos.lua ;; reserve* | pg) echo bench/reserve.lua ;; *) echo "bench/$1.lua" ;; esac; }
url_of() {
  case "$1" in
    hello | echo | d1 | mint | sign) echo "$base/bench/$1" ;;
    reserve | reserve_aged) echo "$base/v1/drops/$2/holds" ;;
    pg) echo "$pg_url/v1/drops/$2/holds" ;;
    price) echo "$base/v1/offers/off_bench/price?quantity=2" ;;
    quote) echo "$base/v1/quotes" ;;
    issue) echo "$base/v1/entitlements/token" ;;
    checkout) echo "$base/v1/checkouts" ;;
    pos1 | pos500*) echo "$base/v1/pos/reconcile" ;;
  esac
}
# Inputs a route needs, made outside the timing; prints wrk's trailing arguments.
inputs_of() { # route
  local file="$state/inputs.txt"
  case "$1" in
    issue) curl -sf -X POST "$base/bench/sessions?n=256" >"$file" ;;
    checkout) curl -sf -X POST "$base/bench/checkout-quotes?n=${CHECKOUT_POOL:-1500}&drop=$drop" >"$file" ;;
    pos1) curl -sf -X POST "$base/bench/pos-batches?n=${POS1_POOL:-1500}&size=1" >"$file" ;;
    pos500) curl -sf -X POST "$base/bench/pos-batches?n=${POS500_POOL:-40}&size=500" >"$file" ;;
    pos500drop) curl -sf -X POST "$base/bench/pos-batches?n=${POS500_POOL:-40}&size=500&drop=$drop" >"$file" ;;
    *) return 0 ;;
  esac
  echo "-- $file"
}
load() { # name route round connections duration [drop]
  local name=$1 route=$2 round=$3 target=${6:-} before ticks line trips="" extra roots=("$server")
  [ "$route" = pg ] && roots=("$pg_postmaster" "$pg_peer")
  extra=$(inputs_of "$route")
  # Latency mode counts the D1 round trips of the run itself, inputs excluded.
  [ -n "${count_d1:-}" ] && curl -sf "$base/bench/d1-count?reset=1" >/dev/null
  before=$(cpu_ticks "${roots[@]}")
  # shellcheck disable=SC2086
  line=$(taskset -c "$LOAD_CORE" wrk -t1 -c"$4" -d"$5" --timeout 30s --latency -s "$(script_of "$route")" \
    "$(url_of "$route" "$target")" $extra | grep '^BENCH_JSON ' | cut -d' ' -f2-) ||
    { echo "wrk failed on $name (round $round)" >&2; return 0; }
  ticks=$(($(cpu_ticks "${roots[@]}") - before))
  if [ -n "${count_d1:-}" ]; then
    trips=$(curl -s "$base/bench/d1-count" | json_field round_trips)
    trips=",\"d1_round_trips\":${trips:-null}"
  fi
  echo "{\"name\":\"$name\",\"round\":$round,\"drop\":\"$target\",\"cpu_ticks\":$ticks,\"ticks_per_s\":$(getconf CLK_TCK)$trips,${line#\{}" >>"$results"
}
record_check() { # role drop seeded url
  echo "{\"role\":\"$1\",\"drop\":\"$2\",\"seeded\":$3,\"check\":$(curl -sf "$4" || echo null)}" >>"$checks"
}

# The aged drop: AGED_HOLDS live holds made through the real reserve RPC before any timing.
aged_drop="" seeded=0
if [[ " $ROUTES " == *" reserve_aged "* ]]; then
  aged_drop=$(new_drop)
  t0=$(date +%s)
  while [ "$seeded" -lt "$AGED_HOLDS" ]; do
    n=$((AGED_HOLDS - seeded < 1000 ? AGED_HOLDS - seeded : 1000))
    got=$(curl -sf -X POST "$base/bench/seed-holds?drop=$aged_drop&n=$n&parallel=250" | json_field held) || got=0
    [ "${got:-0}" -gt 0 ] || { echo "seeding the aged drop failed after $seeded holds" >&2; break; }
    seeded=$((seeded + got))
  done
  echo "aged drop $aged_drop: $seeded live holds seeded in $(($(date +%s) - t0)) s"
fi

pg_warm=""
[ -n "$pg_url" ] && pg_warm=$(curl -sf -X POST "$pg_url/setup" | json_field drop_id)
for route in $ROUTES $LATENCY_ROUTES; do
  case "$route" in issue | checkout | pos1 | pos500* | reserve_aged) continue ;; esac # warmed by their own runs
  target=$drop
  [ "$route" = pg ] && target=$pg_warm
  taskset -c "$LOAD_CORE" wrk -t1 -c"$CONNECTIONS" -d"$WARMUP" -s "$(script_of "$route")" "$(url_of "$route" "$target")" >/dev/null 2>&1
done

# Rounds interleave the routes, so the machine's drift falls on all of them alike. Each reserve run has
# a fresh drop (made here, outside the timing); reserve_aged always loads the aged drop.
for round in $(seq 1 "$ROUNDS"); do
  for route in $ROUTES; do
    case "$route" in
      reserve) d=$(new_drop) && load reserve reserve "$round" "$CONNECTIONS" "$DURATION" "$d" ;;
      reserve_aged) load reserve_aged reserve_aged "$round" "$CONNECTIONS" "$DURATION" "$aged_drop" ;;
      pg) d=$(curl -sf -X POST "$pg_url/setup" | json_field drop_id) && load pg pg "$round" "$CONNECTIONS" "$DURATION" "$d" ;;
      # A 500-item batch takes a few hundred ms of the core: at 32 connections its queue outlives the
      # run and eats into the next route's. Both POS routes run at POS_CONNECTIONS so they compare fairly.
      pos1 | pos500*) load "$route" "$route" "$round" "${POS_CONNECTIONS:-2}" "$DURATION" ;;
      *) load "$route" "$route" "$round" "$CONNECTIONS" "$DURATION" ;;
    esac
  done
done
# Latency at one connection: what a single buyer waits, with nothing queued ahead of them.
for round in $(seq 1 "$ROUNDS"); do
  for route in $LATENCY_ROUTES; do load "$route@1" "$route" "$round" 1 "$LATENCY_DURATION"; done
done

# Saturation: one fresh drop, far more connections than the drop's object needs to be saturated.
if [ "$SAT_CONNECTIONS" != 0 ]; then
  sat_drop=$(new_drop)
  echo "saturation: $SAT_CONNECTIONS connections for ${SAT_DURATION} s on $sat_drop"
  taskset -c "$LOAD_CORE" node bench/saturate.mjs "$base${SAT_PATH:-/v1/drops/$sat_drop/holds}" "$SAT_CONNECTIONS" "$SAT_DURATION" |
    sed -n 's/^SATURATE_JSON //p' >"$state/saturate.json"
  sleep 1
  record_check saturation "$sat_drop" 0 "$base/bench/check/$sat_drop"
fi

# The oversell check, for every drop the run reserved on (and the Postgres peer's).
record_check main "$drop" 0 "$base/bench/check/$drop"
[ -n "$aged_drop" ] && record_check aged "$aged_drop" "$seeded" "$base/bench/check/$aged_drop"
if [ -f "$results" ]; then
  for d in $(node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n")) { const r = JSON.parse(l); if (r.name === "reserve" || r.name === "pg") console.log(r.name + ":" + r.drop); }' "$results"); do
    if [ "${d%%:*}" = pg ]; then record_check pg "${d#*:}" 0 "$pg_url/check/${d#*:}"; else record_check fresh "${d#*:}" 0 "$base/bench/check/${d#*:}"; fi
  done
fi
curl -sf "$base/bench/checkout-stats?since=$started" >"$state/checkout-stats.json" || echo null >"$state/checkout-stats.json"

# Renewals: RENEWAL_ROUNDS fresh creators with RENEWALS weekly subscriptions each, renewed by one clock
# advance (bench/renewals.ts), beside the D1 floor measured in the same request.
renewals() { # label n rounds
  for r in $(seq 1 "$3"); do
    curl -sf -X POST "$base/bench/renewals?n=$2" | sed "s/^{/{\"mode\":\"$1\",/" >>"$state/renewals.jsonl" ||
      echo "renewal round $r ($1) failed" >&2
    echo >>"$state/renewals.jsonl"
  done
}
[ "${RENEWALS:-1000}" != 0 ] && renewals plain "${RENEWALS:-1000}" "${RENEWAL_ROUNDS:-3}"

# Latency mode: the same worker on a second server whose every D1 round trip waits D1_DELAY_MS.
if [ -n "$D1_DELAY_ROUTES" ] && [ "$D1_DELAY_MS" != 0 ]; then
  stop_tree "$server"
  server=""
  start_server "$D1_DELAY_MS"
  echo "latency mode: every D1 round trip waits $D1_DELAY_MS ms ($base)"
  CHECKOUT_POOL=${DELAY_CHECKOUT_POOL:-60} count_d1=1
  for round in $(seq 1 "$ROUNDS"); do
    for route in $D1_DELAY_ROUTES; do load "$route@1+d1" "$route" "$round" 1 "$LATENCY_DURATION"; done
  done
  count_d1=""
  [ "${RENEWALS:-1000}" != 0 ] && renewals "d1+${D1_DELAY_MS}ms" "${DELAY_RENEWALS:-500}" 1
fi

# Fan-out: its own worker (the bench worker plus the stock relays) on its own server, the others stopped.
if [ "${FANOUT:-0}" = 1 ]; then
  stop_tree "$server"
  server=""
  SERVER_CORE=$SERVER_CORE LOAD_CORE=$LOAD_CORE bash bench/fanout.sh | tee "$state/fanout.log" ||
    echo "the fan-out phase failed" >&2
fi

{
  echo "{\"mode\":\"$BENCH_MODE\",\"date\":\"$(date -u +%Y-%m-%dT%H:%M:%SZ)\",\"cores\":$(nproc),"
  echo "\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\",\"rounds\":$ROUNDS,"
  echo "\"duration\":\"$DURATION\",\"connections\":$CONNECTIONS,\"aged_holds\":$seeded,\"d1_delay_ms\":$D1_DELAY_MS,"
  echo "\"commit\":\"$(git rev-parse --short HEAD 2>/dev/null || echo unknown)\",\"pg_pool\":${PG_POOL:-16},\"bench_tmp\":\"$BENCH_TMP\"}"
} >"$state/meta.json"
node bench/summarize.mjs "$state" "${BENCH_JSON:-/tmp/bench-summary-$BENCH_MODE-$(date +%Y%m%d-%H%M%S).json}"
