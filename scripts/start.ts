/**
 * `npm start`: apply local D1 migrations, seed the demo creator (idempotently), print its API key,
 * then serve the worker on http://127.0.0.1:8787 with local D1. `--seed-only` stops before serving.
 *
 * The key is DEMO_API_KEY when set; otherwise one is generated on first run and kept in
 * .wrangler/demo-api-key (git-ignored, local only) so later runs print the same key.
 *
 * Local secrets (a quote signing key and an Ed25519 entitlement key) are generated once into
 * .wrangler/dev-secrets.env and passed with --env-file, so quotes and tokens survive restarts and no
 * secret is ever committed. ENVIRONMENT is set to development here: wrangler.toml's default is production.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { drizzle } from "drizzle-orm/d1";
import { getPlatformProxy } from "wrangler";
import * as schema from "../src/db/schema";
import { demo, seedDemo } from "../src/db/seed";
import { displayPrefix, generateApiKey, hashApiKey } from "../src/lib/api-keys";

const wranglerCli = "node_modules/wrangler/wrangler-dist/cli.js";
const keyFile = ".wrangler/demo-api-key";
const secretsFile = ".wrangler/dev-secrets.env";
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };

function wrangler(args: string[]): void {
  const run = spawnSync(process.execPath, ["--no-warnings", wranglerCli, ...args], { stdio: "inherit", env });
  if (run.status !== 0) throw new Error(`wrangler ${args.join(" ")} failed with exit code ${run.status}`);
}

function demoKey(): string {
  const fromEnv = process.env.DEMO_API_KEY?.trim();
  if (fromEnv) return fromEnv;
  if (existsSync(keyFile)) return readFileSync(keyFile, "utf8").trim();
  const key = generateApiKey();
  mkdirSync(".wrangler", { recursive: true });
  writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
  return key;
}

/**
 * Local secrets, generated on first start and kept: a quote HMAC key and an Ed25519 entitlement key
 * (a private JWK). A file from before entitlement keys existed gains one; nothing else is rewritten.
 */
async function devSecrets(): Promise<string> {
  mkdirSync(".wrangler", { recursive: true });
  const existing = existsSync(secretsFile) ? readFileSync(secretsFile, "utf8") : "";
  let lines = existing;
  if (!existing.includes("QUOTE_SIGNING_KEYS=")) {
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    lines += `QUOTE_SIGNING_KEYS='${JSON.stringify({ active: "local-1", keys: { "local-1": secret } })}'\n`;
  }
  if (!existing.includes("ENTITLEMENT_SIGNING_KEYS=")) {
    const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
      "sign",
      "verify",
    ])) as CryptoKeyPair;
    const { kty, crv, x, d } = (await crypto.subtle.exportKey("jwk", pair.privateKey)) as JsonWebKey;
    const keys = { active: "local-ed-1", keys: [{ kty, crv, kid: "local-ed-1", x, d }] };
    lines += `ENTITLEMENT_SIGNING_KEYS='${JSON.stringify(keys)}'\n`;
  }
  if (lines !== existing) writeFileSync(secretsFile, lines, { mode: 0o600 });
  return secretsFile;
}

async function seed(key: string): Promise<void> {
  const proxy = await getPlatformProxy<Env>({ configPath: "wrangler.toml", persist: true });
  try {
    await seedDemo(
      drizzle(proxy.env.DB, { schema }),
      { hash: await hashApiKey(key), prefix: displayPrefix(key) },
      Date.now(),
    );
  } finally {
    await proxy.dispose();
  }
}

wrangler(["d1", "migrations", "apply", "DB", "--local"]);
const key = demoKey();
await seed(key);
process.stdout.write(`
  Demo creator ${demo.creatorId} is seeded: Fan, Merch and Events tiers and a live drop (${demo.dropId}).
  Its API key:

    ${key}

  Try: curl -H "Authorization: Bearer ${key}" http://127.0.0.1:8787/v1/drops
  A quote, as a buyer in Brazil with the demo coupon:
    curl -X POST http://127.0.0.1:8787/v1/quotes -H "content-type: application/json" \\
      -H "buyer-id: demo-buyer-0001" -H "buyer-country: BR" \\
      -d '{"offer_id":"${demo.dropOfferId}","drop_id":"${demo.dropId}","coupon":"LAUNCH10"}'
  Buy it with the sandbox (Stripe's test cards; no Stripe key needed), then read the checkout for the token:
    curl -X POST http://127.0.0.1:8787/v1/checkouts -H "content-type: application/json" \
      -H "buyer-id: demo-buyer-0001" -H "idempotency-key: <any new uuid>" \
      -d '{"quote":"<token from the quote>","email":"fan@example.com","payment_method":"4242 4242 4242 4242"}'
    curl http://127.0.0.1:8787/v1/checkouts/<id> -H "checkout-secret: <secret>"
  Sign the demo member in (an entitlement token and a refresh credential), then check the token:
    curl -X POST http://127.0.0.1:8787/v1/members/${demo.memberId}/sessions -H "Authorization: Bearer ${key}" \
      -H "content-type: application/json" -d '{}'
    curl -X POST http://127.0.0.1:8787/v1/entitlements/verify -H "content-type: application/json" \
      -d '{"token":"<token>","audience":"${demo.creatorId}"}'
  Public keys for offline verification: http://127.0.0.1:8787/.well-known/jwks.json
  API reference: http://127.0.0.1:8787/docs
\n`);
if (!process.argv.includes("--seed-only")) {
  const dev = spawn(
    process.execPath,
    [
      "--no-warnings",
      wranglerCli,
      "dev",
      "--ip",
      "127.0.0.1",
      "--port",
      "8787",
      "--env-file",
      await devSecrets(),
      // wrangler.toml defaults to production, which fails closed; a local run opts in to the sandbox.
      "--var",
      "ENVIRONMENT:development",
    ],
    {
      stdio: "inherit",
      env,
    },
  );
  dev.on("exit", (code) => process.exit(code ?? 0));
}
