/**
 * The steps of `npm run deploy` (scripts/deploy.ts), apart from the process they run in, so the tests can
 * drive them with a fake wrangler and a local origin. Each step either passes or says what to do; the
 * first that fails stops the deploy, and nothing remote is written before the preflight has passed.
 */
import { spawn } from "node:child_process";

/** What one wrangler invocation left behind. `stdout` is captured only when asked for. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Wrangler = (args: string[], options?: { capture?: boolean }) => Promise<RunResult>;

/**
 * Runs wrangler as `command` says: WRANGLER_BIN when set (a command line, split on spaces, so a test can
 * put a fake in its place), else the installed CLI under this Node (wrangler's launcher refuses Node 20).
 * Progress goes straight to the terminal, and stdin stays attached so wrangler can still ask.
 */
export function wranglerRunner(command = process.env.WRANGLER_BIN): Wrangler {
  const base = command?.trim()
    ? command.trim().split(/\s+/)
    : [process.execPath, "--no-warnings", "node_modules/wrangler/wrangler-dist/cli.js"];
  const [bin, ...pre] = base as [string, ...string[]];
  return (args, { capture = false } = {}) =>
    new Promise((resolve) => {
      const child = spawn(bin, [...pre, ...args], {
        stdio: ["inherit", capture ? "pipe" : "inherit", capture ? "pipe" : "inherit"],
        env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      });
      let stdout = "";
      let stderr = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        stdout += chunk.toString("utf8");
      });
      child.stderr?.on("data", (chunk: Buffer) => {
        stderr += chunk.toString("utf8");
      });
      child.on("error", (error) => resolve({ code: 127, stdout, stderr: `${stderr}${error.message}\n` }));
      child.on("close", (code) => resolve({ code: code ?? 1, stdout, stderr }));
    });
}

/** The part of `[env.production]` the preflight reads (wrangler's own parse of wrangler.toml). */
export interface DeployConfig {
  name: string | undefined;
  d1: { binding: string; database_id?: string | undefined }[];
  vars: Record<string, unknown>;
}

const PLACEHOLDER_ID = /^0{8}-0{4}-0{4}-0{4}-0{12}$/;
const PAYOUTS_MODES = ["platform", "connect"];

/**
 * Problems with the configuration alone, before wrangler is asked anything: each names the setting and
 * the fix. An empty list means the config is fit to deploy.
 */
export function configProblems(config: DeployConfig, secrets: readonly string[]): string[] {
  const problems: string[] = [];
  const db = config.d1.find((d) => d.binding === "DB");
  if (db === undefined) {
    problems.push("[[env.production.d1_databases]] has no DB binding: restore it from git.");
  } else if (db.database_id === undefined || PLACEHOLDER_ID.test(db.database_id)) {
    problems.push(
      "The D1 database_id in [[env.production.d1_databases]] is the placeholder: run " +
        "`npm run wrangler -- d1 create creator-commerce` and paste the id it prints.",
    );
  }
  const vars = config.vars;
  if (vars.ENVIRONMENT !== "production") {
    problems.push('ENVIRONMENT in [env.production.vars] must be "production".');
  }
  const issuer = typeof vars.ENTITLEMENT_ISSUER === "string" ? vars.ENTITLEMENT_ISSUER : "";
  if (!isHttpsOrigin(issuer)) {
    problems.push(
      `ENTITLEMENT_ISSUER in [env.production.vars] must be the worker's https origin, such as ` +
        `"https://commerce.example.com" (no path, no trailing slash); it is ${JSON.stringify(issuer)}.`,
    );
  }
  if (vars.PAYOUTS_MODE !== undefined && !PAYOUTS_MODES.includes(String(vars.PAYOUTS_MODE))) {
    problems.push(
      `PAYOUTS_MODE in [env.production.vars] must be "platform" or "connect"; it is ${JSON.stringify(vars.PAYOUTS_MODE)}.`,
    );
  }
  if (vars.STRIPE_API_BASE !== undefined) {
    problems.push(
      "STRIPE_API_BASE must not be set in production: only Stripe's own API takes real payments.",
    );
  }
  // A secret committed as a plain variable is public in the repository, and wrangler refuses a secret
  // and a variable of the same name.
  for (const name of secrets.filter((s) => vars[s] !== undefined)) {
    problems.push(`${name} is a plain variable in [env.production.vars]: remove it and put it as a secret.`);
  }
  return problems;
}

function isHttpsOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * The names `wrangler secret list --format json` printed (an array of `{ name, type }`), or null when
 * the output holds no such array. Wrangler may print a warning before the JSON, so the array is found
 * from its first `[`.
 */
export function parseSecretList(stdout: string): string[] | null {
  const start = stdout.indexOf("[");
  const end = stdout.lastIndexOf("]");
  if (start < 0 || end < start) return null;
  try {
    const parsed: unknown = JSON.parse(stdout.slice(start, end + 1));
    if (!Array.isArray(parsed)) return null;
    return parsed.flatMap((s) =>
      typeof s === "object" && s !== null && typeof (s as { name?: unknown }).name === "string"
        ? [(s as { name: string }).name]
        : [],
    );
  } catch {
    return null;
  }
}

