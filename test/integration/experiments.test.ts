import { asc, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { runBatch } from "../../src/db/client";
import { experimentArms, experiments, orders } from "../../src/db/schema";
import { startExperiment } from "../../src/experiments/verbs";
import { newId } from "../../src/lib/ids";
import { toArm } from "../../src/pricing/catalog";
import { api, type Json } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { createOffer, oneTimeOffer } from "../support/fixtures";
import { createTenant, db, racingContext, type Tenant, tableCounts } from "../support/tenants";

const twoArms = [
  { key: "control", weight: 1, adjustment: { type: "none" } },
  { key: "ten-off", weight: 1, adjustment: { type: "percent", percent: -10 } },
];
const body = (offerId: string, overrides: Record<string, unknown> = {}) => ({
  offer_id: offerId,
  name: "Poster price",
  arms: twoArms,
  ...overrides,
});

async function createExperiment(tenant: Tenant, overrides: Record<string, unknown> = {}): Promise<Json> {
  const offerId = (overrides.offer_id as string | undefined) ?? (await createOffer(tenant)).id;
  const res = await api("POST", "/v1/experiments", { key: tenant.key, body: body(offerId, overrides) });
  if (res.status !== 201) throw new Error(`experiment fixture refused: ${JSON.stringify(res.body)}`);
  return res.body;
}

const act = (tenant: Tenant, id: string, verb: "start" | "stop", options: { body?: unknown } = {}) =>
  api("POST", `/v1/experiments/${id}/${verb}`, { key: tenant.key, ...options });

describe("POST /v1/experiments", () => {
  it("creates a draft and stores each arm in the format the pricing catalog reads", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const before = await tableCounts();
    const arms = [
      { key: "control", weight: 2, adjustment: { type: "none" } },
      { key: "low", weight: 1, adjustment: { type: "percent", percent: -10 } },
      {
        key: "flat",
        weight: 1,
        adjustment: {
          type: "amount",
          amounts: [
            { currency: "USD", amount: -100 },
            { currency: "EUR", amount: -90 },
          ],
        },
      },
      { key: "dear", weight: 1, adjustment: { type: "percent", percent: 12.34 } },
    ];
    const res = await api("POST", "/v1/experiments", { key: tenant.key, body: body(offer.id, { arms }) });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ object: "experiment", offer_id: offer.id, status: "draft" });
    expect(res.body).toMatchObject({ started_at: null, stopped_at: null });
    expect(res.body.id).toMatch(/^exp_/);
    // Amounts come back sorted by currency, as offer prices do.
    expect(res.body.arms[2].adjustment.amounts).toEqual([
      { currency: "EUR", amount: -90 },
      { currency: "USD", amount: -100 },
    ]);
    expect(res.body.arms.map((a: Json) => a.adjustment.percent)).toEqual([undefined, -10, undefined, 12.34]);
    expect((await api("GET", `/v1/experiments/${res.body.id}`, { key: tenant.key })).body).toEqual(res.body);

    const rows = await db
      .select()
      .from(experimentArms)
      .where(eq(experimentArms.experimentId, res.body.id))
      .orderBy(asc(experimentArms.position));
    expect(rows.map(({ experimentId: _, ...r }) => r)).toEqual([
      { key: "control", weight: 2, adjustmentKind: "none", percentBps: null, amounts: null, position: 0 },
      { key: "low", weight: 1, adjustmentKind: "percent", percentBps: -1000, amounts: null, position: 1 },
      {
        key: "flat",
        weight: 1,
        adjustmentKind: "amount",
        percentBps: null,
        amounts: '{"USD":-100,"EUR":-90}',
        position: 2,
      },
      { key: "dear", weight: 1, adjustmentKind: "percent", percentBps: 1234, amounts: null, position: 3 },
    ]);
    expect(rows.map(toArm).map((a) => a.adjustment)).toEqual([
      { kind: "none" },
      { kind: "percent", bps: -1000 },
      { kind: "amount", amounts: { USD: -100, EUR: -90 } },
      { kind: "percent", bps: 1234 },
    ]);
    const after = await tableCounts();
    expect(after.experiments).toBe((before.experiments ?? 0) + 1);
    expect(after.experiment_arms).toBe((before.experiment_arms ?? 0) + 4);
    expect(after.audit_events).toBe((before.audit_events ?? 0) + 1);
  });

  it("replays the first response for the same Idempotency-Key, creating one experiment", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const send = () =>
      api("POST", "/v1/experiments", {
        key: tenant.key,
        body: body(offer.id),
        headers: { "idempotency-key": "exp-1" },
      });
    const first = await send();
    const before = await tableCounts();
    const second = await send();
    expect(second).toMatchObject({ status: 201, body: first.body });
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await tableCounts()).toEqual(before);
  });

  const arm = (key: string, adjustment: unknown, weight: unknown = 1) => ({ key, weight, adjustment });
  const amountArm = (currency: string, amount: unknown) =>
    arm("flat", { type: "amount", amounts: [{ currency, amount }] });
  const withArm = (extra: unknown) => ({ arms: [twoArms[0], extra] });
  const badCreates: [string, Record<string, unknown>, string][] = [
    ["one arm only", { arms: [twoArms[0]] }, "/arms"],
    ["eleven arms", { arms: Array.from({ length: 11 }, (_, i) => arm(`a${i}`, { type: "none" })) }, "/arms"],
    ["duplicate arm keys", withArm(arm("control", { type: "none" })), "/arms/1/key"],
    ["an upper-case arm key", withArm(arm("Low", { type: "none" })), "/arms/1/key"],
    ["a zero weight", withArm(arm("low", { type: "none" }, 0)), "/arms/1/weight"],
    ["a fractional weight", withArm(arm("low", { type: "none" }, 1.5)), "/arms/1/weight"],
    ["half a yen", withArm(amountArm("JPY", 0.5)), "/arms/1/adjustment/amounts/0/amount"],
    ["KWD off the charge step", withArm(amountArm("KWD", 5)), "/arms/1/adjustment/amounts/0/amount"],
    [
      "a currency that is not ISO 4217",
      withArm(amountArm("QQQ", -1)),
      "/arms/1/adjustment/amounts/0/currency",
    ],
    [
      "a currency listed twice",
      withArm(
        arm("flat", {
          type: "amount",
          amounts: [
            { currency: "USD", amount: -1 },
            { currency: "USD", amount: -2 },
          ],
        }),
      ),
      "/arms/1/adjustment/amounts/1/currency",
    ],
    [
      "a percent with three decimals",
      withArm(arm("x", { type: "percent", percent: -10.005 })),
      "/arms/1/adjustment/percent",
    ],
    [
      "a percent below -90",
      withArm(arm("x", { type: "percent", percent: -90.01 })),
      "/arms/1/adjustment/percent",
    ],
    [
      "a percent above 200",
      withArm(arm("x", { type: "percent", percent: 200.01 })),
      "/arms/1/adjustment/percent",
    ],
    [
      "a percent arm with amounts",
      withArm(arm("x", { type: "percent", percent: 5, amounts: [] })),
      "/arms/1/adjustment/amounts",
    ],
    ["an unknown adjustment type", withArm(arm("x", { type: "free" })), "/arms/1/adjustment/type"],
    ["an unknown field", { colour: "red" }, "/colour"],
    ["an unknown field in an arm", withArm({ ...arm("x", { type: "none" }), label: "X" }), "/arms/1/label"],
    ["an empty name", { name: " " }, "/name"],
    ["a name over 100 characters", { name: "n".repeat(101) }, "/name"],
    ["an unknown offer", { offer_id: "off_missing" }, "/offer_id"],
  ];

  it.each(badCreates)("refuses %s with 422, writing nothing", async (_name, overrides, path) => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const before = await tableCounts();
    const res = await api("POST", "/v1/experiments", { key: tenant.key, body: body(offer.id, overrides) });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: Json) => e.path)).toContain(path);
    expect(await tableCounts()).toEqual(before);
  });

  it.each([
    ["another creator's offer", "No such offer"],
    ["an archived offer", "The offer is archived"],
  ])("refuses %s at /offer_id, writing nothing", async (name, message) => {
    const tenant = await createTenant();
    const owner = name.startsWith("another") ? await createTenant("Stranger") : tenant;
    const offer = await createOffer(owner);
    if (name.endsWith("archived offer"))
      await api("PATCH", `/v1/offers/${offer.id}`, { key: tenant.key, body: { status: "archived" } });
    const before = await tableCounts();
    const res = await api("POST", "/v1/experiments", { key: tenant.key, body: body(offer.id) });
    expect(res.status).toBe(422);
    expect(res.body.errors).toEqual([{ in: "body", path: "/offer_id", message }]);
    expect(await tableCounts()).toEqual(before);
  });
});

