/** The reconcile verb: verify the device's batch, land its items, and give each landed buyer a token. */
import type { Db } from "../db/client";
import { tokenStatesOf } from "../entitlements/store";
import { mintToken } from "../entitlements/token";
import type { TokenIssuer } from "../entitlements/verbs";
import { toIso } from "../lib/time";
import { verifiedBatch } from "./batch";
import { type ItemResult, reconcile } from "./reconcile";

export interface ReconcileView {
  object: "pos_reconcile";
  batch_id: string;
  device_id: string;
  results: (ItemResult & { token?: { token: string; expires_at: string; entitlements: string[] } })[];
}

export async function reconcileBatch(
  ctx: { db: Db; now: number; issuer: TokenIssuer },
  jws: string,
): Promise<ReconcileView> {
  const { device, batch } = await verifiedBatch(ctx.db, jws, ctx.now);
  const results = await reconcile({ db: ctx.db, now: ctx.now, creatorId: device.creatorId }, device, batch);
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
  };
}
