/** Moving a physical order's fulfilment, and the hub's batch windows. */
import { and, asc, count, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { OrderView } from "../checkout/schemas";
import { renderOrder } from "../checkout/store";
import type { Call } from "../context";
import { expectOneChange } from "../db/client";
import { type OrderRow, orders } from "../db/schema";
import { AppError, invalid, notFound } from "../errors";
import { toIso } from "../lib/time";
import { type FulfilmentStatus, fulfilmentMove, fulfilmentStatuses, moveFieldErrors } from "./machine";
import type { BatchesInput, BatchesView, FulfilmentMoveInput } from "./schemas";
import { hubOf } from "./store";

/** Where an order must still be for the move to land: a refund racing a shipment wins. */
const ORDER_STATUSES_FOR: Record<FulfilmentStatus, OrderRow["status"][]> = {
  unfulfilled: ["paid", "refunded"],
  packed: ["paid"],
  shipped: ["paid"],
  delivered: ["paid"],
  returned: ["paid", "refunded"],
};

/**
 * Moves the order's fulfilment, guarded on the status it was read in: of two packers moving the same
 * order, one lands and the other is told (409) that it moved meanwhile. Audited with from and to.
 */
export async function moveFulfilment({
  ctx,
  input,
}: Call<FulfilmentMoveInput & { id: string }>): Promise<OrderView> {
  const fieldErrors = moveFieldErrors(input);
  if (fieldErrors.length > 0) throw invalid(fieldErrors.map((e) => ({ in: "body" as const, ...e })));
  const order = await findOrder(ctx, input.id);
  const from = order.fulfilmentStatus;
  const refusal = fulfilmentMove({ orderStatus: order.status, fulfilment: from }, input.status);
  if (refusal !== null || from === null) {
    throw new AppError(refusal?.code ?? "fulfilment_not_applicable", refusal?.detail ?? "");
  }
  const shipping = input.status === "shipped";
  const changes = {
    fulfilmentStatus: input.status,
    ...(shipping ? { carrier: input.carrier ?? null, trackingNumber: input.tracking_number ?? null } : {}),
    ...(input.status === "unfulfilled" ? { carrier: null, trackingNumber: null } : {}),
    fulfilmentUpdatedAt: ctx.now,
    updatedAt: ctx.now,
  };
  const view = renderOrder({ ...order, ...changes });
  const data = {
    from,
    to: input.status,
    ...(shipping ? { carrier: input.carrier, tracking_number: input.tracking_number } : {}),
  };
  try {
    await ctx.commit(
      [
        ctx.db
          .update(orders)
          .set(changes)
          .where(
            and(
              eq(orders.creatorId, ctx.creatorId),
              eq(orders.id, order.id),
              eq(orders.fulfilmentStatus, from),
              inArray(orders.status, ORDER_STATUSES_FOR[input.status]),
            ),
          ),
        expectOneChange(ctx.db),
        auditWrite(ctx, "order.fulfilment_updated", { type: "order", id: order.id }, data),
      ],
      view,
    );
  } catch (error) {
    const now = await findOrder(ctx, order.id);
    if (now.fulfilmentStatus !== from || now.status !== order.status) {
      throw new AppError(
        "fulfilment_transition_invalid",
        `The order changed while this move was made (its fulfilment is now ${now.fulfilmentStatus}, the order ` +
          `${now.status}); read it and try again.`,
      );
    }
    throw error;
  }
  return view;
}

async function findOrder(ctx: Call<unknown>["ctx"], id: string): Promise<OrderRow> {
  const [order] = await ctx.db
    .select()
    .from(orders)
    .where(and(eq(orders.creatorId, ctx.creatorId), eq(orders.id, id)))
    .limit(1);
  if (order === undefined) throw notFound("order", id);
  return order;
}

const MAX_BATCH_RANGE_MS = 92 * 86_400_000;

/**
 * The hub's windows between `from` and `to` with their orders, units and statuses: one grouped query
 * over orders(creator_id, fulfilment_status, fulfilment_batch_at), read with the hub in one batch.
 */
export async function listBatches({ ctx, input }: Call<BatchesInput>): Promise<BatchesView> {
  const from = Date.parse(input.from);
  const to = Date.parse(input.to);
  if (!(to > from)) throw invalid([{ in: "query", path: "/to", message: "Must be after `from`" }]);
  if (to - from > MAX_BATCH_RANGE_MS)
    throw invalid([{ in: "query", path: "/to", message: "At most 92 days after `from`" }]);
  const [[hub], rows] = await ctx.db.batch([
    hubOf(ctx.db, ctx.creatorId, input.hub_id),
    ctx.db
      .select({
        status: orders.fulfilmentStatus,
        batchAt: orders.fulfilmentBatchAt,
        orders: count(),
        units: sql<number>`coalesce(sum(${orders.quantity}), 0)`,
      })
      .from(orders)
      .where(
        and(
          eq(orders.creatorId, ctx.creatorId),
          inArray(orders.fulfilmentStatus, [...fulfilmentStatuses]),
          gte(orders.fulfilmentBatchAt, from),
          lt(orders.fulfilmentBatchAt, to),
          eq(orders.fulfilmentHubId, input.hub_id),
        ),
      )
      .groupBy(orders.fulfilmentBatchAt, orders.fulfilmentStatus)
      .orderBy(asc(orders.fulfilmentBatchAt)),
  ]);
  if (hub === undefined) throw notFound("fulfilment hub", input.hub_id);
  const windows = new Map<number, BatchesView["data"][number]>();
  for (const row of rows) {
    if (row.batchAt === null || row.status === null) continue;
    const window = windows.get(row.batchAt) ?? {
      batch_at: toIso(row.batchAt),
      orders: 0,
      units: 0,
      by_status: { unfulfilled: 0, packed: 0, shipped: 0, delivered: 0, returned: 0 },
    };
    window.orders += row.orders;
    window.units += Number(row.units);
    window.by_status[row.status] += row.orders;
    windows.set(row.batchAt, window);
  }
  return {
    object: "fulfilment_batches",
    hub_id: hub.id,
    batch_window: hub.batchWindow ?? null,
    data: [...windows.values()],
  };
}
