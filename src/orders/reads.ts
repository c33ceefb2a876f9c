/**
 * The creator's reads of its orders (issue 17, part 1): a filtered, cursor-paginated list, and one
 * order with its price lines, what it granted and its timeline (every audit row about it, oldest
 * first), and the checkout that paid for it as the creator sees it. Tenant-scoped: another creator's
 * order is 404, and a list never shows one. `orderFilter` is the one filter builder the list and the
 * CSV export (./export.ts) share.
 */
import { z } from "@hono/zod-openapi";
import { and, asc, eq, gte, lt, type SQL } from "drizzle-orm";
import { AdminCheckoutSchema, checkoutOfOrderRead, renderAdminCheckout } from "../checkout/admin-reads";
import { OrderSchema } from "../checkout/schemas";
import { renderOrder } from "../checkout/store";
import type { Call } from "../context";
import { listOwned } from "../db/keyset";
import { auditEvents, entitlements, type OrderRow, orderSources, orderStatuses, orders } from "../db/schema";
import { grantedBy } from "../entitlements/store";
import { notFound } from "../errors";
import { PageQuerySchema } from "../http/pagination";
import { toIso, toIsoOrNull } from "../lib/time";

const Id = z.string().min(1).max(64);
const Instant = z.iso.datetime({ offset: true });

/** The filters the order list and the CSV export (./export.ts) share; `orderFilter` turns them into SQL. */
export const OrderFilterFields = {
  status: z.enum(orderStatuses).optional(),
  offer_id: Id.optional(),
  drop_id: Id.optional(),
  member_id: Id.optional(),
  source: z.enum(orderSources).optional().openapi({ description: "Where the buyer came from." }),
};

export const ListOrdersQuery = PageQuerySchema.extend({
  ...OrderFilterFields,
  created_from: Instant.optional().openapi({ description: "Orders created at or after this instant (UTC)." }),
  created_to: Instant.optional().openapi({ description: "Orders created before this instant (UTC)." }),
});
export type ListOrdersInput = z.infer<typeof ListOrdersQuery>;

const Line = z.object({ type: z.string(), amount: z.number().int(), ref: z.string().optional() });

export const OrderDetailSchema = OrderSchema.extend({
  lines: z
    .array(Line)
    .nullable()
    .openapi({ description: "How it was priced; null for a point-of-sale order, priced at the till." }),
  checkout: AdminCheckoutSchema.nullable().openapi({
    description:
      "The checkout that paid for it, as the creator sees it (no secrets); null for a point-of-sale order.",
  }),
  entitlements: z.array(
    z.object({
      id: z.string(),
      benefit_key: z.string(),
      granted_at: z.string(),
      expires_at: z.string().nullable(),
      revoked_at: z.string().nullable(),
      revoke_reason: z.string().nullable(),
    }),
  ),
  timeline: z
    .array(z.object({ at: z.string(), action: z.string(), actor: z.string(), data: z.unknown() }))
    .openapi({ description: "Every audit row about the order, oldest first: payment, refund, dispute…" }),
}).openapi("OrderDetail");
export type OrderDetailView = z.infer<typeof OrderDetailSchema>;

/** What an order list or export is narrowed by: each field given adds one condition. */
export interface OrderFilter {
  status?: OrderRow["status"] | undefined;
  offer_id?: string | undefined;
  drop_id?: string | undefined;
  member_id?: string | undefined;
  source?: OrderRow["source"] | undefined;
  created_from?: string | undefined;
  created_to?: string | undefined;
}

/** The WHERE fragment for `filter` (the creator's own condition is the caller's, with its keyset). */
export function orderFilter(input: OrderFilter): SQL | undefined {
  return and(
    input.status === undefined ? undefined : eq(orders.status, input.status),
    input.offer_id === undefined ? undefined : eq(orders.offerId, input.offer_id),
    input.drop_id === undefined ? undefined : eq(orders.dropId, input.drop_id),
    input.member_id === undefined ? undefined : eq(orders.memberId, input.member_id),
    input.source === undefined ? undefined : eq(orders.source, input.source),
    input.created_from === undefined ? undefined : gte(orders.createdAt, Date.parse(input.created_from)),
    input.created_to === undefined ? undefined : lt(orders.createdAt, Date.parse(input.created_to)),
  );
}

export async function listOrders({ ctx, input }: Call<ListOrdersInput>) {
  const listed = await listOwned(ctx.db, orders, {
    time: orders.createdAt,
    creatorId: ctx.creatorId,
    filter: orderFilter(input),
    query: input,
    position: (r) => ({ t: r.createdAt, id: r.id }),
  });
  return { ...listed, data: listed.data.map(renderOrder) };
}

/** One order and what hangs off it (its checkout, grants, timeline), in one D1 round trip: a batch of four reads. */
export async function getOrder({ ctx, input }: Call<{ id: string }>): Promise<OrderDetailView> {
  const mine = (table: typeof orders | typeof auditEvents) => eq(table.creatorId, ctx.creatorId);
  const [found, checkout, granted, audit] = await ctx.db.batch([
    ctx.db
      .select()
      .from(orders)
      .where(and(mine(orders), eq(orders.id, input.id)))
      .limit(1),
    checkoutOfOrderRead(ctx, input.id),
    ctx.db
      .select()
      .from(entitlements)
      .where(and(eq(entitlements.creatorId, ctx.creatorId), grantedBy("order", [input.id]))),
    ctx.db
      .select()
      .from(auditEvents)
      .where(
        and(mine(auditEvents), eq(auditEvents.subjectType, "order"), eq(auditEvents.subjectId, input.id)),
      )
      .orderBy(asc(auditEvents.createdAt), asc(auditEvents.id)),
  ]);
  const order = found[0];
  if (order === undefined) throw notFound("order", input.id);
  const paidBy = checkout[0];
  return {
    ...renderOrder(order),
    lines: paidBy === undefined ? null : (JSON.parse(paidBy.lines) as z.infer<typeof Line>[]),
    checkout: paidBy === undefined ? null : renderAdminCheckout(paidBy, order),
    entitlements: granted.map((e) => ({
      id: e.id,
      benefit_key: e.benefitKey,
      granted_at: toIso(e.grantedAt),
      expires_at: toIsoOrNull(e.expiresAt),
      revoked_at: toIsoOrNull(e.revokedAt),
      revoke_reason: e.revokeReason ?? null,
    })),
    timeline: audit.map((a) => ({
      at: toIso(a.createdAt),
      action: a.action,
      actor: a.actor,
      data: JSON.parse(a.data) as unknown,
    })),
  };
}
