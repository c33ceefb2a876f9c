/**
 * What reconcile hands back for each landed or duplicate item: a purchase receipt, never a sign-in. The
 * buyer's email at the till was never verified, so it files the sale under that email's member (who sees
 * it once signed in) but unlocks nothing else of theirs: the token lists only the active entitlements
 * that item's own sale granted, carries `scope: "purchase"` (refused wherever a member_token is asked
 * for), and comes with no refresh credential. A pay-later item not yet collected granted nothing and so
 * gets no token; neither does a sale since refunded. A duplicate is judged by what the original sale
 * granted, never by the payment the replay claims.
 *
 * Set-based: one read per 90 items (an entitlement and its member's token version joined), sent in the
 * landing batch itself, then one signature per item.
 */
import { and, eq, inArray } from "drizzle-orm";
import { type Db, inChunks } from "../db/client";
import { entitlements, members } from "../db/schema";
import { activeAt } from "../entitlements/store";
import { mintToken } from "../entitlements/token";
import type { TokenIssuer } from "../entitlements/verbs";
import { toIso } from "../lib/time";

export interface PurchaseReceipt {
  token: string;
  expires_at: string;
  entitlements: string[];
  scope: "purchase";
}

/**
 * The reads purchaseReceipts decides on, one statement per 90 client ids, for a caller's batch: put them
 * after the batch's landing writes and they see the entitlements it granted. (Their columns' names are
 * distinct, as a batch's rows need.)
 */
export function receiptReads(db: Db, creatorId: string, now: number, clientIds: string[]) {
  return inChunks([...new Set(clientIds)]).map((chunk) =>
    db
      .select({
        clientId: entitlements.sourceId,
        memberId: entitlements.memberId,
        version: members.tokenVersion,
        key: entitlements.benefitKey,
        expiresAt: entitlements.expiresAt,
      })
      .from(entitlements)
      .innerJoin(members, eq(members.id, entitlements.memberId))
      .where(
        and(
          eq(entitlements.creatorId, creatorId),
          eq(entitlements.sourceType, "pos"),
          inArray(entitlements.sourceId, chunk),
          activeAt(now),
        ),
      ),
  );
}
type ReceiptRow = Awaited<ReturnType<typeof receiptReads>[number]>[number];

/**
 * One receipt per client id whose sale holds at least one active entitlement, keyed by client id, from
 * what receiptReads found (`rows`: one list per statement).
 */
export async function purchaseReceipts(
  ctx: { now: number; issuer: TokenIssuer },
  creatorId: string,
  items: { clientId: string; memberId: string }[],
  rows: unknown[],
): Promise<Map<string, PurchaseReceipt>> {
  const memberOf = new Map(items.map((i) => [i.clientId, i.memberId]));
  const bySale = new Map<
    string,
    { memberId: string; version: number; entitlements: { key: string; expiresAt: number | null }[] }
  >();
  for (const row of (rows as ReceiptRow[][]).flat()) {
    // The sale's own member only: a receipt never speaks for anyone else.
    if (memberOf.get(row.clientId) !== row.memberId) continue;
    const sale = bySale.get(row.clientId) ?? {
      memberId: row.memberId,
      version: row.version,
      entitlements: [],
    };
    sale.entitlements.push({ key: row.key, expiresAt: row.expiresAt });
    bySale.set(row.clientId, sale);
  }
  const receipts = new Map<string, PurchaseReceipt>();
  await Promise.all(
    [...bySale].map(async ([clientId, sale]) => {
      const issued = await mintToken(
        ctx.issuer.keys,
        ctx.issuer.settings,
        { ...sale, creatorId },
        creatorId,
        ctx.now,
        "purchase",
      );
      receipts.set(clientId, {
        token: issued.token,
        expires_at: toIso(issued.expiresAt),
        entitlements: issued.entitlements,
        scope: "purchase",
      });
    }),
  );
  return receipts;
}
