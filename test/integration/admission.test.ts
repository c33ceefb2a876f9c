import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { signAdmission, verifyAdmission } from "../../src/admission/token";
import { readConfig } from "../../src/config";
import { drops } from "../../src/db/schema";
import { AppError } from "../../src/errors";
import { api } from "../support/api";
import { expectInvariants, inventoryOf, liveDrop, uniqueKey } from "../support/drops";
import { testQuoteKeys } from "../support/quotes";
import { createTenant, db } from "../support/tenants";

const PROBLEM = "https://creator-commerce.dev/problems/";
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();
const join = (dropId: string, buyer: string) =>
  api("POST", `/v1/drops/${dropId}/queue`, { headers: { "buyer-id": buyer } });
const read = (dropId: string, ticket: string, buyer: string) =>
  api("GET", `/v1/drops/${dropId}/queue/${ticket}`, { headers: { "buyer-id": buyer } });

describe("POST /v1/drops/{id}/queue", () => {
  it("gives a ticket with no position before the start, and the same ticket again (200)", async () => {
    const dropId = await liveDrop(await createTenant(), {
      stock: 5,
      starts_at: inAnHour(),
      queue: { enabled: true },
    });
    const buyer = uniqueKey("viewer");
    const first = await join(dropId, buyer);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({
      object: "queue_ticket",
      drop_id: dropId,
      status: "waiting",
      position: null,
      ahead: null,
      estimated_wait_seconds: null,
      admission_token: null,
      admission_expires_at: null,
    });
    expect(first.body.id).toMatch(/^qtk_/);
    const again = await join(dropId, buyer);
    expect(again).toMatchObject({ status: 200, body: { id: first.body.id } });
    const stock = await api("GET", `/v1/drops/${dropId}/stock`);
    expect(stock.body.queue).toEqual({
      state: "gathering",
      waiting: 1,
      admitted_through: 0,
      admit_per_second: 150,
    });
  });

  it("answers 409 queue-not-enabled on a drop without a queue", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5 });
    const res = await join(dropId, uniqueKey("viewer"));
    expect(res).toMatchObject({ status: 409, body: { type: `${PROBLEM}queue-not-enabled` } });
    expect((await api("GET", `/v1/drops/${dropId}/stock`)).body.queue).toBeNull();
  });

  it("answers 404 for a drop that does not exist, and 422 without a Buyer-Id", async () => {
    expect((await join("drp_nosuchdrop", uniqueKey("viewer"))).status).toBe(404);
    const dropId = await liveDrop(await createTenant(), { stock: 5, queue: { enabled: true } });
    expect((await api("POST", `/v1/drops/${dropId}/queue`)).status).toBe(422);
  });

  it("turns on with a PATCH: the drop's object hears of it", async () => {
    const tenant = await createTenant();
    const dropId = await liveDrop(tenant, { stock: 5, starts_at: inAnHour() });
    expect((await join(dropId, uniqueKey("viewer"))).status).toBe(409);
    const patched = await api("PATCH", `/v1/drops/${dropId}`, {
      key: tenant.key,
      body: { queue: { enabled: true, admit_per_second: 7 } },
    });
    expect(patched.status).toBe(200);
    expect((await join(dropId, uniqueKey("viewer"))).status).toBe(201);
    expect(await inventoryOf(dropId).snapshot()).toMatchObject({
      queue: { state: "gathering", admit_per_second: 7 },
    });
    await api("PATCH", `/v1/drops/${dropId}`, { key: tenant.key, body: { queue: { enabled: false } } });
    expect((await join(dropId, uniqueKey("viewer"))).status).toBe(409);
  });

  it("heals an object that missed the queue's settings from D1", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5, starts_at: inAnHour() });
    // The push after a PATCH was lost: D1 says the queue is on, the object never heard.
    await db.update(drops).set({ queueEnabled: true }).where(eq(drops.id, dropId));
    expect((await join(dropId, uniqueKey("viewer"))).status).toBe(201);
  });
});