describe("GET /v1/experiments", () => {
  it("pages newest first and filters by offer", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const created: string[] = [];
    for (let i = 0; i < 3; i++) created.push((await createExperiment(tenant, { offer_id: offer.id })).id);
    const other = await createExperiment(tenant);
    const first = await api("GET", "/v1/experiments?limit=2", { key: tenant.key });
    expect(first.body.data.map((e: Json) => e.id)).toEqual([other.id, created[2]]);
    const second = await api("GET", `/v1/experiments?limit=2&cursor=${first.body.next_cursor}`, {
      key: tenant.key,
    });
    expect(second.body).toMatchObject({ has_more: false, next_cursor: null });
    expect(second.body.data.map((e: Json) => e.id)).toEqual([created[1], created[0]]);
    expect(second.body.data[0].arms).toHaveLength(2);
    const filtered = await api("GET", `/v1/experiments?offer_id=${offer.id}`, { key: tenant.key });
    expect(filtered.body.data.map((e: Json) => e.id)).toEqual([...created].reverse());
  });

  it.each([
    ["a limit over the maximum", "?limit=101", "/limit"],
    ["a cursor this API did not issue", "?cursor=bm90LWEtY3Vyc29y", "/cursor"],
  ])("refuses %s with 422", async (_name, query, path) => {
    const tenant = await createTenant();
    const res = await api("GET", `/v1/experiments${query}`, { key: tenant.key });
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ in: "query", path });
  });
});

