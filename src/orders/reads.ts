/**
 * The creator's reads of its orders (issue 17, part 1): a filtered, cursor-paginated list, and one
 * order with its price lines, what it granted and its timeline (every audit row about it, oldest
 * first). Tenant-scoped: another creator's order is 404, and a list never shows one.
 */
import { z } from "@hono/zod-openapi";
import { and, asc, eq, gte, lt, type SQL } from "drizzle-orm";
import { OrderSchema } from "../checkout/schemas";
import { renderOrder } from "../checkout/store";
import type { Call } from "../context";
import { listOwned } from "../db/keyset";
import { auditEvents, checkouts, entitlements, orderSources, orderStatuses, orders } from "../db/schema";
import { grantedBy } from "../entitlements/store";
import { notFound } from "../errors";
import { PageQuerySchema } from "../http/pagination";
import { toIso, toIsoOrNull } from "../lib/time";

const Id = z.string().min(1).max(64);
const Instant = z.iso.datetime({ offset: true });

export const ListOrdersQuery = PageQuerySchema.extend({
  status: z.enum(orderStatuses).optional(),
  offer_id: Id.optional(),
  drop_id: Id.optional(),
  member_id: Id.optional(),
  source: z.enum(orderSources).optional().openapi({ description: "Where the buyer came from." }),
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

export async function listOrders({ ctx, input }: Call<ListOrdersInput>) {
  const filters: (SQL | undefined)[] = [
    input.status === undefined ? undefined : eq(orders.status, input.status),
    input.offer_id === undefined ? undefined : eq(orders.offerId, input.offer_id),
    input.drop_id === undefined ? undefined : eq(orders.dropId, input.drop_id),
    input.member_id === undefined ? undefined : eq(orders.memberId, input.member_id),
    input.source === undefined ? undefined : eq(orders.source, input.source),
    input.created_from === undefined ? undefined : gte(orders.createdAt, Date.parse(input.created_from)),
    input.created_to === undefined ? undefined : lt(orders.createdAt, Date.parse(input.created_to)),
  ];
  const listed = await listOwned(ctx.db, orders, {
    time: orders.createdAt,
    creatorId: ctx.creatorId,
    filter: and(...filters),
    query: input,
    position: (r) => ({ t: r.createdAt, id: r.id }),
  });
  return { ...listed, data: listed.data.map(renderOrder) };
}

/** One order and what hangs off it, in one D1 round trip (a batch of four reads). */
export async function getOrder({ ctx, input }: Call<{ id: string }>): Promise<OrderDetailView> {
  const mine = (table: typeof orders | typeof checkouts | typeof auditEvents) =>
    eq(table.creatorId, ctx.creatorId);
  const [found, checkout, granted, audit] = await ctx.db.batch([
    ctx.db
      .select()
      .from(orders)
      .where(and(mine(orders), eq(orders.id, input.id)))
      .limit(1),
    ctx.db
      .select({ lines: checkouts.lines })
      .from(checkouts)
      .where(and(mine(checkouts), eq(checkouts.orderId, input.id)))
      .limit(1),
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
  const lines = checkout[0]?.lines;
  return {
    ...renderOrder(order),
    lines: lines === undefined ? null : (JSON.parse(lines) as z.infer<typeof Line>[]),
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
