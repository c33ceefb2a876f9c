/** The buyer's side of an existing checkout: reading it, and confirming it. */
import { eq, sql } from "drizzle-orm";
import type { Call } from "../context";
import { checkouts } from "../db/schema";
import { derivedFamily } from "../entitlements/refresh";
import { freshToken, purchaseToken } from "../entitlements/verbs";
import { notFound } from "../errors";
import { sha256Hex } from "../lib/crypto";
import { toIso } from "../lib/time";
import { type CallStats, newCallStats, type Payment } from "../payments/provider";
import type { CheckoutContext } from "./create";
import { drainEmitted } from "./events";
import { providerProblem } from "./payment";
import type { CheckoutView, PaidCheckoutView } from "./schemas";
import { settlePayment } from "./settle";
import { loadCheckout, ownedCheckout, renderCheckout } from "./store";

export async function getCheckout({ ctx, input }: Call<{ id: string; secret: string }, CheckoutContext>) {
  await ownedCheckout(ctx.db, input.id, input.secret);
  return withEntitlement(ctx, input);
}

/**
 * The buyer's side of completion: asks the provider where the payment stands (confirming it with a
 * method, or, in the sandbox, completing 3-D Secure) and settles it, exactly as an event would.
 */
export async function confirmCheckout({
  ctx,
  input,
}: Call<{ id: string; secret: string; paymentMethod: string | undefined }, CheckoutContext>) {
  const { checkout } = await ownedCheckout(ctx.db, input.id, input.secret);
  const paymentId = checkout.paymentId;
  if (paymentId !== null && checkout.status !== "paid" && checkout.status !== "refunded") {
    let payment: Payment;
    const stats = newCallStats();
    try {
      payment = await askProvider(ctx, checkout.id, paymentId, checkout.status, input.paymentMethod, stats);
    } catch (error) {
      throw providerProblem(error);
    } finally {
      await ctx.db
        .update(checkouts)
        .set({
          providerLatencyMs: sql`${checkouts.providerLatencyMs} + ${stats.latencyMs}`,
          providerAttempts: sql`${checkouts.providerAttempts} + ${stats.attempts}`,
          providerRetries: sql`${checkouts.providerRetries} + ${stats.retries}`,
        })
        .where(eq(checkouts.id, checkout.id));
    }
    await settlePayment(ctx, payment, "confirm");
    await drainEmitted(ctx);
  }
  return withEntitlement(ctx, input);
}

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
async function withEntitlement(
  ctx: CheckoutContext,
  input: { id: string; secret: string },
): Promise<PaidCheckoutView> {
  const loaded = await loadCheckout(ctx.db, input.id);
  if (loaded === undefined) throw notFound("checkout", input.id);
  const view = renderCheckout(loaded.checkout, loaded.order);
  const { checkout } = loaded;
  if (checkout.status !== "paid" || checkout.memberId === null) return { ...view, entitlement: null };
  const audience = checkout.creatorId;
  const member = { creatorId: checkout.creatorId, memberId: checkout.memberId, audience };
  if (checkout.buyerKey !== `member:${checkout.memberId}`) {
    const receipt = await purchaseToken(ctx.tokens, { ...member, orderIds: [checkout.orderId] });
    if (receipt === undefined) return { ...view, entitlement: null };
    return { ...view, entitlement: { ...receipt, refresh_token: null, refresh_expires_at: null } };
  }
  const token = await freshToken(ctx.tokens, checkout.creatorId, checkout.memberId, audience);
  if (token === undefined) return { ...view, entitlement: null };
  const refresh = await derivedFamily(ctx.db, member, {
    secret: input.secret,
    familyKey: checkout.id,
    now: ctx.now,
  });
  return {
    ...view,
    entitlement: {
      ...token,
      refresh_token: refresh?.credential ?? null,
      refresh_expires_at: refresh === null ? null : toIso(refresh.expiresAt),
    },
  };
}
