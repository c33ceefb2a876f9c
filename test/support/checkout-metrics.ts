/**
 * Fixed datasets for the checkout-side KPIs, written straight to D1 with drizzle as checkout leaves them
 * (a pending order and its checkout; paid: the order's paid_at, the two time-to-entitlement stamps, the
 * order's entitlement), and exposure counts sent through the real counter object and flushed.
 */
import { env } from "cloudflare:workers";
import { checkouts, drops, entitlements, members, orders } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { type Exposure, exposure, shardName } from "../../src/metrics/counters";
import { db, type Tenant } from "./tenants";

export const at = (iso: string) => Date.parse(iso);

export async function drop(tenant: Tenant, p: { offerId: string; stock: number; startsAt: number }) {
  const id = newId("drop");
  await db.insert(drops).values({
    id,
    creatorId: tenant.creatorId,
    offerId: p.offerId,
    title: "drop",
    stock: p.stock,
    startsAt: p.startsAt,
    createdAt: p.startsAt,
    updatedAt: p.startsAt,
  });
  return id;
}

export interface CheckoutFixture {
  offerId: string;
  dropId?: string | null;
  createdAt: number;
  buyer?: string;
  amount?: number;
  currency?: string;
  quantity?: number;
  source?: "link" | "overlay" | "pos" | "api";
  status?: "pending" | "paid" | "failed" | "expired";
  /** Paid: ms from payment success to entitlement, and when the order was paid (default: created). */
  ttfMs?: number;
  paidAt?: number;
  failureCode?: string;
  declineCode?: string | null;
  /** Null: no payment was created (nothing to charge). */
  paymentId?: string | null;
  providerRetries?: number;
  experiment?: { id: string; arm: string };
}

/** A checkout and its order (and, once paid, its member and entitlement), as checkout would leave them. */
export async function checkout(tenant: Tenant, p: CheckoutFixture) {
  const [checkoutId, orderId] = [`chk_${newId("order").slice(4)}`, newId("order")];
  const status = p.status ?? "paid";
  const paid = status === "paid";
  const paidAt = paid ? (p.paidAt ?? p.createdAt) : null;
  const buyer = p.buyer ?? `anon:${checkoutId}`;
  const memberId = newId("member");
  const failed = p.failureCode !== undefined;
  await db.batch([
    db.insert(members).values({
      id: memberId,
      creatorId: tenant.creatorId,
      email: `${memberId}@example.test`,
      cohort: "utility",
      acquisitionSource: "link",
      joinedAt: p.createdAt,
      updatedAt: p.createdAt,
    }),
    db.insert(orders).values({
      id: orderId,
      creatorId: tenant.creatorId,
      memberId: paid ? memberId : null,
      email: `${memberId}@example.test`,
      offerId: p.offerId,
      dropId: p.dropId ?? null,
      quantity: p.quantity ?? 1,
      currency: p.currency ?? "USD",
      amountTotal: p.amount ?? 1000,
      status: paid ? "paid" : status === "failed" ? "failed" : status === "expired" ? "cancelled" : "pending",
      source: p.source ?? "link",
      buyerKey: buyer,
      experimentId: p.experiment?.id ?? null,
      experimentArm: p.experiment?.arm ?? null,
      createdAt: p.createdAt,
      updatedAt: p.createdAt,
      paidAt,
    }),
    db.insert(checkouts).values({
      id: checkoutId,
      creatorId: tenant.creatorId,
      orderId,
      status,
      secretHash: "x",
      buyerKey: buyer,
      email: `${memberId}@example.test`,
      provider: "sandbox",
      paymentId: p.paymentId === undefined ? `pi_${checkoutId}` : p.paymentId,
      dropId: p.dropId ?? null,
      lines: "[]",
      failureCode: failed ? p.failureCode : null,
      declineCode: failed ? (p.declineCode ?? null) : null,
      paymentSucceededAt: paidAt,
      entitlementIssuedAt: paidAt === null ? null : paidAt + (p.ttfMs ?? 0),
      providerRetries: p.providerRetries ?? 0,
      createdAt: p.createdAt,
      updatedAt: p.createdAt,
    }),
    ...(paid
      ? [
          db.insert(entitlements).values({
            id: newId("entitlement"),
            creatorId: tenant.creatorId,
            memberId,
            offerId: p.offerId,
            benefitKey: p.offerId,
            sourceType: "order" as const,
            sourceId: orderId,
            grantedAt: paidAt ?? p.createdAt,
          }),
        ]
      : []),
  ]);
  return { checkoutId, orderId };
}

/** A paid order without a checkout (a point-of-sale sale), or any order as the tests need it. */
export async function paidOrder(
  tenant: Tenant,
  p: { offerId: string; paidAt: number; amount: number; buyer?: string | null; currency?: string },
) {
  const id = newId("order");
  await db.insert(orders).values({
    id,
    creatorId: tenant.creatorId,
    email: "buyer@example.test",
    offerId: p.offerId,
    quantity: 1,
    currency: p.currency ?? "USD",
    amountTotal: p.amount,
    status: "paid",
    source: "link",
    buyerKey: p.buyer === undefined ? `anon:${id}` : p.buyer,
    createdAt: p.paidAt,
    updatedAt: p.paidAt,
    paidAt: p.paidAt,
  });
  return id;
}

const counterOf = (creatorId: string, shard: number) => {
  const name = shardName(creatorId, shard);
  return { name, stub: env.EXPOSURE_COUNTER.get(env.EXPOSURE_COUNTER.idFromName(name)) };
};

/** Counts exposures through the creator's first counter shard, then flushes it to D1. */
export async function countAndFlush(
  tenant: Tenant,
  groups: (Partial<Omit<Exposure, "creatorId">> & Pick<Exposure, "kind" | "count"> & { at: number })[],
) {
  const { name, stub } = counterOf(tenant.creatorId, 0);
  await stub.add(
    name,
    groups.map((g) => exposure({ ...g, creatorId: tenant.creatorId })),
  );
  return stub.flush();
}

/** Every shard of the creator's counters flushed (counts a request handed over land in D1). */
export async function flushAllShards(creatorId: string) {
  const results = [];
  for (let shard = 0; shard < 4; shard++) results.push(await counterOf(creatorId, shard).stub.flush());
  return results;
}

/** What the creator's shards hold, unflushed. */
export async function waitingCounts(creatorId: string) {
  let pending = 0;
  for (let shard = 0; shard < 4; shard++)
    pending += (await counterOf(creatorId, shard).stub.waiting()).pending;
  return pending;
}
