import { and, eq } from "drizzle-orm";
import { queueSettingsOf } from "../admission/settings";
import { auditWrite } from "../audit";
import type { Call, TenantContext } from "../context";
import { expectOneChange } from "../db/client";
import { listOwned } from "../db/keyset";
import { type DropRow, drops } from "../db/schema";
import { AppError, invalid, notFound } from "../errors";
import { termsOf } from "../inventory/gateway";
import { newId } from "../lib/ids";
import { findOffer } from "../offers/store";
import { dropWindowErrors, renderDrop, shardsFor } from "./rules";
import type { CreateDropInput, Drop, UpdateDropInput } from "./schemas";
import { forgetDropSettings } from "./settings";

const parseInstant = (iso: string): number => Date.parse(iso);
const parseOptionalInstant = (iso: string | null | undefined, fallback: number | null): number | null =>
  iso === undefined ? fallback : iso === null ? null : parseInstant(iso);

export async function createDrop({ ctx, input }: Call<CreateDropInput>): Promise<Drop> {
  const offer = await findOffer(ctx.db, ctx.creatorId, input.offer_id);
  if (offer === undefined) throw invalid([{ in: "body", path: "/offer_id", message: "No such offer" }]);
  if (offer.kind === "bundle") {
    throw invalid([
      { in: "body", path: "/offer_id", message: "A bundle has no stock of its own; drop its components" },
    ]);
  }
  if (offer.status !== "active")
    throw invalid([{ in: "body", path: "/offer_id", message: "The offer is archived" }]);
  if (input.shards !== undefined && input.expected_peak_rps !== undefined)
    throw invalid([
      { in: "body", path: "/expected_peak_rps", message: "Send shards or expected_peak_rps, not both" },
    ]);
  const row: DropRow = {
    id: newId("drop"),
    creatorId: ctx.creatorId,
    offerId: offer.id,
    title: input.title ?? offer.title,
    stock: input.stock,
    startsAt: input.starts_at === undefined ? ctx.now : parseInstant(input.starts_at),
    endsAt: parseOptionalInstant(input.ends_at, null),
    perBuyerLimit: input.per_buyer_limit ?? null,
    holdTtlSeconds: input.hold_ttl_seconds,
    restockOnRefund: input.restock_on_refund,
    state: "open",
    closedAt: null,
    shards: shardsFor(input),
    ...queueColumns(input.queue, { queueEnabled: false, queueAdmitPerSecond: null }),
    ...proofColumns(input.buyer_proof, { buyerProof: "none", powDifficulty: null }),
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  const windowErrors = dropWindowErrors(row);
  if (windowErrors.length > 0) throw invalid(windowErrors);
  const drop = renderDrop(row, ctx.now);
  await ctx.commit(
    [ctx.db.insert(drops).values(row), auditWrite(ctx, "drop.created", { type: "drop", id: row.id }, drop)],
    drop,
  );
  try {
    await ctx.inventory.configure(row.id, termsOf(row), row.shards);
    if (row.queueEnabled) await ctx.inventory.configureQueue(row.id, queueSettingsOf(row));
  } catch (error) {
    // The drop is stored; its object configures itself from D1 on first use (see inventoryGateway).
    console.error(JSON.stringify({ drop: row.id, error: `configure after create failed: ${String(error)}` }));
  }
  return drop;
}

export async function updateDrop({
  ctx,
  input,
}: Call<{ id: string; changes: UpdateDropInput }>): Promise<Drop> {
  const { changes } = input;
  const existing = await findDrop(ctx, input.id);
  if (existing.state === "closed") throw closedConflict();
  const closing = changes.state === "closed";
  const row: DropRow = {
    ...existing,
    title: changes.title ?? existing.title,
    stock: changes.stock ?? existing.stock,
    startsAt: changes.starts_at === undefined ? existing.startsAt : parseInstant(changes.starts_at),
    endsAt: parseOptionalInstant(changes.ends_at, existing.endsAt),
    perBuyerLimit: changes.per_buyer_limit === undefined ? existing.perBuyerLimit : changes.per_buyer_limit,
    holdTtlSeconds: changes.hold_ttl_seconds ?? existing.holdTtlSeconds,
    restockOnRefund: changes.restock_on_refund ?? existing.restockOnRefund,
    ...queueColumns(changes.queue, existing),
    ...proofColumns(changes.buyer_proof, existing),
    state: closing ? "closed" : existing.state,
    closedAt: closing ? ctx.now : existing.closedAt,
    updatedAt: ctx.now,
  };
  const windowErrors = dropWindowErrors(row);
  if (windowErrors.length > 0) throw invalid(windowErrors);
  await applyToInventory(ctx, existing.id, row, changes);
  const drop = renderDrop(row, ctx.now);
  try {
    await ctx.commit(
      [
        // Only an open drop changes: a close that raced this update wins, and the batch lands nothing.
        ctx.db
          .update(drops)
          .set(row)
          .where(and(eq(drops.creatorId, ctx.creatorId), eq(drops.id, existing.id), eq(drops.state, "open"))),
        expectOneChange(ctx.db),
        auditWrite(
          ctx,
          closing ? "drop.closed" : "drop.updated",
          { type: "drop", id: existing.id },
          { changes },
        ),
      ],
      drop,
    );
  } catch (error) {
    if ((await findDrop(ctx, existing.id)).state === "closed") throw closedConflict();
    throw error;
  }
  // This isolate's gate sees the new settings at once; others within the cache's few seconds.
  forgetDropSettings(existing.id);
  return drop;
}

export async function getDrop({ ctx, input }: Call<{ id: string }>): Promise<Drop> {
  return renderDrop(await findDrop(ctx, input.id), ctx.now);
}

export async function listDrops({
  ctx,
  input,
}: Call<{ limit: number; cursor?: string | undefined; offer_id?: string | undefined }>) {
  const listed = await listOwned(ctx.db, drops, {
    time: drops.createdAt,
    creatorId: ctx.creatorId,
    filter: input.offer_id ? eq(drops.offerId, input.offer_id) : undefined,
    query: input,
    position: (r) => ({ t: r.createdAt, id: r.id }),
  });
  return { ...listed, data: listed.data.map((r) => renderDrop(r, ctx.now)) };
}

/**
 * The drop's object owns the live stock, so it hears of a change first and may refuse it: stock can
 * only shrink to what is held or sold. D1 mirrors the accepted terms afterwards; a PATCH sets absolute
 * values, so retrying one that failed between the two stores converges them.
 */
async function applyToInventory(
  ctx: TenantContext,
  dropId: string,
  row: DropRow,
  changes: UpdateDropInput,
): Promise<void> {
  if (changes.state === "closed") {
    await ctx.inventory.close(dropId);
    return;
  }
  // The queue's settings (its rate follows the shard count when none is set) before the terms: the
  // object refuses neither, and a PATCH that failed after this is retried with the same absolute values.
  if (changes.queue !== undefined) await ctx.inventory.configureQueue(dropId, queueSettingsOf(row));
  const { title: _title, ...inventoryChanges } = changes;
  if (Object.values(inventoryChanges).every((v) => v === undefined)) return; // a rename: nothing for the object
  const { closed: _closed, ...terms } = termsOf(row);
  const adjusted = await ctx.inventory.adjust(dropId, terms);
  if (!adjusted.ok) {
    throw new AppError(
      "conflict",
      `Stock cannot go below ${adjusted.minimum}: that many units are held or sold.`,
    );
  }
}

type QueueColumns = Pick<DropRow, "queueEnabled" | "queueAdmitPerSecond">;
type ProofColumns = Pick<DropRow, "buyerProof" | "powDifficulty">;

/** The queue's columns after a create or PATCH: what was sent, else what was there. */
const queueColumns = (sent: CreateDropInput["queue"], was: QueueColumns): QueueColumns =>
  sent === undefined
    ? { queueEnabled: was.queueEnabled, queueAdmitPerSecond: was.queueAdmitPerSecond }
    : { queueEnabled: sent.enabled, queueAdmitPerSecond: sent.admit_per_second ?? null };

/** The buyer proof's columns: a difficulty only means something for proof of work. */
const proofColumns = (sent: CreateDropInput["buyer_proof"], was: ProofColumns): ProofColumns =>
  sent === undefined
    ? { buyerProof: was.buyerProof, powDifficulty: was.powDifficulty }
    : { buyerProof: sent.mode, powDifficulty: sent.mode === "pow" ? (sent.pow_difficulty ?? 18) : null };

const closedConflict = () => new AppError("conflict", "This drop is closed; a closed drop cannot change.");

async function findDrop(ctx: TenantContext, id: string): Promise<DropRow> {
  const [row] = await ctx.db
    .select()
    .from(drops)
    .where(and(eq(drops.creatorId, ctx.creatorId), eq(drops.id, id)))
    .limit(1);
  if (row === undefined) throw notFound("drop", id);
  return row;
}
