import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { configDefaults, defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";

const root = path.join(import.meta.dirname, "..");

/** The `[vars]` a deploy gets from wrangler.toml: bare (`wrangler deploy`) and `--env production`. */
const shippedVars = (env?: string) =>
  unstable_readConfig(
    { config: path.join(root, "wrangler.toml"), ...(env ? { env } : {}) },
    { hideWarnings: true },
  ).vars;

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
          // Entitlement keys: "e3" signs; "e2" still verifies until 2030 (rotation tests move the clock
          // past that); "e1" was retired at the start of 2026, so nothing it signed verifies.
          ENTITLEMENT_SIGNING_KEYS: JSON.stringify({
            active: "e3",
            keys: [
              {
                kty: "OKP",
                crv: "Ed25519",
                kid: "e3",
                x: "T1NS_4M6C8A23xcwfkFf38LlZttFjmhdkEkeZMxMJaI",
                d: "O-fXyHtf79aogvQBON3_fRWLYfdB54hJyPRDExbnWVE",
              },
              {
                kty: "OKP",
                crv: "Ed25519",
                kid: "e2",
                x: "TceQA9VfRqzQrBnUiodV6TPb3G4vQ4FmEgGeOTvoKm4",
                d: "lmxl1wYbmbeVkYgiqG5ye-P9Pby3N5AxI3DoGsx9SHs",
                retire_at: "2030-01-01T00:00:00Z",
              },
              {
                kty: "OKP",
                crv: "Ed25519",
                kid: "e1",
                x: "nEFeN9xBV4sk7M17UtnbUDVIyKi5lzTrySnSiIZgSPk",
                d: "jiradwnwQjuXs6P_F4TKnA-QMDaFSkb_ja7X1_6Gy9o",
                retire_at: "2026-01-01T00:00:00Z",
              },
            ],
          }),
          ENTITLEMENT_ISSUER: "https://commerce.test",
          // The SHA-256 of test/support/operator.ts's OPERATOR_KEY: the operator routes' tests sign in with it.
          OPERATOR_KEY_SHA256: "bb14962b3a2328c5a3497ae48e6d9a3df6eef46cb9bd81c2280bb5e1ee991861",
          // What wrangler.toml ships, so the deploy attack tests run the worker as a real deploy would.
          WRANGLER_VARS: JSON.stringify({ top: shippedVars(), production: shippedVars("production") }),
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
    // Real Chromium against a served worker: `npm run test:browser`, in Node, not in workerd; and the
    // deploy script's tests, `npm run test:deploy`, in Node too.
    exclude: [...configDefaults.exclude, "test/browser/**", "test/deploy/**"],
    setupFiles: ["test/support/apply-migrations.ts"],
  },
}));
