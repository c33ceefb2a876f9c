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
 *
 * Round trips, not statements, are what a sync waits on: everything the batch is decided on is read in
 * one D1 batch (facts.ts), new buyers are enrolled in a second, and the writes land in a third with the
 * reads that must follow them; the deciding between is pure (admission.ts, drop-gate.ts).
 */
import type { Write } from "../db/client";
import type { BillingInterval, PosDeviceRow } from "../db/schema";
import { admissible } from "./admission";
import type { AllotmentContext } from "./allotments";
import { type BatchPayload, normalEmail, PosItem, type PosItemInput } from "./batch";
import { consumeDropSales } from "./drop-sales";
import { type FactKeys, type Facts, factReads, landedOf, landedReads, sendParts } from "./facts";
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
  offer: { id: string; kind: string; billingInterval: BillingInterval | null; tierRank: number | null };
  /** Drop items: the allotment the units came from, and (once consumed) the sale that holds them. */
  allotment?: { id: string; dropId: string };
  sale?: { dropId: string; holdId: string };
}

export interface ReconcileContext extends AllotmentContext {
  creatorId: string;
}

export type Reject = (index: number, clientId: string | null, code: RejectCode, message: string) => void;

/** A batch's items by shape: the well-formed ones (first copies), repeats of them, and the rest. */
export interface Shaped {
  parsed: { index: number; item: PosItemInput }[];
  repeats: { index: number; of: number }[];
  invalid: { index: number; clientId: string | null; problems: string }[];
}

/** Shape, one item at a time. An item repeated within the batch is answered from its first copy. */
export function shape(items: unknown[]): Shaped {
  const shaped: Shaped = { parsed: [], repeats: [], invalid: [] };
  const firstIndex = new Map<string, number>();
  items.forEach((raw, index) => {
    const item = PosItem.safeParse(raw);
    if (!item.success) {
      const problems = item.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      shaped.invalid.push({ index, clientId: clientIdOf(raw), problems });
      return;
    }
    const first = firstIndex.get(item.data.client_id);
    if (first === undefined) {
      firstIndex.set(item.data.client_id, index);
      shaped.parsed.push({ index, item: item.data });
    } else {
      shaped.repeats.push({ index, of: first });
    }
  });
  return shaped;
}

/** What the batch's reads are keyed by (facts.ts); `releases` are the allotments it gives back. */
export function keysOf({ parsed }: Shaped, releases: string[] = []): FactKeys {
  const unique = (values: string[]) => [...new Set(values)];
  return {
    clientIds: parsed.map((p) => p.item.client_id),
    offerIds: unique(parsed.map((p) => p.item.offer_id)),
    allotmentIds: unique([...parsed.flatMap((p) => p.item.allotment_id ?? []), ...releases]),
    emails: unique(parsed.map((p) => normalEmail(p.item.email))),
  };
}

/** A batch decided: the results so far, and the items to land (drop items' units already consumed). */
export interface Plan {
  results: Map<number, ItemResult>;
  accepted: Accepted[];
  repeats: Shaped["repeats"];
}

/** Decides a verified batch on its facts; only the drop's objects are called (drop items' units). */
export async function plan(
  ctx: ReconcileContext,
  device: PosDeviceRow,
  facts: Facts,
  shaped: Shaped,
): Promise<Plan> {
  const results = new Map<number, ItemResult>();
  const reject: Reject = (index, clientId, code, message) =>
    results.set(index, { index, client_id: clientId, status: "rejected", code, message });
  for (const { index, clientId, problems } of shaped.invalid) reject(index, clientId, "invalid", problems);
  // Items already landed (by any batch, any device) answer with their first result.
  const fresh = shaped.parsed.filter(({ index, item }) => {
    const earlier = facts.landed.get(item.client_id);
    if (earlier)
      results.set(index, { index, client_id: item.client_id, status: "duplicate", ...idsOf(earlier) });
    return earlier === undefined;
  });
  // The device's rules, the offers and allotments; then drop items take their units.
  const accepted = await consumeDropSales(ctx, admissible(ctx.now, device, fresh, facts, reject), reject);
  return { results, accepted, repeats: shaped.repeats };
}

/**
 * What lands the plan's items: members found or enrolled by email (a round trip of its own only when a
 * buyer is new), then every write for one batch, and the reads that follow them there (which batch
 * landed each item, ours or one that raced it), each part for sendParts.
 */
export async function landing(
  ctx: ReconcileContext,
  device: PosDeviceRow,
  batch: BatchPayload,
  { accepted }: Plan,
  facts: Facts,
): Promise<{ writes: Write[]; reads: Write[] }> {
  if (accepted.length === 0) return { writes: [], reads: [] };
  const memberIds = await enrolMembers(ctx, accepted, batch.event, facts);
  return {
    writes: await landWrites(ctx, device, batch, accepted, memberIds),
    reads: landedReads(
      ctx.db,
      device.id,
      accepted.map((a) => a.item.client_id),
    ),
  };
}

/** One result per item, in the items' order, once the landing batch's reads (`landedRows`) are in. */
export function settle(
  { results, accepted, repeats }: Plan,
  batch: BatchPayload,
  device: PosDeviceRow,
  landedRows: unknown[],
): ItemResult[] {
  const now = landedOf(landedRows, batch.batch_id, device.id);
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
  for (const { index, of } of repeats) {
    const first = results.get(of) as ItemResult;
    results.set(
      index,
      first.status === "rejected" ? { ...first, index } : { ...first, index, status: "duplicate" },
    );
  }
  return batch.items.map((_raw, index) => results.get(index) as ItemResult);
}

/**
 * Applies a verified batch and answers one result per item, in the items' order: its facts in one round
 * trip, new buyers' members in a second, every write (and the reads after it) in the third. (The verb
 * reads the facts with the device row, and sends its releases and receipts' reads in the same batches.)
 */
export async function reconcile(
  ctx: ReconcileContext,
  device: PosDeviceRow,
  batch: BatchPayload,
): Promise<ItemResult[]> {
  const shaped = shape(batch.items);
  const reads = factReads(ctx.db, device.id, keysOf(shaped), ctx.now);
  const [factRows = []] = await sendParts(ctx.db, [reads.statements]);
  const facts = reads.facts(factRows);
  const decided = await plan(ctx, device, facts, shaped);
  const { writes, reads: after } = await landing(ctx, device, batch, decided, facts);
  const [, landedRows = []] = await sendParts(ctx.db, [writes, after]);
  return settle(decided, batch, device, landedRows);
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
