import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api } from "../../support/api";
import { expectInvariants, inventoryOf, liveDrop, reserveVia, uniqueKey } from "../../support/drops";
import { createTenant, tableCounts } from "../../support/tenants";

/**
 * Whether the runtime knows this name's object at all. Locally this lists every object ever
 * instantiated, storage or not, so an object nothing called is absent.
 */
async function stored(dropId: string): Promise<boolean> {
  const { listDurableObjectIds } = await import("cloudflare:test");
  const id = env.DROP_INVENTORY.idFromName(dropId).toString();
  return (await listDurableObjectIds(env.DROP_INVENTORY)).some((known) => known.toString() === id);
}

/** Whether this name's object is running now; eviction rejects when nothing ever called it. */
async function running(dropId: string): Promise<boolean> {
  const { evictDurableObject } = await import("cloudflare:test");
  return evictDurableObject(inventoryOf(dropId)).then(
    () => true,
    () => false,
  );
}

const madeUp = () => `drp_madeup_${uniqueKey("x").replace(/-/g, "_")}`;
const problem = { type: "https://creator-commerce.dev/problems/not-found" };

describe("bad-input: drop ids", () => {
  it("a made-up drp_ id on the public stock and hold routes answers 404 problem+json and creates no object", async () => {
    const dropId = madeUp();
    const buyer = { "buyer-id": "buyer-made-up-id" };
    const before = await tableCounts();
    const answers = [
      await api("GET", `/v1/drops/${dropId}/stock`),
      await reserveVia(dropId, { buyer: "buyer-made-up-id" }),
      await api("GET", `/v1/drops/${dropId}/holds/hld_nothing`, { headers: buyer }),
      await api("DELETE", `/v1/drops/${dropId}/holds/hld_nothing`, { headers: buyer }),
    ];
    for (const res of answers) {
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject(problem);
    }
    expect(await running(dropId)).toBe(false);
    expect(await stored(dropId)).toBe(false);
    expect(await tableCounts()).toEqual(before);
    // The same probes see a real drop's object: they can tell.
    const real = await liveDrop(await createTenant(), { stock: 1 });
    expect((await api("GET", `/v1/drops/${real}/stock`)).status).toBe(200);
    expect([await stored(real), await running(real)]).toEqual([true, true]);
  });

  it("an object addressed by an id no drop has, even directly, writes no storage", async () => {
    const dropId = madeUp();
    const stub = inventoryOf(dropId);
    expect(await stub.snapshot()).toBeNull();
    expect(await stub.hold("hld_nothing", "anon:someone")).toBeNull();
    expect(
      await stub.reserve({ buyer: "anon:b", quantity: 1, allowPartial: false, idempotencyKey: "k" }),
    ).toEqual({ ok: false, reason: "unconfigured" });
    expect(await stub.footprint()).toEqual({ stored: {}, live: 0, buyers: 0, expiries: 0 });
    const { runInDurableObject } = await import("cloudflare:test");
    const written = await runInDurableObject(stub, async (_instance, state) => ({
      tables: state.storage.sql
        .exec("SELECT name FROM sqlite_master WHERE name IN ('terms', 'holds')")
        .toArray(),
      alarm: await state.storage.getAlarm(),
    }));
    expect(written).toEqual({ tables: [], alarm: null });
  });

  it("a hold of one creator's drop named under another creator's drop reads 404 and releases nothing", async () => {
    const ours = await liveDrop(await createTenant(), { stock: 2 });
    const theirs = await liveDrop(await createTenant(), { stock: 2 });
    const buyer = `cross-drop-${uniqueKey()}`;
    const hold = await reserveVia(ours, { buyer });
    expect(hold.status).toBe(201);
    const headers = { "buyer-id": buyer };
    const read = await api("GET", `/v1/drops/${theirs}/holds/${hold.body.id}`, { headers });
    const released = await api("DELETE", `/v1/drops/${theirs}/holds/${hold.body.id}`, { headers });
    for (const res of [read, released]) expect(res).toMatchObject({ status: 404, body: problem });
    expect(await expectInvariants(ours)).toMatchObject({ held: 1, available: 1 });
    expect(await expectInvariants(theirs)).toMatchObject({ held: 0, available: 2 });
    expect((await inventoryOf(theirs).footprint()).stored).toEqual({});
    // The stock route is public for every drop by design: counts and phase, nothing of the creator.
    const stock = await api("GET", `/v1/drops/${theirs}/stock`);
    expect(Object.keys(stock.body).sort()).toEqual(
      [
        "as_of",
        "available",
        "drop_id",
        "held",
        "holds_total",
        "object",
        "phase",
        "queue",
        "releases_total",
        "seq",
        "sold",
        "stock",
      ].sort(),
    );
  });
});
