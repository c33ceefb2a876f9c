/**
 * `npm start`: apply local D1 migrations, seed the demo creator (idempotently), print its keys and the
 * platform operator's, then serve the worker on http://127.0.0.1:8787 with local D1. `--seed-only`
 * stops before serving.
 *
 * The secret key is DEMO_API_KEY when set; otherwise one is generated on first run and kept in
 * .wrangler/demo-api-key (git-ignored, local only) so later runs print the same key. The publishable
 * key (.wrangler/demo-publishable-key) and the operator key (.wrangler/demo-operator-key) are kept the
 * same way; only the operator key's SHA-256 reaches the worker, as OPERATOR_KEY_SHA256.
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
import { demoSurfaces } from "../src/db/seed-surfaces";
import {
  API_KEY_PREFIX,
  generateApiKey,
  generateOperatorKey,
  hashApiKey,
  KEY_PREFIXES,
} from "../src/lib/api-keys";
import { generateOverlayToken } from "../src/overlay/token";

const wranglerCli = "node_modules/wrangler/wrangler-dist/cli.js";
const keyFile = ".wrangler/demo-api-key";
const publishableKeyFile = ".wrangler/demo-publishable-key";
const operatorKeyFile = ".wrangler/demo-operator-key";
const secretsFile = ".wrangler/dev-secrets.env";
const overlayTokenFile = ".wrangler/demo-overlay-token";
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };

/**
 * Applies the local D1 migrations and says so in one line. wrangler prints a table per migration (about
 * 400 lines on a fresh clone), so its output is kept and printed in full only when it fails.
 */
function migrateLocal(): void {
  const args = ["d1", "migrations", "apply", "DB", "--local"];
  const run = spawnSync(process.execPath, ["--no-warnings", wranglerCli, ...args], { encoding: "utf8", env });
  const output = `${run.stdout ?? ""}${run.stderr ?? ""}`;
  if (run.status !== 0) {
    process.stderr.write(output);
    throw new Error(`wrangler ${args.join(" ")} failed with exit code ${run.status}`);
  }
  const applied = /About to apply (\d+) migration/.exec(output)?.[1];
  process.stdout.write(
    applied !== undefined
      ? `Applied ${applied} migration${applied === "1" ? "" : "s"} to the local database.\n`
      : /No migrations to apply/.test(output)
        ? "Local database is up to date.\n"
        : "Local database migrated.\n",
  );
}

/** A key kept in `file`: generated on the first run, read on every later one. */
function keptKey(file: string, generate: () => string, prefix: string): string {
  if (existsSync(file)) {
    const kept = readFileSync(file, "utf8").trim();
    if (kept.startsWith(prefix)) return kept;
  }
  const key = generate();
  mkdirSync(".wrangler", { recursive: true });
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}

function demoKey(): string {
  const fromEnv = process.env.DEMO_API_KEY?.trim();
  if (fromEnv) {
    if (!fromEnv.startsWith(API_KEY_PREFIX))
      throw new Error(`DEMO_API_KEY must be a secret key (${API_KEY_PREFIX}…)`);
    return fromEnv;
  }
  return keptKey(keyFile, () => generateApiKey("secret"), API_KEY_PREFIX);
}

/**
 * Local secrets, generated on first start and kept: a quote HMAC key and an Ed25519 entitlement key
 * (a private JWK), and the operator key's SHA-256 (OPERATOR_KEY_SHA256). A file from before one of them
 * existed gains it; nothing else is rewritten.
 */
