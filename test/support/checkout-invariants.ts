/**
 * What the checkout model test (checkout-model.ts) checks after every step, and at the end of a
 * sequence once everything has settled. Everything is read from D1, the drop's object and the Stripe
 * fake's own records, never from our API's answers.
 */
import { env } from "cloudflare:workers";
import { and, eq, inArray } from "drizzle-orm";
import type Stripe from "stripe";
import { auditEvents, checkouts, entitlements, orders, paymentEvents } from "../../src/db/schema";
import { HOLD_TTL_SECONDS, type Model, modelClock } from "./checkout-model";
import { inventoryOf } from "./drops";
import { db } from "./tenants";

/**
 * Dispute statuses after the bank charged the payment back. Access goes with the chargeback and does not
 * come back by itself when the dispute is won (the policy in src/checkout/disputes.ts); inquiries
 * (`warning_…`) move no money and leave access alone.
 */
const CHARGEBACK = ["needs_response", "under_review", "won", "lost"];

/** What earlier steps saw, for the invariants that span steps. */
export interface History {
  everPaid: Set<string>;
  everRefunded: Set<string>;
}

export const newHistory = (): History => ({ everPaid: new Set(), everRefunded: new Set() });

async function readAll(m: Model) {
  const creator = m.tenant.creatorId;
  const [orderRows, checkoutRows, grants, paidAudits] = await Promise.all([
    db.select().from(orders).where(eq(orders.creatorId, creator)),
    db.select().from(checkouts).where(eq(checkouts.creatorId, creator)),
    db
      .select()
      .from(entitlements)
      .where(and(eq(entitlements.creatorId, creator), eq(entitlements.sourceType, "order"))),
    db
      .select({ orderId: auditEvents.subjectId })
      .from(auditEvents)
      .where(and(eq(auditEvents.creatorId, creator), eq(auditEvents.action, "order.paid"))),
  ]);
  const intents = m.fake.paymentIntents();
  const inbox =
    intents.length === 0
      ? []
      : await db
          .select()
          .from(paymentEvents)
          .where(
            inArray(
              paymentEvents.paymentId,
              intents.map((pi) => pi.id),
            ),
          );
  return {
    orderRows,
    checkoutById: new Map(checkoutRows.map((c) => [c.orderId, c])),
    checkoutRows,
    active: grants.filter((g) => g.revokedAt === null),
    paidAudits,
    intents: new Map(intents.map((pi) => [pi.id, pi])),
    charges: new Map(m.fake.charges().map((ch) => [ch.id, ch])),
    disputes: m.fake.disputes(),
    inbox,
  };
}

const fullyRefunded = (charge: Stripe.Charge | undefined) =>
  charge !== undefined && charge.amount_refunded >= charge.amount;
const chargeOf = (r: Awaited<ReturnType<typeof readAll>>, pi: Stripe.PaymentIntent) =>
  typeof pi.latest_charge === "string" ? r.charges.get(pi.latest_charge) : undefined;

/** The checkout's status and its order's move together, in one batch. */
const ORDER_STATUS_OF: Record<string, string> = {
  pending: "pending",
  requires_action: "pending",
  paid: "paid",
  refunded: "refunded",
  failed: "failed",
  expired: "cancelled",
};

