/**
 * D1 round trips on the pay paths, counted through a wrapper around the real binding (tests only). In
 * production every D1 call from an edge worker is a network hop to the database's region, so these
 * counts are the time to entitlement: a change that adds a sequential round trip fails here.
 * `sequential` counts calls that start while none is in flight (side-by-side calls share one).
 * The sandbox's own calls stand in for Stripe's API; they are counted too, and reported apart.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import type { Json } from "../support/api";
import { quotedDrop } from "../support/checkouts";
import { introspect, memberWithGrants, startSession } from "../support/entitlements";
import { countingD1 } from "../support/faults";
import { createOffer } from "../support/fixtures";
import { posDevice, posItem, signBatch } from "../support/pos";
import { createTenant } from "../support/tenants";

const app = buildApp();

/** One request through the real app with a counting D1 binding. */
async function counted(
  method: string,
  path: string,
  body: BodyInit | undefined,
  headers: Record<string, string>,
) {
  const d1 = countingD1(env.DB);
  const res = await app.fetch(new Request(`http://api.test${path}`, { method, headers, body }), {
    ...env,
    DB: d1.binding,
  });
  const text = await res.text();
  const json: Json = text.length > 0 ? JSON.parse(text) : null;
  return { status: res.status, body: json, seen: d1.seen };
}

const json = { "content-type": "application/json" };
const email = () => `fan-${crypto.randomUUID()}@example.test`;

async function anonymousCheckout() {
  const tenant = await createTenant();
  const buyerId = crypto.randomUUID();
  const { drop, quote } = await quotedDrop(tenant, buyerId);
  // Warm the isolate's caches (the gateway's known drops, cohort rules) as production traffic would.
  const res = await counted(
    "POST",
    "/v1/checkouts",
    JSON.stringify({ quote: quote.token, email: email(), payment_method: "4242424242424242" }),
    { ...json, "buyer-id": buyerId, "idempotency-key": `chk-${crypto.randomUUID()}` },
  );
  return { tenant, drop, res };
}