describe("experiment lifecycle", () => {
  it("goes draft → running → stopped, each step audited", async () => {
    const tenant = await createTenant();
    const experiment = await createExperiment(tenant);
    const before = await tableCounts();
    const started = await act(tenant, experiment.id, "start");
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ status: "running", stopped_at: null, arms: experiment.arms });
    expect(Date.parse(started.body.started_at)).toBeGreaterThan(0);
    const stopped = await act(tenant, experiment.id, "stop", { body: {} });
    expect(stopped.body).toMatchObject({ status: "stopped", started_at: started.body.started_at });
    expect(Date.parse(stopped.body.stopped_at)).toBeGreaterThanOrEqual(Date.parse(started.body.started_at));
    expect((await api("GET", `/v1/experiments/${experiment.id}`, { key: tenant.key })).body).toEqual(
      stopped.body,
    );
    expect((await tableCounts()).audit_events).toBe((before.audit_events ?? 0) + 2);
  });

  it("refuses to start a running or stopped experiment, or to stop a stopped one (409, nothing written)", async () => {
    const tenant = await createTenant();
    const experiment = await createExperiment(tenant);
    await act(tenant, experiment.id, "start");
    const whileRunning = await tableCounts();
    const again = await act(tenant, experiment.id, "start");
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/already running/);
    expect(await tableCounts()).toEqual(whileRunning);
    await act(tenant, experiment.id, "stop");
    const before = await tableCounts();
    for (const verb of ["start", "stop"] as const) {
      const res = await act(tenant, experiment.id, verb);
      expect(res.status).toBe(409);
      expect(res.body.detail).toMatch(/stopped/);
    }
    expect(await tableCounts()).toEqual(before);
  });

  it("stops a draft for good", async () => {
    const tenant = await createTenant();
    const experiment = await createExperiment(tenant);
    const stopped = await act(tenant, experiment.id, "stop");
    expect(stopped.body).toMatchObject({ status: "stopped", started_at: null });
    expect((await act(tenant, experiment.id, "start")).status).toBe(409);
  });

  it("runs one experiment per offer: a second start answers 409 naming the running one", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const first = await createExperiment(tenant, { offer_id: offer.id });
    const second = await createExperiment(tenant, { offer_id: offer.id });
    const elsewhere = await createExperiment(tenant);
    await act(tenant, first.id, "start");
    const before = await tableCounts();
    const refused = await act(tenant, second.id, "start");
    expect(refused.status).toBe(409);
    expect(refused.body.detail).toContain(first.id);
    expect(await tableCounts()).toEqual(before);
    expect((await act(tenant, elsewhere.id, "start")).status).toBe(200);
    await act(tenant, first.id, "stop");
    expect((await act(tenant, second.id, "start")).body.status).toBe("running");
  });

  it("starts exactly one of several drafts on one offer started at once", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const drafts = [];
    for (let i = 0; i < 4; i++) drafts.push(await createExperiment(tenant, { offer_id: offer.id }));
    const results = await Promise.all(drafts.map((d) => act(tenant, d.id, "start")));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409, 409, 409]);
    const winner = results.find((r) => r.status === 200)?.body.id;
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.detail).toContain(winner);
    const running = await db.select().from(experiments).where(eq(experiments.offerId, offer.id));
    expect(running.filter((e) => e.status === "running").map((e) => e.id)).toEqual([winner]);
  });

  it("answers 409 naming the rival when another start lands between the checks and the batch", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const mine = await createExperiment(tenant, { offer_id: offer.id });
    const rival = await createExperiment(tenant, { offer_id: offer.id });
    const ctx = racingContext(tenant, () =>
      db.update(experiments).set({ status: "running" }).where(eq(experiments.id, rival.id)),
    );
    await expect(startExperiment({ ctx, input: { id: mine.id } })).rejects.toMatchObject({
      code: "conflict",
      detail: expect.stringContaining(rival.id),
    });
    const [row] = await db.select().from(experiments).where(eq(experiments.id, mine.id));
    expect(row?.status).toBe("draft");
  });

  it("refuses to start an experiment whose offer was archived", async () => {
    const tenant = await createTenant();
    const experiment = await createExperiment(tenant);
    await api("PATCH", `/v1/offers/${experiment.offer_id}`, {
      key: tenant.key,
      body: { status: "archived" },
    });
    expect((await act(tenant, experiment.id, "start")).status).toBe(409);
  });

  it.each([
    ["a body with an unknown field", { body: { force: true } }, 422],
    ["a body that is not JSON", { raw: "go", headers: { "content-type": "text/plain" } }, 415],
    // Declaring JSON and sending nothing is unreadable JSON, as on every write: send no content type instead.
    ["an empty body declared as JSON", { raw: "", headers: { "content-type": "application/json" } }, 400],
  ])("refuses %s on start, changing nothing", async (_name, request, status) => {
    const tenant = await createTenant();
    const experiment = await createExperiment(tenant);
    const res = await api("POST", `/v1/experiments/${experiment.id}/start`, { key: tenant.key, ...request });
    expect(res.status).toBe(status);
    if (status === 422)
      expect(res.body.errors).toEqual([{ in: "body", path: "/force", message: "Unknown field" }]);
    expect((await api("GET", `/v1/experiments/${experiment.id}`, { key: tenant.key })).body.status).toBe(
      "draft",
    );
  });

  it("replays a start for the same Idempotency-Key instead of answering 409", async () => {
    const tenant = await createTenant();
    const experiment = await createExperiment(tenant);
    const headers = { "idempotency-key": "start-1" };
    const first = await api("POST", `/v1/experiments/${experiment.id}/start`, { key: tenant.key, headers });
    const second = await api("POST", `/v1/experiments/${experiment.id}/start`, { key: tenant.key, headers });
    expect(second).toMatchObject({ status: 200, body: first.body });
    expect(second.headers.get("idempotent-replayed")).toBe("true");
  });
});

