// postinstall: fills public/, the worker's static assets ([assets] in wrangler.toml), from installed
// packages. Today that is Scalar's standalone API reference (about 4.8 MB, too big for the worker's
// own script), served at /docs/scalar.standalone.js so /docs works without internet. public/ is
// git-ignored and rebuilt by every install; run `node scripts/copy-assets.mjs` to refill it by hand.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import path from "node:path";

const root = path.join(import.meta.dirname, "..");
const assets = {
  "docs/scalar.standalone.js": "node_modules/@scalar/api-reference/dist/browser/standalone.js",
};

for (const [target, source] of Object.entries(assets)) {
  const from = path.join(root, source);
  const to = path.join(root, "public", target);
  mkdirSync(path.dirname(to), { recursive: true });
  if (!existsSync(from)) {
    // A production-only install (npm ci --omit=dev) has no @scalar/api-reference: /docs then has no script.
    console.warn(`copy-assets: ${source} is not installed; public/${target} is left out`);
    continue;
  }
  copyFileSync(from, to);
}
