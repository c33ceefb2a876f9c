#!/usr/bin/env bash
# Fails when generated files lag their sources: the binding types behind wrangler.toml, the
# migrations behind the drizzle schema, the typed client's types behind the routes' OpenAPI document,
# and the browser bundles the worker serves behind clients/. Each failure names the command that fixes
# it. The check leaves the tree as it found it.
set -euo pipefail
cd "$(dirname "$0")/.."

npm run -s wrangler -- types src/worker-configuration.d.ts --include-runtime=false --strict-vars=false --check \
  || { echo "src/worker-configuration.d.ts is stale: run npm run cf-typegen" >&2; exit 1; }

npx drizzle-kit check --config src/db/drizzle.config.ts
before=$(git status --porcelain -- migrations)
npx drizzle-kit generate --config src/db/drizzle.config.ts --name schema_drift_check >/dev/null
after=$(git status --porcelain -- migrations)
if [ "$before" != "$after" ]; then
  git status --porcelain -- migrations >&2
  git clean -fdq -- migrations && git checkout -q -- migrations
  echo "migrations/ is behind src/db/schema.ts: run npm run db:generate -- --name <verb_noun> and commit" >&2
  exit 1
fi
# Regenerated over the tree, compared with what it held (in CI, what is committed), then put back as it
# was: a snapshot, not git checkout, so uncommitted work in these files is never lost.
snapshot=$(mktemp -d)
generated=(clients/api/openapi.ts src/surfaces/generated)
mkdir -p src/surfaces/generated
for path in "${generated[@]}"; do
  mkdir -p "$snapshot/$(dirname "$path")" && cp -R "$path" "$snapshot/$path"
done
restore() {
  rm -rf src/surfaces/generated
  cp -R "$snapshot/." .
  rm -rf "$snapshot"
}
trap restore EXIT

stale() { # what, command
  diff -rq "$snapshot/$1" "$1" | sed -E "s#^Files $snapshot/([^ ]+) and .*#  stale: \1#; s#$snapshot/##g" >&2 || true
  echo "$1 differs from what its sources produce: run $2 and commit the result" >&2
  exit 1
}

npx tsx scripts/build-openapi-types.ts >/dev/null || {
  echo "scripts/build-openapi-types.ts failed (above). It builds the app's document under Node, so nothing" \
    "src/app.ts imports may need workerd at import time (a value import of cloudflare:workers, say)." >&2
  exit 1
}
git diff --no-index --quiet -- "$snapshot/clients/api/openapi.ts" clients/api/openapi.ts ||
  stale clients/api/openapi.ts "npx tsx scripts/build-openapi-types.ts"

if ! sizes=$(node scripts/build-clients.mjs --check 2>&1); then
  echo "$sizes" >&2
  echo "a browser bundle is over its gzip budget (above): make it smaller, then run node scripts/build-clients.mjs" >&2
  exit 1
fi
git diff --no-index --quiet -- "$snapshot/src/surfaces/generated" src/surfaces/generated ||
  stale src/surfaces/generated "node scripts/build-clients.mjs"

echo "generated files are up to date"