describe("GET /v1/drops/{id}/queue/{ticketId}", () => {
  it("admits at the start and hands the admitted viewer a token that verifies for them alone", async () => {
    const dropId = await liveDrop(await createTenant(), {
      stock: 5,
      queue: { enabled: true, admit_per_second: 1000 },
    });
    const buyer = uniqueKey("viewer");
    const joined = await join(dropId, buyer);
    expect(joined).toMatchObject({ status: 201, body: { status: "admitted", position: 1 } });
    const res = await read(dropId, joined.body.id, buyer);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "admitted", position: 1 });
    const expiresAt = Date.parse(res.body.admission_expires_at);
    expect(expiresAt - Date.now()).toBeGreaterThan(100_000);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(120_000);
    const config = readConfig(env);
    await expect(verifyAdmission(config, res.body.admission_token, dropId, `anon:${buyer}`)).resolves.toEqual(
      {
        ticketId: joined.body.id,
      },
    );
    expect(await inventoryOf(dropId).snapshot()).toMatchObject({
      queue: { state: "admitting", admitted_through: 1 },
    });
  });

  it("admits on its own alarm as the rate allows, and bumps the stream's seq with each admission", async () => {
    const { runInDurableObject } = await import("cloudflare:test");
    const dropId = await liveDrop(await createTenant(), {
      stock: 5,
      queue: { enabled: true, admit_per_second: 1 },
    });
    const stub = inventoryOf(dropId);
    const tickets = [];
    for (const buyer of ["v1-viewer", "v2-viewer", "v3-viewer"])
      tickets.push((await join(dropId, buyer)).body);
    // Read storage directly: a read through the object would itself bring the queue to now.
    const stored = () =>
      runInDurableObject(stub, (_i, state) => ({
        seq: Number(state.storage.sql.exec("SELECT seq FROM stream_version").one().seq),
        through: Number(
          state.storage.sql.exec("SELECT admitted_through FROM queue_settings").one().admitted_through,
        ),
      }));
    const before = await stored();
    await new Promise((resolve) => setTimeout(resolve, 2300));
    const after = await stored();
    expect(after.through).toBeGreaterThan(before.through);
    expect(after.seq).toBeGreaterThan(before.seq);
    expect(after.through).toBeLessThanOrEqual(3);
  });

  it("wakes at a start moved earlier, shuffles and admits with nobody asking", async () => {
    const { runInDurableObject } = await import("cloudflare:test");
    const tenant = await createTenant();
    const dropId = await liveDrop(tenant, { stock: 5, starts_at: inAnHour(), queue: { enabled: true } });
    for (const buyer of ["w1-viewer", "w2-viewer"]) expect((await join(dropId, buyer)).status).toBe(201);
    const soon = new Date(Date.now() + 800).toISOString();
    expect(
      (await api("PATCH", `/v1/drops/${dropId}`, { key: tenant.key, body: { starts_at: soon } })).status,
    ).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const progress = await runInDurableObject(inventoryOf(dropId), (_i, state) =>
      state.storage.sql.exec("SELECT shuffled, admitted_through FROM queue_settings").one(),
    );
    expect(progress).toEqual({ shuffled: 1, admitted_through: 2 });
  });

  it("shows another buyer's ticket to nobody else: 404", async () => {
    const dropId = await liveDrop(await createTenant(), { stock: 5, queue: { enabled: true } });
    const mine = await join(dropId, uniqueKey("viewer"));
    expect((await read(dropId, mine.body.id, uniqueKey("other"))).status).toBe(404);
    expect((await read(dropId, "qtk_nosuchticket", uniqueKey("other"))).status).toBe(404);
  });

  it("marks the admission used when its buyer holds, so it speaks for nothing more", async () => {
    const dropId = await liveDrop(await createTenant(), {
      stock: 1,
      queue: { enabled: true, admit_per_second: 1000 },
    });
    const [a, b] = [uniqueKey("a"), uniqueKey("b")];
    const ta = await join(dropId, a);
    const tb = await join(dropId, b);
    const first =
      (await read(dropId, ta.body.id, a)).body.status === "admitted"
        ? { t: ta, buyer: a }
        : { t: tb, buyer: b };
    expect((await read(dropId, first.t.body.id, first.buyer)).body.status).toBe("admitted");
    const held = await inventoryOf(dropId).reserve({
      buyer: `anon:${first.buyer}`,
      quantity: 1,
      allowPartial: false,
      idempotencyKey: uniqueKey(),
    });
    expect(held.ok).toBe(true);
    expect((await read(dropId, first.t.body.id, first.buyer)).body.status).toBe("used");
    // The one unit is held and nothing is spoken for: the other viewer is told sold out.
    const other = first.buyer === a ? { t: tb, buyer: b } : { t: ta, buyer: a };
    expect((await read(dropId, other.t.body.id, other.buyer)).body).toMatchObject({ status: "sold_out" });
    expect(await expectInvariants(dropId)).toMatchObject({
      queue: { state: "sold_out", admitted_through: 1 },
    });
  });
});

