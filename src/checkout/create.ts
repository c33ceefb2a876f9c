/**
 * Checkout: quote → hold → payment → paid order, entitlement and token. Creating one verifies the quote,
 * reserves the drop's units, writes the order (pending) and the checkout, then creates the payment with
 * an idempotency key derived from the checkout's, and settles whatever the provider already knows.
 */
import { and, eq, isNull } from "drizzle-orm";
import { auditWrite } from "../audit";
import { destinationFor } from "../connect/checkout";
import type { Call } from "../context";
import { runBatch, type Write } from "../db/client";
import { type CheckoutRow, checkouts, type OrderRow, orders } from "../db/schema";
import { memberOfToken, type TokenContext } from "../entitlements/verbs";
import { AppError, invalid, notFound } from "../errors";
import type { ShippingAddress } from "../fulfilment/address";
import { type ShippingAddressInput, shippingAddressFor, storedAddress } from "../fulfilment/checkout";
import { buyerKey } from "../holds/buyer";
import { randomToken, sha256Hex } from "../lib/crypto";
import { type Destination, newCallStats, type ProviderEvent } from "../payments/provider";
import type { QuoteClaims } from "../quotes/token";
import { completeAtOnce } from "./at-once";
import { drainEmitted } from "./events";
import { type HeldUnits, releaseAll, reserveAll } from "./holds";
import { markPaid } from "./paid";
import { createPayment } from "./payment";
import { type CheckoutFacts, readFacts } from "./reads";
import type { CheckoutView } from "./schemas";
import { type PaymentContext, settlePayment } from "./settle";
import { checkoutIds, checkoutRowsRead, loadCheckout, renderCheckout } from "./store";
import type { Loaded } from "./transition";
import { type Entitlement, withEntitlement } from "./verbs";

export interface CheckoutContext extends PaymentContext {
  tokens: TokenContext;
  /** Events the sandbox emitted during this request: handled through the inbox after our own writes. */
  emitted: ProviderEvent[];
  /** Lands the final writes with the stored idempotent response; answers the writes' results. */
  commit(writes: Write[], result: unknown): Promise<unknown[]>;
}

export interface CreateCheckoutInput {
  quote: QuoteClaims;
  idempotencyKey: string;
  email: string;
  memberToken: string | undefined;
  buyerId: string | undefined;
  /** The key of the Buyer-Token sent, verified by the gate (src/drops/gate.ts), if one was. */
  buyerTokenKey?: string | undefined;
  paymentMethod: string | undefined;
  returnUrl: string | undefined;
  source: "link" | "overlay" | "pos" | "api";
  attribution: Record<string, string> | undefined;
  /** Required when the offer (or a bundle's component) ships; refused when it does not. */
  shippingAddress?: ShippingAddressInput | undefined;
  /** What the create decides on, read in the Idempotency-Key claim's batch (reads.ts); read here if absent. */
  facts?: CheckoutFacts;
}