export const secretPutLine = (name: string) => `npm run wrangler -- secret put ${name} --env production`;

/** A fetch that answers, as the smoke check sees it. */
export type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

export interface SmokeOptions {
  origin: string;
  offerId: string | undefined;
  fetch: Fetch;
  /** How long to keep retrying a failing check while the new version propagates. */
  timeoutMs: number;
  log: (line: string) => void;
}

type Check = { ok: true; note: string } | { ok: false; why: string };

/** The `detail` of a 500 `misconfigured` problem, which names every setting to fix; null otherwise. */
function misconfiguredDetail(status: number, body: unknown): string | null {
  if (status !== 500 || typeof body !== "object" || body === null) return null;
  const { type, detail } = body as { type?: unknown; detail?: unknown };
  return typeof type === "string" && type.endsWith("/misconfigured") && typeof detail === "string"
    ? detail
    : null;
}

async function getJson(fetch: Fetch, url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: reported below by the caller as the status and the first bytes.
  }
  return { status: res.status, body, text };
}

function failure(status: number, body: unknown, text: string, expected: string): Check {
  const detail = misconfiguredDetail(status, body);
  if (detail !== null) return { ok: false, why: `500 misconfigured: ${detail}` };
  return { ok: false, why: `${status}, expected ${expected}: ${text.slice(0, 300)}` };
}

const checks = (origin: string, offerId: string | undefined, fetch: Fetch) => {
  const list: [string, () => Promise<Check>][] = [
    [
      "GET /openapi.json",
      async () => {
        const { status, body, text } = await getJson(fetch, `${origin}/openapi.json`);
        const version = (body as { openapi?: unknown } | null)?.openapi;
        if (status === 200 && typeof version === "string" && version.startsWith("3.1")) {
          return { ok: true, note: `OpenAPI ${version}` };
        }
        return failure(status, body, text, "200 with an OpenAPI 3.1 document");
      },
    ],
    [
      "GET /.well-known/jwks.json",
      async () => {
        const { status, body, text } = await getJson(fetch, `${origin}/.well-known/jwks.json`);
        const keys = (body as { keys?: unknown } | null)?.keys;
        const ed25519 = Array.isArray(keys)
          ? keys.filter(
              (k) => (k as { kty?: unknown })?.kty === "OKP" && (k as { crv?: unknown })?.crv === "Ed25519",
            )
          : [];
        if (status === 200 && ed25519.length > 0)
          return { ok: true, note: `${ed25519.length} Ed25519 key(s)` };
        return failure(status, body, text, "200 with at least one Ed25519 key");
      },
    ],
  ];
  if (offerId !== undefined) {
    list.push([
      `POST /v1/quotes (${offerId})`,
      async () => {
        const { status, body, text } = await getJson(fetch, `${origin}/v1/quotes`, {
          method: "POST",
          headers: { "content-type": "application/json", "buyer-id": `deploy-smoke-${Date.now()}` },
          body: JSON.stringify({ offer_id: offerId }),
        });
        const token = (body as { token?: unknown } | null)?.token;
        if (status === 201 && typeof token === "string" && token.length > 0) {
          return { ok: true, note: "201 with a signed quote" };
        }
        return failure(status, body, text, "201 with a quote token");
      },
    ]);
  }
  return list;
};

/**
 * Checks the deployed origin answers like this worker: its OpenAPI document, its JWKS and, given a seeded
 * offer, a signed quote. A failing check is retried until `timeoutMs` (a new version takes a few seconds
 * to reach every location); the last failure is what is reported.
 */
export async function smokeCheck(options: SmokeOptions): Promise<boolean> {
  const { origin, offerId, fetch, timeoutMs, log } = options;
  const deadline = Date.now() + timeoutMs;
  for (const [name, run] of checks(origin.replace(/\/$/, ""), offerId, fetch)) {
    let result: Check;
    for (;;) {
      result = await run().catch((error: unknown) => ({
        ok: false as const,
        why: `no answer: ${error instanceof Error ? error.message : String(error)}`,
      }));
      if (result.ok || Date.now() >= deadline) break;
      await new Promise((done) => setTimeout(done, 1000));
    }
    if (!result.ok) {
      log(`  ✗ ${name}: ${result.why}`);
      return false;
    }
    log(`  ✓ ${name}: ${result.note}`);
  }
  if (offerId === undefined) {
    log(
      "  – POST /v1/quotes: skipped (no offer). Once the first creator has an offer, run\n" +
        "      npm run deploy -- --smoke-only --smoke-offer off_…\n" +
        "    (or set SMOKE_OFFER_ID) to check a quote is signed end to end.",
    );
  }
  return true;
}
