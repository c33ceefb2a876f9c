/**
 * Outbound webhooks end to end in workerd: real D1, the real dispatcher and delivery code, a fake
 * receiver behind the injectable transport. Most tests drive dispatch and delivery by hand on a pinned
 * clock (request-time queue sends off, as they are by default under ENVIRONMENT test, so the real
 * queue cannot race them); the last turns them on and lets the real queue carry a poke and a delivery.
 */
import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyWebhook } from "../../clients/webhooks";
import { attemptDelivery } from "../../src/webhooks/deliver";
import { setRequestQueueSends } from "../../src/webhooks/queue";
import { FAILING_DISABLE_AFTER_MS } from "../../src/webhooks/schedule";
import { api, type Json } from "../support/api";
import { checkout, quotedDrop } from "../support/checkouts";
import { createDrop } from "../support/fixtures";
import { advance, readSubscription, subscribe } from "../support/subscriptions";
import { createTenant, type Tenant } from "../support/tenants";
import {
  createEndpoint,
  createReceiver,
  db,
  deliverDue,
  deliveryRows,
  depsAt,
  dispatchNow,
  flush,
  type Receiver,
} from "../support/webhook-receiver";

beforeAll(() => setRequestQueueSends(false));
afterAll(() => setRequestQueueSends(undefined));

async function endpointFor(tenant: Tenant, body: Record<string, unknown> = {}) {
  const receiver = createReceiver();
  const endpoint = await createEndpoint(tenant, { url: receiver.url, ...body });
  return { receiver, endpoint };
}

