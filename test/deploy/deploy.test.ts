/**
 * `npm run deploy` (scripts/deploy.ts) under plain Node, run as a user runs it: a child process, with a
 * fake wrangler in WRANGLER_BIN (a small script that records its argv and answers `secret list` with the
 * JSON a test chose) and a local HTTP server standing in for the deployed origin. Wrangler's commands and
 * the smoke check's requests land in one log, so the order of the steps is what the log says.
 * `npm run test:deploy`; not part of the workerd suite.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { productionSecrets } from "../../src/config";

const root = path.join(import.meta.dirname, "..", "..");
const work = mkdtempSync(path.join(tmpdir(), "deploy-test-"));

// The fake wrangler: one JSON line per call into FAKE_LOG; `secret list` prints FAKE_SECRETS (or fails
// as wrangler does for a worker not created yet); FAKE_FAIL names a subcommand that exits 1.
const fake = path.join(work, "fake-wrangler.mjs");
writeFileSync(
  fake,
  `import { appendFileSync } from "node:fs";
const args = process.argv.slice(2);
appendFileSync(process.env.FAKE_LOG, JSON.stringify({ wrangler: args }) + "\\n");
const command = args.filter((a) => !a.startsWith("-")).slice(0, 2).join(" ");
if (process.env.FAKE_FAIL && command.startsWith(process.env.FAKE_FAIL)) process.exit(1);
if (command === "secret list") {
  if (process.env.FAKE_SECRETS === "not_found") {
    console.error('✘ [ERROR] Worker "creator-commerce-edge-production" (env: production) not found.');
    process.exit(1);
  }
  console.log(process.env.FAKE_SECRETS);
}
`,
);

/** wrangler.toml as shipped, with the edits a test names (a real database id and issuer by default). */
function wranglerToml(edits: { databaseId?: string; issuer?: string } = {}): string {
  const shipped = readFileSync(path.join(root, "wrangler.toml"), "utf8");
  const [top, production] = shipped.split("\n[env.production]\n") as [string, string];
  const edited = production
    .replace(
      /database_id = ".*"/,
      `database_id = "${edits.databaseId ?? "3f2c1b0a-9d8e-4f7a-b6c5-d4e3f2a1b0c9"}"`,
    )
    .replace(
      /ENTITLEMENT_ISSUER = ".*"/,
      `ENTITLEMENT_ISSUER = "${edits.issuer ?? "https://commerce.example.com"}"`,
    );
  // Relative paths (main, assets, migrations) resolve from the file, so it sits at the repository root.
  mkdirSync(path.join(root, ".wrangler"), { recursive: true });
  const file = path.join(root, ".wrangler", `deploy-test-${crypto.randomUUID()}.toml`);
  writeFileSync(file, `${top}\n[env.production]\n${edited}`);
  configs.push(file);
  return file;
}

type Route = (req: IncomingMessage, body: string) => { status: number; json: unknown };

