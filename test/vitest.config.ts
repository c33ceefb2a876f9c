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
          // Two quote keys: "q2" signs, "q1" is an older key that still verifies (rotation tests).
          QUOTE_SIGNING_KEYS: JSON.stringify({
            active: "q2",
            keys: {
              q1: "H2bV7jmVUKAw6XfNeTerXe_aJTQdgV12KvSaI-u10ok",
              q2: "NV4T_S25gEkOk9ejARMRqH5uax-QdLfOTlu-I2Zn0BQ",
            },
          }),
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
