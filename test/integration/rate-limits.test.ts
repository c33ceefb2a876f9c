/**
 * Rate limits in layers (docs/rate-limits.md), through the real app in workerd: Cloudflare's Rate
 * Limiting binding as Miniflare implements it, and real RateCounter objects. A request opts into the
 * limits by carrying CF-Connecting-IP, as every request Cloudflare fronts does.
 */
import {
  createExecutionContext,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { ProblemSchema } from "../../src/http/problem";
import type { PolicyOverrides } from "../../src/ratelimit/policies";
import { api, type Json } from "../support/api";
import { startSession } from "../support/entitlements";
import { createOffer, oneTimeOffer } from "../support/fixtures";
import { insertMember } from "../support/quotes";
import { mailedCode, wrongCodes } from "../support/sign-in";
import { createTenant } from "../support/tenants";

const rateLimited = "https://creator-commerce.dev/problems/rate-limited";
const MINUTE = 60_000;
/** A binding test may first wait up to a window for a boundary, then make its requests. */
const BINDING_TEST_MS = 90_000;

/** A fresh address per test (an IPv6 /64 of the documentation range), so no two tests share a counter. */
const freshIp = () => {
  const hex = () => Math.floor(Math.random() * 0x10000).toString(16);
  return `2001:db8:${hex()}:${hex()}::1`;
};

interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

/**
 * The real app on a clock the test moves, with a test's policy overrides. Each call waits for the
 * request's waitUntil work (a success's given-back hit) before answering, as a later request would find it.
 */
function worker(overrides?: PolicyOverrides) {
  let now = Date.now();
  const app = buildApp({ clock: { now: () => now } });
  const bindings =
    overrides === undefined ? { ...env } : { ...env, RATE_LIMIT_OVERRIDES: JSON.stringify(overrides) };
  const call = async (
    method: string,
    path: string,
    options: { ip?: string; body?: unknown; key?: string; headers?: Record<string, string> } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = { ...options.headers };
    if (options.ip !== undefined) headers["cf-connecting-ip"] = options.ip;
    if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`http://api.test${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
      }),
      bindings,
      ctx,
    );
    const text = await res.text();
    await waitOnExecutionContext(ctx);
    const body = /json/.test(res.headers.get("content-type") ?? "") ? JSON.parse(text) : text;
    if (res.status >= 400) {
      expect(res.headers.get("content-type")).toBe("application/problem+json");
      expect(ProblemSchema.parse(body).status).toBe(res.status);
    }
    return { status: res.status, headers: res.headers, body };
  };
  const advance = (ms: number) => {
    now += ms;
  };
  return { call, advance };
}

/** A 429 as the draft and RFC 9457 say: the policy named, Retry-After at least 1 s and equal to `t`. */
function expectLimited(res: Answer, policy: string, quota: number, windowSeconds: number): number {
  expect(res.status, JSON.stringify(res.body)).toBe(429);
  expect(res.body).toMatchObject({ type: rateLimited, status: 429, title: "Too many requests" });
  expect(res.body.detail).toContain(`"${policy}"`);
  const retryAfter = Number(res.headers.get("retry-after"));
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
  expect(res.headers.get("ratelimit-policy")).toContain(`"${policy}";q=${quota};w=${windowSeconds}`);
  expect(res.headers.get("ratelimit")).toContain(`"${policy}";r=0;t=${retryAfter}`);
  return retryAfter;
}

/** Waits, if need be, so that `span` ms of requests fall inside one of the binding's wall-clock windows. */
async function withinOneBindingWindow(periodMs: number, spanMs: number): Promise<void> {
  const into = Date.now() % periodMs;
  if (into + spanMs > periodMs) await new Promise((r) => setTimeout(r, periodMs - into + 20));
}

describe("layer 1: the Rate Limiting binding on public routes", () => {
  it(
    "stops one address flooding a public route at the shipped 120 a minute, and says so",
    async () => {
      const { call } = worker();
      const ip = freshIp();
      await withinOneBindingWindow(MINUTE, 15_000);
      for (let i = 0; i < 120; i++) {
        const ok = await call("GET", "/.well-known/jwks.json", { ip });
        expect(ok.status).toBe(200);
        expect(ok.headers.get("ratelimit-policy")).toBe('"public";q=120;w=60');
      }
      expectLimited(await call("GET", "/.well-known/jwks.json", { ip }), "public", 120, 60);
      // Another address is another counter.
      expect((await call("GET", "/.well-known/jwks.json", { ip: freshIp() })).status).toBe(200);
    },
    BINDING_TEST_MS,
  );

  it(
    "reopens once the binding's window passes",
    async () => {
      const { call } = worker({ public: { limit: 2, windowSeconds: 10 } });
      const ip = freshIp();
      await withinOneBindingWindow(10_000, 3_000);
      expect((await call("GET", "/.well-known/jwks.json", { ip })).status).toBe(200);
      expect((await call("GET", "/.well-known/jwks.json", { ip })).status).toBe(200);
      const retryAfter = expectLimited(await call("GET", "/.well-known/jwks.json", { ip }), "public", 2, 10);
      expect(retryAfter).toBe(10);
      await new Promise((r) => setTimeout(r, 10_000 - (Date.now() % 10_000) + 50));
      expect((await call("GET", "/.well-known/jwks.json", { ip })).status).toBe(200);
    },
    BINDING_TEST_MS,
  );

  it(
    "an address flooding the public gate cannot starve a creator's server behind the same address",
    async () => {
      const tenant = await createTenant("Gate Keeper");
      const { call } = worker({ public: { limit: 2, windowSeconds: 60 } });
      const ip = freshIp();
      await withinOneBindingWindow(MINUTE, 10_000);
      await call("GET", "/.well-known/jwks.json", { ip });
      await call("GET", "/.well-known/jwks.json", { ip });
      expectLimited(await call("GET", "/.well-known/jwks.json", { ip }), "public", 2, 60);
      for (let i = 0; i < 5; i++) {
        const admin = await call("GET", "/v1/offers", { ip, key: tenant.key });
        expect(admin.status, JSON.stringify(admin.body)).toBe(200);
        expect(admin.headers.get("ratelimit-policy")).toBe('"creator_api";q=1200;w=60');
      }
    },
    BINDING_TEST_MS,
  );

  it(
    "a forged API key is counted apart from real ones and still refused 401",
    async () => {
      const { call } = worker({ creator_api: { limit: 1, windowSeconds: 60 } });
      const ip = freshIp();
      await withinOneBindingWindow(MINUTE, 5_000);
      const forged = `cc_sk_${"x".repeat(40)}`;
      expect((await call("GET", "/v1/offers", { ip, key: forged })).status).toBe(401);
      expectLimited(await call("GET", "/v1/offers", { ip, key: forged }), "creator_api", 1, 60);
    },
    BINDING_TEST_MS,
  );

  it("documents 429 on every operation the gate covers", async () => {
    const doc = (await api("GET", "/openapi.json")).body as { paths: Record<string, Record<string, Json>> };
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (path === "/v1/webhooks/stripe") expect(operation.responses).not.toHaveProperty("429");
        else expect(operation.responses, `${method} ${path}`).toHaveProperty("429");
      }
    }
  });
});

describe("layer 2: failed refreshes per IP", () => {
  it("150 bad refresh credentials from one address: 401 up to the limit, then 429; a good one elsewhere works", async () => {
    const tenant = await createTenant("Refresh Target");
    const memberId = await insertMember(tenant, null);
    const session = await startSession(tenant, memberId);
    // The cheap gate is raised (150 requests in a few seconds pass its 120 a minute, and its window is
    // the wall clock's, which the test cannot move), so this test sees the exact layer alone.
    const { call, advance } = worker({ public: { limit: 1000, windowSeconds: 60 } });
    const attacker = freshIp();
    const answers: Answer[] = [];
    for (let i = 0; i < 150; i++) {
      const bogus = `cc_rt_${String(i).padStart(43, "A")}`;
      answers.push(
        await call("POST", "/v1/entitlements/token", { ip: attacker, body: { refresh_token: bogus } }),
      );
    }
    const statuses = answers.map((a) => a.status);
    expect(statuses.slice(0, 30)).toEqual(Array(30).fill(401));
    expect(statuses.slice(30)).toEqual(Array(120).fill(429));
    const [firstRefused] = answers.slice(30);
    if (firstRefused === undefined) throw new Error("no answer");
    expectLimited(firstRefused, "refresh_failures_ip", 30, 900);

    // The member, from their own address, is not held back by someone else's failures.
    const good = await call("POST", "/v1/entitlements/token", {
      ip: freshIp(),
      body: { refresh_token: session.refresh_token },
    });
    expect(good.status, JSON.stringify(good.body)).toBe(200);
    expect(good.headers.get("ratelimit")).toBe('"refresh_failures_ip";r=30;t=900');

    // Once the window has passed, the attacker's address is answered on the merits again.
    advance(15 * MINUTE);
    const again = await call("POST", "/v1/entitlements/token", {
      ip: attacker,
      body: { refresh_token: `cc_rt_${"B".repeat(43)}` },
    });
    expect(again.status).toBe(401);
  }, 60_000);

  it("a parallel burst of bad credentials gets no more tries than the limit", async () => {
    const { call } = worker({ refresh_failures_ip: { limit: 5, windowSeconds: 900 } });
    const ip = freshIp();
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call("POST", "/v1/entitlements/token", {
          ip,
          body: { refresh_token: `cc_rt_${String(i).padStart(43, "C")}` },
        }),
      ),
    );
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(5);
    expect(statuses.filter((s) => s === 429)).toHaveLength(15);
  });

  it("successful refreshes do not use up the failure budget", async () => {
    const tenant = await createTenant("Frequent Refresher");
    const memberId = await insertMember(tenant, null);
    let credential = (await startSession(tenant, memberId)).refresh_token as string;
    const { call } = worker({ refresh_failures_ip: { limit: 2, windowSeconds: 900 } });
    const ip = freshIp();
    for (let i = 0; i < 6; i++) {
      const res = await call("POST", "/v1/entitlements/token", { ip, body: { refresh_token: credential } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.headers.get("ratelimit")).toMatch(/^"refresh_failures_ip";r=2;t=\d+$/);
      credential = res.body.refresh_token;
    }
  });
});

describe("layer 2: failed sign-ins per member and per IP", () => {
  async function member() {
    const tenant = await createTenant("Sign-in Target");
    const memberId = await insertMember(tenant, null);
    return { tenant, email: `${memberId}@example.test` };
  }
  const verify = (
    call: ReturnType<typeof worker>["call"],
    ip: string,
    creatorId: string,
    email: string,
    code: string,
  ) => call("POST", "/v1/sign-in/email/verify", { ip, body: { creator_id: creatorId, email, code } });

  it("wrong codes for one member from many addresses: 429 after 5, whatever the address, until the window passes", async () => {
    const { tenant, email } = await member();
    const { call, advance } = worker();
    expect(
      (await call("POST", "/v1/sign-in/email", { body: { creator_id: tenant.creatorId, email } })).status,
    ).toBe(202);
    const code = await mailedCode(email);
    const guesses = wrongCodes(code, 6);
    for (const [i, guess] of guesses.slice(0, 5).entries()) {
      const wrong = await verify(call, freshIp(), tenant.creatorId, email, guess);
      expect(wrong.status).toBe(401);
      // Each wrong code's answer says how many are left for this member.
      expect(wrong.headers.get("ratelimit")).toContain(`"sign_in_failures_member";r=${4 - i};t=900`);
    }
    const refused = await verify(call, freshIp(), tenant.creatorId, email, code);
    expectLimited(refused, "sign_in_failures_member", 5, 900);
    // The email is compared trimmed and lower-cased, so its case is not another counter.
    expectLimited(
      await verify(call, freshIp(), tenant.creatorId, email.toUpperCase(), code),
      "sign_in_failures_member",
      5,
      900,
    );

    advance(15 * MINUTE);
    const ip = freshIp();
    expect(
      (await call("POST", "/v1/sign-in/email", { ip, body: { creator_id: tenant.creatorId, email } })).status,
    ).toBe(202);
    const signedIn = await verify(call, ip, tenant.creatorId, email, await mailedCode(email));
    expect(signedIn.status, JSON.stringify(signedIn.body)).toBe(200);
  });

  it("one address guessing across many members: 429 after the per-IP limit, other addresses unaffected", async () => {
    const { call } = worker({ sign_in_failures_ip: { limit: 3, windowSeconds: 900 } });
    const ip = freshIp();
    const targets = await Promise.all(Array.from({ length: 4 }, member));
    for (const { tenant, email } of targets.slice(0, 3)) {
      expect((await verify(call, ip, tenant.creatorId, email, "AAAA-AAAA")).status).toBe(401);
    }
    const fourth = targets[3];
    if (fourth === undefined) throw new Error("no target");
    expectLimited(
      await verify(call, ip, fourth.tenant.creatorId, fourth.email, "AAAA-AAAA"),
      "sign_in_failures_ip",
      3,
      900,
    );
    expect((await verify(call, freshIp(), fourth.tenant.creatorId, fourth.email, "AAAA-AAAA")).status).toBe(
      401,
    );
  });

  it("a refused attempt is not counted as a failure, so the member is not locked out for longer", async () => {
    const { tenant, email } = await member();
    const { call, advance } = worker({ sign_in_failures_member: { limit: 2, windowSeconds: 60 } });
    for (let i = 0; i < 2; i++)
      expect((await verify(call, freshIp(), tenant.creatorId, email, "AAAA-AAAA")).status).toBe(401);
    advance(30_000);
    for (let i = 0; i < 10; i++) {
      const res = await verify(call, freshIp(), tenant.creatorId, email, "AAAA-AAAA");
      expect(expectLimited(res, "sign_in_failures_member", 2, 60)).toBe(30);
    }
    advance(30_000);
    expect((await verify(call, freshIp(), tenant.creatorId, email, "AAAA-AAAA")).status).toBe(401);
  });
});

describe("layer 2: quotes per buyer per minute", () => {
  it("counts each buyer's quotes with the headers, refuses past the limit, and reopens after the minute", async () => {
    const tenant = await createTenant("Quote Counter");
    const offer = await createOffer(tenant, oneTimeOffer());
    const { call, advance } = worker({ quotes: { limit: 3, windowSeconds: 60 } });
    const ip = freshIp();
    const quoteAs = (buyer: string) =>
      call("POST", "/v1/quotes", { ip, headers: { "buyer-id": buyer }, body: { offer_id: offer.id } });
    for (const remaining of [2, 1, 0]) {
      const res = await quoteAs("buyer-aaaa-1");
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.headers.get("ratelimit")).toBe(`"quotes";r=${remaining};t=60`);
    }
    expectLimited(await quoteAs("buyer-aaaa-1"), "quotes", 3, 60);
    expect((await quoteAs("buyer-bbbb-2")).status).toBe(201);
    advance(MINUTE);
    expect((await quoteAs("buyer-aaaa-1")).status).toBe(201);
  });
});

describe("the counter object", () => {
  const counter = (key: string) => env.RATE_COUNTER.get(env.RATE_COUNTER.idFromName(key));
  const rows = (stub: ReturnType<typeof counter>) =>
    runInDurableObject(stub, (_instance, state) =>
      state.storage.sql.exec<{ policy: string }>("SELECT policy FROM windows").toArray(),
    );

  it("a key that stops calling leaves nothing behind once its windows end", async () => {
    const stub = counter(`test:${crypto.randomUUID()}`);
    const ended = Date.now() - 2 * MINUTE;
    await stub.hit("sign_in_failures_ip", 5, MINUTE, { now: ended, durable: true });
    await stub.hit("refresh_failures_ip", 5, 10 * MINUTE, { now: Date.now(), durable: true });
    expect((await rows(stub)).map((r) => r.policy).sort()).toEqual([
      "refresh_failures_ip",
      "sign_in_failures_ip",
    ]);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    // The ended window is gone; the live one stays, with an alarm for when it ends.
    expect((await rows(stub)).map((r) => r.policy)).toEqual(["refresh_failures_ip"]);
    const alarm = await runInDurableObject(stub, (_instance, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
  });

  it("stores a failure count, so eviction cannot reset it, and keeps a quote count only in memory", async () => {
    const key = `test:${crypto.randomUUID()}`;
    const now = Date.now();
    await counter(key).hit("refresh_failures_ip", 2, MINUTE, { now, durable: true });
    await counter(key).hit("quotes", 2, MINUTE, { now, durable: false });
    // What a fresh instance would load: only the durable window is in storage.
    expect((await rows(counter(key))).map((r) => r.policy)).toEqual(["refresh_failures_ip"]);
  });
});
