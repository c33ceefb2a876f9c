import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../../src/app";
import { readConfig } from "../../../src/config";
import { ProblemSchema } from "../../../src/http/problem";
import { paymentProvider } from "../../../src/payments";
import { scheduled } from "../../../src/scheduled";
import type { Json } from "../../support/api";
import { quotedDrop } from "../../support/checkouts";
import { pricedOffer } from "../../support/quotes";
import { createTenant, db, tableCounts } from "../../support/tenants";

type Vars = Record<string, string>;
/** What wrangler.toml ships (read by test/vitest.config.ts): bare `wrangler deploy`, and `--env production`. */
const shipped = JSON.parse((env as unknown as { WRANGLER_VARS: string }).WRANGLER_VARS) as {
  top: Vars;
  production: Vars;
};
const testSecrets = env as unknown as Record<"QUOTE_SIGNING_KEYS" | "ENTITLEMENT_SIGNING_KEYS", string>;
const ORIGIN = "https://commerce.example";

/** The secrets docs/deploy.md's steps put, well-formed (test values; nothing here reaches Stripe). */
const secrets = {
  QUOTE_SIGNING_KEYS: testSecrets.QUOTE_SIGNING_KEYS,
  ENTITLEMENT_SIGNING_KEYS: testSecrets.ENTITLEMENT_SIGNING_KEYS,
  STRIPE_SECRET_KEY: "sk_live_deploytest",
  STRIPE_WEBHOOK_SECRET: "whsec_deploytest",
  MAIL_API_KEY: "re_deploytest",
  MAIL_FROM: "Shop <shop@commerce.example>",
};

/** The test bindings (D1, Durable Objects) with a deploy's vars and secrets; `undefined` removes one. */
function bindings(vars: Record<string, string | undefined>): Env {
  const out: Record<string, unknown> = { ...env };
  delete out.ENVIRONMENT;
  delete out.ENTITLEMENT_ISSUER;
  for (const [name, value] of Object.entries(vars)) {
    if (value === undefined) delete out[name];
    else out[name] = value;
  }
  return out as unknown as Env;
}

/** A production deploy done by the README's steps: the shipped vars, the origin set, every secret put. */
const production = (overrides: Record<string, string | undefined> = {}) =>
  bindings({ ...shipped.production, ENTITLEMENT_ISSUER: ORIGIN, ...secrets, ...overrides });