/** The invariants that hold after every step, crash or not. Answers what is broken (empty when nothing). */
export async function stepViolations(m: Model, history: History): Promise<string[]> {
  const r = await readAll(m);
  const problems: string[] = [];
  const paid = r.orderRows.filter((o) => o.status === "paid");

  // (1) A paid order has its own succeeded payment: its id, amount and currency, not refunded. A refund
  // made at Stripe that the worker has not heard of yet (its charge.refunded not yet handled) may lag.
  for (const order of paid) {
    const pi = order.providerPaymentId === null ? undefined : r.intents.get(order.providerPaymentId);
    if (pi === undefined) {
      problems.push(`(1) order ${order.id} is paid with no payment at Stripe (${order.providerPaymentId})`);
      continue;
    }
    if (pi.status !== "succeeded")
      problems.push(`(1) order ${order.id} is paid; its payment is ${pi.status}`);
    if (pi.amount !== order.amountTotal || pi.currency.toUpperCase() !== order.currency) {
      problems.push(
        `(1) order ${order.id} (${order.amountTotal} ${order.currency}) is paid by ${pi.amount} ${pi.currency}`,
      );
    }
    if (pi.metadata.order_id !== order.id) {
      problems.push(`(1) order ${order.id} is paid by a payment made for ${pi.metadata.order_id}`);
    }
    const heard = r.inbox.some(
      (e) => e.paymentId === pi.id && e.type === "charge.refunded" && e.processedAt !== null,
    );
    if (fullyRefunded(chargeOf(r, pi)) && heard) {
      problems.push(`(1) order ${order.id} is still paid after the worker handled its full refund`);
    }
  }

  // (2) Every active entitlement is an order's that is paid (and not charged back, when disputes count).
  const byId = new Map(r.orderRows.map((o) => [o.id, o]));
  for (const grant of r.active) {
    const order = byId.get(grant.sourceId);
    if (order?.status !== "paid") {
      problems.push(
        `(2) entitlement ${grant.id} is active for order ${grant.sourceId}, which is ${order?.status}`,
      );
    } else if (
      m.options.disputes &&
      order.disputeStatus !== null &&
      CHARGEBACK.includes(order.disputeStatus)
    ) {
      problems.push(
        `(2) entitlement ${grant.id} is active though order ${order.id} is ${order.disputeStatus}`,
      );
    }
  }

  // (3) Never oversold: the drop's own ledger is sound, and each paid order owns sold units of its own.
  // A dispute lost is final: the order stays paid (the record of the sale), but where the drop restocks
  // on refunds its units are back on sale, so it no longer owns any (src/checkout/disputes.ts).
  const owning = paid.filter((o) => !(m.scenario.restockOnRefund && o.disputeStatus === "lost"));
  const stub = inventoryOf(m.drop.id);
  const [selfCheck, snapshot] = await Promise.all([stub.selfCheck(), stub.snapshot()]);
  for (const p of selfCheck) problems.push(`(3) the drop's ledger: ${p}`);
  if (snapshot === null) problems.push("(3) the drop's object is not configured");
  else {
    if (snapshot.available + snapshot.held + snapshot.sold !== snapshot.stock || snapshot.available < 0) {
      problems.push(`(3) the drop's counters do not add up: ${JSON.stringify(snapshot)}`);
    }
    const units = owning.reduce((n, o) => n + o.quantity, 0);
    if (units > m.scenario.stock)
      problems.push(`(3) ${units} units paid for, of a stock of ${m.scenario.stock}`);
    if (units > snapshot.sold)
      problems.push(`(3) ${units} units paid for, but the drop sold ${snapshot.sold}`);
  }
  const holdIds = owning.map((o) => o.holdId);
  if (new Set(holdIds).size !== holdIds.length) problems.push(`(3) two paid orders share a hold: ${holdIds}`);
  const holds = await Promise.all(
    owning.map(async (o) => {
      const buyer = r.checkoutById.get(o.id)?.buyerKey ?? "";
      return { order: o, hold: o.holdId === null ? null : await stub.hold(o.holdId, buyer) };
    }),
  );
  for (const { order, hold } of holds) {
    if (hold?.state !== "committed" || hold.orderRef !== order.id || hold.restocked) {
      problems.push(`(3) paid order ${order.id} does not own sold units: hold ${JSON.stringify(hold)}`);
    }
  }

  // (4) Paid once: one order.paid row per order; once paid it stays paid or refunded; refunded is final.
  const paidRows = new Map<string, number>();
  for (const a of r.paidAudits) paidRows.set(a.orderId, (paidRows.get(a.orderId) ?? 0) + 1);
  for (const [orderId, n] of paidRows)
    if (n > 1) problems.push(`(4) order ${orderId} was marked paid ${n} times`);
  for (const order of r.orderRows) {
    if (history.everPaid.has(order.id) && order.status !== "paid" && order.status !== "refunded") {
      problems.push(`(4) order ${order.id} was paid and is now ${order.status}`);
    }
    if (history.everRefunded.has(order.id) && order.status !== "refunded") {
      problems.push(`(4) order ${order.id} was refunded and is now ${order.status}`);
    }
    if (order.status === "paid") history.everPaid.add(order.id);
    if (order.status === "refunded") history.everRefunded.add(order.id);
  }

  // (6) A checkout and its order move together (one batch), whatever crashed between two writes.
  for (const c of r.checkoutRows) {
    const order = byId.get(c.orderId);
    if (order !== undefined && ORDER_STATUS_OF[c.status] !== order.status) {
      problems.push(`(6) checkout ${c.id} is ${c.status} but its order is ${order.status}`);
    }
  }
  return problems;
}

/**
 * Everything a quiet hour would bring: Stripe redelivers every event the worker did not acknowledge,
 * holds lapse, and the cron sweeps and retries the inbox, until nothing moves. No faults.
 */
