import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { drops } from "../../src/db/schema";
import { updateDrop } from "../../src/drops/verbs";
import { api } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { createDrop, createOffer, membershipTier, oneTimeOffer } from "../support/fixtures";
import { createTenant, db, racingContext, tableCounts } from "../support/tenants";

const hour = 60 * 60 * 1000;
const iso = (offsetMs: number) => new Date(Date.now() + offsetMs).toISOString();

describe("POST /v1/drops", () => {
  it("creates a live drop starting now with the default hold TTL", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const res = await api("POST", "/v1/drops", {
      key: tenant.key,
      body: { offer_id: offer.id, stock: 100, per_buyer_limit: 2 },
    });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "drop",
      offer_id: offer.id,
      title: offer.title,
      stock: 100,
      per_buyer_limit: 2,
      hold_ttl_seconds: 300,
      state: "open",
      phase: "live",
      ends_at: null,
      closed_at: null,
    });
    expect((await api("GET", `/v1/drops/${res.body.id}`, { key: tenant.key })).body).toMatchObject({
      id: res.body.id,
    });
  });

  it("stores times in UTC whatever offset they were sent with, and reports an upcoming phase", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const res = await api("POST", "/v1/drops", {
      key: tenant.key,
      body: {
        offer_id: offer.id,
        stock: 5,
        starts_at: "2099-06-01T20:00:00+02:00",
        ends_at: "2099-06-01T21:00:00+02:00",
      },
    });
    expect(res.body).toMatchObject({
      starts_at: "2099-06-01T18:00:00.000Z",
      ends_at: "2099-06-01T19:00:00.000Z",
      phase: "upcoming",
    });
  });

  it("allows a capped run of a membership tier (founding members)", async () => {
    const tenant = await createTenant();
    const tier = await createOffer(tenant, membershipTier());
    const res = await api("POST", "/v1/drops", { key: tenant.key, body: { offer_id: tier.id, stock: 50 } });
    expect(res.status).toBe(201);
  });

  const badDrops: [string, (offerId: string) => unknown, number, string?][] = [
    ["a missing stock", (id) => ({ offer_id: id }), 422, "/stock"],
    ["a negative stock", (id) => ({ offer_id: id, stock: -1 }), 422, "/stock"],
    ["a fractional stock", (id) => ({ offer_id: id, stock: 1.5 }), 422, "/stock"],
    ["an unknown field", (id) => ({ offer_id: id, stock: 1, price: 5 }), 422, "/price"],
    [
      "a start that is not a date",
      (id) => ({ offer_id: id, stock: 1, starts_at: "tomorrow" }),
      422,
      "/starts_at",
    ],
    [
      "an end before the start",
      (id) => ({ offer_id: id, stock: 1, starts_at: iso(hour), ends_at: iso(0) }),
      422,
      "/ends_at",
    ],
    [
      "a per-buyer limit of zero",
      (id) => ({ offer_id: id, stock: 1, per_buyer_limit: 0 }),
      422,
      "/per_buyer_limit",
    ],
    [
      "a hold TTL under 30 s",
      (id) => ({ offer_id: id, stock: 1, hold_ttl_seconds: 5 }),
      422,
      "/hold_ttl_seconds",
    ],
    [
      "a hold TTL over an hour",
      (id) => ({ offer_id: id, stock: 1, hold_ttl_seconds: 3601 }),
      422,
      "/hold_ttl_seconds",
    ],
    ["an unknown offer", () => ({ offer_id: "off_missing", stock: 1 }), 422, "/offer_id"],
    ["65 shards", (id) => ({ offer_id: id, stock: 1, shards: 65 }), 422, "/shards"],
    [
      "both shards and an expected burst",
      (id) => ({ offer_id: id, stock: 1, shards: 2, expected_peak_rps: 900 }),
      422,
      "/expected_peak_rps",
    ],
    [
      "a queue admitting 0 a second",
      (id) => ({ offer_id: id, stock: 1, queue: { enabled: true, admit_per_second: 0 } }),
      422,
      "/queue/admit_per_second",
    ],
    [
      "an unknown buyer proof",
      (id) => ({ offer_id: id, stock: 1, buyer_proof: { mode: "captcha" } }),
      422,
      "/buyer_proof/mode",
    ],
    [
      "a proof of work of 40 bits (a buyer could never finish it)",
      (id) => ({ offer_id: id, stock: 1, buyer_proof: { mode: "pow", pow_difficulty: 40 } }),
      422,
      "/buyer_proof/pow_difficulty",
    ],
  ];

  it.each(badDrops)("refuses %s, writing nothing", async (_name, body, status, path) => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const before = await tableCounts();
    const res = await api("POST", "/v1/drops", { key: tenant.key, body: body(offer.id) });
    expect(res.status).toBe(status);
    expect(res.body.type).toBe("https://creator-commerce.dev/problems/validation-failed");
    if (path) expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await tableCounts()).toEqual(before);
  });

  it.each([
    [
      "a bundle",
      (tenant: Awaited<ReturnType<typeof createTenant>>) =>
        createOffer(tenant).then((c) =>
          createOffer(tenant, oneTimeOffer({ kind: "bundle", components: [{ offer_id: c.id }] })),
        ),
    ],
    [
      "an archived offer",
      async (tenant: Awaited<ReturnType<typeof createTenant>>) => {
        const offer = await createOffer(tenant);
        await api("PATCH", `/v1/offers/${offer.id}`, { key: tenant.key, body: { status: "archived" } });
        return offer;
      },
    ],
    ["another creator's offer", () => createTenant("Stranger").then((s) => createOffer(s))],
  ])("refuses a drop of %s with 422", async (_name, makeOffer) => {
    const tenant = await createTenant();
    const offer = await makeOffer(tenant);
    const before = await tableCounts();
    const res = await api("POST", "/v1/drops", { key: tenant.key, body: { offer_id: offer.id, stock: 1 } });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ path: "/offer_id" });
    expect(await tableCounts()).toEqual(before);
  });
});

