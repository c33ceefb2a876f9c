import { env } from "cloudflare:workers";
import { and, eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sweepCheckouts } from "../../../src/checkout/sweep";
import { auditEvents, checkouts } from "../../../src/db/schema";
import { inventoryGateway } from "../../../src/inventory/gateway";
import { type PaymentProvider, ProviderError, type ProviderEvent } from "../../../src/payments/provider";
import { createSandboxProvider } from "../../../src/payments/sandbox";
import { checkout } from "../../support/checkouts";
import { expectInvariants } from "../../support/drops";
import { createDrop } from "../../support/fixtures";
import { buyer, quote } from "../../support/quotes";
import { createTenant, db, type Tenant } from "../../support/tenants";

const MINUTE = 60_000;

/**
 * The sandbox behind a processor that fails every call about `poisoned` payments (an outage scoped to
 * them, a payment another system deleted): the cron can never settle those checkouts.
 */
function processorFailingFor(poisoned: Set<string>) {
  const emitted: ProviderEvent[] = [];
  const sandbox = createSandboxProvider(db, { now: () => Date.now(), emit: (e) => void emitted.push(e) });
  const calls: string[] = [];
  const guard =
    <A extends unknown[], R>(name: string, call: (id: string, ...rest: A) => Promise<R>) =>
    async (id: string, ...rest: A): Promise<R> => {
      if (poisoned.has(id)) {
        calls.push(`${name}:${id}`);
        throw new ProviderError("unavailable", "The processor failed (test outage).", true);
      }
      return call(id, ...rest);
    };
  const provider: PaymentProvider = {
    ...sandbox,
    retrieve: guard("retrieve", sandbox.retrieve),
    cancel: guard("cancel", sandbox.cancel),
    confirm: guard("confirm", sandbox.confirm),
    refund: guard("refund", sandbox.refund),
  };
  const sweep = (now: number) =>
    sweepCheckouts({ db, inventory: inventoryGateway(env.DROP_INVENTORY, db), provider, now, emitted });
  return { sweep, calls };
}

/** `count` checkouts of one unit each on `dropId`, opened without a payment method (so left pending). */
async function abandonedCheckouts(tenant: Tenant, dropId: string, offerId: string, count: number) {
  const made: { id: string; paymentId: string }[] = [];
  for (let i = 0; i < count; i++) {
    const buyerId = `abandoner-${crypto.randomUUID()}`;
    const quoted = await quote({ offer_id: offerId, drop_id: dropId }, buyer(buyerId));
    if (quoted.status !== 201) throw new Error(`quote refused: ${JSON.stringify(quoted.body)}`);
    const res = await checkout({ quote: quoted.body.token, email: `${buyerId}@example.test` }, { buyerId });
    if (res.body.status !== "pending") throw new Error(`checkout refused: ${JSON.stringify(res.body)}`);
    made.push({ id: res.body.id, paymentId: res.body.payment.id });
  }
  void tenant;
  return made;
}

const statuses = async (ids: string[]) =>
  (await db.select({ status: checkouts.status }).from(checkouts).where(inArray(checkouts.id, ids))).map(
    (r) => r.status,
  );

async function latestHoldExpiry(ids: string[]) {
  const rows = await db
    .select({ at: checkouts.holdExpiresAt })
    .from(checkouts)
    .where(inArray(checkouts.id, ids));
  return Math.max(...rows.map((r) => r.at ?? 0));
}

describe("money-without-access: sweep", () => {
  it("fifty checkouts the processor can never settle do not keep newer abandoned checkouts from being cancelled", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 100 });
    // Oldest first: 55 whose processor always fails, then 3 ordinary abandoned checkouts.
    const stuck = await abandonedCheckouts(tenant, drop.id, drop.offer_id, 55);
    const newer = await abandonedCheckouts(tenant, drop.id, drop.offer_id, 3);
    const world = processorFailingFor(new Set(stuck.map((c) => c.paymentId)));
    const lapsed = (await latestHoldExpiry([...stuck, ...newer].map((c) => c.id))) + MINUTE;

    // The cron runs once a minute: within three runs every lapsed checkout has been reached.
    for (let run = 0; run < 3; run++) await world.sweep(lapsed + run * MINUTE);

    expect(await statuses(newer.map((c) => c.id))).toEqual(["expired", "expired", "expired"]);
    // Their units are back on sale; the stuck ones still hold theirs (their payments may yet succeed).
    expect(await expectInvariants(drop.id)).toMatchObject({ held: 55, sold: 0 });
    expect(new Set(await statuses(stuck.map((c) => c.id)))).toEqual(new Set(["pending"]));
  }, 120_000);

  it("a checkout the processor keeps failing is backed off, then flagged for a person and no longer retried", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 5 });
    const [stuck] = await abandonedCheckouts(tenant, drop.id, drop.offer_id, 1);
    if (stuck === undefined) throw new Error("no checkout");
    const world = processorFailingFor(new Set([stuck.paymentId]));
    const start = (await latestHoldExpiry([stuck.id])) + MINUTE;

    // Sixty one-minute runs: with backoff the payment is asked about far fewer than sixty times.
    for (let run = 0; run < 60; run++) await world.sweep(start + run * MINUTE);
    const cancels = () => world.calls.filter((c) => c.startsWith("cancel:")).length;
    expect(cancels()).toBeGreaterThanOrEqual(3);
    expect(cancels()).toBeLessThanOrEqual(8);

    // A day later it has failed often enough to be flagged for a person, with an audit row…
    for (let hour = 1; hour <= 24; hour++) await world.sweep(start + hour * 60 * MINUTE);
    const flagged = await db
      .select()
      .from(auditEvents)
      .where(
        and(
          eq(auditEvents.subjectId, (await orderOf(stuck.id)) ?? ""),
          eq(auditEvents.action, "checkout.sweep_flagged"),
        ),
      );
    expect(flagged).toHaveLength(1);
    // …and the cron stops asking the processor about it.
    const before = world.calls.length;
    for (let hour = 25; hour <= 30; hour++) await world.sweep(start + hour * 60 * MINUTE);
    expect(world.calls.length).toBe(before);
    expect(await statuses([stuck.id])).toEqual(["pending"]);
  }, 60_000);
});

async function orderOf(checkoutId: string) {
  const [row] = await db
    .select({ orderId: checkouts.orderId })
    .from(checkouts)
    .where(eq(checkouts.id, checkoutId));
  return row?.orderId;
}
