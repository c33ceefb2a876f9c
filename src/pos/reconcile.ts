/**
 * Offline reconcile: a device's buffered sales land exactly once, however often and however split they
 * are sent, from however many devices. Every id an item creates (order, entitlement) is derived from the
 * creator and the item's client id, every write is an insert-or-ignore on a unique key, and all of a
 * batch's writes land in one D1 batch: two devices sending the same item write the same rows once, and
 * the item's result row says which batch landed it. The work is set-based (a few statements for the
 * whole batch, not per item), so large batches are cheap per item.
 *
 * A drop item names the allotment its units came from (one of this device's: admission.ts); an offer
 * behind an open or upcoming drop sells only that way (drop-gate.ts). Before anything lands, the drop's
 * object consumes the units from that allotment, once per item (drop-sales.ts).
 */
import { and, eq, inArray } from "drizzle-orm";
import { inChunks, runBatch } from "../db/client";
import { type PosDeviceRow, posItemResults } from "../db/schema";
import { admissible } from "./admission";
import type { AllotmentContext } from "./allotments";
import { type BatchPayload, PosItem, type PosItemInput } from "./batch";
import { consumeDropSales } from "./drop-sales";
import { enrolMembers, landWrites } from "./landing";

export const rejectCodes = [
  "sold_out",
  "allotment_exceeded",
  "offline_window_exceeded",
  "device_limit_exceeded",
  "unknown_offer",
  /** The offer sells only through an open or upcoming drop, and the item names none of its allotments. */
  "drop_required",
  /** The allotment the item names was claimed by another device of the creator. */
  "allotment_not_owned",
  "invalid",
] as const;
export type RejectCode = (typeof rejectCodes)[number];

export interface Landed {
  member_id: string;
  order_id: string;
  entitlement_ids: string[];
}
export type ItemResult =
  | ({ index: number; client_id: string; status: "accepted" | "duplicate" } & Landed)
  | { index: number; client_id: string | null; status: "rejected"; code: RejectCode; message: string };

export interface Accepted {
  index: number;
  item: PosItemInput;
  email: string;
  capturedAt: number;
  offer: { id: string; kind: string; billingInterval: "month" | "year" | null; tierRank: number | null };
  /** Drop items: the allotment the units came from, and (once consumed) the sale that holds them. */
  allotment?: { id: string; dropId: string };
  sale?: { dropId: string; holdId: string };
}

export interface ReconcileContext extends AllotmentContext {
  creatorId: string;
}

export type Reject = (index: number, clientId: string | null, code: RejectCode, message: string) => void;

/** Applies a verified batch and answers one result per item, in the items' order. */
export async function reconcile(
  ctx: ReconcileContext,
  device: PosDeviceRow,
  batch: BatchPayload,
): Promise<ItemResult[]> {
  const results = new Map<number, ItemResult>();
  const reject: Reject = (index, clientId, code, message) =>
    results.set(index, { index, client_id: clientId, status: "rejected", code, message });

  // 1. Shape, one item at a time. An item repeated within the batch is answered from its first copy.
  const parsed: { index: number; item: PosItemInput }[] = [];
  const firstIndex = new Map<string, number>();
  const repeats: { index: number; of: number }[] = [];
  batch.items.forEach((raw, index) => {
    const item = PosItem.safeParse(raw);
    if (!item.success) {
      const problems = item.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      reject(index, clientIdOf(raw), "invalid", problems);
      return;
    }
    const first = firstIndex.get(item.data.client_id);
    if (first === undefined) {
      firstIndex.set(item.data.client_id, index);
      parsed.push({ index, item: item.data });
    } else {
      repeats.push({ index, of: first });
    }
  });

  // 2. Items already landed (by any batch, any device) answer with their first result.
  const landed = await landedResults(
    ctx,
    parsed.map((p) => p.item.client_id),
  );
  const fresh = parsed.filter(({ index, item }) => {
    const earlier = landed.get(item.client_id);
    if (earlier)
      results.set(index, { index, client_id: item.client_id, status: "duplicate", ...idsOf(earlier) });
    return earlier === undefined;
  });

  // 3. The device's rules, the offers and allotments; then drop items take their units.
  const accepted = await consumeDropSales(ctx, await admissible(ctx, device, fresh, reject), reject);

  // 4. Members (found or enrolled by email), then every write in one batch.
  if (accepted.length > 0) {
    const memberIds = await enrolMembers(ctx, accepted, batch.event);
    await runBatch(ctx.db, await landWrites(ctx, device, batch, accepted, memberIds));
    // 5. Which batch landed each item: ours, or one that raced it.
    const now = await landedResults(
      ctx,
      accepted.map((a) => a.item.client_id),
      batch.batch_id,
      device.id,
    );
    for (const a of accepted) {
      const result = now.get(a.item.client_id);
      if (result === undefined) throw new Error(`item ${a.item.client_id} did not land`);
      results.set(a.index, {
        index: a.index,
        client_id: a.item.client_id,
        status: result.ours ? "accepted" : "duplicate",
        ...idsOf(result),
      });
    }
  }
  for (const { index, of } of repeats) {
    const first = results.get(of) as ItemResult;
    results.set(
      index,
      first.status === "rejected" ? { ...first, index } : { ...first, index, status: "duplicate" },
    );
  }
  return batch.items.map((_raw, index) => results.get(index) as ItemResult);
}

const idsOf = ({ member_id, order_id, entitlement_ids }: Landed): Landed => ({
  member_id,
  order_id,
  entitlement_ids,
});

const clientIdOf = (raw: unknown): string | null => {
  const id = (raw as { client_id?: unknown } | null)?.client_id;
  return typeof id === "string" ? id.slice(0, 100) : null;
};

async function landedResults(
  ctx: ReconcileContext,
  clientIds: string[],
  batchId?: string,
  deviceId?: string,
): Promise<Map<string, Landed & { ours: boolean }>> {
  const found = new Map<string, Landed & { ours: boolean }>();
  for (const chunk of inChunks(clientIds)) {
    const rows = await ctx.db
      .select()
      .from(posItemResults)
      .where(and(eq(posItemResults.creatorId, ctx.creatorId), inArray(posItemResults.clientId, chunk)));
    for (const row of rows) {
      const ours = row.batchId === batchId && row.deviceId === deviceId;
      found.set(row.clientId, { ...(JSON.parse(row.result) as Landed), ours });
    }
  }
  return found;
}
