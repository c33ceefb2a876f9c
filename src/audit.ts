import type { TenantContext } from "./context";
import type { Write } from "./db/client";
import { auditEvents } from "./db/schema";
import { newId } from "./lib/ids";

/** The audit row for a state change; verbs put it in the same batch as the change. */
export function auditWrite(
  ctx: Pick<TenantContext, "db" | "creatorId" | "actor" | "now">,
  action: string,
  subject: { type: string; id: string },
  data: unknown,
): Write {
  return ctx.db.insert(auditEvents).values({
    id: newId("audit"),
    creatorId: ctx.creatorId,
    actor: ctx.actor,
    action,
    subjectType: subject.type,
    subjectId: subject.id,
    data: JSON.stringify(data),
    createdAt: ctx.now,
  });
}
