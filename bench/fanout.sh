#!/usr/bin/env bash
# The broadcast fan-out benchmark (docs/stream.md): the bench worker plus the stock relays
# (bench/fanout.toml) served as run.sh serves the bench worker (Miniflare's Node API on a direct socket,
# bench/serve.mjs) on core SERVER_CORE; the load generator (bench/fanout.mjs, `ws` clients) on LOAD_CORE.
#   bash bench/fanout.sh            FANOUT_SOCKETS=1000,4000 FANOUT_ROUNDS=15
# Prints a FANOUT_JSON line per socket count; run.sh runs it as its last phase with FANOUT=1.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh

SERVER_CORE=${SERVER_CORE:-0}
LOAD_CORE=${LOAD_CORE:-1}
FANOUT_SOCKETS=${FANOUT_SOCKETS:-1000,4000}
FANOUT_ROUNDS=${FANOUT_ROUNDS:-15}
export WRANGLER_SEND_METRICS=false
export BENCH_TMP=${BENCH_TMP:-${TMPDIR:-/tmp}}
state=$(mktemp -d -p "$BENCH_TMP")
server=""
cleanup() { stop_tree "$server"; rm -rf "$state"; }
trap cleanup EXIT

wrangler deploy --dry-run --outdir "$state/bundle" -c bench/fanout.toml >"$state/bundle.log" 2>&1 ||
  { cat "$state/bundle.log" >&2; exit 1; }
wrangler d1 migrations apply DB --local -c bench/fanout.toml --persist-to "$state" >"$state/migrate.log" 2>&1 ||
  { cat "$state/migrate.log" >&2; exit 1; }
# serve.mjs reads its bindings from bench/wrangler.toml under its working directory: give it a directory
# whose bench/wrangler.toml is this benchmark's config (the bundle and the state are absolute paths).
mkdir -p "$state/config/bench"
cp bench/fanout.toml "$state/config/bench/wrangler.toml"
log="$state/server.log"
(cd "$state/config" && exec taskset -c "$SERVER_CORE" node --no-warnings "$OLDPWD/bench/serve.mjs" \
  "$state/bundle/fanout-worker.js" "$state") >"$log" 2>&1 &
server=$!
base=$(wait_for_line "$log" BENCH_URL "$server") || { echo "the server did not start" >&2; exit 1; }
pin "$SERVER_CORE" "$server"
echo "fan-out: $base   sockets $FANOUT_SOCKETS on one relay   rounds $FANOUT_ROUNDS   server core $SERVER_CORE, load core $LOAD_CORE"
taskset -c "$LOAD_CORE" node --no-warnings --import tsx bench/fanout.mjs "$base" "$FANOUT_SOCKETS" "$FANOUT_ROUNDS"
