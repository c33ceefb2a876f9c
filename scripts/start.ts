/**
 * `npm start`: apply local D1 migrations, seed the demo creator (idempotently), print its API key,
 * then serve the worker on http://127.0.0.1:8787 with local D1. `--seed-only` stops before serving.
 *
 * The key is DEMO_API_KEY when set; otherwise one is generated on first run and kept in
 * .wrangler/demo-api-key (git-ignored, local only) so later runs print the same key.
 *
 * Local secrets (a quote signing key) are generated once into .wrangler/dev-secrets.env and passed
 * with --env-file, so quotes survive restarts and no secret is ever committed.
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

function devSecrets(): string {
  if (!existsSync(secretsFile)) {
    const secret = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
    const keys = JSON.stringify({ active: "local-1", keys: { "local-1": secret } });
    mkdirSync(".wrangler", { recursive: true });
    writeFileSync(secretsFile, `QUOTE_SIGNING_KEYS='${keys}'\n`, { mode: 0o600 });
  }
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
  API reference: http://127.0.0.1:8787/docs
\n`);
if (!process.argv.includes("--seed-only")) {
  const dev = spawn(
    process.execPath,
    ["--no-warnings", wranglerCli, "dev", "--ip", "127.0.0.1", "--port", "8787", "--env-file", devSecrets()],
    {
      stdio: "inherit",
      env,
    },
  );
  dev.on("exit", (code) => process.exit(code ?? 0));
}
