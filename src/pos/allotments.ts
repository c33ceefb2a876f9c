/**
 * Allotments: units of a drop a device claims while online, to sell offline. The drop's object holds
 * them as a long hold under `pos:<device>` and counts what offline sales consume (see
 * inventory/allotments.ts); D1 keeps the registry row. Claims are signed by the device, like batches,
 * and idempotent by the device's claim id. Unused units return when the device releases the allotment
 * (in a batch, or the creator does), or when it expires.
 */
import { z } from "@hono/zod-openapi";
import { and, eq, inArray, isNull, type SQL } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call, TenantContext } from "../context";
import { type Db, inChunks, runBatch, type Write } from "../db/client";
import { drops, type PosAllotmentRow, posAllotments } from "../db/schema";
import { AppError, invalid, notFound } from "../errors";
import { refuse } from "../holds/verbs";
import type { InventoryGateway } from "../inventory/gateway";
import type { Hold } from "../inventory/ledger";
import { sha256Hex } from "../lib/crypto";
import { toIso, toIsoOrNull } from "../lib/time";
import { verifiedDeviceRequest } from "./signed";

export interface AllotmentContext {
  db: Db;
  inventory: InventoryGateway;
  now: number;
}

const ClaimPayload = z.strictObject({
  /** The device's own id for this claim: sending it again answers the same allotment. */
  claim_id: z.string().min(1).max(100),
  signed_at: z.iso.datetime({ offset: true }),
  drop_id: z.string().min(1).max(64),
  quantity: z.number().int().min(1).max(100_000),
  allow_partial: z.boolean().optional(),
  /** How long the units stay claimed; at most (and by default) the device's offline window. */
  hours: z.number().int().min(1).max(72).optional(),
});

export const AllotmentSchema = z
  .object({
    id: z.string().openapi({ description: "Name it as `allotment_id` on the drop items it sells offline." }),
    object: z.literal("pos_allotment"),
    device_id: z.string(),
    drop_id: z.string(),
    offer_id: z.string(),
    quantity: z.number().int().openapi({ description: "Units claimed." }),
    consumed: z.number().int().openapi({ description: "Units synced offline sales have taken." }),
    remaining: z.number().int().openapi({ description: "Units still held for the device; 0 once ended." }),
    state: z.enum(["active", "released", "expired"]),
    expires_at: z.string(),
    released_at: z.string().nullable(),
    created_at: z.string(),
  })
  .openapi("PosAllotment");
export type AllotmentView = z.infer<typeof AllotmentSchema>;

const states = { held: "active", released: "released", expired: "expired" } as const;

function renderAllotment(row: PosAllotmentRow & { offerId: string }, hold: Hold | null): AllotmentView {
  // The object is the truth for units; a row whose hold it never made (a crash between the two) is empty.
  const state = hold ? states[hold.state as keyof typeof states] : "expired";
  return {
    id: row.id,
    object: "pos_allotment",
    device_id: row.deviceId,
    drop_id: row.dropId,
    offer_id: row.offerId,
    quantity: hold?.quantity ?? row.quantity,
    consumed: hold?.consumed ?? 0,
    remaining: hold && state === "active" ? hold.quantity - hold.consumed : 0,
    state,
    expires_at: toIso(hold?.expiresAt ?? row.expiresAt),
    released_at: toIsoOrNull(row.releasedAt),
    created_at: toIso(row.createdAt),
  };
}

const buyerOf = (deviceId: string) => `pos:${deviceId}`;

