/**
 * The reconcile verb: verify the device's batch, land its items, release the allotments it is done
 * with, and give each landed item's buyer a receipt of that sale (receipts.ts), never a sign-in.
 */
import { runBatch } from "../db/client";
import type { TokenIssuer } from "../entitlements/verbs";
import { type AllotmentContext, type AllotmentView, allotmentRows, releaseAllotments } from "./allotments";
import { verifiedBatch } from "./batch";
import { type PurchaseReceipt, purchaseReceipts } from "./receipts";
import { type ItemResult, reconcile } from "./reconcile";

export interface ReconcileView {
  object: "pos_reconcile";
  batch_id: string;
  device_id: string;
  results: (ItemResult & { token?: PurchaseReceipt })[];
  /** The allotments the batch released, as they stand after it; ids that are not this device's are left out. */
  released_allotments: AllotmentView[];
}

export async function reconcileBatch(
  ctx: AllotmentContext & { issuer: TokenIssuer },
  jws: string,
): Promise<ReconcileView> {
  const { device, payload: batch } = await verifiedBatch(ctx.db, jws, ctx.now);
  const creatorId = device.creatorId;
  const results = await reconcile({ ...ctx, creatorId }, device, batch);
  // Released only after the items landed: a sale made from an allotment consumes it before it goes.
  const own = [...(await allotmentRows(ctx.db, creatorId, batch.release_allotments ?? [])).values()].filter(
    (row) => row.deviceId === device.id,
  );
  const released = await releaseAllotments({ ...ctx, creatorId, actor: `pos_device:${device.id}` }, own);
  await runBatch(ctx.db, released.writes);
  const receipts = await purchaseReceipts(
    ctx,
    creatorId,
    results.flatMap((r) =>
      r.status === "rejected" ? [] : [{ clientId: r.client_id, memberId: r.member_id }],
    ),
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
