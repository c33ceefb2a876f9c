# Sourced by bench/run.sh: starting, pinning, measuring and stopping the processes the bench starts.
# Only those: every process is found from a pid this script started (pgrep -P), never by name
# machine-wide, because other workerd and postgres processes may run on the same machine.

wrangler() { node --no-warnings node_modules/wrangler/wrangler-dist/cli.js "$@"; }

# The pids given and all of their descendants.
descendants() {
  local p
  for p in "$@"; do
    [ -d "/proc/$p" ] || continue
    echo "$p"
    # shellcheck disable=SC2046
    descendants $(pgrep -P "$p" || true)
  done
}

pin() { # core pid...
  local core=$1 p
  shift
  for p in $(descendants "$@"); do taskset -acp "$core" "$p" >/dev/null 2>&1 || true; done
}

# CPU time (user + system, clock ticks) of the given processes and their descendants, threads included.
cpu_ticks() {
  local total=0 p t
  for p in $(descendants "$@"); do
    # Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}') || t=0
    total=$((total + ${t:-0}))
  done
  echo "$total"
}

# Stops a process tree this script started: SIGTERM to its root, then SIGKILL to whatever is left.
stop_tree() { # pid
  local root=$1 tree p
  [ -n "$root" ] || return 0
  tree=$(descendants "$root")
  kill -TERM "$root" 2>/dev/null || true
  for _ in $(seq 1 40); do
    alive=0
    for p in $tree; do [ -d "/proc/$p" ] && alive=1; done
    [ "$alive" = 0 ] && return 0
    sleep 0.25
  done
  for p in $tree; do kill -KILL "$p" 2>/dev/null || true; done
}

wait_for_line() { # log prefix pid -> the rest of the first line starting with prefix
  local log=$1 prefix=$2 pid=$3
  for _ in $(seq 1 240); do
    if grep -q "^$prefix " "$log" 2>/dev/null; then sed -n "s/^$prefix //p" "$log" | head -1; return 0; fi
    [ -d "/proc/$pid" ] || break
    sleep 0.25
  done
  cat "$log" >&2
  return 1
}

# The production bundle of bench/worker.ts (keep_names = false from bench/wrangler.toml), made once per
# run: both modes serve it, so edits to src/ during a run change nothing that is being measured.
build_bundle() {
  [ -f "$state/bundle/worker.js" ] && return 0
  wrangler deploy --dry-run --outdir "$state/bundle" -c bench/wrangler.toml >"$state/bundle.log" 2>&1 ||
    { cat "$state/bundle.log" >&2; return 1; }
}

# Faithful mode: the bundle under Miniflare's Node API, on a direct socket (bench/serve.mjs).
# Sets server (the pid) and base (the worker's URL).
start_faithful() { # d1-delay-ms (empty: none)
  local log="$state/server-$RANDOM.log"
  build_bundle
  # shellcheck disable=SC2086
  taskset -c "$SERVER_CORE" node --no-warnings bench/serve.mjs "$state/bundle/worker.js" "$state" $1 >"$log" 2>&1 &
  server=$!
  base=$(wait_for_line "$log" BENCH_URL "$server") || { echo "the server did not start" >&2; return 1; }
  pin "$SERVER_CORE" "$server"
}