/** A device claims units of one of its creator's drops. 201 for a new allotment, 200 for a repeat. */
export async function claimAllotment(
  ctx: AllotmentContext,
  jws: string,
): Promise<{ allotment: AllotmentView; created: boolean }> {
  const { device, payload } = await verifiedDeviceRequest(ctx.db, jws, ctx.now, ClaimPayload, {
    code: "claim_signature_invalid",
    what: "claim",
    detail: "A claim has a claim_id, a signed_at time, a drop_id and a quantity.",
  });
  const [drop] = await ctx.db
    .select({ offerId: drops.offerId })
    .from(drops)
    .where(and(eq(drops.creatorId, device.creatorId), eq(drops.id, payload.drop_id)))
    .limit(1);
  if (drop === undefined) throw notFound("drop", payload.drop_id);
  const hours = payload.hours ?? device.offlineWindowHours;
  if (payload.quantity > device.maxOfflineUnits || hours > device.offlineWindowHours) {
    throw invalid(
      [
        {
          in: "body",
          path: payload.quantity > device.maxOfflineUnits ? "/quantity" : "/hours",
          message: `This device may claim at most ${device.maxOfflineUnits} units for at most ${device.offlineWindowHours} hours.`,
        },
      ],
      "The claim is over the device's limits.",
    );
  }
  // The drop is part of the id: the same claim id sent to two drops makes two ids, and D1's unique
  // (device, claim id) keeps one of them (below).
  const id = `alt_${(await sha256Hex(`allotment\n${device.id}\n${payload.drop_id}\n${payload.claim_id}`)).slice(0, 30)}`;
  const earlier = await claimRow(ctx.db, device.id, payload.claim_id);
  if (earlier !== undefined && earlier.id !== id) throw claimIdReused();
  const claimed = await ctx.inventory.claim(payload.drop_id, {
    allotmentId: id,
    buyer: buyerOf(device.id),
    quantity: payload.quantity,
    allowPartial: payload.allow_partial ?? false,
    ttlMs: hours * 3600_000,
    idempotencyKey: payload.claim_id,
  });
  if (!claimed.ok)
    throw claimed.reason === "idempotency_key_reused" ? claimIdReused() : refuse(claimed.reason);
  const row: PosAllotmentRow = {
    id,
    creatorId: device.creatorId,
    deviceId: device.id,
    dropId: payload.drop_id,
    claimId: payload.claim_id,
    quantity: claimed.hold.quantity,
    expiresAt: claimed.hold.expiresAt,
    releasedAt: null,
    createdAt: claimed.hold.createdAt,
    updatedAt: ctx.now,
  };
  const allotment = renderAllotment({ ...row, offerId: drop.offerId }, claimed.hold);
  const actor = { db: ctx.db, creatorId: device.creatorId, actor: `pos_device:${device.id}`, now: ctx.now };
  // A repeat (or a retry after a crash between the object and D1) lands the same row once.
  await runBatch(ctx.db, [
    ctx.db.insert(posAllotments).values(row).onConflictDoNothing(),
    auditWrite(
      actor,
      claimed.replayed ? "pos_allotment.claim_replayed" : "pos_allotment.claimed",
      { type: "pos_allotment", id },
      {
        drop_id: row.dropId,
        claim_id: row.claimId,
        quantity: row.quantity,
        expires_at: allotment.expires_at,
      },
    ),
  ]);
  // Two claims under one claim id, for two drops, raced past the check above: the one whose row landed
  // stands; the other gives its units straight back.
  if ((await claimRow(ctx.db, device.id, payload.claim_id))?.id !== id) {
    await ctx.inventory.release(payload.drop_id, id, buyerOf(device.id));
    await runBatch(ctx.db, [
      auditWrite(
        actor,
        "pos_allotment.claim_withdrawn",
        { type: "pos_allotment", id },
        { claim_id: payload.claim_id },
      ),
    ]);
    throw claimIdReused();
  }
  return { allotment, created: !claimed.replayed };
}

const claimIdReused = () =>
  new AppError("idempotency_key_reused", "This claim_id was already used for a different claim.");

async function claimRow(db: Db, deviceId: string, claimId: string) {
  const [row] = await db
    .select({ id: posAllotments.id })
    .from(posAllotments)
    .where(and(eq(posAllotments.deviceId, deviceId), eq(posAllotments.claimId, claimId)))
    .limit(1);
  return row;
}

/** Ids per lookup: D1 binds at most 100 parameters a statement, and the creator's id takes one. */