describe("round trips on the pay path", () => {
  it("a sandbox checkout from create to paid makes at most 5 sequential D1 round trips and answers with the token", async () => {
    const { tenant, res } = await anonymousCheckout();
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.status).toBe("paid");
    expect(res.seen.sequential, res.seen.queries.join("\n")).toBeLessThanOrEqual(5);
    // Ours alone: the claim with every read, the open batch, the paid batch.
    expect(res.seen.sequential - res.seen.provider, res.seen.queries.join("\n")).toBeLessThanOrEqual(3);
    const token = res.body.entitlement.token as string;
    const checked = await introspect(token, tenant.creatorId);
    expect(checked.status).toBe(200);
    expect(checked.body).toMatchObject({ active: true, scope: "purchase" });
  });

  it("a signed-in member's checkout adds only the token's own check, and answers with a session", async () => {
    const tenant = await createTenant();
    const { memberId } = await memberWithGrants(tenant, 1);
    const session = await startSession(tenant, memberId);
    const offer = await createOffer(tenant, {
      kind: "one_time",
      title: "Zine",
      prices: [{ currency: "USD", amount: 700 }],
    });
    const quoted = await app.fetch(
      new Request("http://api.test/v1/quotes", {
        method: "POST",
        headers: json,
        body: JSON.stringify({ offer_id: offer.id, member_token: session.token }),
      }),
      env,
    );
    const quote = (await quoted.json()) as Json;
    const res = await counted(
      "POST",
      "/v1/checkouts",
      JSON.stringify({
        quote: quote.token,
        email: email(),
        member_token: session.token,
        payment_method: "4242424242424242",
      }),
      { ...json, "idempotency-key": `chk-${crypto.randomUUID()}` },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.status).toBe("paid");
    expect(res.body.entitlement.entitlements).toHaveLength(2);
    expect(res.body.entitlement.refresh_token).toEqual(expect.any(String));
    expect(res.seen.sequential - res.seen.provider, res.seen.queries.join("\n")).toBeLessThanOrEqual(4);
  });

  it("completing 3-D Secure through confirm lands paid in 4 sequential round trips, with the token", async () => {
    const tenant = await createTenant();
    const buyerId = crypto.randomUUID();
    const { quote } = await quotedDrop(tenant, buyerId);
    const created = await counted(
      "POST",
      "/v1/checkouts",
      JSON.stringify({ quote: quote.token, email: email(), payment_method: "4000002760003184" }),
      { ...json, "buyer-id": buyerId, "idempotency-key": `chk-${crypto.randomUUID()}` },
    );
    expect(created.body.status).toBe("requires_action");
    const res = await counted("POST", `/v1/checkouts/${created.body.id}/confirm`, "{}", {
      ...json,
      "checkout-secret": created.body.secret,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.status).toBe("paid");
    expect(res.body.entitlement.token).toEqual(expect.any(String));
    // The checkout; the sandbox's read with the facts beside it; the sandbox's move; the paid batch.
    expect(res.seen.sequential, res.seen.queries.join("\n")).toBeLessThanOrEqual(4);
  });

  it("reading a paid checkout with its token takes 2 round trips", async () => {
    const { res } = await anonymousCheckout();
    const read = await counted("GET", `/v1/checkouts/${res.body.id}`, undefined, {
      "checkout-secret": res.body.secret,
    });
    expect(read.status).toBe(200);
    expect(read.body.entitlement.token).toEqual(expect.any(String));
    expect(read.seen.sequential, read.seen.queries.join("\n")).toBeLessThanOrEqual(2);
  });

  it("a token refresh takes at most 2 round trips", async () => {
    const tenant = await createTenant();
    const { memberId } = await memberWithGrants(tenant, 2);
    const session = await startSession(tenant, memberId);
    const res = await counted(
      "POST",
      "/v1/entitlements/token",
      JSON.stringify({ refresh_token: session.refresh_token }),
      json,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.entitlements).toHaveLength(2);
    expect(res.seen.sequential, res.seen.queries.join("\n")).toBeLessThanOrEqual(2);
  });

  it("a 1-item POS reconcile takes at most 3 round trips", async () => {
    const tenant = await createTenant();
    const device = await posDevice(tenant);
    const offer = await createOffer(tenant, {
      kind: "one_time",
      title: "Tote",
      prices: [{ currency: "USD", amount: 500 }],
    });
    const jws = await signBatch(device, {
      batch_id: crypto.randomUUID(),
      signed_at: new Date().toISOString(),
      event: "spring-market",
      items: [posItem(offer.id)],
    });
    const res = await counted("POST", "/v1/pos/reconcile", jws, { "content-type": "application/jose" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.seen.sequential, res.seen.queries.join("\n")).toBeLessThanOrEqual(3);
  });

  it("a POS drop item (from an allotment) and a 500-item batch take at most 3 round trips too", async () => {
    // Imported here: this file's imports are shared.
    const { createDrop } = await import("../support/fixtures");
    const { claimUnits } = await import("../support/pos");
    const tenant = await createTenant();
    const device = await posDevice(tenant);
    const drop = await createDrop(tenant, { stock: 10 });
    const claim = await claimUnits(device, drop.id, 3);
    expect(claim.status).toBe(201);
    const send = async (items: unknown[], extra: Record<string, unknown> = {}) =>
      counted(
        "POST",
        "/v1/pos/reconcile",
        await signBatch(device, {
          batch_id: crypto.randomUUID(),
          signed_at: new Date().toISOString(),
          items,
          ...extra,
        }),
        { "content-type": "application/jose" },
      );
    // The drop's object consumes the units between the reads and the landing batch: not D1.
    const sold = await send(
      [posItem(drop.offer_id, { allotment_id: claim.body.id, captured_at: new Date().toISOString() })],
      { release_allotments: [claim.body.id] },
    );
    expect(sold.status, JSON.stringify(sold.body)).toBe(200);
    expect(sold.body.results[0].status).toBe("accepted");
    expect(sold.body.released_allotments).toHaveLength(1);
    expect(sold.seen.sequential, sold.seen.queries.join("\n")).toBeLessThanOrEqual(3);
    const offer = await createOffer(tenant, {
      kind: "one_time",
      title: "Tote",
      prices: [{ currency: "USD", amount: 500 }],
    });
    const many = await send(Array.from({ length: 500 }, () => posItem(offer.id)));
    expect(many.status, JSON.stringify(many.body)).toBe(200);
    expect(many.body.results.filter((r: Json) => r.token !== undefined)).toHaveLength(500);
    expect(many.seen.sequential, many.seen.queries.join("\n")).toBeLessThanOrEqual(3);
  });
});
