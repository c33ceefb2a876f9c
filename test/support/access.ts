import { eq } from "drizzle-orm";
import { auditEvents, entitlements, members, orders } from "../../src/db/schema";
import { db } from "./tenants";

/** Where an order's access stands, read from D1: its status and dispute, what it granted, the audit trail. */
export async function accessOf(orderId: string) {
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  const granted = await db.select().from(entitlements).where(eq(entitlements.sourceId, orderId));
  const [member] = order?.memberId
    ? await db.select().from(members).where(eq(members.id, order.memberId))
    : [undefined];
  const audits = await db.select().from(auditEvents).where(eq(auditEvents.subjectId, orderId));
  const actions = audits.map((a) => a.action);
  return {
    order: order?.status,
    dispute: order?.disputeStatus ?? null,
    disputeId: order?.disputeId ?? null,
    disputedAt: order?.disputedAt ?? null,
    entitlements: granted.map((e) => (e.revokedAt === null ? "active" : `revoked:${e.revokeReason}`)),
    tokenVersion: member?.tokenVersion ?? 0,
    audits: actions.filter((a) => a.startsWith("order.dispute")),
    paidAudits: actions.filter((a) => a === "order.paid").length,
    refundAudits: actions.filter((a) => a === "order.refunded").length,
  };
}