/**
 * The creator's allotments by id (another creator's answer nothing), with their drop's offer. A batch may
 * name one per item (500), so the ids are looked up in chunks under D1's parameter bound.
 */
export async function allotmentRows(db: Db, creatorId: string, ids: string[]): Promise<AllotmentRows> {
  const found: AllotmentRows = new Map();
  for (const chunk of inChunks([...new Set(ids)]))
    addAllotments(found, await allotmentsRead(db, creatorId, chunk));
  return found;
}

export type AllotmentRows = Map<string, PosAllotmentRow & { offerId: string }>;

/**
 * One chunk of allotmentRows as a statement for a caller's batch. `creatorId` may be a subquery. (Its
 * columns' names are all distinct, as a batch's rows need: they come back keyed by column name.)
 */
export const allotmentsRead = (db: Db, creatorId: string | SQL, chunk: string[]) =>
  db
    .select({ allotment: posAllotments, offerId: drops.offerId })
    .from(posAllotments)
    .innerJoin(drops, eq(drops.id, posAllotments.dropId))
    .where(and(eq(posAllotments.creatorId, creatorId), inArray(posAllotments.id, chunk)));

export function addAllotments(found: AllotmentRows, rows: Awaited<ReturnType<typeof allotmentsRead>>) {
  for (const r of rows) found.set(r.allotment.id, { ...r.allotment, offerId: r.offerId });
}

async function allotmentRow(ctx: TenantContext, id: string) {
  const row = (await allotmentRows(ctx.db, ctx.creatorId, [id])).get(id);
  if (row === undefined) throw notFound("allotment", id);
  return row;
}

export async function getAllotment({ ctx, input }: Call<{ id: string }>): Promise<AllotmentView> {
  const row = await allotmentRow(ctx, input.id);
  return renderAllotment(row, await ctx.inventory.allotment(row.dropId, row.id));
}

/**
 * Returns allotments' unused units to their drops (sales already synced stay sold; later syncs of sales
 * made from them fall back to open stock), and the D1 writes that record it: the caller lands them.
 * Releasing again changes nothing.
 */
export async function releaseAllotments(
  ctx: AllotmentContext & { creatorId: string; actor: string },
  rows: (PosAllotmentRow & { offerId: string })[],
): Promise<{ views: AllotmentView[]; writes: Write[] }> {
  const views = await Promise.all(
    rows.map(async (row) => {
      ctx.inventory.vouch(row.dropId); // the row was read joined to its drop's: the drop exists
      const released = await ctx.inventory.release(row.dropId, row.id, buyerOf(row.deviceId));
      const hold = released.ok ? released.hold : await ctx.inventory.allotment(row.dropId, row.id);
      const releasedAt = row.releasedAt ?? (hold?.state === "released" ? ctx.now : null);
      return renderAllotment({ ...row, releasedAt }, hold);
    }),
  );
  const newly = views.filter((v, i) => v.released_at !== null && rows[i]?.releasedAt === null);
  if (newly.length === 0) return { views, writes: [] };
  const writes: Write[] = [
    ctx.db
      .update(posAllotments)
      .set({ releasedAt: ctx.now, updatedAt: ctx.now })
      .where(
        and(
          inArray(
            posAllotments.id,
            newly.map((v) => v.id),
          ),
          isNull(posAllotments.releasedAt),
        ),
      ),
    ...newly.map((v) =>
      auditWrite(
        ctx,
        "pos_allotment.released",
        { type: "pos_allotment", id: v.id },
        { consumed: v.consumed, returned: v.quantity - v.consumed },
      ),
    ),
  ];
  return { views, writes };
}

/** The creator releases an allotment (a device lost, a pop-up over). */
export async function releaseAllotment({ ctx, input }: Call<{ id: string }>): Promise<AllotmentView> {
  const { views, writes } = await releaseAllotments(ctx, [await allotmentRow(ctx, input.id)]);
  const view = views[0] as AllotmentView;
  if (writes.length > 0) await ctx.commit(writes, view);
  return view;
}
