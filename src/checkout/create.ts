/**
 * Checkout: quote → hold → payment → paid order, entitlement and token. Creating one verifies the quote,
 * reserves the drop's units, writes the order (pending) and the checkout, then creates the payment with
 * an idempotency key derived from the checkout's, and settles whatever the provider already knows.
 */
import { and, eq, isNull } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call } from "../context";
import { runBatch, type Write } from "../db/client";
import { checkouts, orders } from "../db/schema";
import { memberOfToken, type TokenContext } from "../entitlements/verbs";
import { AppError, invalid, notFound } from "../errors";
import { buyerKey } from "../holds/buyer";
import { randomToken, sha256Hex } from "../lib/crypto";
import { newCallStats, type ProviderEvent } from "../payments/provider";
import type { QuoteClaims } from "../quotes/token";
import { drainEmitted } from "./events";
import { type HeldUnits, releaseAll, reserveAll } from "./holds";
import { markPaid } from "./paid";
import { createPayment } from "./payment";
import type { CheckoutView } from "./schemas";
import { type PaymentContext, settlePayment } from "./settle";
import { checkoutIds, loadCheckout, renderCheckout } from "./store";

export interface CheckoutContext extends PaymentContext {
  tokens: TokenContext;
  /** Events the sandbox emitted during this request: handled through the inbox after our own writes. */
  emitted: ProviderEvent[];
  /** Lands the final writes with the stored idempotent response. */
  commit(writes: Write[], result: unknown): Promise<void>;
}

export interface CreateCheckoutInput {
  quote: QuoteClaims;
  idempotencyKey: string;
  email: string;
  memberToken: string | undefined;
  buyerId: string | undefined;
  paymentMethod: string | undefined;
  returnUrl: string | undefined;
  source: "link" | "overlay" | "pos" | "api";
  attribution: Record<string, string> | undefined;
}

export async function createCheckout({
  ctx,
  input,
}: Call<CreateCheckoutInput, CheckoutContext>): Promise<CheckoutView & { secret: string }> {
  const { quote } = input;
  const buyer = await buyerOfQuote(ctx, input);
  const { checkoutId, orderId } = await checkoutIds(quote.creatorId, input.idempotencyKey, quote.id);
  await assertOpenable(ctx, quote.id, orderId);
  const { holds, expiresAt } = await reserveAll(ctx, quote.drops, buyer.key, checkoutId);
  const secret = `${checkoutId}_secret_${randomToken(32)}`;
  const open = { input, buyer, checkoutId, orderId, holds, holdExpiresAt: expiresAt };
  let opened: { id: string }[];
  try {
    [, opened] = await ctx.db.batch(openWrites(ctx, { ...open, secretHash: await sha256Hex(secret) }));
  } catch (error) {
    // A racing checkout with the same quote took it first: give our units back and say so.
    await releaseAll(ctx, holds, buyer.key);
    await assertOpenable(ctx, quote.id, orderId);
    throw error;
  }
  // The row exists and has left `pending` (a racing retry settled it): it is never rewritten.
  if (opened.length === 0) throw alreadySettled();

  if (quote.amount === 0) {
    // Nothing to charge (a 100 % coupon, a free offer): it completes at once and grants like a paid one.
    const loaded = await loadCheckout(ctx.db, checkoutId);
    if (loaded !== undefined) await markPaid(ctx, loaded, null, "confirm");
  } else {
    const stats = newCallStats();
    const payment = await createPayment(ctx, { ...open, holdId: holds[0]?.holdId ?? null }, stats);
    await runBatch(ctx.db, [
      ctx.db
        .update(checkouts)
        .set({
          paymentId: payment.id,
          clientSecret: payment.clientSecret,
          providerLatencyMs: stats.latencyMs,
          providerAttempts: stats.attempts,
          providerRetries: stats.retries,
          updatedAt: ctx.now,
        })
        .where(and(eq(checkouts.id, checkoutId), isNull(checkouts.paymentId))),
      ctx.db
        .update(orders)
        .set({ providerPaymentId: payment.id, updatedAt: ctx.now })
        .where(and(eq(orders.id, orderId), isNull(orders.providerPaymentId))),
    ]);
    await settlePayment(ctx, payment, "confirm");
    await drainEmitted(ctx);
  }
  const view = { ...(await currentView(ctx, checkoutId)), secret };
  await ctx.commit(
    [
      auditWrite(
        { db: ctx.db, creatorId: quote.creatorId, actor: `buyer:${buyer.key}`, now: ctx.now },
        "checkout.created",
        { type: "order", id: orderId },
        { checkout_id: checkoutId, status: view.status },
      ),
    ],
    view,
  );
  return view;
}

const alreadySettled = () =>
  new AppError(
    "conflict",
    "This checkout already exists and has moved past pending; it is never reopened. Read it with its " +
      "secret, or quote again and use a new Idempotency-Key.",
  );

