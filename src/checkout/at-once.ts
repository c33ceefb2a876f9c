/**
 * A checkout paid the moment it is created or confirmed (the provider answered `succeeded`, or there is
 * nothing to charge) completes in the request's last D1 batch: the guarded move to paid with the payment's ids, the
 * order, the member (created for the email if new), the grant, the coupon's redemption, the events the
 * sandbox emitted stored as handled, the create's audit row, the stored idempotent response, and the
 * reads the entitlement token is minted from. So the buyer's answer carries the token, and the whole
 * create costs three D1 round trips of its own (claim and reads, open, this batch).
 *
 * It takes this path only when the state machine says the payment's one step is `pay` and every
 * emitted event would change nothing once paid. Anything else (a lapsed hold that must be taken again,
 * a sold-out drop, a coupon over its cap, a racing buyer, a dispute event, a failed batch) answers
 * undefined and the caller runs the general path, which handles all of those.
 */
import { expectOneChange, type Write } from "../db/client";
import type { CheckoutRow } from "../db/schema";
import { newId } from "../lib/ids";
import type { Payment } from "../payments/provider";
import { memberCreatedWrite } from "../webhooks/lifecycle";
import type { CheckoutContext } from "./create";
import { handledEventWrite, isDisputeEvent } from "./events";
import { secureAll } from "./holds";
import { plan } from "./machine";
import { paidLanding, payable, redemptionFor, refundUnsellable } from "./paid";
import type { CheckoutFacts } from "./reads";
import type { CheckoutView } from "./schemas";
import { orderFacts, paymentFacts } from "./settle";
import { newMemberWrite, renderCheckout } from "./store";
import type { Loaded } from "./transition";
import { type Entitlement, entitlementPlan } from "./verbs";

export interface AtOnce {
  loaded: Loaded;
  payment: Payment | null;
  facts: CheckoutFacts;
  secret: string;
  /** More of the checkout's columns for the same move (the payment's ids and the provider's stats). */
  checkout: Partial<CheckoutRow>;
  /** The caller's own rows for the same batch (the create's audit row), given the status it ends in. */
  writes: (status: CheckoutView["status"]) => Write[];
}

export async function completeAtOnce(
  ctx: CheckoutContext,
  p: AtOnce,
): Promise<(CheckoutView & { entitlement: Entitlement }) | undefined> {
  const { loaded, payment } = p;
  if (!payable(loaded, payment)) return undefined;
  if (payment !== null && plan(orderFacts(loaded), paymentFacts(payment)).join() !== "pay") return undefined;
  const paidFacts = { ...orderFacts(loaded), status: "paid" as const, paymentId: payment?.id ?? null };
  const folded = ctx.emitted.every(
    (e) => !isDisputeEvent(e.type) && plan(paidFacts, paymentFacts(e.payment)).length === 0,
  );
  if (!folded || (payment === null && ctx.emitted.length > 0)) return undefined;
  const coupon = p.facts.coupon;
  if (loaded.order.couponCode !== null && coupon === undefined) return undefined;

  const learnedAt = Date.now();
  const units = await secureAll(ctx, loaded.checkout, loaded.order);
  if (units === "sold_out") {
    await refundUnsellable(ctx, loaded, payment);
    return undefined;
  }
  const known = loaded.checkout.memberId ?? p.facts.memberId;
  const memberId = known ?? newId("member");
  const paid = paidLanding(ctx, loaded, payment, {
    via: "confirm",
    units,
    memberId,
    interval: p.facts.interval,
    fulfilment: p.facts.shipping.fulfilment,
    learnedAt,
    // The batch below lands the grant: this is when it was sent (no round trip is spent re-stamping it).
    issuedAt: Date.now(),
    checkout: p.checkout,
  });
  const view = renderCheckout(paid.checkout, paid.order);
  const token = await entitlementPlan(ctx, paid.checkout, p.secret);
  const tokenReads = token?.statements ?? [];
  const member = { creatorId: loaded.checkout.creatorId, email: loaded.checkout.email, now: ctx.now };
  const writes: Write[] = [
    // A new member for this email, or the batch fails: someone created one since the read.
    ...(known === undefined
      ? [
          newMemberWrite(ctx.db, { ...member, source: loaded.order.source, newId: memberId }, p.facts.rules),
          expectOneChange(ctx.db),
          memberCreatedWrite(ctx.db, { ...member, memberId, actor: "system", source: loaded.order.source }),
        ]
      : []),
    ...paid.writes,
    ...(coupon === undefined ? [] : redemptionFor(ctx, loaded, coupon.id)),
    ...ctx.emitted.map((e) => handledEventWrite(ctx, e)),
    ...p.writes(view.status),
    ...tokenReads,
  ];
  let results: unknown[];
  try {
    results = await ctx.commit(writes, { ...view, secret: p.secret });
  } catch {
    return undefined;
  }
  ctx.emitted.splice(0);
  const entitlement =
    token === null ? null : await token.finish(results.slice(writes.length - tokenReads.length));
  return { ...view, entitlement };
}
