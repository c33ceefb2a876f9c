/**
 * Point-of-sale orders after the sale. Pay-later sales: access follows money, so the order lands
 * `pending` and grants nothing; the creator then records the payment, and the entitlement lands as if paid
 * at the stall, or cancels the order, and a drop sale's units go back on sale. And refunds paid out at
 * the till.
 */
import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { OrderView } from "../checkout/schemas";
import { restockIfPolicy } from "../checkout/settle";
import { renderOrder } from "../checkout/store";
import type { Call, TenantContext } from "../context";
import { expectOneChange, runBatch } from "../db/client";
import { entitlements, type OrderRow, offers, orders } from "../db/schema";
import { revokeSourceWrites } from "../entitlements/store";
import { AppError, notFound } from "../errors";
import { itemToken, posGrant, tierUpgradeWrite } from "./landing";

export const CollectBody = z
  .strictObject({
    method: z.enum(["cash", "card"]),
    reference: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "The card payment's reference." }),
  })
  .openapi("CollectPayment");

const PAY_LATER = "pos:pay_later";

async function payLaterOrder(ctx: TenantContext, id: string): Promise<OrderRow> {
  const [order] = await ctx.db
    .select()
    .from(orders)
    .where(and(eq(orders.creatorId, ctx.creatorId), eq(orders.id, id)))
    .limit(1);
  if (order === undefined) throw notFound("order", id);
  if (order.provider !== PAY_LATER)
    throw new AppError(
      "conflict",
      "Only orders a point of sale took as pay-later are collected or cancelled here.",
    );
  return order;
}

/** Whichever request changed a pending order first wins; the loser reads what it became. */
async function settled(
  ctx: TenantContext,
  id: string,
  wanted: OrderRow["status"],
  run: () => Promise<unknown>,
) {
  try {
    await run();
  } catch (error) {
    const now = await payLaterOrder(ctx, id);
    if (now.status === "pending") throw error; // nothing raced us: the batch failed for its own reasons
    if (now.status !== wanted) throw new AppError("conflict", `This order became ${now.status} meanwhile.`);
  }
}

/** Records the payment of a pending pay-later order, and grants what it sold (once). */
export async function collectOrder({
  ctx,
  input,
}: Call<{ id: string } & z.infer<typeof CollectBody>>): Promise<OrderView> {
  const order = await payLaterOrder(ctx, input.id);
  if (order.status === "paid") return renderOrder(order);
  if (order.status !== "pending")
    throw new AppError("conflict", `This order is ${order.status}; only a pending order can be collected.`);
  const [offer] = await ctx.db
    .select({
      id: offers.id,
      kind: offers.kind,
      billingInterval: offers.billingInterval,
      tierRank: offers.tierRank,
    })
    .from(offers)
    .where(eq(offers.id, order.offerId));
  const clientId = order.clientReference as string;
  const grant = posGrant({
    creatorId: ctx.creatorId,
    memberId: order.memberId as string,
    offer: offer as NonNullable<typeof offer>,
    clientId,
    token: await itemToken(ctx.creatorId, clientId),
    grantedAt: ctx.now,
  });
  const paid: OrderRow = {
    ...order,
    status: "paid",
    paidAt: ctx.now,
    paymentReference: input.reference ?? null,
    updatedAt: ctx.now,
  };
  const view = renderOrder(paid);
  await settled(ctx, order.id, "paid", () =>
    ctx.commit(
      [
        ctx.db
          .update(orders)
          .set({
            status: "paid",
            paidAt: ctx.now,
            paymentReference: paid.paymentReference,
            updatedAt: ctx.now,
          })
          .where(and(eq(orders.id, order.id), eq(orders.status, "pending"))),
        expectOneChange(ctx.db),
        ctx.db.insert(entitlements).values(grant.entitlement).onConflictDoNothing(),
        ...(grant.upgrade ? [tierUpgradeWrite(ctx.db, grant.upgrade, ctx.now)] : []),
        auditWrite(
          ctx,
          "order.collected",
          { type: "order", id: order.id },
          {
            method: input.method,
            reference: input.reference ?? null,
            entitlement_id: grant.entitlement.id,
          },
        ),
      ],
      view,
    ),
  );
  return view;
}

/**
 * Cancels a pending pay-later order: it never granted anything, and a drop sale's units go back on sale.
 * Cancelling again retries only the restock (idempotent in the drop's object), so a failed one heals.
 */
export async function cancelOrder({ ctx, input }: Call<{ id: string }>): Promise<OrderView> {
  const order = await payLaterOrder(ctx, input.id);
  if (order.status !== "pending" && order.status !== "cancelled")
    throw new AppError("conflict", `This order is ${order.status}; only a pending order can be cancelled.`);
  const cancelled: OrderRow = { ...order, status: "cancelled", updatedAt: ctx.now };
  const view = renderOrder(cancelled);
  if (order.status === "pending") {
    await settled(ctx, order.id, "cancelled", () =>
      ctx.commit(
        [
          ctx.db
            .update(orders)
            .set({ status: "cancelled", updatedAt: ctx.now })
            .where(and(eq(orders.id, order.id), eq(orders.status, "pending"))),
          expectOneChange(ctx.db),
          auditWrite(
            ctx,
            "order.cancelled",
            { type: "order", id: order.id },
            { restock: order.holdId !== null },
          ),
        ],
        view,
      ),
    );
  }
  if (order.dropId !== null && order.holdId !== null)
    await ctx.inventory.restock(order.dropId, order.holdId, order.id);
  return view;
}

/**
 * Records a refund paid out at the till (no payment provider holds a stall's cash): the order ends
 * refunded, what it granted is revoked (the member's token version bumped), and a drop sale's units go
 * back on sale if the drop says so. Refunding again changes nothing but retries that restock.
 */
export async function refundAtTill(
  ctx: Pick<TenantContext, "db" | "inventory" | "now" | "creatorId" | "actor">,
  order: OrderRow,
  reason: string,
): Promise<OrderView> {
  const restock = () =>
    restockIfPolicy(ctx, { dropId: order.dropId, holdId: order.holdId, orderId: order.id });
  if (order.status === "refunded") {
    await restock();
    return renderOrder(order);
  }
  if (order.status !== "paid") {
    const hint =
      order.status === "pending" ? " A pay-later order that was never paid is cancelled instead." : "";
    throw new AppError("conflict", `Only a paid order can be refunded; this one is ${order.status}.${hint}`);
  }
  const source = {
    creatorId: ctx.creatorId,
    type: "pos" as const,
    id: order.clientReference as string,
    memberId: order.memberId as string,
  };
  try {
    await runBatch(ctx.db, [
      ctx.db
        .update(orders)
        .set({ status: "refunded", updatedAt: ctx.now })
        .where(and(eq(orders.id, order.id), eq(orders.status, "paid"))),
      expectOneChange(ctx.db),
      ...revokeSourceWrites(ctx.db, source, "refund", ctx.now),
      auditWrite(ctx, "order.refunded", { type: "order", id: order.id }, { reason, at: "till" }),
    ]);
  } catch (error) {
    // Another refund of the same order landed first: that one stands.
    const [now] = await ctx.db.select({ status: orders.status }).from(orders).where(eq(orders.id, order.id));
    if (now?.status !== "refunded") throw error;
  }
  await restock();
  return renderOrder({ ...order, status: "refunded", updatedAt: ctx.now });
}
