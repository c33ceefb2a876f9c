/** The buyer's side of an existing checkout: reading it, and confirming it. */
import { eq, sql } from "drizzle-orm";
import type { Call } from "../context";
import type { Write } from "../db/client";
import type { CheckoutRow, RefreshCredentialRow } from "../db/schema";
import { checkouts } from "../db/schema";
import { derivedFamilyStatements } from "../entitlements/refresh";
import { tokenStateOf, tokenStateReads } from "../entitlements/store";
import { purchaseReads, purchaseTokenOf, tokenOf } from "../entitlements/verbs";
import { notFound } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { toIso } from "../lib/time";
import { type CallStats, newCallStats, type Payment } from "../payments/provider";
import { completeAtOnce } from "./at-once";
import type { CheckoutContext } from "./create";
import { drainEmitted } from "./events";
import { providerProblem } from "./payment";
import { readFacts } from "./reads";
import type { CheckoutView, PaidCheckoutView } from "./schemas";
import { settlePayment } from "./settle";
import { loadCheckout, ownedCheckout, renderCheckout } from "./store";
import type { Loaded } from "./transition";

export async function getCheckout({ ctx, input }: Call<{ id: string; secret: string }, CheckoutContext>) {
  return withEntitlement(ctx, input, await ownedCheckout(ctx.db, input.id, input.secret));
}

/**
 * The buyer's side of completion: asks the provider where the payment stands (confirming it with a
 * method, or, in the sandbox, completing 3-D Secure) and settles it, exactly as an event would.
 */
export async function confirmCheckout({
  ctx,
  input,
}: Call<{ id: string; secret: string; paymentMethod: string | undefined }, CheckoutContext>) {
  const loaded = await ownedCheckout(ctx.db, input.id, input.secret);
  const { checkout, order } = loaded;
  const paymentId = checkout.paymentId;
  if (paymentId === null || checkout.status === "paid" || checkout.status === "refunded") {
    return withEntitlement(ctx, input, loaded);
  }
  const stats = newCallStats();
  const key = {
    id: order.quoteId ?? "",
    creatorId: order.creatorId,
    offerId: order.offerId,
    coupon: order.couponCode,
  };
  // What paying would need is read while the provider answers, so a success lands in one more batch.
  const [facts, asked] = await Promise.all([
    readFacts(ctx.db, key, checkout.email),
    askProvider(ctx, checkout.id, paymentId, checkout.status, input.paymentMethod, stats).then(
      (payment) => ({ payment }),
      (error: unknown) => ({ error }),
    ),
  ]);
  if ("error" in asked) {
    await ctx.db.update(checkouts).set(statsChanges(stats)).where(eq(checkouts.id, checkout.id));
    throw providerProblem(asked.error);
  }
  const { payment } = asked;
  const recorded = ctx.db.update(checkouts).set(statsChanges(stats)).where(eq(checkouts.id, checkout.id));
  const done = await completeAtOnce(ctx, {
    loaded,
    payment,
    facts,
    secret: input.secret,
    checkout: {},
    writes: () => [recorded],
  });
  if (done !== undefined) return done;
  await recorded;
  await settlePayment(ctx, payment, "confirm");
  await drainEmitted(ctx);
  return withEntitlement(ctx, input);
}

/** The provider's latency, attempts and retries for this call, added to the checkout's totals. */
const statsChanges = (stats: CallStats) => ({
  providerLatencyMs: sql`${checkouts.providerLatencyMs} + ${stats.latencyMs}`,
  providerAttempts: sql`${checkouts.providerAttempts} + ${stats.attempts}`,
  providerRetries: sql`${checkouts.providerRetries} + ${stats.retries}`,
});