/**
 * A quote pays for one order: a second checkout (another Idempotency-Key) with it is refused. This
 * checkout's own order may exist already (a retry after a crash): it resumes only while still pending.
 */
async function assertOpenable(ctx: CheckoutContext, quoteId: string, orderId: string): Promise<void> {
  const [used] = await ctx.db
    .select({ id: orders.id, status: checkouts.status })
    .from(orders)
    .leftJoin(checkouts, eq(checkouts.orderId, orders.id))
    .where(eq(orders.quoteId, quoteId))
    .limit(1);
  if (used === undefined) return;
  if (used.id !== orderId) {
    throw new AppError("conflict", "This quote was already used for another checkout; ask for a new quote.");
  }
  if (used.status !== null && used.status !== "pending") throw alreadySettled();
}

/** The buyer the checkout is for must be the buyer the quote was made for. */
async function buyerOfQuote(ctx: CheckoutContext, input: CreateCheckoutInput) {
  const { quote } = input;
  if (input.memberToken !== undefined) {
    const memberId = await memberOfToken(ctx.tokens, input.memberToken, quote.creatorId);
    if (quote.buyerKey !== `member:${memberId}`) throw otherBuyer("/member_token");
    return { key: quote.buyerKey, memberId };
  }
  if (quote.buyerKey.startsWith("member:")) {
    throw invalid(
      [{ in: "body", path: "/member_token", message: "Required: the quote was made for a signed-in member" }],
      "This quote was made for a signed-in member: send their member_token.",
    );
  }
  if (input.buyerId === undefined || buyerKey({ "buyer-id": input.buyerId }) !== quote.buyerKey) {
    throw otherBuyer("/buyer-id");
  }
  return { key: quote.buyerKey, memberId: null };
}

const otherBuyer = (path: string) =>
  invalid(
    [
      {
        in: path === "/buyer-id" ? "header" : "body",
        path,
        message: "Not the buyer this quote was made for",
      },
    ],
    "The quote was made for another buyer; quote again as this one.",
  );

/**
 * The order (pending) and the checkout, written before the payment exists, so that an event about the
 * payment always finds them. A retry after a crash meets the same rows and takes over the secret.
 */
function openWrites(
  ctx: CheckoutContext,
  p: {
    input: CreateCheckoutInput;
    buyer: { key: string; memberId: string | null };
    checkoutId: string;
    orderId: string;
    holds: HeldUnits[];
    holdExpiresAt: number | null;
    secretHash: string;
  },
) {
  const { quote } = p.input;
  const [first] = p.holds;
  return [
    ctx.db
      .insert(orders)
      .values({
        id: p.orderId,
        creatorId: quote.creatorId,
        memberId: p.buyer.memberId,
        email: p.input.email,
        offerId: quote.offerId,
        dropId: quote.dropId,
        quantity: quote.quantity,
        currency: quote.currency,
        amountTotal: quote.amount,
        status: "pending",
        source: p.input.source,
        buyerKey: p.buyer.key,
        quoteId: quote.id,
        experimentId: quote.arm?.experimentId ?? null,
        experimentArm: quote.arm?.key ?? null,
        couponCode: quote.coupon,
        holdId: first?.holdId ?? null,
        provider: ctx.provider.name,
        createdAt: ctx.now,
        updatedAt: ctx.now,
      })
      .onConflictDoNothing(),
    ctx.db
      .insert(checkouts)
      .values({
        id: p.checkoutId,
        creatorId: quote.creatorId,
        orderId: p.orderId,
        status: "pending",
        secretHash: p.secretHash,
        buyerKey: p.buyer.key,
        email: p.input.email,
        memberId: p.buyer.memberId,
        provider: ctx.provider.name,
        dropId: first?.dropId ?? quote.dropId,
        holdId: first?.holdId ?? null,
        holdExpiresAt: p.holdExpiresAt,
        holds: p.holds.length === 0 ? null : JSON.stringify(p.holds),
        lines: JSON.stringify(quote.lines),
        attribution: p.input.attribution === undefined ? null : JSON.stringify(p.input.attribution),
        createdAt: ctx.now,
        updatedAt: ctx.now,
      })
      // A retry after a crash takes the checkout over while it is still pending, and never after.
      .onConflictDoUpdate({
        target: checkouts.id,
        set: { secretHash: p.secretHash, updatedAt: ctx.now },
        setWhere: eq(checkouts.status, "pending"),
      })
      .returning({ id: checkouts.id }),
  ] as const;
}

export async function currentView(ctx: CheckoutContext, checkoutId: string): Promise<CheckoutView> {
  const loaded = await loadCheckout(ctx.db, checkoutId);
  if (loaded === undefined) throw notFound("checkout", checkoutId);
  return renderCheckout(loaded.checkout, loaded.order);
}
