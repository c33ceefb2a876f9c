/**
 * `npm run deploy`: the production deploy, in order, stopping at the first step that fails.
 *
 *   1. Preflight, nothing remote written: `[env.production]` as wrangler reads it (a real D1 id, an https
 *      issuer, a valid PAYOUTS_MODE), then `wrangler secret list` against every secret production needs
 *      (src/config.ts, productionSecrets), each missing one named with the line that puts it.
 *   2. `wrangler d1 migrations apply DB --remote --env production`.
 *   3. `wrangler deploy --env production`.
 *   4. A smoke check of the deployed origin (ENTITLEMENT_ISSUER, or --origin): /openapi.json, the JWKS,
 *      and a quote for --smoke-offer / SMOKE_OFFER_ID when given.
 *
 * Flags: --dry-run (preflight, then `wrangler deploy --dry-run`: no remote writes), --smoke-only (step 4
 * alone), --origin <url>, --smoke-offer <off_…>, --config <wrangler.toml>. WRANGLER_BIN replaces the
 * wrangler command (tests use a fake); SMOKE_TIMEOUT_MS bounds the smoke check's retries (default 30 s).
 * docs/deploy.md walks a new account through it.
 */
import { parseArgs } from "node:util";
import { unstable_readConfig } from "wrangler";
import { productionSecrets } from "../src/config";
import {
  configProblems,
  type DeployConfig,
  parseSecretList,
  secretPutLine,
  smokeCheck,
  wranglerRunner,
} from "./deploy-lib";

const { values: flags } = parseArgs({
  options: {
    "dry-run": { type: "boolean", default: false },
    "smoke-only": { type: "boolean", default: false },
    origin: { type: "string" },
    "smoke-offer": { type: "string" },
    config: { type: "string", default: "wrangler.toml" },
  },
});

const say = (line: string) => process.stdout.write(`${line}\n`);
function stop(why: string): never {
  process.stderr.write(`\n✗ ${why}\n`);
  process.exit(1);
}

const wrangler = wranglerRunner();
const configPath = flags.config;
const env = ["--env", "production", "--config", configPath];

/** Runs one remote step, printing it first; a failure stops the deploy and says nothing later ran. */
async function step(title: string, args: string[]): Promise<void> {
  say(`\n== ${title}\n$ wrangler ${args.join(" ")}`);
  const { code } = await wrangler(args);
  if (code !== 0) stop(`${title} failed (wrangler exited ${code}); nothing after it ran.`);
}

const raw = unstable_readConfig({ config: configPath, env: "production" }, { hideWarnings: true });
const config: DeployConfig = { name: raw.name, d1: raw.d1_databases, vars: raw.vars };
const issuer = String(config.vars.ENTITLEMENT_ISSUER ?? "");
const origin = flags.origin ?? issuer;
const offerId = flags["smoke-offer"] ?? (process.env.SMOKE_OFFER_ID?.trim() || undefined);

async function preflight(): Promise<void> {
  say(`== Preflight: ${configPath} [env.production] (worker ${config.name ?? "?"})`);
  const problems = configProblems(config, productionSecrets);
  if (problems.length > 0) {
    stop(
      `Preflight: fix these in ${configPath} before deploying:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
  }
  say("  ✓ D1 database id, ENTITLEMENT_ISSUER, PAYOUTS_MODE");
  const listed = await wrangler(["secret", "list", "--format", "json", ...env], { capture: true });
  let parsed = listed.code === 0 ? parseSecretList(listed.stdout) : null;
  // Before the first deploy the worker does not exist, so it has no secrets; `secret put` creates it.
  if (
    parsed === null &&
    /Worker "[^"]+"(?: \(env: [^)]+\))? not found/.test(`${listed.stdout}${listed.stderr}`)
  )
    parsed = [];
  if (parsed === null) {
    process.stderr.write(`${listed.stdout}${listed.stderr}`);
    stop(
      "Preflight: `wrangler secret list` failed. Log in with `npx wrangler login` (or set " +
        "CLOUDFLARE_API_TOKEN) and run `npm run deploy` again.",
    );
  }
  const names = parsed;
  const missing = productionSecrets.filter((name) => !names.includes(name));
  if (missing.length > 0) {
    stop(
      `Preflight: production needs ${missing.length === 1 ? "this secret" : "these secrets"}, not set yet:\n` +
        `${missing.map((name) => `  ${name}\n    ${secretPutLine(name)}`).join("\n")}\n` +
        "docs/deploy.md says what each holds and how to generate it. Nothing was deployed.",
    );
  }
  say(`  ✓ every production secret is set (${productionSecrets.join(", ")})`);
}

async function smoke(): Promise<void> {
  say(`\n== Smoke check: ${origin}`);
  if (!/^https?:\/\//.test(origin)) stop("Smoke check: no origin (set ENTITLEMENT_ISSUER or pass --origin).");
  const passed = await smokeCheck({
    origin,
    offerId,
    fetch: (url, init) => fetch(url, { ...init, redirect: "manual" }),
    timeoutMs: Number(process.env.SMOKE_TIMEOUT_MS ?? 30_000),
    log: say,
  });
  if (!passed)
    stop(`Smoke check failed against ${origin}: the worker is deployed but not answering as it should.`);
}

if (flags["smoke-only"]) {
  await smoke();
} else {
  await preflight();
  if (flags["dry-run"]) {
    await step("Deploy dry run (nothing uploaded)", ["deploy", "--dry-run", ...env]);
    say("\n✓ Dry run passed: `npm run deploy` would migrate and deploy.");
  } else {
    await step("Remote D1 migrations", ["d1", "migrations", "apply", "DB", "--remote", ...env]);
    await step("Deploy", ["deploy", ...env]);
    await smoke();
    say(`\n✓ Deployed and answering at ${origin}.`);
  }
}