export async function settleEverything(m: Model): Promise<string[]> {
  const problems: string[] = [];
  for (let round = 0; round < 5; round++) {
    for (const [i, event] of m.fake.events.entries()) {
      if (m.acknowledged.has(event.id)) continue;
      const res = await m.deliver(env.DB, i);
      if (res !== null && res.status >= 500) problems.push(`settling: ${event.type} answered ${res.status}`);
    }
    // Past every hold and the inbox's one-minute retry delay; later rounds past the sweep's backoff too.
    modelClock.advance(round === 0 ? (HOLD_TTL_SECONDS + 61) * 1000 : 61 * 60_000);
    try {
      await m.sweep(env.DB);
    } catch (error) {
      problems.push(`settling: the sweep threw ${String(error)}`);
    }
    const r = await readAll(m);
    const quiet =
      m.fake.events.every((e) => m.acknowledged.has(e.id)) &&
      r.checkoutRows.every((c) => c.status !== "pending" && c.status !== "requires_action") &&
      r.inbox.every((e) => e.processedAt !== null);
    if (quiet) break;
  }
  return problems;
}

/** After settling: money kept means access, no access lingers without money, and no unit is lost. */
export async function settledViolations(m: Model): Promise<string[]> {
  const r = await readAll(m);
  const problems: string[] = [];
  const byId = new Map(r.orderRows.map((o) => [o.id, o]));
  const activeFor = (orderId: string) => r.active.some((g) => g.sourceId === orderId);

  // (5) Every succeeded payment Stripe kept (not refunded, not charged back: an inquiry moves no money)
  // is a paid order with access; every one given back (refunded, or charged back) leaves no access.
  for (const pi of r.intents.values()) {
    if (pi.status !== "succeeded") continue;
    const order = byId.get(pi.metadata.order_id ?? "");
    const disputed = r.disputes.filter((d) => d.payment_intent === pi.id);
    const chargedBack = disputed.some((d) => CHARGEBACK.includes(d.status));
    const kept = !fullyRefunded(chargeOf(r, pi));
    if (kept && !chargedBack) {
      if (order?.status !== "paid" || order.providerPaymentId !== pi.id || !activeFor(order.id)) {
        problems.push(
          `(5) payment ${pi.id} (${pi.amount} ${pi.currency}) was kept, but order ${order?.id} is ${order?.status} ` +
            `with payment ${order?.providerPaymentId} and ${order && activeFor(order.id) ? "" : "no "}access`,
        );
      }
    }
    if (order !== undefined && (!kept || (m.options.disputes && chargedBack)) && activeFor(order.id)) {
      problems.push(
        `(5) payment ${pi.id} was ${kept ? "charged back" : "refunded"}; order ${order.id} keeps access`,
      );
    }
  }

  // (7) Nothing is left open, no unit is held, and every unit sold belongs to a paid order (or a
  // refunded one whose units the drop keeps sold): none are lost to a crash.
  for (const c of r.checkoutRows) {
    if (c.status === "pending" || c.status === "requires_action") {
      problems.push(`(7) checkout ${c.id} is still ${c.status} after every hold lapsed and the sweep ran`);
    }
  }
  for (const e of r.inbox)
    if (e.processedAt === null)
      problems.push(`(7) event ${e.eventId} (${e.type}) never handled: ${e.lastError}`);
  const snapshot = await inventoryOf(m.drop.id).snapshot();
  // Units go back on sale after a refund, or a dispute lost, only where the drop restocks on refunds.
  const restocks = m.scenario.restockOnRefund;
  const stillSold = (o: (typeof r.orderRows)[number]) =>
    o.paidAt !== null &&
    ((o.status === "paid" && !(restocks && o.disputeStatus === "lost")) ||
      (o.status === "refunded" && !restocks));
  const accounted = r.orderRows.filter(stillSold).reduce((n, o) => n + o.quantity, 0);
  if (snapshot !== null && (snapshot.held !== 0 || snapshot.sold !== accounted)) {
    problems.push(
      `(7) the drop holds ${snapshot.held} and sold ${snapshot.sold} units; its orders account for ${accounted} sold`,
    );
  }
  return problems;
}

/**
 * What a sequence reached, as the audit log tells it (`order.refunded:paid_after_hold_expired_sold_out`,
 * `payment.mismatch_refunded`…): summed over a run, it shows which paths the random sequences explore.
 */
export async function reachedPaths(m: Model): Promise<string[]> {
  const rows = await db
    .select({ action: auditEvents.action, data: auditEvents.data })
    .from(auditEvents)
    .where(eq(auditEvents.creatorId, m.tenant.creatorId));
  return rows.map(({ action, data }) => {
    const parsed = JSON.parse(data) as { reason?: unknown; via?: unknown };
    const detail = parsed.reason ?? parsed.via;
    return typeof detail === "string" ? `${action}:${detail}` : action;
  });
}