const updateDrop = async (tenant: Tenant, id: string, body: Record<string, unknown>) => {
  const res = await api("PATCH", `/v1/drops/${id}`, { key: tenant.key, body });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

const auditOf = async (tenant: Tenant, type: string, id: string): Promise<Json[]> =>
  (await api("GET", `/v1/audit-events?subject_type=${type}&subject_id=${id}`, { key: tenant.key })).body.data;

const headerRecord = (r: Receiver, i: number) => r.received[i]?.headers ?? {};

describe("delivering the creator's events", () => {
  it("sends a drop's creation to the endpoint, signed so the reference library and the helper both verify it", async () => {
    const tenant = await createTenant();
    const { receiver, endpoint } = await endpointFor(tenant);
    const drop = await createDrop(tenant);
    const [result] = await flush(endpoint.id);
    expect(result).toMatchObject({ kind: "succeeded", status: 200 });

    expect(receiver.received).toHaveLength(1);
    const [got] = receiver.received;
    if (got === undefined) throw new Error("nothing received");
    const secret = (await api("GET", `/v1/webhook-endpoints/${endpoint.id}/secret`, { key: tenant.key })).body
      .secret;
    expect(secret).toBe(endpoint.secret);
    const reference = new Webhook(secret).verify(got.body, got.headers) as Json;
    const helper = await verifyWebhook(secret, got.headers, got.body);
    expect(helper).toEqual(reference);
    expect(reference).toMatchObject({
      type: "drop.created",
      data: {
        subject: { type: "drop", id: drop.id },
        seq: 1,
        creator_id: tenant.creatorId,
        changes: { id: drop.id, stock: 100 },
      },
    });
    expect(got.headers["webhook-id"]).toMatch(/^evt_/);
    expect(got.headers["content-type"]).toBe("application/json");
    const [row] = await deliveryRows(endpoint.id);
    expect(row).toMatchObject({
      status: "succeeded",
      attempts: 1,
      last_status_code: 200,
      type: "drop.created",
    });
  });

  it("sends only the types an endpoint asked for, and nothing from before it existed", async () => {
    const tenant = await createTenant();
    const before = await createDrop(tenant);
    const all = await endpointFor(tenant);
    const paidOnly = await endpointFor(tenant, { event_types: ["order.paid"] });
    const after = await createDrop(tenant);
    await dispatchNow();
    const rows = await deliveryRows(all.endpoint.id);
    expect(rows.map((r) => r.subject_id)).toEqual([after.id]);
    expect(rows.map((r) => r.subject_id)).not.toContain(before.id);
    expect(await deliveryRows(paidOnly.endpoint.id)).toEqual([]);
  });

  it("retries a receiver that fails, then succeeds, on the schedule, with the same id and body each time", async () => {
    const tenant = await createTenant();
    const { receiver, endpoint } = await endpointFor(tenant);
    receiver.script({ status: 500 }, { network: true });
    await createDrop(tenant);
    const t0 = Date.now();
    await dispatchNow(t0);
    expect(await deliverDue(endpoint.id, t0)).toMatchObject([{ kind: "retry", status: 500 }]);
    // Not due again until the 5 s wait (±10 %) has passed.
    expect(await deliverDue(endpoint.id, t0 + 4_000)).toEqual([]);
    expect(await deliverDue(endpoint.id, t0 + 6_000)).toMatchObject([{ kind: "retry", status: null }]);
    const [pending] = await deliveryRows(endpoint.id);
    expect(pending).toMatchObject({
      status: "pending",
      attempts: 2,
      last_error: expect.stringMatching(/^network/),
    });
    // The next wait is 5 minutes (±10 %).
    expect(pending?.next_attempt_at).toBeGreaterThanOrEqual(t0 + 6_000 + 270_000);
    expect(await deliverDue(endpoint.id, t0 + 6_000 + 331_000)).toMatchObject([{ kind: "succeeded" }]);

    expect(receiver.received).toHaveLength(3);
    const ids = new Set(receiver.received.map((r) => r.headers["webhook-id"]));
    const bodies = new Set(receiver.received.map((r) => r.body));
    expect([ids.size, bodies.size]).toEqual([1, 1]);
    expect(await deliveryRows(endpoint.id)).toMatchObject([{ status: "succeeded", attempts: 3 }]);
    const health = (await api("GET", `/v1/webhook-endpoints/${endpoint.id}`, { key: tenant.key })).body;
    expect(health).toMatchObject({ status: "enabled", failing_since: null });
    expect(health.last_success_at).not.toBeNull();
  });

  it("waits at least as long as a 429's Retry-After asks", async () => {
    const tenant = await createTenant();
    const { receiver, endpoint } = await endpointFor(tenant);
    receiver.script({ status: 429, headers: { "retry-after": "120" } });
    await createDrop(tenant);
    const t0 = Date.now();
    await flush(endpoint.id, t0);
    const [row] = await deliveryRows(endpoint.id);
    expect(row?.next_attempt_at).toBe(t0 + 120_000);
    expect(await deliverDue(endpoint.id, t0 + 60_000)).toEqual([]);
    expect(await deliverDue(endpoint.id, t0 + 120_000)).toMatchObject([{ kind: "succeeded" }]);
  });

  it("disables the endpoint at once when the receiver answers 410, and tells the creator in the audit log", async () => {
    const tenant = await createTenant();
    const { receiver, endpoint } = await endpointFor(tenant);
    receiver.otherwise({ status: 410 });
    await createDrop(tenant);
    expect(await flush(endpoint.id)).toMatchObject([{ kind: "gone" }]);
    const now = (await api("GET", `/v1/webhook-endpoints/${endpoint.id}`, { key: tenant.key })).body;
    expect(now).toMatchObject({ status: "disabled", disabled_reason: "gone" });
    expect(await auditOf(tenant, "webhook_endpoint", endpoint.id)).toContainEqual(
      expect.objectContaining({
        action: "webhook_endpoint.disabled",
        data: expect.objectContaining({ reason: "gone" }),
      }),
    );
    // Nothing more goes to it.
    await createDrop(tenant);
    await flush(endpoint.id);
    expect(receiver.received).toHaveLength(1);
    expect(await deliveryRows(endpoint.id)).toMatchObject([{ status: "failed", last_status_code: 410 }]);
  });

  it("disables an endpoint that has failed for five days with no success, with an audit row", async () => {
    const tenant = await createTenant();
    const { receiver, endpoint } = await endpointFor(tenant);
    receiver.otherwise({ status: 503 });
    await createDrop(tenant);
    const t0 = Date.now();
    await flush(endpoint.id, t0);
    await createDrop(tenant);
    await dispatchNow(t0);
    // Both deliveries fail on; the endpoint has been failing since t0.
    await deliverDue(endpoint.id, t0 + FAILING_DISABLE_AFTER_MS - 60_000);
    expect((await api("GET", `/v1/webhook-endpoints/${endpoint.id}`, { key: tenant.key })).body.status).toBe(
      "enabled",
    );
    await deliverDue(endpoint.id, t0 + FAILING_DISABLE_AFTER_MS + 1);
    const after = (await api("GET", `/v1/webhook-endpoints/${endpoint.id}`, { key: tenant.key })).body;
    expect(after).toMatchObject({ status: "disabled", disabled_reason: "failing" });
    expect((await auditOf(tenant, "webhook_endpoint", endpoint.id)).map((a: Json) => a.action)).toContain(
      "webhook_endpoint.disabled",
    );
  });

  it("gives one subject's events seq 1, 2, 3… even when two dispatchers race and deliveries go out in parallel", async () => {
    const tenant = await createTenant();
    const { receiver, endpoint } = await endpointFor(tenant);
    const drop = await createDrop(tenant, { stock: 10 });
    for (const stock of [11, 12, 13, 14]) await updateDrop(tenant, drop.id, { stock });
    await Promise.all([dispatchNow(), dispatchNow(), dispatchNow()]);
    const rows = await deliveryRows(endpoint.id);
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(rows.map((r) => r.type)).toEqual(["drop.created", ...Array(4).fill("drop.updated")]);
    // All five attempted at once: arrival order is anyone's, so the receiver keeps the highest seq.
    await deliverDue(endpoint.id, Date.now());
    const events = receiver.events();
    expect(events.map((e: Json) => e.data.seq).sort()).toEqual([1, 2, 3, 4, 5]);
    let applied = { seq: 0, stock: 0 };
    for (const e of events) {
      if (e.data.seq > applied.seq) applied = { seq: e.data.seq, stock: e.data.changes.changes?.stock ?? 10 };
    }
    expect(applied).toEqual({ seq: 5, stock: 14 });
  });

  it("never sends one delivery twice at once: a duplicate message finds it leased", async () => {
    const tenant = await createTenant();
    const { receiver, endpoint } = await endpointFor(tenant);
    await createDrop(tenant);
    await dispatchNow();
    const [row] = await deliveryRows(endpoint.id);
    if (row === undefined) throw new Error("no delivery");
    const at = Date.now();
    const results = await Promise.all([1, 2, 3].map(() => attemptDelivery(depsAt(at), row.id)));
    expect(results.filter((r) => r.kind === "succeeded")).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
  });

  it("redelivers a delivery from the start of the schedule, with the same webhook-id", async () => {
    const tenant = await createTenant();
    const { receiver, endpoint } = await endpointFor(tenant);
    await createDrop(tenant);
    await flush(endpoint.id);
    const [delivered] = (
      await api("GET", `/v1/webhook-deliveries?endpoint_id=${endpoint.id}`, { key: tenant.key })
    ).body.data;
    expect(delivered).toMatchObject({
      status: "succeeded",
      attempts: 1,
      event: { type: "drop.created", seq: 1 },
    });
    const res = await api("POST", `/v1/webhook-deliveries/${delivered.id}/redeliver`, {
      key: tenant.key,
      body: {},
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ id: delivered.id, status: "pending", attempts: 0 });
    await deliverDue(endpoint.id, Date.now());
    expect(receiver.received.map((r) => r.headers["webhook-id"])).toEqual([
      delivered.event.id,
      delivered.event.id,
    ]);
    expect(await auditOf(tenant, "webhook_delivery", delivered.id)).toMatchObject([
      { action: "webhook_delivery.redelivered" },
    ]);
  });

  it("signs with the new and the previous secret for 24 hours after a rotation, then with the new alone", async () => {
    const tenant = await createTenant();
    const { receiver, endpoint } = await endpointFor(tenant);
    const rotated = await api("POST", `/v1/webhook-endpoints/${endpoint.id}/rotate-secret`, {
      key: tenant.key,
      body: {},
    });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    await createDrop(tenant);
    await flush(endpoint.id);
    const header = headerRecord(receiver, 0)["webhook-signature"] ?? "";
    expect(header.split(" ")).toHaveLength(2);
    const got = receiver.received[0];
    if (got === undefined) throw new Error("nothing received");
    for (const secret of [endpoint.secret, rotated.body.secret]) {
      expect(await verifyWebhook(secret, got.headers, got.body)).toMatchObject({ type: "drop.created" });
    }
    // A day and an hour later, only the new secret signs.
    await createDrop(tenant);
    const later = Date.now() + 25 * 3_600_000;
    await dispatchNow(later);
    await deliverDue(endpoint.id, later);
    const last = receiver.received[1];
    expect(last?.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
    expect(() => new Webhook(endpoint.secret).verify(last?.body ?? "", last?.headers ?? {})).toThrow();
  });

  it("pauses deliveries while the creator disables the endpoint and resumes them when it is enabled again", async () => {
    const tenant = await createTenant();
    const { receiver, endpoint } = await endpointFor(tenant);
    await createDrop(tenant);
    await dispatchNow();
    const off = await api("PATCH", `/v1/webhook-endpoints/${endpoint.id}`, {
      key: tenant.key,
      body: { status: "disabled" },
    });
    expect(off.body).toMatchObject({ status: "disabled", disabled_reason: "creator" });
    expect(await deliverDue(endpoint.id, Date.now())).toEqual([]);
    expect(await deliveryRows(endpoint.id)).toMatchObject([{ status: "pending", next_attempt_at: null }]);
    const on = await api("PATCH", `/v1/webhook-endpoints/${endpoint.id}`, {
      key: tenant.key,
      body: { status: "enabled" },
    });
    expect(on.body).toMatchObject({ status: "enabled", disabled_reason: null });
    expect(await deliverDue(endpoint.id, Date.now())).toMatchObject([{ kind: "succeeded" }]);
    expect(receiver.received).toHaveLength(1);
  });

  it("sends a webhook.test event to that endpoint alone", async () => {
    const tenant = await createTenant();
    const one = await endpointFor(tenant);
    const two = await endpointFor(tenant);
    const res = await api("POST", `/v1/webhook-endpoints/${one.endpoint.id}/test`, {
      key: tenant.key,
      body: {},
    });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "pending", event: { type: "webhook.test", seq: 1 } });
    await dispatchNow();
    await deliverDue(one.endpoint.id, Date.now());
    await deliverDue(two.endpoint.id, Date.now());
    expect(one.receiver.events()).toMatchObject([{ type: "webhook.test", data: { seq: 1 } }]);
    expect(two.receiver.received).toEqual([]);
  });

  it("tells the endpoint a buyer paid: checkout.created, member.created for a new email, order.paid, entitlement.granted, one order's seq rising", async () => {
    const tenant = await createTenant();
    const { receiver, endpoint } = await endpointFor(tenant, {
      event_types: ["checkout.created", "order.paid", "member.created", "entitlement.granted"],
    });
    const buyerId = `wh-${crypto.randomUUID()}`;
    const { quote } = await quotedDrop(tenant, buyerId);
    const email = `buyer-${crypto.randomUUID()}@example.test`;
    const paid = await checkout(
      { quote: quote.token, email, payment_method: "4242424242424242" },
      { buyerId },
    );
    expect(paid.body.status).toBe("paid");
    await flush(endpoint.id);
    const events = receiver.events();
    const byType = (type: string) => events.filter((e: Json) => e.type === type);
    expect(byType("checkout.created")).toMatchObject([{ data: { subject: { id: paid.body.order_id } } }]);
    expect(byType("member.created")).toMatchObject([
      { data: { subject: { type: "member" }, changes: { email } } },
    ]);
    expect(byType("entitlement.granted")).toMatchObject([
      {
        data: {
          subject: { type: "entitlement" },
          changes: { source_type: "order", source_id: paid.body.order_id },
        },
      },
    ]);
    // Paid at once, both rows land in one batch (order.paid first): seq is their commit order.
    const order = events.filter((e: Json) => e.data.subject.id === paid.body.order_id);
    expect(order.map((e: Json) => e.data.seq).sort()).toEqual([1, 2]);
    expect(order.map((e: Json) => e.type).sort()).toEqual(["checkout.created", "order.paid"]);
    // The same buyer again: no second member.created.
    const again = await quotedDrop(tenant, buyerId);
    await checkout({ quote: again.quote.token, email, payment_method: "4242424242424242" }, { buyerId });
    await flush(endpoint.id);
    expect(receiver.events().filter((e: Json) => e.type === "member.created")).toHaveLength(1);
  });

  it("tells the endpoint a membership's tier was granted once, not again at every renewal that moves its end", async () => {
    const tenant = await createTenant();
    const { receiver, endpoint } = await endpointFor(tenant, { event_types: ["entitlement.granted"] });
    const { id } = await subscribe(tenant);
    await flush(endpoint.id);
    const granted = () => receiver.events().filter((e: Json) => e.type === "entitlement.granted");
    expect(granted()).toMatchObject([
      { data: { subject: { type: "entitlement" }, changes: { source_type: "subscription", source_id: id } } },
    ]);
    await advance(tenant, "P3W");
    await flush(endpoint.id);
    expect((await readSubscription(tenant, id)).status).toBe("active");
    expect(granted()).toHaveLength(1);
  });

  it("turns a drop's window opening and closing into drop.started and drop.ended, once each", async () => {
    const tenant = await createTenant();
    const { endpoint } = await endpointFor(tenant);
    const startsAt = Date.now() + 1_000;
    const drop = await createDrop(tenant, {
      starts_at: new Date(startsAt).toISOString(),
      ends_at: new Date(startsAt + 60_000).toISOString(),
    });
    const { webhookCron } = await import("../../src/webhooks/cron");
    for (const at of [startsAt + 10, startsAt + 20, startsAt + 60_010, startsAt + 60_020]) {
      await webhookCron(db, undefined, at);
    }
    const types = (await deliveryRows(endpoint.id))
      .filter((r) => r.subject_id === drop.id)
      .map((r) => r.type);
    expect(types).toEqual(["drop.created", "drop.started", "drop.ended"]);
  });

  it("tells the endpoint a drop sold out once its last unit is paid for, once, and never while units are left", async () => {
    const tenant = await createTenant();
    const { endpoint } = await endpointFor(tenant, { event_types: ["drop.sold_out", "order.paid"] });
    const { webhookCron } = await import("../../src/webhooks/cron");
    const { dropSoldOutCheck } = await import("../../src/webhooks/queue");
    const soldOut = dropSoldOutCheck(db, env);
    const buy = async (quoteToken: string, buyerId: string) => {
      const paid = await checkout(
        { quote: quoteToken, email: `${buyerId}@example.test`, payment_method: "4242424242424242" },
        { buyerId },
      );
      expect(paid.body.status).toBe("paid");
    };
    const first = `so-${crypto.randomUUID()}`;
    const { drop, quote: q1 } = await quotedDrop(tenant, first, { stock: 2 });
    await buy(q1.token, first);
    await webhookCron(db, undefined, Date.now(), soldOut);
    const typesFor = async () =>
      (await deliveryRows(endpoint.id)).filter((r) => r.subject_id === drop.id).map((r) => r.type);
    expect(await typesFor()).toEqual([]);
    const second = `so-${crypto.randomUUID()}`;
    const q2 = await api("POST", "/v1/quotes", {
      body: { offer_id: drop.offer_id, drop_id: drop.id },
      headers: { "buyer-id": second },
    });
    await buy(q2.body.token, second);
    for (let i = 0; i < 3; i++) await webhookCron(db, undefined, Date.now(), soldOut);
    expect(await typesFor()).toEqual(["drop.sold_out"]);
  });
});

describe("the real queue", () => {
  it("carries a write's poke and the delivery it makes to the receiver, without any hand driving", async () => {
    setRequestQueueSends(true);
    try {
      const tenant = await createTenant();
      const { receiver } = await endpointFor(tenant);
      const drop = await createDrop(tenant);
      for (let i = 0; i < 100 && receiver.received.length === 0; i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(receiver.events()).toMatchObject([{ type: "drop.created", data: { subject: { id: drop.id } } }]);
    } finally {
      setRequestQueueSends(false);
    }
  });
});

describe("endpoint rows", () => {
  it("never lists a creator's deliveries under another's endpoint, even by direct SQL shape", async () => {
    const rows = await db.all<{ n: number }>(
      sql`SELECT count(*) AS n FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.creator_id <> e.creator_id`,
    );
    expect(rows[0]?.n).toBe(0);
  });
});