async function devSecrets(operatorKey: string): Promise<string> {
  mkdirSync(".wrangler", { recursive: true });
  const existing = existsSync(secretsFile) ? readFileSync(secretsFile, "utf8") : "";
  // The operator key's hash follows the kept key: a line for another key (the file was deleted) is replaced.
  const operatorLine = `OPERATOR_KEY_SHA256=${await hashApiKey(operatorKey)}\n`;
  let lines = existing.replace(/^OPERATOR_KEY_SHA256=.*\n?/m, "");
  if (lines !== "" && !lines.endsWith("\n")) lines += "\n";
  lines += operatorLine;
  if (existing.includes(operatorLine)) lines = existing;
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

/** The demo overlay's token, kept like the key so the printed overlay URL survives restarts. */
function demoOverlayToken(): string {
  if (existsSync(overlayTokenFile)) return readFileSync(overlayTokenFile, "utf8").trim();
  const token = generateOverlayToken();
  mkdirSync(".wrangler", { recursive: true });
  writeFileSync(overlayTokenFile, `${token}\n`, { mode: 0o600 });
  return token;
}

async function seed(key: string, publishable: string, overlayToken: string): Promise<void> {
  // The seed reaches D1 alone: the proxy's warnings about the Durable Objects it does not run say
  // nothing a newcomer needs, so only its errors are printed.
  const level = process.env.WRANGLER_LOG;
  process.env.WRANGLER_LOG = "error";
  const proxy = await getPlatformProxy<Env>({ configPath: "wrangler.toml", persist: true });
  if (level === undefined) delete process.env.WRANGLER_LOG;
  else process.env.WRANGLER_LOG = level;
  try {
    await seedDemo(drizzle(proxy.env.DB, { schema }), { secret: key, publishable }, Date.now(), {
      overlayToken,
    });
  } finally {
    await proxy.dispose();
  }
}

migrateLocal();
const key = demoKey();
const publishable = keptKey(
  publishableKeyFile,
  () => generateApiKey("publishable"),
  KEY_PREFIXES.publishable,
);
const operatorKey = keptKey(operatorKeyFile, generateOperatorKey, "cc_op_");
const overlayToken = demoOverlayToken();
await seed(key, publishable, overlayToken);
const origin = "http://127.0.0.1:8787";
process.stdout.write(`
  Demo creator ${demo.creatorId} is seeded: Fan, Merch and Events tiers and a live drop (${demo.dropId}).
  Its secret API key (admin routes):

    ${key}

  Its publishable key (buyer routes from a browser: names the creator, unlocks nothing):
    ${publishable}
  The platform operator's key (creates and suspends creators; docs/platform.md):
    ${operatorKey}
  Create a second creator with it (the answer carries that creator's first secret key):
    curl -X POST ${origin}/v1/operator/creators -H "Authorization: Bearer ${operatorKey}" -H "content-type: application/json" -d '{"name":"Second Creator","default_currency":"EUR"}'

  Buy in a browser (the sandbox follows Stripe's test cards: 4242 4242 4242 4242 pays,
  4000 0000 0000 0002 declines, 4000 0027 6000 3184 asks for 3-D Secure):
    The live drop:        ${origin}/l/${demoSurfaces.dropLinkId}
    The weekly Fan tier:  ${origin}/l/${demoSurfaces.fanLinkId}
  The drop's stream overlay (an OBS browser source, 1920x1080); watch stock fall as you buy:
    ${origin}/overlay/${demo.dropId}?token=${overlayToken}
  The fair admission queue on an overlay: in a second terminal, run node scripts/queue-demo.mjs; it makes
  a drop that starts in 20 s with the queue on, queues 300 simulated viewers, prints the overlay URL to
  open, and buys as the queue admits them until sold out (docs/admission-demo.md).
  The widget on a page of your own: ${demoSurfaces.origins[0]} is an allowed origin, so save the README's
  snippet (Buyer surfaces) as index.html and serve it with: python3 -m http.server 8080
  Your dashboard (sign in with the key above; KPIs, the live drop's funnel, orders and their CSV):
    ${origin}/dashboard
  Signed webhooks (Standard Webhooks) to a receiver of your own: register it, then run the local one
  with the secret the first call answers; buy something and watch the events arrive, verified:
    curl -X POST ${origin}/v1/webhook-endpoints -H "Authorization: Bearer ${key}" \\
      -H "content-type: application/json" -d '{"url":"http://127.0.0.1:8790/"}'
    node scripts/webhook-receiver.mjs --secret <whsec_… from the answer> --port 8790

  Try: curl -H "Authorization: Bearer ${key}" ${origin}/v1/drops
  A quote, as a buyer in Brazil with the demo coupon:
    curl -X POST ${origin}/v1/quotes -H "content-type: application/json" \\
      -H "buyer-id: demo-buyer-0001" -H "buyer-country: BR" \\
      -d '{"offer_id":"${demo.dropOfferId}","drop_id":"${demo.dropId}","coupon":"LAUNCH10"}'
  Buy it with the sandbox, then read the checkout for the token:
    curl -X POST ${origin}/v1/checkouts -H "content-type: application/json" \\
      -H "buyer-id: demo-buyer-0001" -H "idempotency-key: <any new uuid>" \\
      -d '{"quote":"<token from the quote>","email":"fan@example.com","payment_method":"4242 4242 4242 4242"}'
    curl ${origin}/v1/checkouts/<id> -H "checkout-secret: <secret>"
  Sign the demo member in (an entitlement token and a refresh credential), then check the token:
    curl -X POST ${origin}/v1/members/${demo.memberId}/sessions -H "Authorization: Bearer ${key}" \\
      -H "content-type: application/json" -d '{}'
    curl -X POST ${origin}/v1/entitlements/verify -H "content-type: application/json" \\
      -d '{"token":"<token>","audience":"${demo.creatorId}"}'
  Public keys for offline verification: ${origin}/.well-known/jwks.json
  API reference: ${origin}/docs
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
      await devSecrets(operatorKey),
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
