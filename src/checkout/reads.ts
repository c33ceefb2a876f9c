/**
 * Everything a new checkout decides on, read in one D1 round trip: whether its quote was used already,
 * the member with the buyer's email, the creator's cohort rules (for a member it creates), the offer's
 * billing interval (for the grant), whether it ships (with the routing rule and hubs: src/fulfilment/store.ts)
 * the creator's standing and payout account (src/connect/store.ts), and the quoted coupon. The create
 * route sends these statements in
 * the Idempotency-Key claim's own batch, so they cost nothing of their own.
 */
import { eq } from "drizzle-orm";
import { type PayoutFacts, payoutFactsOf, payoutRead } from "../connect/store";
import { couponByCodeRead } from "../coupons/store";
import type { Db, Write } from "../db/client";
import { type BillingInterval, type CouponRow, checkouts, orders } from "../db/schema";
import { type ShippingFacts, shippingOf, shippingRead } from "../fulfilment/store";
import { type CohortRules, rulesOf, rulesRead } from "../members/cohorts";
import type { QuoteClaims } from "../quotes/token";
import { intervalOf, intervalRead } from "./paid";
import { memberByEmailRead } from "./store";

export interface CheckoutFacts {
  /** The order this quote already paid for (or is paying for), with its checkout's status. */
  used: { id: string; status: string | null } | undefined;
  /** The member with the buyer's email, if there is one. */
  memberId: string | undefined;
  rules: CohortRules;
  interval: BillingInterval | null;
  coupon: CouponRow | undefined;
  /** Whether the offer ships (so the checkout needs an address), with the creator's routing rule and hubs. */
  shipping: ShippingFacts;
  /** Whether the creator is suspended, its platform fee and connected account: where the money goes. */
  payout: PayoutFacts;
}

const usedRead = (db: Db, quoteId: string) =>
  db
    .select({ id: orders.id, status: checkouts.status })
    .from(orders)
    .leftJoin(checkouts, eq(checkouts.orderId, orders.id))
    .where(eq(orders.quoteId, quoteId))
    .limit(1);

/** What the reads are keyed by: a quote's claims, or (confirming) the order the quote made. */
export type FactsKey = Pick<QuoteClaims, "id" | "creatorId" | "offerId" | "coupon">;

/** The statements, in the order `factsOf` reads their results. */
export function checkoutReads(db: Db, key: FactsKey, email: string): Write[] {
  return [
    usedRead(db, key.id),
    memberByEmailRead(db, key.creatorId, email),
    rulesRead(db, key.creatorId),
    intervalRead(db, key.offerId),
    shippingRead(db, key.creatorId, key.offerId),
    payoutRead(db, key.creatorId),
    ...(key.coupon === null ? [] : [couponByCodeRead(db, key.creatorId, key.coupon)]),
  ];
}

type Rows<T extends (...args: never[]) => unknown> = Awaited<ReturnType<T>>;

export function factsOf(results: unknown[]): CheckoutFacts {
  const [used, member, rules, interval, shipping, payout, coupon] = results as [
    Rows<typeof usedRead>,
    Rows<typeof memberByEmailRead>,
    Rows<typeof rulesRead>,
    Rows<typeof intervalRead>,
    Rows<typeof shippingRead>,
    Rows<typeof payoutRead>,
    CouponRow[] | undefined,
  ];
  return {
    used: used[0],
    memberId: member[0]?.id,
    rules: rulesOf(rules),
    interval: intervalOf(interval),
    coupon: coupon?.[0],
    shipping: shippingOf(shipping),
    payout: payoutFactsOf(payout),
  };
}

/** The facts in a round trip of their own: a confirm, or a create whose claim did not carry them. */
export async function readFacts(db: Db, key: FactsKey, email: string): Promise<CheckoutFacts> {
  const [first, ...rest] = checkoutReads(db, key, email);
  if (first === undefined) throw new Error("no checkout reads");
  return factsOf(await db.batch([first, ...rest]));
}
