/**
 * The creator's audit log, per resource (issue 17): every audit row about one subject, newest first,
 * cursor-paginated and tenant-scoped. Rows are written in the same D1 batch as the change they record
 * (src/audit.ts), so this is the resource's history as it happened.
 */
import { z } from "@hono/zod-openapi";
import { and, eq } from "drizzle-orm";
import type { Call } from "../context";
import { listOwned } from "../db/keyset";
import { auditEvents } from "../db/schema";
import { PageQuerySchema } from "../http/pagination";
import { toIso } from "../lib/time";

export const AuditQuery = PageQuerySchema.extend({
  subject_type: z
    .string()
    .regex(/^[a-z_]{1,40}$/)
    .openapi({
      description: "What the rows are about: `order`, `drop`, `offer`, `subscription`, `creator`…",
    }),
  subject_id: z.string().min(1).max(100).openapi({ description: "The resource's id." }),
  action: z
    .string()
    .regex(/^[a-z_.]{1,80}$/)
    .optional()
    .openapi({ description: "Only rows of this action, e.g. `order.refunded`." }),
});
export type AuditQueryInput = z.infer<typeof AuditQuery>;

export const AuditEventSchema = z
  .object({
    id: z.string(),
    object: z.literal("audit_event"),
    action: z.string(),
    actor: z.string().openapi({ description: "`api_key:<id>`, `system`, `seed`, `anonymous`…" }),
    subject: z.object({ type: z.string(), id: z.string() }),
    data: z.unknown().openapi({ description: "What changed, as the verb recorded it." }),
    created_at: z.string(),
  })
  .openapi("AuditEvent");

export async function listAuditEvents({ ctx, input }: Call<AuditQueryInput>) {
  const listed = await listOwned(ctx.db, auditEvents, {
    time: auditEvents.createdAt,
    creatorId: ctx.creatorId,
    filter: and(
      eq(auditEvents.subjectType, input.subject_type),
      eq(auditEvents.subjectId, input.subject_id),
      input.action === undefined ? undefined : eq(auditEvents.action, input.action),
    ),
    query: input,
    position: (r) => ({ t: r.createdAt, id: r.id }),
  });
  return {
    ...listed,
    data: listed.data.map((r) => ({
      id: r.id,
      object: "audit_event" as const,
      action: r.action,
      actor: r.actor,
      subject: { type: r.subjectType, id: r.subjectId },
      data: JSON.parse(r.data) as unknown,
      created_at: toIso(r.createdAt),
    })),
  };
}