describe("verifyAdmission", () => {
  const config = () => readConfig(env);
  const mint = async (o: Partial<{ dropId: string; buyerKey: string; expiresAt: number }> = {}) =>
    signAdmission(await testQuoteKeys(), {
      dropId: o.dropId ?? "drp_one",
      buyerKey: o.buyerKey ?? "anon:buyer-one",
      ticketId: "qtk_one",
      expiresAt: o.expiresAt ?? Date.now() + 60_000,
    });
  const refusal = async (token: string, dropId = "drp_one", buyerKey = "anon:buyer-one") => {
    const error = await verifyAdmission(config(), token, dropId, buyerKey).then(
      () => null,
      (e: unknown) => e,
    );
    return error instanceof AppError ? error.code : error;
  };

  it("accepts its own token for its drop and buyer", async () => {
    await expect(verifyAdmission(config(), await mint(), "drp_one", "anon:buyer-one")).resolves.toEqual({
      ticketId: "qtk_one",
    });
  });

  it.each([
    ["a missing token", async () => ""],
    [
      "a tampered payload",
      async () => {
        const [h, p, s] = (await mint()).split(".");
        const claims = JSON.parse(atob((p ?? "").replace(/-/g, "+").replace(/_/g, "/")));
        const forged = btoa(JSON.stringify({ ...claims, sub: "anon:scalper" }))
          .replace(/=+$/, "")
          .replace(/\+/g, "-")
          .replace(/\//g, "_");
        return `${h}.${forged}.${s}`;
      },
    ],
    [
      "a flipped signature character",
      async () => {
        const token = await mint();
        return `${token.slice(0, -2)}${token.at(-2) === "A" ? "B" : "A"}${token.at(-1)}`;
      },
    ],
    ["an expired token", async () => mint({ expiresAt: Date.now() - 1000 })],
    ["another buyer's token", async () => mint({ buyerKey: "anon:someone-else" })],
    ["another drop's token", async () => mint({ dropId: "drp_two" })],
    ["garbage", async () => "not.a.token"],
  ])("refuses %s with admission_required", async (_label, make) => {
    expect(await refusal(await make())).toBe("admission_required");
  });

  it("refuses a quote token passed off as an admission token", async () => {
    const { signQuote } = await import("../../src/quotes/token");
    const quote = await signQuote(await testQuoteKeys(), {
      id: "qte_x",
      creatorId: "drp_one",
      buyerKey: "anon:buyer-one",
      offerId: "off_x",
      dropId: "drp_one",
      drops: [{ dropId: "drp_one", quantity: 1 }],
      quantity: 1,
      currency: "USD",
      amount: 100,
      arm: null,
      coupon: null,
      upsellOf: null,
      lines: [],
      issuedAt: Date.now(),
      expiresAt: Date.now() + 60_000,
    });
    expect(await refusal(quote)).toBe("admission_required");
  });
});
