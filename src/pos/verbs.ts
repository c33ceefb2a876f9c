/**
 * The reconcile verb: verify the device's batch, land its items, release the allotments it is done
 * with, and give each landed item's buyer a receipt of that sale (receipts.ts), never a sign-in.
 *
 * At most three sequential D1 round trips: (1) the device row and every fact the batch is decided on
 * (facts.ts), keyed by the payload before its signature is verified, which is harmless: they are reads,
 * and nothing is decided or written until it verifies; (2) new buyers' members, enrolled and read back
 * (skipped when every buyer is a member already); (3) every write, the releases' too, and after them
 * which batch landed each item and the receipts' entitlements. Drop items' units are consumed in the
 * drop's objects between (1) and (3), and released allotments give their units back after that.
 */
import type { TokenIssuer } from "../entitlements/verbs";
import { type AllotmentContext, type AllotmentView, releaseAllotments } from "./allotments";
import { batchShape, Payload } from "./batch";
import { type Facts, factReads, sendParts } from "./facts";
import { type PurchaseReceipt, purchaseReceipts, receiptReads } from "./receipts";
import { type ItemResult, keysOf, landing, type Plan, plan, settle, shape } from "./reconcile";
import { deviceRead, openSigned, verifySigned } from "./signed";

export interface ReconcileView {
  object: "pos_reconcile";
  batch_id: string;
  device_id: string;
  results: (ItemResult & { token?: PurchaseReceipt })[];
  /** The allotments the batch released, as they stand after it; ids that are not this device's are left out. */
  released_allotments: AllotmentView[];
}

/** The batch's items by shape and the reads they key (on a payload that may not verify: reads only). */
function prepare(ctx: AllotmentContext, kid: string, payload: unknown) {
  const peeked = Payload.safeParse(payload);
  const shaped = shape(peeked.success ? peeked.data.items : []);
  const keys = keysOf(shaped, peeked.success ? (peeked.data.release_allotments ?? []) : []);
  return { shaped, reads: factReads(ctx.db, kid, keys, ctx.now) };
}

export async function reconcileBatch(
  ctx: AllotmentContext & { issuer: TokenIssuer },
  jws: string,
): Promise<ReconcileView> {
  const signed = openSigned(jws, batchShape);
  let { shaped, reads } = prepare(ctx, signed.kid, signed.payload);
  const [[deviceRows] = [], factRows = []] = await sendParts(ctx.db, [
    [deviceRead(ctx.db, signed.kid)],
    reads.statements,
  ]);
  const verified = await verifySigned(
    signed,
    (deviceRows as Awaited<ReturnType<typeof deviceRead>>)[0],
    ctx.now,
    Payload,
    batchShape,
  );
  const { device, payload: batch } = verified;
  let facts: Facts;
  if (verified.asOpened) {
    facts = reads.facts(factRows);
  } else {
    // The signed payload is not the segment as decoded (an unencoded payload): read again, keyed by it.
    ({ shaped, reads } = prepare(ctx, device.id, batch));
    const [again = []] = await sendParts(ctx.db, [reads.statements]);
    facts = reads.facts(again);
  }
  const creatorId = device.creatorId;
  const rctx = { ...ctx, creatorId };
  const decided = await plan(rctx, device, facts, shaped);
  const { writes, reads: after } = await landing(rctx, device, batch, decided, facts);
  // Released once the batch's items took their units (a sale made from an allotment consumes it before
  // it goes); the release's rows land with the items.
  const own = [...new Set(batch.release_allotments ?? [])].flatMap((id) => {
    const row = facts.allotments.get(id);
    return row?.deviceId === device.id ? [row] : [];
  });
  const released = await releaseAllotments({ ...ctx, creatorId, actor: `pos_device:${device.id}` }, own);
  const [, , landedRows = [], receiptRows = []] = await sendParts(ctx.db, [
    writes,
    released.writes,
    after,
    receiptReads(ctx.db, creatorId, ctx.now, clientIdsOf(decided)),
  ]);
  const results = settle(decided, batch, device, landedRows);
  const receipts = await purchaseReceipts(
    ctx,
    creatorId,
    results.flatMap((r) =>
      r.status === "rejected" ? [] : [{ clientId: r.client_id, memberId: r.member_id }],
    ),
    receiptRows,
  );
  return {
    object: "pos_reconcile",
    batch_id: batch.batch_id,
    device_id: device.id,
    results: results.map((r) => {
      const token = r.status === "rejected" ? undefined : receipts.get(r.client_id);
      return token === undefined ? r : { ...r, token };
    }),
    released_allotments: released.views,
  };
}

/** The client ids that may get a receipt: duplicates, and the items about to land. */
function clientIdsOf(decided: Plan): string[] {
  const ids = decided.accepted.map((a) => a.item.client_id);
  for (const r of decided.results.values()) if (r.status === "duplicate") ids.push(r.client_id);
  return ids;
}