/** Requests through the real app with the given bindings; `built` counts payment providers asked for. */
function deployed(env: Env) {
  let built = 0;
  const app = buildApp({
    payments: (...args) => {
      built++;
      return paymentProvider(...args);
    },
  });
  const call = async (
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; cf?: Record<string, unknown> } = {},
  ) => {
    const res = await app.fetch(
      new Request(`http://api.test${path}`, {
        method,
        headers: {
          ...(options.body === undefined ? {} : { "content-type": "application/json" }),
          ...options.headers,
        },
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
        ...(options.cf ? { cf: options.cf } : {}),
      }),
      env,
      { waitUntil: () => {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
    );
    const body = (await res.json()) as Json;
    return { status: res.status, contentType: res.headers.get("content-type"), body };
  };
  return { call, built: () => built };
}

/** A misconfigured deploy answers every request with one problem naming what the operator must fix. */
function expectMisconfigured(res: { status: number; contentType: string | null; body: Json }) {
  expect(res.status, JSON.stringify(res.body)).toBe(500);
  expect(res.contentType).toBe("application/problem+json");
  const problem = ProblemSchema.parse(res.body);
  expect(problem.type).toBe("https://creator-commerce.dev/problems/misconfigured");
  return problem.detail;
}

const payWith4242 = async (env: Env) => {
  const tenant = await createTenant();
  const buyerId = `deploy-buyer-${crypto.randomUUID()}`;
  const { quote } = await quotedDrop(tenant, buyerId);
  const before = await tableCounts();
  const world = deployed(env);
  const res = await world.call("POST", "/v1/checkouts", {
    body: { quote: quote.token, email: `${buyerId}@example.test`, payment_method: "4242 4242 4242 4242" },
    headers: { "buyer-id": buyerId, "idempotency-key": crypto.randomUUID() },
  });
  return { res, before, after: await tableCounts(), built: world.built() };
};

describe("access-without-money: deploy", () => {
  it.each([
    ["ENVIRONMENT=production set by hand", { ...shipped.production, ENVIRONMENT: "production" }],
    ["the shipped [env.production]", shipped.production],
    ["a bare `wrangler deploy` (the top-level vars)", shipped.top],
  ])(
    "%s with no Stripe key takes no sandbox payment: card 4242… buys nothing and writes nothing",
    async (_, vars) => {
      const { res, before, after, built } = await payWith4242(
        bindings({ ...vars, ENTITLEMENT_ISSUER: ORIGIN, ...secrets, STRIPE_SECRET_KEY: undefined }),
      );
      expect(expectMisconfigured(res)).toContain("STRIPE_SECRET_KEY");
      expect(built).toBe(0);
      expect(after).toEqual(before);
    },
  );

  it("the payment provider itself never falls back to the sandbox in production", () => {
    const config = { ...readConfig(env), ENVIRONMENT: "production" as const, STRIPE_SECRET_KEY: undefined };
    expect(() => paymentProvider(config, db, { now: Date.now, emit: () => {} })).toThrow(/STRIPE_SECRET_KEY/);
  });

  it("the every-minute sweep of a production deploy with no Stripe key refuses to run on the sandbox", async () => {
    const controller = { cron: "* * * * *", scheduledTime: Date.now(), noRetry() {} } as ScheduledController;
    await expect(scheduled(controller, production({ STRIPE_SECRET_KEY: undefined }))).rejects.toThrow(
      /STRIPE_SECRET_KEY/,
    );
  });

  it.each([
    ["ENVIRONMENT=production set by hand", () => production({ ENVIRONMENT: "production" })],
    ["the shipped [env.production]", () => production()],
  ])("a buyer on %s cannot pick a cheaper country's price with Buyer-Country", async (_, env) => {
    const tenant = await createTenant();
    const offer = await pricedOffer(tenant, {
      prices: [{ currency: "USD", amount: 1000 }],
      country_prices: [{ country: "AR", currency: "USD", amount: 600 }],
    });
    const { call } = deployed(env());
    const claimed = { headers: { "buyer-id": "deploy-buyer-ar", "buyer-country": "AR" } };
    const price = await call("GET", `/v1/offers/${offer.id}/price`, claimed);
    expect(price.status, JSON.stringify(price.body)).toBe(200);
    expect(price.body).toMatchObject({ total: 1000, currency_source: "default" });
    const quoted = await call("POST", "/v1/quotes", { ...claimed, body: { offer_id: offer.id } });
    expect(quoted.status, JSON.stringify(quoted.body)).toBe(201);
    expect(quoted.body).toMatchObject({ total: 1000 });
    // The network's answer is the one that counts.
    const fromArgentina = await call("GET", `/v1/offers/${offer.id}/price`, {
      ...claimed,
      cf: { country: "AR" },
    });
    expect(fromArgentina.body).toMatchObject({ total: 600, currency_source: "country" });
  });

  it("a production deploy done by the README's steps answers (the control for the cases below)", async () => {
    const res = await deployed(production()).call("GET", "/.well-known/jwks.json");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });

  it.each<[string, Record<string, string | undefined>]>([
    ["STRIPE_SECRET_KEY", { STRIPE_SECRET_KEY: undefined }],
    // Stripe's test mode charges nobody, and its test cards succeed: access without money.
    ["STRIPE_SECRET_KEY", { STRIPE_SECRET_KEY: "sk_test_deploytest" }],
    ["STRIPE_WEBHOOK_SECRET", { STRIPE_WEBHOOK_SECRET: undefined }],
    ["STRIPE_WEBHOOK_SECRET", { STRIPE_WEBHOOK_SECRET: "not-a-whsec" }],
    ["QUOTE_SIGNING_KEYS", { QUOTE_SIGNING_KEYS: undefined }],
    ["QUOTE_SIGNING_KEYS", { QUOTE_SIGNING_KEYS: "not json" }],
    ["ENTITLEMENT_SIGNING_KEYS", { ENTITLEMENT_SIGNING_KEYS: undefined }],
    ["ENTITLEMENT_SIGNING_KEYS", { ENTITLEMENT_SIGNING_KEYS: '{"active":"e1","keys":[]}' }],
    ["ENTITLEMENT_ISSUER", { ENTITLEMENT_ISSUER: undefined }],
    ["ENTITLEMENT_ISSUER", { ENTITLEMENT_ISSUER: "http://commerce.example" }],
    ["ENTITLEMENT_ISSUER", { ENTITLEMENT_ISSUER: "" }],
    // A Stripe-compatible fake in production would "charge" anything.
    ["STRIPE_API_BASE", { STRIPE_API_BASE: "http://127.0.0.1:12111" }],
    // The mail API key travels as a bearer token: never over plain http.
    ["MAIL_API_URL", { MAIL_API_URL: "http://mail.example/emails" }],
    // An environment the worker does not know fails closed rather than as development.
    ["ENVIRONMENT", { ENVIRONMENT: "staging" }],
    ["ENVIRONMENT", { ENVIRONMENT: "Production" }],
    ["ENVIRONMENT", { ENVIRONMENT: undefined }],
  ])(
    "a production deploy with a missing or malformed %s refuses every request and names it",
    async (name, broken) => {
      const res = await deployed(production(broken)).call("GET", "/.well-known/jwks.json");
      expect(expectMisconfigured(res)).toContain(name);
    },
  );

  it("names every broken setting in the one error, and echoes no secret's value", async () => {
    const res = await deployed(
      production({
        STRIPE_SECRET_KEY: "sk_test_leakedvalue",
        STRIPE_WEBHOOK_SECRET: undefined,
        QUOTE_SIGNING_KEYS: undefined,
        ENTITLEMENT_SIGNING_KEYS: '{"active":"leakedkid","keys":[]}',
        ENTITLEMENT_ISSUER: "http://commerce.example",
      }),
    ).call("POST", "/v1/quotes", { body: { offer_id: "off_x" } });
    const detail = expectMisconfigured(res);
    for (const name of [
      "STRIPE_SECRET_KEY",
      "STRIPE_WEBHOOK_SECRET",
      "QUOTE_SIGNING_KEYS",
      "ENTITLEMENT_SIGNING_KEYS",
      "ENTITLEMENT_ISSUER",
    ]) {
      expect(detail).toContain(name);
    }
    expect(detail).not.toMatch(/leakedvalue|leakedkid|commerce\.example/);
  });
});