/** A local origin answering `route`, each request appended to `log` as `{ smoke: "GET /path" }`. */
async function origin(log: string, route: Route) {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    req.on("end", () => {
      appendFileSync(log, `${JSON.stringify({ smoke: `${req.method} ${req.url}`, body })}\n`);
      const answer = route(req, body);
      res.writeHead(answer.status, { "content-type": "application/json" }).end(JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((ready) => server.listen(0, "127.0.0.1", ready));
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const servers: ReturnType<typeof createServer>[] = [];
const configs: string[] = [];
after(() => {
  for (const server of servers) server.close();
  for (const file of [...configs, work]) rmSync(file, { recursive: true, force: true });
});

/** The three routes the smoke check reads, as the real worker answers them. */
const healthy: Route = (req) => {
  if (req.url === "/openapi.json") return { status: 200, json: { openapi: "3.1.0", paths: {} } };
  if (req.url === "/.well-known/jwks.json") {
    return { status: 200, json: { keys: [{ kty: "OKP", crv: "Ed25519", kid: "ed1", x: "A".repeat(43) }] } };
  }
  if (req.method === "POST" && req.url === "/v1/quotes") {
    return { status: 201, json: { id: "quo_1", token: "eyJhbGciOi.quote.sig", total: { amount: 700 } } };
  }
  return { status: 404, json: { type: "https://errors.test/problems/not_found" } };
};

const allSecrets = JSON.stringify(productionSecrets.map((name) => ({ name, type: "secret_text" })));

/** Runs `npm run deploy`'s script with `args`; resolves with its exit code, output and the step log. */
function deploy(args: string[], env: Record<string, string> = {}) {
  const log = env.FAKE_LOG ?? path.join(work, `log-${crypto.randomUUID()}.jsonl`);
  writeFileSync(log, "", { flag: "a" });
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/deploy.ts", ...args], {
    cwd: root,
    env: {
      ...process.env,
      WRANGLER_BIN: `${process.execPath} ${fake}`,
      FAKE_LOG: log,
      FAKE_SECRETS: allSecrets,
      SMOKE_TIMEOUT_MS: "1500",
      SMOKE_OFFER_ID: "",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => {
    output += c.toString("utf8");
  });
  child.stderr.on("data", (c: Buffer) => {
    output += c.toString("utf8");
  });
  return new Promise<{ code: number | null; output: string; steps: string[] }>((done) =>
    child.on("close", (code) => {
      const steps = readFileSync(log, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const entry = JSON.parse(line) as { wrangler?: string[]; smoke?: string };
          return entry.smoke ?? `wrangler ${(entry.wrangler ?? []).join(" ")}`;
        });
      done({ code, output, steps });
    }),
  );
}

const logFile = () => path.join(work, `log-${crypto.randomUUID()}.jsonl`);

describe("npm run deploy", { concurrency: true }, () => {
  it("a missing secret is named with its put line, and nothing after the preflight runs", async () => {
    const present = productionSecrets.filter((n) => n !== "OPERATOR_KEY_SHA256" && n !== "MAIL_FROM");
    const run = await deploy(["--config", wranglerToml()], {
      FAKE_SECRETS: JSON.stringify(present.map((name) => ({ name, type: "secret_text" }))),
    });
    assert.notEqual(run.code, 0, run.output);
    assert.match(
      run.output,
      /OPERATOR_KEY_SHA256\n\s+npm run wrangler -- secret put OPERATOR_KEY_SHA256 --env production/,
    );
    assert.match(run.output, /npm run wrangler -- secret put MAIL_FROM --env production/);
    assert.doesNotMatch(run.output, /secret put STRIPE_SECRET_KEY/);
    assert.equal(run.steps.length, 1, run.steps.join("\n"));
    assert.match(run.steps[0] ?? "", /^wrangler secret list --format json --env production/);
  });

  it("a worker that does not exist yet has every secret named, and is not deployed", async () => {
    const run = await deploy(["--config", wranglerToml()], { FAKE_SECRETS: "not_found" });
    assert.notEqual(run.code, 0, run.output);
    for (const name of productionSecrets)
      assert.match(run.output, new RegExp(`secret put ${name} --env production`));
    assert.deepEqual(
      run.steps.map((s) => s.split(" ").slice(0, 3).join(" ")),
      ["wrangler secret list"],
    );
  });

  it("with every secret set: migrations, then the deploy, then the smoke check, in that order", async () => {
    const log = logFile();
    const at = await origin(log, healthy);
    const run = await deploy(["--config", wranglerToml(), "--origin", at, "--smoke-offer", "off_smoke"], {
      FAKE_LOG: log,
    });
    assert.equal(run.code, 0, run.output);
    const config = run.steps[0]?.split("--config ")[1] ?? "";
    assert.deepEqual(run.steps, [
      `wrangler secret list --format json --env production --config ${config}`,
      `wrangler d1 migrations apply DB --remote --env production --config ${config}`,
      `wrangler deploy --env production --config ${config}`,
      "GET /openapi.json",
      "GET /.well-known/jwks.json",
      "POST /v1/quotes",
    ]);
    const quoted = readFileSync(log, "utf8")
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .at(-1);
    assert.deepEqual(JSON.parse(quoted.body), { offer_id: "off_smoke" });
    assert.match(run.output, /✓ POST \/v1\/quotes \(off_smoke\): 201 with a signed quote/);
  });

  it("the placeholder database id is refused before wrangler is asked anything", async () => {
    const run = await deploy([
      "--config",
      wranglerToml({ databaseId: "00000000-0000-0000-0000-000000000000" }),
    ]);
    assert.notEqual(run.code, 0, run.output);
    assert.match(
      run.output,
      /database_id .* is the placeholder: run `npm run wrangler -- d1 create creator-commerce`/,
    );
    assert.deepEqual(run.steps, []);
  });

  it("an issuer that is not an https origin is refused before wrangler is asked anything", async () => {
    const run = await deploy(["--config", wranglerToml({ issuer: "http://commerce.example.com/" })]);
    assert.notEqual(run.code, 0, run.output);
    assert.match(run.output, /ENTITLEMENT_ISSUER .* must be the worker's https origin/);
    assert.deepEqual(run.steps, []);
  });

  it("a failed migration stops the deploy: wrangler deploy never runs", async () => {
    const run = await deploy(["--config", wranglerToml()], { FAKE_FAIL: "d1 migrations" });
    assert.notEqual(run.code, 0, run.output);
    assert.match(run.output, /Remote D1 migrations failed \(wrangler exited 1\); nothing after it ran/);
    assert.equal(run.steps.filter((s) => s.startsWith("wrangler deploy")).length, 0, run.steps.join("\n"));
  });

  it("a deployed worker answering 500 misconfigured fails the smoke check and prints its detail", async () => {
    const log = logFile();
    const detail =
      "The worker's configuration is invalid: STRIPE_SECRET_KEY (must be a live key (sk_live_… or rk_live_…) in production: test mode charges nobody). Its operator must fix each one (see docs/deploy.md, Configuration).";
    const at = await origin(log, () => ({
      status: 500,
      json: {
        type: "https://errors.test/problems/misconfigured",
        title: "Misconfigured",
        status: 500,
        detail,
      },
    }));
    const run = await deploy(["--config", wranglerToml(), "--origin", at], { FAKE_LOG: log });
    assert.notEqual(run.code, 0, run.output);
    assert.ok(run.output.includes(`500 misconfigured: ${detail}`), run.output);
    assert.match(run.output, /Smoke check failed/);
    // Retried while the version propagates, then given up on.
    assert.ok(run.steps.filter((s) => s === "GET /openapi.json").length >= 2, run.steps.join("\n"));
  });

  it("the smoke check passes against an origin that answers like the worker, and says the quote was skipped", async () => {
    const log = logFile();
    const at = await origin(log, healthy);
    const run = await deploy(["--smoke-only", "--config", wranglerToml(), "--origin", at], { FAKE_LOG: log });
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /✓ GET \/openapi.json: OpenAPI 3.1.0/);
    assert.match(run.output, /✓ GET \/.well-known\/jwks.json: 1 Ed25519 key/);
    assert.match(run.output, /POST \/v1\/quotes: skipped \(no offer\)[\s\S]*--smoke-offer off_/);
    assert.deepEqual(run.steps, ["GET /openapi.json", "GET /.well-known/jwks.json"]);
  });

  it("a JWKS with no Ed25519 key fails the smoke check", async () => {
    const log = logFile();
    const at = await origin(log, (req, body) =>
      req.url === "/.well-known/jwks.json" ? { status: 200, json: { keys: [] } } : healthy(req, body),
    );
    const run = await deploy(["--smoke-only", "--config", wranglerToml(), "--origin", at], { FAKE_LOG: log });
    assert.notEqual(run.code, 0, run.output);
    assert.match(
      run.output,
      /✗ GET \/.well-known\/jwks.json: 200, expected 200 with at least one Ed25519 key/,
    );
  });

  it("--dry-run runs the preflight and wrangler's dry run, and nothing that writes", async () => {
    const run = await deploy(["--dry-run", "--config", wranglerToml()]);
    assert.equal(run.code, 0, run.output);
    assert.deepEqual(
      run.steps.map((s) => s.split(" --env")[0]),
      ["wrangler secret list --format json", "wrangler deploy --dry-run"],
    );
  });
});
