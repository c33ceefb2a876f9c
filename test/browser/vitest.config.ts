/**
 * The browser tests: real Chromium (playwright-core with the system's `chromium`) against the worker
 * served as `npm start` serves it, isolated (support/worker.ts). Node environment, one file at a time
 * (each file launches its own Chromium; the machine's cores go to the worker and the browser), and
 * generous timeouts: a cold worker bundles and boots in tens of seconds on a small CI runner.
 */
import path from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: path.join(import.meta.dirname, "..", ".."),
  test: {
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    globalSetup: ["test/browser/support/global-setup.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 180_000,
  },
});