describe("a drop's stampede settings", () => {
  it("defaults to one shard, no queue and no buyer proof", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 5 });
    const res = await api("GET", `/v1/drops/${drop.id}`, { key: tenant.key });
    expect(res.body).toMatchObject({
      shards: 1,
      queue: { enabled: false, admit_per_second: null },
      buyer_proof: { mode: "none", pow_difficulty: null },
    });
  });

  it.each([
    [{ shards: 8 }, 8],
    [{ expected_peak_rps: 1000 }, 4],
    [{ expected_peak_rps: 50 }, 1],
    [{ expected_peak_rps: 1_000_000 }, 64],
  ])("derives the shard count from %o", async (sizing, shards) => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const res = await api("POST", "/v1/drops", {
      key: tenant.key,
      body: { offer_id: offer.id, stock: 10, ...sizing },
    });
    expect(res.status).toBe(201);
    expect(res.body.shards).toBe(shards);
  });

  it("turns the queue and proof of work on with a PATCH; the shard count cannot change", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 5 });
    const on = await api("PATCH", `/v1/drops/${drop.id}`, {
      key: tenant.key,
      body: { queue: { enabled: true, admit_per_second: 5 }, buyer_proof: { mode: "pow" } },
    });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({
      queue: { enabled: true, admit_per_second: 5 },
      buyer_proof: { mode: "pow", pow_difficulty: 18 },
    });
    const reshard = await api("PATCH", `/v1/drops/${drop.id}`, { key: tenant.key, body: { shards: 4 } });
    expect(reshard.status).toBe(422);
    expect(reshard.body.errors).toEqual([
      expect.objectContaining({ path: "/shards", message: "Unknown field" }),
    ]);
    expect((await api("GET", `/v1/drops/${drop.id}`, { key: tenant.key })).body.shards).toBe(1);
  });
});

