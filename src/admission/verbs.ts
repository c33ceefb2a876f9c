import type { BuyerContext } from "../context";
import { AppError, notFound } from "../errors";
import { refuse } from "../holds/verbs";
import { toIso, toIsoOrNull } from "../lib/time";
import type { QuoteKeys } from "../quotes/token";
import type { TicketRecord } from "./contract";
import type { TicketView } from "./schemas";
import { signAdmission } from "./token";

/** A buyer verb that may sign an admission token. */
export interface QueueContext extends BuyerContext {
  keys: QuoteKeys;
}

interface TicketOf {
  dropId: string;
  buyer: string;
}

/** The buyer's ticket for the drop: a new one (created), or the one they already hold. */
export async function joinQueue({
  ctx,
  input,
}: {
  ctx: QueueContext;
  input: TicketOf;
}): Promise<{ ticket: TicketView; created: boolean }> {
  const joined = await ctx.inventory.joinQueue(input.dropId, input.buyer);
  if (!joined.ok && joined.reason === "overloaded") throw refuse("overloaded");
  if (!joined.ok)
    throw new AppError("queue_not_enabled", "This drop admits buyers without a queue: hold directly.");
  return { ticket: await renderTicket(ctx.keys, input.dropId, joined.ticket), created: joined.created };
}

export async function readTicket({
  ctx,
  input,
}: {
  ctx: QueueContext;
  input: TicketOf & { ticketId: string };
}): Promise<TicketView> {
  const record = await ctx.inventory.ticket(input.dropId, input.ticketId, input.buyer);
  if (record === null) throw notFound("queue ticket", input.ticketId);
  return renderTicket(ctx.keys, input.dropId, record);
}

/** The ticket as the buyer sees it; an admitted one carries its admission token, as long-lived as the admission. */
async function renderTicket(keys: QuoteKeys, dropId: string, t: TicketRecord): Promise<TicketView> {
  const expiresAt = t.status === "admitted" ? t.admissionExpiresAt : null;
  return {
    object: "queue_ticket",
    id: t.id,
    drop_id: dropId,
    status: t.status,
    position: t.position,
    ahead: t.ahead,
    estimated_wait_seconds: t.estimatedWaitSeconds,
    admission_token:
      expiresAt === null
        ? null
        : await signAdmission(keys, { dropId, buyerKey: t.buyer, ticketId: t.id, expiresAt }),
    admission_expires_at: toIsoOrNull(expiresAt),
    joined_at: toIso(t.joinedAt),
  };
}
