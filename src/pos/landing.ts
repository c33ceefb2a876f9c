/** The writes that land a batch's admissible items: members by email, then one insert-or-ignore batch. */
import { and, eq, getTableColumns, isNull, or, sql, type Table } from "drizzle-orm";
import { auditWrite } from "../audit";
import { type Db, insertInChunks, type Write } from "../db/client";
import {
  type BillingInterval,
  entitlements,
  members,
  offers,
  orders,
  type PosDeviceRow,
  posItemResults,
} from "../db/schema";
import { periodEnd } from "../entitlements/rules";
import { sha256Hex } from "../lib/crypto";
import { newId } from "../lib/ids";
import { cohortFor } from "../members/cohorts";
import { membersCreatedWrites } from "../webhooks/lifecycle";
import type { BatchPayload } from "./batch";
import { type Facts, membersByEmail, sendParts } from "./facts";
import type { Accepted, Landed, ReconcileContext } from "./reconcile";

/** Drizzle binds a parameter for every column with a default too: chunk by the table's full width. */
const width = (table: Table): number => Object.keys(getTableColumns(table)).length;

/**
 * Every email's member: existing ones as they are (read with the batch's facts), new ones enrolled from
 * this pop-up. Enrolling takes one round trip: the inserts, and the ids read back (a racing writer's
 * member wins as much as ours), in one batch.
 */
export async function enrolMembers(
  ctx: ReconcileContext,
  accepted: Accepted[],
  event: string | undefined,
  facts: Pick<Facts, "members" | "rules">,
): Promise<Map<string, string>> {
  // A buyer joined when the stall first sold to them, not when the device synced: that moment decides
  // their cohort too (a sale made before the founding cutoff counts as founding, however late it syncs).
  const joined = new Map<string, number>();
  for (const a of accepted) {
    if (facts.members.has(a.email)) continue;
    joined.set(a.email, Math.min(joined.get(a.email) ?? a.capturedAt, a.capturedAt));
  }
  const ids = new Map(facts.members);
  if (joined.size === 0) return ids;
  // Only members new here are inserted: an existing email keeps its member, cohort and all.
  const rows = [...joined].map(([email, joinedAt]) => ({
    id: newId("member"),
    creatorId: ctx.creatorId,
    email,
    cohort: cohortFor(facts.rules, { at: joinedAt, atPopUp: true }),
    acquisitionSource: `pos:${event ?? "pop-up"}`,
    joinedAt,
    updatedAt: ctx.now,
  }));
  const [, found = []] = await sendParts(ctx.db, [
    insertInChunks(
      rows,
      (chunk) => ctx.db.insert(members).values(chunk).onConflictDoNothing(),
      width(members),
    ),
    membersByEmail(ctx.db, ctx.creatorId, [...joined.keys()]),
    // member.created for each one this batch inserted (none for an email that was already a member).
    membersCreatedWrites(ctx.db, {
      creatorId: ctx.creatorId,
      memberIds: rows.map((r) => r.id),
      actor: "system",
      now: ctx.now,
    }),
  ]);
  for (const m of (found as { id: string; email: string }[][]).flat()) ids.set(m.email, m.id);
  return ids;
}

export async function landWrites(
  ctx: ReconcileContext,
  device: PosDeviceRow,
  batch: BatchPayload,
  accepted: Accepted[],
  memberIds: Map<string, string>,
): Promise<Write[]> {
  const rows = await Promise.all(
    accepted.map((a) => rowsFor(ctx, device, batch, a, memberIds.get(a.email) as string)),
  );
  const grants = rows.flatMap((r) => (r.grant ? [r.grant] : []));
  // One upgrade per member: the highest tier this batch sold them.
  const best = new Map<string, { memberId: string; tierOfferId: string; rank: number }>();
  for (const upgrade of grants.map((g) => g.upgrade)) {
    if (upgrade && (best.get(upgrade.memberId)?.rank ?? Number.NEGATIVE_INFINITY) < upgrade.rank)
      best.set(upgrade.memberId, upgrade);
  }
  const tierUpgrades = [...best.values()];
  return [
    ...insertInChunks(
      rows.map((r) => r.result),
      (chunk) => ctx.db.insert(posItemResults).values(chunk).onConflictDoNothing(),
      width(posItemResults),
    ),
    ...insertInChunks(
      rows.map((r) => r.order),
      (chunk) => ctx.db.insert(orders).values(chunk).onConflictDoNothing(),
      width(orders),
    ),
    ...insertInChunks(
      grants.map((g) => g.entitlement),
      (chunk) => ctx.db.insert(entitlements).values(chunk).onConflictDoNothing(),
      width(entitlements),
    ),
    ...tierUpgrades.map((u) => tierUpgradeWrite(ctx.db, u, ctx.now)),
    auditWrite(
      { db: ctx.db, creatorId: ctx.creatorId, actor: `pos_device:${device.id}`, now: ctx.now },
      "pos.batch_reconciled",
      { type: "pos_device", id: device.id },
      { batch_id: batch.batch_id, items: batch.items.length, landed_candidates: accepted.length },
    ),
  ];
}