describe("PATCH /v1/drops/{id}", () => {
  it("changes stock and the per-buyer limit", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant);
    const res = await api("PATCH", `/v1/drops/${drop.id}`, {
      key: tenant.key,
      body: { stock: 150, per_buyer_limit: null },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ stock: 150, per_buyer_limit: null });
  });

  it("closes a drop early, after which it cannot change", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant);
    const closed = await api("PATCH", `/v1/drops/${drop.id}`, { key: tenant.key, body: { state: "closed" } });
    expect(closed.body).toMatchObject({ state: "closed", phase: "closed" });
    expect(closed.body.closed_at).not.toBeNull();
    const before = await tableCounts();
    const again = await api("PATCH", `/v1/drops/${drop.id}`, { key: tenant.key, body: { stock: 1 } });
    expect(again.status).toBe(409);
    expect(again.body.type).toMatch(/conflict$/);
    expect(await tableCounts()).toEqual(before);
  });

  it("lands nothing when the drop is closed between the check and the write, and answers 409", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant);
    // Another request closes the drop after our read and before our batch.
    const ctx = racingContext(tenant, () =>
      db.update(drops).set({ state: "closed", closedAt: Date.now() }).where(eq(drops.id, drop.id)),
    );
    const before = await tableCounts();
    await expect(updateDrop({ ctx, input: { id: drop.id, changes: { stock: 5 } } })).rejects.toMatchObject({
      code: "conflict",
    });
    expect(await tableCounts()).toEqual(before);
    const [row] = await db.select().from(drops).where(eq(drops.id, drop.id));
    expect(row).toMatchObject({ stock: 100, state: "closed" });
  });

  it.each([
    ["reopening", { state: "open" }, "/state"],
    ["an end before the existing start", { ends_at: "2000-01-01T00:00:00Z" }, "/ends_at"],
    ["a change of offer", { offer_id: "off_other" }, "/offer_id"],
  ])("refuses %s with 422", async (_name, body, path) => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant);
    const res = await api("PATCH", `/v1/drops/${drop.id}`, { key: tenant.key, body });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
  });
});

describe("GET /v1/drops", () => {
  it("lists the creator's drops and filters by offer", async () => {
    const tenant = await createTenant();
    const first = await createDrop(tenant);
    const second = await createDrop(tenant);
    const all = await api("GET", "/v1/drops", { key: tenant.key });
    expect(all.body.data.map((d: { id: string }) => d.id)).toEqual([second.id, first.id]);
    const one = await api("GET", `/v1/drops?offer_id=${first.offer_id}`, { key: tenant.key });
    expect(one.body.data.map((d: { id: string }) => d.id)).toEqual([first.id]);
  });

  it("answers 404 for an unknown drop", async () => {
    const tenant = await createTenant();
    expect((await api("GET", "/v1/drops/drp_missing", { key: tenant.key })).status).toBe(404);
    expect(
      (await api("PATCH", "/v1/drops/drp_missing", { key: tenant.key, body: { stock: 1 } })).status,
    ).toBe(404);
  });
});

authorisationSuite(
  "POST /v1/drops",
  async (owner) => {
    const offer = await createOffer(owner);
    return (key) => api("POST", "/v1/drops", { key, body: { offer_id: offer.id, stock: 1 } });
  },
  "rejected_reference",
);
authorisationSuite(
  "GET /v1/drops",
  async (owner) => {
    await createDrop(owner);
    return (key) => api("GET", "/v1/drops", { key });
  },
  "empty_list",
);
authorisationSuite("GET /v1/drops/{id}", async (owner) => {
  const drop = await createDrop(owner);
  return (key) => api("GET", `/v1/drops/${drop.id}`, { key });
});
authorisationSuite("PATCH /v1/drops/{id}", async (owner) => {
  const drop = await createDrop(owner);
  return (key) => api("PATCH", `/v1/drops/${drop.id}`, { key, body: { state: "closed" } });
});
