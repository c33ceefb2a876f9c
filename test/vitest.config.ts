import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

const root = path.join(import.meta.dirname, "..");

export default defineConfig(async () => ({
  root,
  plugins: [
    cloudflareTest({
      wrangler: { configPath: path.join(root, "wrangler.toml") },
      miniflare: {
        bindings: {
          ENVIRONMENT: "test",
          // The same SQL files wrangler applies, applied by test/support/apply-migrations.ts.
          TEST_MIGRATIONS: await readD1Migrations(path.join(root, "migrations")),
        },
        // A real D1 with no tables: the worker pointed at it meets an unexpected failure.
        d1Databases: { UNMIGRATED_DB: "unmigrated" },
      },
    }),
  ],
  test: {
    include: ["test/**/*.test.ts"],
    setupFiles: ["test/support/apply-migrations.ts"],
  },
}));
