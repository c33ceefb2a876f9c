/**
 * The creator refunds a subscription's last paid invoice: the payment is refunded in full and the
 * subscription ends at once (canceled, the tier revoked with reason `refund`, tokens revoked), because
 * access never outlives the money that paid for it. The first period is the membership's order: it is
 * refunded as an order (POST /v1/orders/{id}/refund), which ends the subscription the same way.
 */
import { and, desc, eq } from "drizzle-orm";
import { destinationOfPayment, paymentRefundWrites, reversalOption } from "../connect/refunds";
import type { Write } from "../db/client";
import { subscriptionInvoices as si } from "../db/schema";
import { AppError } from "../errors";
import { ProviderError, type Refund } from "../payments/provider";
import { ended } from "./billing";
import { refuseAtProvider } from "./provider-sync";
import type { RenewalContext } from "./renewals";
import type { SubscriptionView } from "./schemas";
import { applyTo, factTime, loadSubscription, stateOf } from "./store";
import { current, type Owner, owned, renderSubscription, unavailable } from "./verbs";

export async function refundLastInvoice(
  ctx: RenewalContext,
  owner: Owner,
  id: string,
): Promise<SubscriptionView> {
  let loaded = await current(ctx, await owned(ctx, owner, id));
  refuseAtProvider(loaded.row, "refunding its last invoice here (refund the payment at the provider)");
  const [invoice] = await ctx.db
    .select()
    .from(si)
    .where(and(eq(si.subscriptionId, id), eq(si.status, "paid")))
    .orderBy(desc(si.periodStart))
    .limit(1);
  if (invoice === undefined || invoice.paymentId === null) {
    throw new AppError("conflict", "This subscription has no paid invoice left to refund.");
  }
  if (invoice.periodIndex === 0 && loaded.row.orderId !== null && invoice.periodStart === loaded.row.anchor) {
    throw new AppError(
      "conflict",
      `The last payment is the membership's order: refund it with POST /v1/orders/${loaded.row.orderId}/refund.`,
    );
  }
  // A renewal charged as a destination charge (the creator paid through Connect) takes the creator's
  // share back with the refund; the payment says whether it was one.
  const paid = await ctx.provider.retrieve(invoice.paymentId).catch(() => {
    throw unavailable();
  });
  const destination = destinationOfPayment(paid);
  let refund: Refund;
  try {
    refund = await ctx.provider.refund(invoice.paymentId, {
      reason: "requested_by_customer",
      idempotencyKey: `invoice-refund:${invoice.id}`,
      metadata: { subscription_id: id, invoice_id: invoice.id },
      ...reversalOption(destination?.account),
    });
  } catch (error) {
    if (error instanceof ProviderError && !error.retryable) {
      throw new AppError(
        "conflict",
        `The payment provider refused the refund (${error.code ?? error.kind}): ${error.message}`,
      );
    }
    throw unavailable();
  }
  const shareWrites: Write[] = paymentRefundWrites(
    { db: ctx.db, actor: ctx.actor, now: ctx.now },
    { creatorId: loaded.row.creatorId, orderId: null, paid, refund },
    { type: "subscription", id },
  );
  for (let attempt = 0; attempt < 5; attempt++) {
    const state = stateOf(loaded.row);
    const at = factTime(loaded.row, ctx.now);
    const applied = await applyTo(
      ctx,
      loaded,
      [
        { type: "invoice_refunded", at, periodStart: invoice.periodStart, periodEnd: invoice.periodEnd },
        ended(state, at),
      ],
      {
        dunning: { attempts: 0, since: null },
        writes: [
          ctx.db.update(si).set({ status: "refunded", updatedAt: ctx.now }).where(eq(si.id, invoice.id)),
          ...shareWrites,
        ],
        action: "subscription.refunded",
        audit: { invoice_id: invoice.id, payment_id: invoice.paymentId, amount: invoice.amount },
        revokeReason: "refund",
      },
    );
    if (applied !== "conflict")
      return renderSubscription({ row: applied.row, settings: loaded.settings }, ctx.now);
    loaded = (await loadSubscription(ctx.db, id)) ?? loaded;
  }
  throw new AppError("conflict", "The subscription kept changing; the refund was made, try again to end it.");
}
