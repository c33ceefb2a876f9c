/**
 * Drop items sold offline take their units from the allotment they name, in the drop's object, before
 * anything lands in D1. The sale's id follows from the item's client id (like its order's), so a replay
 * or a second device sending the same item finds the sale already made and takes nothing more.
 */
import type { ConsumeRefusal } from "../inventory/allotments";
import { itemToken } from "./landing";
import type { Accepted, ReconcileContext, Reject, RejectCode } from "./reconcile";

const refusals: Record<ConsumeRefusal, [RejectCode, (a: Accepted) => string]> = {
  allotment_exceeded: [
    "allotment_exceeded",
    (a) => `Allotment ${a.allotment?.id} has fewer than ${a.item.quantity} units left.`,
  ],
  sold_out: [
    "sold_out",
    (a) => `Allotment ${a.allotment?.id} had ended and the drop has too few units left to cover this sale.`,
  ],
  allotment_not_found: ["invalid", (a) => `Allotment ${a.allotment?.id} holds no units in its drop.`],
};

/** The admitted items that may land: every drop item whose units were consumed, and every other item. */
export async function consumeDropSales(
  ctx: ReconcileContext,
  accepted: Accepted[],
  reject: Reject,
): Promise<Accepted[]> {
  const byDrop = new Map<string, Accepted[]>();
  for (const a of accepted) {
    if (a.allotment) byDrop.set(a.allotment.dropId, [...(byDrop.get(a.allotment.dropId) ?? []), a]);
  }
  if (byDrop.size === 0) return accepted;
  const refused = new Set<Accepted>();
  await Promise.all(
    [...byDrop].map(async ([dropId, items]) => {
      const sales = await Promise.all(
        items.map(async (a) => {
          const token = await itemToken(ctx.creatorId, a.item.client_id);
          return {
            allotmentId: a.allotment?.id as string,
            saleId: `hold_${token}`,
            orderRef: `ord_${token}`,
            quantity: a.item.quantity,
          };
        }),
      );
      // The allotment's row (joined to its drop's) was read from D1: the drop exists, no read to prove it.
      ctx.inventory.vouch(dropId);
      const { outcomes } = await ctx.inventory.consume(dropId, sales);
      for (const [i, a] of items.entries()) {
        const outcome = outcomes[i];
        if (outcome?.ok) {
          a.sale = { dropId, holdId: outcome.sale.id };
        } else {
          const [code, message] = refusals[outcome?.reason ?? "allotment_not_found"];
          reject(a.index, a.item.client_id, code, message(a));
          refused.add(a);
        }
      }
    }),
  );
  return accepted.filter((a) => !refused.has(a));
}