async function askProvider(
  ctx: CheckoutContext,
  checkoutId: string,
  paymentId: string,
  status: CheckoutView["status"],
  paymentMethod: string | undefined,
  stats: CallStats,
): Promise<Payment> {
  if (paymentMethod !== undefined) {
    const idempotencyKey = `confirm:${checkoutId}:${await sha256Hex(paymentMethod)}`;
    return ctx.provider.confirm(paymentId, { paymentMethod, idempotencyKey }, stats);
  }
  // The sandbox stands in for the buyer's 3-D Secure challenge: confirming again completes it. With
  // Stripe the buyer completes it with Stripe.js, and this only reads where the payment stands.
  if (ctx.provider.name === "sandbox" && status === "requires_action") {
    return ctx.provider.confirm(paymentId, { idempotencyKey: `confirm:${checkoutId}:3ds` }, stats);
  }
  return ctx.provider.retrieve(paymentId, stats);
}

/**
 * The checkout as its buyer sees it: once paid, with a fresh token. What the token proves depends on
 * what the buyer proved. A signed-in member (the checkout was made with their `member_token`) gets a
 * token for everything they hold and the session's refresh credential. Anyone else only typed an
 * email, which proves nothing: the order is recorded for the member with that email (it appears when
 * they sign in), and this buyer gets a purchase receipt listing what this checkout paid for, with no
 * refresh credential.
 */
export async function withEntitlement(
  ctx: CheckoutContext,
  input: { id: string; secret: string },
  /** The rows, when the caller has just read them. */
  read?: Loaded,
): Promise<PaidCheckoutView> {
  const loaded = read ?? (await loadCheckout(ctx.db, input.id));
  if (loaded === undefined) throw notFound("checkout", input.id);
  const view = renderCheckout(loaded.checkout, loaded.order);
  const plan = await entitlementPlan(ctx, loaded.checkout, input.secret);
  if (plan === null) return { ...view, entitlement: null };
  const [first, ...rest] = plan.statements;
  return { ...view, entitlement: await plan.finish(first ? await ctx.db.batch([first, ...rest]) : []) };
}

export type Entitlement = PaidCheckoutView["entitlement"];

/**
 * What a paid checkout's entitlement needs from D1 (reads, and a member's session family), as
 * statements for one batch, and how to mint from their results. Null before the checkout is paid.
 * The create path sends these at the end of its paid batch, so its answer carries the token.
 */
export async function entitlementPlan(
  ctx: CheckoutContext,
  checkout: CheckoutRow,
  secret: string,
): Promise<{ statements: Write[]; finish: (results: unknown[]) => Promise<Entitlement> } | null> {
  if (checkout.status !== "paid" || checkout.memberId === null) return null;
  const audience = checkout.creatorId;
  const member = { creatorId: checkout.creatorId, memberId: checkout.memberId, audience };
  if (checkout.buyerKey !== `member:${checkout.memberId}`) {
    return {
      statements: [...purchaseReads(ctx.tokens, { ...member, orderIds: [checkout.orderId] })],
      finish: async ([rows, active]) => {
        const state = tokenStateOf(rows as MemberRows, active as ActiveRows);
        const receipt = await purchaseTokenOf(ctx.tokens, member, state);
        return receipt === undefined ? null : { ...receipt, refresh_token: null, refresh_expires_at: null };
      },
    };
  }
  const family = await derivedFamilyStatements(ctx.db, member, {
    secret,
    familyKey: checkout.id,
    now: ctx.now,
  });
  return {
    statements: [...tokenStateReads(ctx.db, [member.memberId], ctx.now), ...family.statements],
    finish: async ([rows, active, , familyRows]) => {
      const state = tokenStateOf(rows as MemberRows, active as ActiveRows);
      const token = await tokenOf(ctx.tokens, member.creatorId, audience, state);
      if (token === undefined) return null;
      const refresh = family.credentialOf(familyRows as RefreshCredentialRow[]);
      return {
        ...token,
        refresh_token: refresh?.credential ?? null,
        refresh_expires_at: refresh === null ? null : toIso(refresh.expiresAt),
      };
    },
  };
}

type MemberRows = Parameters<typeof tokenStateOf>[0];
type ActiveRows = Parameters<typeof tokenStateOf>[1];
