#!/usr/bin/env node
/**
 * A second creator on the platform, end to end (docs/platform.md, Walkthrough). With `npm start` serving:
 *
 *   node scripts/platform-demo.mjs [--name "Second Creator"] [--fee-bps 500] [--no-connect]
 *
 * As the operator (the key `npm start` printed, kept in .wrangler/demo-operator-key), it creates a
 * creator, which answers with its first secret key; with that key it makes a publishable key, links a
 * sandbox connected account and completes its onboarding on the sandbox's page (what a creator does in
 * Stripe's hosted onboarding), creates an offer, and then sells it as a buyer would: a quote naming the
 * creator with the publishable key, a checkout paid with the sandbox's 4242 card. It prints each step,
 * the keys, and the paid order with the platform fee and the creator's share. Plain Node 20: HTTP only.
 */
import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";

const { values: opts } = parseArgs({
  options: {
    origin: { type: "string", default: "http://127.0.0.1:8787" },
    name: { type: "string", default: "Second Creator" },
    "fee-bps": { type: "string", default: "500" },
    "no-connect": { type: "boolean", default: false },
  },
});
const origin = opts.origin.replace(/\/$/, "");
const feeBps = Number(opts["fee-bps"]);
if (!Number.isSafeInteger(feeBps) || feeBps < 0 || feeBps > 5000) fail("--fee-bps must be 0 to 5000");

function fail(message) {
  console.error(`platform-demo: ${message}`);
  process.exit(1);
}

const operatorKeyFile = ".wrangler/demo-operator-key";
const operatorKey =
  process.env.OPERATOR_KEY?.trim() ||
  (existsSync(operatorKeyFile) ? readFileSync(operatorKeyFile, "utf8").trim() : "");
if (operatorKey === "") fail(`no operator key: run \`npm start\` first (it writes ${operatorKeyFile})`);

/** One call; answers `{status, body, headers}`, failing loudly when the answer is not `expect`. */
async function call(method, path, { key, body, headers = {}, expect = [200, 201] } = {}) {
  let res;
  try {
    res = await fetch(`${origin}${path}`, {
      method,
      redirect: "manual",
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    fail(`${method} ${path}: ${error.cause?.code ?? error.message} (is \`npm start\` serving ${origin}?)`);
  }
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!expect.includes(res.status)) {
    fail(
      `${method} ${path} answered ${res.status}: ${typeof parsed === "string" ? parsed.slice(0, 300) : JSON.stringify(parsed)}`,
    );
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

const step = (text) => console.log(`\n• ${text}`);
const idem = () => ({ "idempotency-key": crypto.randomUUID() });

step(`As the operator: create "${opts.name}" with a ${feeBps / 100} % platform fee`);
const created = await call("POST", "/v1/operator/creators", {
  key: operatorKey,
  headers: idem(),
  body: { name: opts.name, default_currency: "USD", platform_fee_bps: feeBps },
});
const creator = created.body.creator;
const secretKey = created.body.api_key.secret;
console.log(`  ${creator.id}, its first secret key: ${secretKey}`);

step("As the creator: a publishable key for its pages");
const publishable = await call("POST", "/v1/api-keys", {
  key: secretKey,
  headers: idem(),
  body: { name: "storefront", kind: "publishable" },
});
const publishableKey = publishable.body.secret;
console.log(`  ${publishableKey}`);

if (!opts["no-connect"]) {
  step("Link a sandbox connected account (Express) and onboard it");
  const account = await call("POST", "/v1/connect/account", {
    key: secretKey,
    headers: idem(),
    body: { type: "express", email: "payouts@second-creator.example" },
  });
  console.log(`  ${account.body.account_id}: ready=${account.body.ready}`);
  const link = await call("POST", "/v1/connect/account-links", { key: secretKey, headers: idem(), body: {} });
  console.log(`  onboarding link: ${link.body.url}`);
  // What the creator does in the browser: open the page and press "Complete onboarding", whose form
  // posts back to the page (with the browser's Origin: the page accepts its own form only).
  const page = new URL(link.body.url);
  await call("GET", `${page.pathname}${page.search}`, { expect: [200] });
  await call("POST", page.pathname, {
    body: new URLSearchParams({
      action: "complete",
      return: page.searchParams.get("return") ?? "",
    }).toString(),
    headers: { "content-type": "application/x-www-form-urlencoded", origin: page.origin },
    expect: [200, 303],
  });
  const ready = await call("GET", "/v1/connect/account", { key: secretKey });
  console.log(`  after onboarding: ready=${ready.body.ready}, charges_enabled=${ready.body.charges_enabled}`);
}

step("Create an offer: a $12.00 digital download");
const offer = await call("POST", "/v1/offers", {
  key: secretKey,
  headers: idem(),
  body: { kind: "one_time", title: "Sample pack", prices: [{ currency: "USD", amount: 1200 }] },
});
console.log(`  ${offer.body.id}`);

step("As a buyer: a quote naming the creator with its publishable key, then pay with 4242");
const buyer = { "buyer-id": `platform-demo-${crypto.randomUUID()}` };
const quote = await call("POST", "/v1/quotes", {
  key: publishableKey,
  headers: buyer,
  body: { offer_id: offer.body.id },
});
const checkout = await call("POST", "/v1/checkouts", {
  key: publishableKey,
  headers: { ...buyer, ...idem() },
  body: { quote: quote.body.token, email: "fan@example.com", payment_method: "4242 4242 4242 4242" },
});
console.log(`  checkout ${checkout.body.id}: ${checkout.body.status}`);

const order = await call("GET", `/v1/orders/${checkout.body.order_id}`, { key: secretKey });
const { amount, currency, payout } = order.body;
console.log(`  order ${order.body.id}: ${order.body.status}, ${amount} ${currency} (minor units)`);
console.log(
  payout
    ? `  a destination charge to ${payout.destination_account}: the creator's share ${payout.creator_share}, the platform's fee ${payout.platform_fee}`
    : "  no connected account: the platform's own account took the payment",
);

console.log(`
Keys for ${creator.id} (local only):
  secret:      ${secretKey}
  publishable: ${publishableKey}
Try: curl -H "Authorization: Bearer ${secretKey}" ${origin}/v1/orders
`);