/** The token every id an item creates is made from: the creator and the device's client id. */
export const itemToken = async (creatorId: string, clientId: string): Promise<string> =>
  (await sha256Hex(`pos\n${creatorId}\n${clientId}`)).slice(0, 30);

/** The rows one item writes. Ids follow from the creator and the client id, so racing writers agree. */
async function rowsFor(
  ctx: ReconcileContext,
  device: PosDeviceRow,
  batch: BatchPayload,
  a: Accepted,
  memberId: string,
) {
  const token = await itemToken(ctx.creatorId, a.item.client_id);
  const orderId = `ord_${token}`;
  // Access follows money: a pay-later sale grants nothing until the creator records the payment.
  const paid = a.item.payment.method !== "pay_later";
  const grant = paid
    ? posGrant({
        creatorId: ctx.creatorId,
        memberId,
        offer: a.offer,
        clientId: a.item.client_id,
        token,
        grantedAt: a.capturedAt,
      })
    : null;
  const landed: Landed = {
    member_id: memberId,
    order_id: orderId,
    entitlement_ids: grant ? [grant.entitlement.id] : [],
  };
  return {
    result: {
      creatorId: ctx.creatorId,
      clientId: a.item.client_id,
      deviceId: device.id,
      batchId: batch.batch_id,
      units: a.item.quantity,
      capturedAt: a.capturedAt,
      result: JSON.stringify(landed),
      createdAt: ctx.now,
    },
    order: {
      id: orderId,
      creatorId: ctx.creatorId,
      memberId,
      email: a.email,
      offerId: a.offer.id,
      dropId: a.sale?.dropId ?? null,
      holdId: a.sale?.holdId ?? null,
      quantity: a.item.quantity,
      currency: a.item.currency,
      amountTotal: a.item.amount,
      status: paid ? ("paid" as const) : ("pending" as const),
      source: "pos" as const,
      buyerKey: `member:${memberId}`,
      provider: `pos:${a.item.payment.method}`,
      paymentReference: a.item.payment.reference ?? null,
      clientReference: a.item.client_id,
      createdAt: ctx.now,
      updatedAt: ctx.now,
      paidAt: paid ? a.capturedAt : null,
    },
    grant,
  };
}

/**
 * What a point-of-sale sale grants, from `grantedAt`: the entitlement (its id derived like the order's,
 * so granting twice writes once) and, for a tier, the member's upgrade. A tier lasts one billing period;
 * recurring billing comes later.
 */
export function posGrant(p: {
  creatorId: string;
  memberId: string;
  offer: Accepted["offer"];
  clientId: string;
  /** The item's token (itemToken): the entitlement's id is made from it. */
  token: string;
  grantedAt: number;
}) {
  const membership = p.offer.kind === "membership" && p.offer.billingInterval !== null;
  return {
    entitlement: {
      id: `ent_${p.token}`,
      creatorId: p.creatorId,
      memberId: p.memberId,
      offerId: p.offer.id,
      benefitKey: p.offer.id,
      sourceType: "pos" as const,
      sourceId: p.clientId,
      grantedAt: p.grantedAt,
      expiresAt: membership ? periodEnd(p.grantedAt, p.offer.billingInterval as BillingInterval) : null,
    },
    upgrade:
      membership && p.offer.tierRank !== null
        ? { memberId: p.memberId, tierOfferId: p.offer.id, rank: p.offer.tierRank }
        : null,
  };
}

/** A higher tier upgrades the member; a lower one leaves them where they are. */
export const tierUpgradeWrite = (
  db: Db,
  u: { memberId: string; tierOfferId: string; rank: number },
  now: number,
) =>
  db
    .update(members)
    .set({ tierOfferId: u.tierOfferId, updatedAt: now })
    .where(
      and(
        eq(members.id, u.memberId),
        or(
          isNull(members.tierOfferId),
          sql`(SELECT ${offers.tierRank} FROM ${offers} WHERE ${offers.id} = ${members.tierOfferId}) < ${u.rank}`,
        ),
      ),
    );