describe("GET /v1/experiments/{id}/results", () => {
  it("sums paid orders per arm and currency, counts refunds apart and ignores other orders", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant, oneTimeOffer({ prices: [{ currency: "USD", amount: 2000 }] }));
    const arms = [...twoArms, { key: "unsold", weight: 1, adjustment: { type: "none" } }];
    const experiment = await createExperiment(tenant, { offer_id: offer.id, arms });
    const other = await createExperiment(tenant, { offer_id: offer.id });
    const stranger = await createTenant("Stranger");
    const strangerOffer = await createOffer(stranger);
    await act(tenant, experiment.id, "start");
    const now = Date.now();
    const order = (
      arm: string,
      status: (typeof orders.$inferInsert)["status"],
      currency: string,
      amountTotal: number,
      quantity = 1,
      elsewhere: { creatorId?: string; offerId?: string; experimentId?: string } = {},
    ) => ({
      id: newId("order"),
      creatorId: tenant.creatorId,
      offerId: offer.id,
      experimentId: experiment.id,
      ...elsewhere,
      email: "fan@example.com",
      quantity,
      currency,
      amountTotal,
      status,
      source: "link" as const,
      experimentArm: arm,
      createdAt: now,
      updatedAt: now,
    });
    const rows = [
      order("control", "paid", "USD", 2000),
      order("control", "paid", "USD", 4000, 2),
      order("control", "paid", "EUR", 1800),
      order("control", "refunded", "USD", 2000),
      order("control", "pending", "USD", 2000),
      order("control", "failed", "USD", 2000),
      order("ten-off", "paid", "USD", 5400, 3),
      order("ten-off", "refunded", "EUR", 1620),
      order("ten-off", "refunded", "USD", 1800),
      order("ten-off", "cancelled", "USD", 1800),
      // Same arm key, another experiment; and another creator's order claiming this experiment's id.
      order("control", "paid", "USD", 9999, 1, { experimentId: other.id }),
      order("control", "paid", "USD", 7777, 1, { creatorId: stranger.creatorId, offerId: strangerOffer.id }),
    ];
    // One statement per order: D1 caps a statement at 100 bound parameters.
    await runBatch(
      db,
      rows.map((row) => db.insert(orders).values(row)),
    );
    const res = await api("GET", `/v1/experiments/${experiment.id}/results`, { key: tenant.key });
    expect(res.status).toBe(200);
    const started = (await api("GET", `/v1/experiments/${experiment.id}`, { key: tenant.key })).body
      .started_at;
    expect(res.body).toEqual({
      experiment_id: experiment.id,
      status: "running",
      started_at: started,
      stopped_at: null,
      arms: [
        {
          key: "control",
          weight: 1,
          orders_paid: 3,
          units: 4,
          revenue: [
            { currency: "EUR", amount: 1800 },
            { currency: "USD", amount: 6000 },
          ],
          orders_refunded: 1,
        },
        {
          key: "ten-off",
          weight: 1,
          orders_paid: 1,
          units: 3,
          revenue: [{ currency: "USD", amount: 5400 }],
          orders_refunded: 2,
        },
        { key: "unsold", weight: 1, orders_paid: 0, units: 0, revenue: [], orders_refunded: 0 },
      ],
    });
  });
});

authorisationSuite(
  "POST /v1/experiments",
  async (owner) => {
    const offer = await createOffer(owner);
    return (key) => api("POST", "/v1/experiments", { key, body: body(offer.id) });
  },
  "rejected_reference",
);
authorisationSuite(
  "GET /v1/experiments",
  async (owner) => {
    await createExperiment(owner);
    return (key) => api("GET", "/v1/experiments", { key });
  },
  "empty_list",
);
for (const [method, suffix] of [
  ["GET", ""],
  ["POST", "/start"],
  ["POST", "/stop"],
  ["GET", "/results"],
] as const) {
  authorisationSuite(`${method} /v1/experiments/{id}${suffix}`, async (owner) => {
    const experiment = await createExperiment(owner);
    return (key) => api(method, `/v1/experiments/${experiment.id}${suffix}`, { key });
  });
}
