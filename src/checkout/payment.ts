/**
 * The payment a new checkout opens with the provider, and what a refusal does: a provider that refused
 * outright fails the checkout (only from `pending`) and gives its units back; one that could not be
 * reached keeps everything, so the buyer's retry with the same key resumes it.
 */
import { and, eq } from "drizzle-orm";
import { payoutsNotReady } from "../connect/checkout";
import { syncAccount } from "../connect/verbs";
import { type BillingInterval, orders } from "../db/schema";
import { AppError, invalid } from "../errors";
import { type CallStats, type CreatePayment, type Destination, ProviderError } from "../payments/provider";
import { namedIntervals } from "../subscriptions/intervals";
import type { CheckoutContext, CreateCheckoutInput } from "./create";
import { type HeldUnits, releaseAll } from "./holds";
import { loadCheckout } from "./store";
import { audit, land, moveWrites } from "./transition";

type Opening = {
  input: CreateCheckoutInput;
  buyer: { key: string };
  checkoutId: string;
  orderId: string;
  holds: HeldUnits[];
  /** A destination charge to the creator's connected account (connect/checkout.ts), or the platform's. */
  destination: Destination | undefined;
};

/**
 * The checkout's payment. A membership tier, with a provider that bills renewals itself (Stripe
 * Billing), starts the provider's subscription, whose first invoice's payment is this checkout's; with
 * the sandbox (its own renewal engine bills) and for anything else it is a plain payment.
 */
export async function createPayment(
  ctx: CheckoutContext,
  p: Opening & { holdId: string | null; interval: BillingInterval | null },
  stats: CallStats,
) {
  const { quote } = p.input;
  const payment: CreatePayment = {
    amount: quote.amount,
    currency: quote.currency,
    ...(p.destination === undefined ? {} : { destination: p.destination }),
    paymentMethod: p.input.paymentMethod,
    returnUrl: p.input.returnUrl,
    receiptEmail: p.input.email,
    metadata: {
      checkout_id: p.checkoutId,
      order_id: p.orderId,
      creator_id: quote.creatorId,
      ...(p.holdId === null ? {} : { hold_id: p.holdId }),
    },
    idempotencyKey: `checkout:${p.checkoutId}`,
  };
  const subscribe = ctx.provider.createSubscription?.bind(ctx.provider);
  try {
    if (p.interval !== null && subscribe !== undefined) {
      return await subscribe(
        {
          ...payment,
          metadata: { ...payment.metadata, offer_id: quote.offerId },
          email: p.input.email,
          product: { id: quote.offerId, name: `Membership ${quote.offerId}` },
          interval: namedIntervals[p.interval],
        },
        stats,
      );
    }
    return await ctx.provider.create(payment, stats);
  } catch (error) {
    if (error instanceof ProviderError && !error.retryable) {
      await abandonRefused(ctx, p, error);
      if (isDestinationRefusal(error) && p.destination !== undefined)
        await resync(ctx, p.destination.account);
    }
    throw providerProblem(error);
  }
}

/**
 * The provider refused the creator's account before its `account.updated` reached us: re-read it now,
 * so the stored readiness says so and the next checkout is refused without a call to the provider.
 * Best effort: the event, when it comes, does the same.
 */
async function resync(ctx: CheckoutContext, account: string): Promise<void> {
  const connect = ctx.provider.connect;
  if (connect === undefined) return;
  await syncAccount(ctx.db, connect, account, ctx.now, `provider:${ctx.provider.name}`).catch(
    (error: unknown) => {
      console.error(JSON.stringify({ connect: "resync_failed", account, error: String(error) }));
    },
  );
}

/**
 * The provider refused the payment outright (not a decline): the checkout fails and its units go back,
 * but only from `pending`: whatever the key, a checkout that moved on (paid, refunded) is never touched.
 */
async function abandonRefused(ctx: CheckoutContext, p: Opening, error: ProviderError): Promise<void> {
  const loaded = await loadCheckout(ctx.db, p.checkoutId);
  if (loaded === undefined) return;
  const settled = await land(
    ctx.db,
    p.checkoutId,
    ["pending"],
    [
      ...moveWrites(ctx.db, p.checkoutId, ["pending"], {
        status: "failed",
        failureCode: error.code ?? error.kind,
        failureMessage: error.message,
        updatedAt: ctx.now,
      }),
      ctx.db
        .update(orders)
        .set({ status: "failed", updatedAt: ctx.now })
        .where(and(eq(orders.id, p.orderId), eq(orders.status, "pending"))),
      audit(ctx, loaded, "order.failed", { code: error.code ?? error.kind, refused_by_provider: true }),
    ],
  );
  if (settled === "changed") await releaseAll(ctx, p.holds, p.buyer.key);
}

/**
 * A provider that could not be reached keeps the hold and stores no response, so the buyer's retry
 * with the same Idempotency-Key resumes the same checkout and payment.
 */
export function providerProblem(error: unknown): unknown {
  if (!(error instanceof ProviderError)) return error;
  if (error.retryable) {
    return new AppError(
      "payment_unavailable",
      "The payment provider did not answer; retry with the same Idempotency-Key.",
      {
        headers: { "retry-after": "2" },
      },
    );
  }
  // The creator's connected account lost what a destination charge needs before its `account.updated`
  // arrived: the creator's to fix, not the buyer's card.
  if (isDestinationRefusal(error)) {
    return payoutsNotReady(`the payment provider refused the connected account (${error.message})`);
  }
  return invalid(
    [{ in: "body", path: "/payment_method", message: error.message }],
    "The payment provider refused the request.",
  );
}

/** Stripe's codes (and the sandbox's) for a destination the account cannot receive. */
const destinationRefusals = new Set(["insufficient_capabilities_for_transfer", "account_invalid"]);
const isDestinationRefusal = (error: ProviderError): boolean =>
  error.code !== null && destinationRefusals.has(error.code);
