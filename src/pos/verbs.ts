/**
 * The reconcile verb: verify the device's batch, land its items, release the allotments it is done
 * with, and give each landed buyer a token.
 */
import { runBatch } from "../db/client";
import { tokenStatesOf } from "../entitlements/store";
import { mintToken } from "../entitlements/token";
import type { TokenIssuer } from "../entitlements/verbs";
import { toIso } from "../lib/time";
import { type AllotmentContext, type AllotmentView, allotmentRows, releaseAllotments } from "./allotments";
import { verifiedBatch } from "./batch";
import { type ItemResult, reconcile } from "./reconcile";

export interface ReconcileView {
  object: "pos_reconcile";
  batch_id: string;
  device_id: string;
  results: (ItemResult & { token?: { token: string; expires_at: string; entitlements: string[] } })[];
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
  const landedMembers = [...new Set(results.flatMap((r) => (r.status === "rejected" ? [] : [r.member_id])))];
  const states = await tokenStatesOf(ctx.db, device.creatorId, landedMembers, ctx.now);
  const tokens = new Map<string, { token: string; expires_at: string; entitlements: string[] }>();
  for (const [memberId, state] of states) {
    const issued = await mintToken(ctx.issuer.keys, ctx.issuer.settings, state, device.creatorId, ctx.now);
    tokens.set(memberId, {
      token: issued.token,
      expires_at: toIso(issued.expiresAt),
      entitlements: issued.entitlements,
    });
  }
  return {
    object: "pos_reconcile",
    batch_id: batch.batch_id,
    device_id: device.id,
    results: results.map((r) => {
      const token = r.status === "rejected" ? undefined : tokens.get(r.member_id);
      return token === undefined ? r : { ...r, token };
    }),
    released_allotments: released.views,
  };
}
