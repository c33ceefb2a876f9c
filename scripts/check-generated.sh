#!/usr/bin/env bash
# Fails when generated files lag their sources: the binding types behind wrangler.toml, and the
# migrations behind the drizzle schema. Fix with `npm run cf-typegen` or `npm run db:generate`.
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
echo "generated files are up to date"