export async function createCheckout({
  ctx,
  input,
}: Call<CreateCheckoutInput, CheckoutContext>): Promise<CreatedCheckout> {
  const { quote } = input;
  const buyer = await buyerOfQuote(ctx, input);
  const { checkoutId, orderId } = await checkoutIds(quote.creatorId, input.idempotencyKey, quote.id);
  const facts = input.facts ?? (await readFacts(ctx.db, quote, input.email));
  assertOpenable(facts.used, orderId);
  // Before anything is held: a suspended creator sells nothing, and money is never taken for a creator
  // whose payout account cannot receive it (docs/payouts.md).
  const destination = destinationFor(ctx.payoutsMode ?? "platform", facts.payout, quote.amount);
  const shippingAddress = shippingAddressFor(facts.shipping.ships, input.shippingAddress);
  for (const { dropId } of quote.drops) ctx.inventory.vouch(dropId);
  const { holds, expiresAt } = await reserveAll(ctx, quote.drops, buyer.key, checkoutId);
  const secret = `${checkoutId}_secret_${randomToken(32)}`;
  const open = {
    input,
    buyer,
    checkoutId,
    orderId,
    holds,
    holdExpiresAt: expiresAt,
    shippingAddress,
    destination,
  };
  let opened: { id: string }[];
  let loaded: Loaded | undefined;
  try {
    // The rows as they stand once written, read back in the same batch.
    let rows: [CheckoutRow[], OrderRow[]];
    [, opened, ...rows] = await ctx.db.batch([
      ...openWrites(ctx, { ...open, secretHash: await sha256Hex(secret) }),
      ...checkoutRowsRead(ctx.db, checkoutId, orderId),
    ]);
    const [[checkout], [order]] = rows;
    loaded = checkout && order && { checkout, order };
  } catch (error) {
    // A racing checkout with the same quote took it first: give our units back and say so.
    await releaseAll(ctx, holds, buyer.key);
    assertOpenable((await readFacts(ctx.db, quote, input.email)).used, orderId);
    throw error;
  }
  // The row exists and has left `pending` (a racing retry settled it): it is never rewritten.
  if (opened.length === 0 || loaded === undefined) throw alreadySettled();
  const created = (status: CheckoutView["status"]) =>
    auditWrite(
      { db: ctx.db, creatorId: quote.creatorId, actor: `buyer:${buyer.key}`, now: ctx.now },
      "checkout.created",
      { type: "order", id: orderId },
      { checkout_id: checkoutId, status },
    );
  const writes = (status: CheckoutView["status"]) => [created(status)];

  if (quote.amount === 0) {
    // Nothing to charge (a 100 % coupon, a free offer): it completes at once and grants like a paid one.
    const done = await completeAtOnce(ctx, { loaded, payment: null, facts, secret, checkout: {}, writes });
    if (done !== undefined) return { ...done, secret };
    const current = await loadCheckout(ctx.db, checkoutId);
    if (current !== undefined) await markPaid(ctx, current, null, "confirm");
  } else {
    const stats = newCallStats();
    const holdId = holds[0]?.holdId ?? null;
    const payment = await createPayment(ctx, { ...open, holdId, interval: facts.interval }, stats);
    const recorded = {
      paymentId: payment.id,
      clientSecret: payment.clientSecret,
      providerLatencyMs: stats.latencyMs,
      providerAttempts: stats.attempts,
      providerRetries: stats.retries,
    };
    const done = await completeAtOnce(ctx, { loaded, payment, facts, secret, checkout: recorded, writes });
    if (done !== undefined) return { ...done, secret };
    await runBatch(ctx.db, [
      ctx.db
        .update(checkouts)
        .set({ ...recorded, updatedAt: ctx.now })
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
  await ctx.commit([created(view.status)], view);
  return { ...view, entitlement: await entitlementAfter(ctx, view) };
}

export type CreatedCheckout = CheckoutView & { secret: string; entitlement: Entitlement };

/** The entitlement of a checkout the general path left paid: one more batch, only then. */
async function entitlementAfter(ctx: CheckoutContext, view: CheckoutView & { secret: string }) {
  if (view.status !== "paid") return null;
  return (await withEntitlement(ctx, { id: view.id, secret: view.secret })).entitlement;
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
function assertOpenable(used: CheckoutFacts["used"], orderId: string): void {
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
  // A quote for a minted buyer is paid for only by the holder of that buyer's token.
  if (quote.buyerKey.startsWith("btk:")) {
    if (input.buyerTokenKey !== quote.buyerKey) throw otherBuyer("/buyer-token");
    return { key: quote.buyerKey, memberId: null };
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
        in: path.startsWith("/buyer-") ? "header" : "body",
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
    shippingAddress: ShippingAddress | null;
    destination: Destination | undefined;
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
        shippingAddress: storedAddress(p.shippingAddress),
        destinationAccount: p.destination?.account ?? null,
        platformFeeAmount: p.destination?.applicationFeeAmount ?? null,
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