# The old mode: wrangler dev, loaded on its inner runtime's own socket (behind Miniflare's entry worker,
# wrangler's local observability and local explorer, but not its proxy runtime). It serves the same
# bundle (no_bundle), since wrangler dev reloads its runtime, on a new port, whenever a source file
# changes. Sets server and base.
start_wrangler() { # d1-delay-ms (empty: none)
  local log="$state/server-$RANDOM.log" port=${PORT:-8788} vars=() inner candidate
  build_bundle
  sed -e 's|^main = .*|main = "bundle/worker.js"\nno_bundle = true|' \
    -e "s|^migrations_dir = .*|migrations_dir = \"$PWD/migrations\"|" bench/wrangler.toml >"$state/wrangler.toml"
  [ -n "$1" ] && vars=(--var "BENCH_D1_DELAY_MS:$1")
  taskset -c "$SERVER_CORE" node --no-warnings node_modules/wrangler/wrangler-dist/cli.js dev \
    -c "$state/wrangler.toml" --ip 127.0.0.1 --port "$port" --persist-to "$state" "${vars[@]}" \
    --log-level warn --show-interactive-dev-session=false >"$log" 2>&1 &
  server=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 240); do curl -sf "$base/bench/hello" >/dev/null 2>&1 && break; sleep 0.25; done
  curl -sf "$base/bench/hello" >/dev/null || { cat "$log" >&2; echo "wrangler dev did not start" >&2; return 1; }
  pin "$SERVER_CORE" "$server"
  inner=""
  for p in $(descendants "$server"); do
    if tr '\0' ' ' <"/proc/$p/cmdline" | grep -q 'workerd serve.*entry=127.0.0.1:0'; then inner=$p; break; fi
  done
  for candidate in $(ss -ltnp 2>/dev/null | awk -v pid="pid=$inner," '$0 ~ pid {split($4, a, ":"); print a[2]}'); do
    if [ "$(curl -s -m 2 "http://127.0.0.1:$candidate/bench/hello")" = "hello" ]; then
      base="http://127.0.0.1:$candidate"
      break
    fi
  done
}

start_server() { if [ "$BENCH_MODE" = wrangler ]; then start_wrangler "$@"; else start_faithful "$@"; fi; }

# The Postgres peer (bench/peers/pg-reserve.mjs) over a private cluster in a temporary directory, both
# on the server core. Sets pg_url, pg_postmaster and pg_peer; leaves pg_url empty if Postgres is missing.
start_pg() {
  local initdb
  pg_url=""
  initdb=$(command -v initdb || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1 || true)
  if [ -z "$initdb" ]; then
    echo "installing postgresql from Debian for the Postgres peer" >&2
    (apt-get update -qq && apt-get install -y -qq postgresql >/dev/null) >&2 || true
    initdb=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | tail -1 || true)
  fi
  if [ -z "$initdb" ]; then
    echo "Postgres peer skipped: no initdb, and postgresql could not be installed (PG_PEER=0 skips it)" >&2
    return 0
  fi
  pg_bin=$(dirname "$(readlink -f "$initdb")")
  pgdir=$(mktemp -d -p "${BENCH_TMP:-/tmp}" bench-pg.XXXXXX)
  as_pg=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$pgdir" && as_pg=(runuser -u postgres --); fi
  "${as_pg[@]}" "$pg_bin/initdb" -D "$pgdir/data" -A trust -U postgres --no-sync >"$pgdir/initdb.log" 2>&1 ||
    { cat "$pgdir/initdb.log" >&2; echo "Postgres peer skipped: initdb failed" >&2; return 0; }
  # Durable commits (fsync, synchronous_commit: the defaults, stated); unix socket only.
  taskset -c "$SERVER_CORE" "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w -s \
    -o "-k $pgdir -c listen_addresses= -p 5432 -c fsync=on -c synchronous_commit=on -c max_connections=64" start ||
    { cat "$pgdir/server.log" >&2; echo "Postgres peer skipped: the cluster did not start" >&2; return 0; }
  pg_postmaster=$(head -1 "$pgdir/data/postmaster.pid")
  PGHOST=$pgdir PGPORT=5432 taskset -c "$SERVER_CORE" node bench/peers/pg-reserve.mjs >"$pgdir/peer.log" 2>&1 &
  pg_peer=$!
  pg_url=$(wait_for_line "$pgdir/peer.log" PG_URL "$pg_peer") ||
    { echo "Postgres peer skipped: its server did not start" >&2; pg_url=""; return 0; }
  pin "$SERVER_CORE" "$pg_postmaster" "$pg_peer"
  echo "Postgres peer: $("$pg_bin/postgres" --version), cluster in $pgdir, peer $pg_url" >&2
}

stop_pg() {
  [ -n "${pg_peer:-}" ] && stop_tree "$pg_peer"
  if [ -n "${pgdir:-}" ] && [ -f "$pgdir/data/postmaster.pid" ]; then
    "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pgdir/data" -m immediate -s stop >/dev/null 2>&1 || true
  fi
  [ -n "${pgdir:-}" ] && rm -rf "$pgdir"
  pg_peer="" pgdir=""
}
