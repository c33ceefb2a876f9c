/**
 * The worker as `npm start` serves it, isolated for the browser tests and the page benchmark: a fresh
 * temporary persist directory (local D1 and Durable Object state), its own free port, ENVIRONMENT
 * development (the sandbox payment provider), freshly generated secrets, the migrations applied by
 * wrangler's CLI and the demo creator seeded with a new API key (scripts/start.ts does the same against
 * .wrangler/state). The worker is bundled once: `watch: false`, so edits elsewhere in the tree never
 * reload it mid-run.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { drizzle } from "drizzle-orm/d1";
import { getPlatformProxy, unstable_readConfig, unstable_startWorker } from "wrangler";
import * as schema from "../../../src/db/schema";
import { demo, seedDemo } from "../../../src/db/seed";
import { generateApiKey, generateOperatorKey, hashApiKey } from "../../../src/lib/api-keys";
import { freePort } from "./ports";

export const root = path.join(import.meta.dirname, "..", "..", "..");
const configPath = path.join(root, "wrangler.toml");
const wranglerCli = path.join(root, "node_modules/wrangler/wrangler-dist/cli.js");

export interface TestWorker {
  /** `http://127.0.0.1:<port>`: the worker's origin, and the `iss` of the tokens it mints. */
  origin: string;
  /** The seeded demo creator's API key (Bearer). */
  apiKey: string;
  /** The platform operator's key; the worker holds only its SHA-256 (OPERATOR_KEY_SHA256). */
  operatorKey: string;
  creatorId: string;
  stop(): Promise<void>;
}

const base64url = (bytes: Uint8Array): string => Buffer.from(bytes).toString("base64url");

/** A quote HMAC key and an Ed25519 entitlement key, new for every run, as scripts/start.ts makes them. */
async function devSecrets(): Promise<{ QUOTE_SIGNING_KEYS: string; ENTITLEMENT_SIGNING_KEYS: string }> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const { kty, crv, x, d } = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
  return {
    QUOTE_SIGNING_KEYS: JSON.stringify({
      active: "browser-1",
      keys: { "browser-1": base64url(crypto.getRandomValues(new Uint8Array(32))) },
    }),
    ENTITLEMENT_SIGNING_KEYS: JSON.stringify({
      active: "browser-ed-1",
      keys: [{ kty, crv, kid: "browser-ed-1", x, d }],
    }),
  };
}

function applyMigrations(persistTo: string): void {
  const run = spawnSync(
    process.execPath,
    ["--no-warnings", wranglerCli, "d1", "migrations", "apply", "DB", "--local", "--persist-to", persistTo],
    { cwd: root, encoding: "utf8", env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" } },
  );
  if (run.status !== 0) {
    throw new Error(`wrangler d1 migrations apply failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
  }
}

/**
 * Seeds the demo creator through the same local D1 file the worker will open (`<persist>/v3`; local D1
 * files are named after the database id). The proxy gets a config holding only that database: with
 * wrangler.toml's Durable Objects it would warn that it cannot run them.
 */
async function seed(persistTo: string, key: string): Promise<void> {
  const { d1_databases } = unstable_readConfig({ config: configPath }, { hideWarnings: true });
  const seedConfig = path.join(persistTo, "seed.wrangler.json");
  writeFileSync(
    seedConfig,
    JSON.stringify({
      name: "seed",
      compatibility_date: "2026-10-23",
      d1_databases: d1_databases.filter((db: { binding: string }) => db.binding === "DB"),
    }),
  );
  const proxy = await getPlatformProxy<{ DB: D1Database }>({
    configPath: seedConfig,
    persist: { path: path.join(persistTo, "v3") },
  });
  try {
    await seedDemo(drizzle(proxy.env.DB, { schema }), { secret: key }, Date.now());
  } finally {
    await proxy.dispose();
  }
}

export async function startTestWorker(): Promise<TestWorker> {
  const persistTo = mkdtempSync(path.join(tmpdir(), "cc-browser-"));
  const apiKey = generateApiKey();
  applyMigrations(persistTo);
  await seed(persistTo, apiKey);
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const secrets = await devSecrets();
  const operatorKey = generateOperatorKey();
  const text = (value: string) => ({ type: "plain_text" as const, value });
  const secret = (value: string) => ({ type: "secret_text" as const, value });
  const worker = await unstable_startWorker({
    config: configPath,
    bindings: {
      // wrangler.toml defaults to production, which fails closed; a local run opts in to the sandbox.
      ENVIRONMENT: text("development"),
      ENTITLEMENT_ISSUER: text(origin),
      QUOTE_SIGNING_KEYS: secret(secrets.QUOTE_SIGNING_KEYS),
      ENTITLEMENT_SIGNING_KEYS: secret(secrets.ENTITLEMENT_SIGNING_KEYS),
      OPERATOR_KEY_SHA256: secret(await hashApiKey(operatorKey)),
    },
    dev: {
      server: { hostname: "127.0.0.1", port },
      inspector: false,
      persist: persistTo,
      watch: false,
      liveReload: false,
    },
  });
  await worker.ready;
  return {
    origin,
    apiKey,
    operatorKey,
    creatorId: demo.creatorId,
    async stop() {
      await worker.dispose();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
}
