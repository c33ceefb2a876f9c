/**
 * The platform operator's verbs (docs/platform.md): create a creator with its first secret key, read
 * and list creators, change their name and platform fee, suspend and reinstate them. Nothing here
 * deletes: a suspension only sets the creator's status, which every key lookup and buyer route reads.
 */
import { and, eq } from "drizzle-orm";
import { auditWrite } from "../audit";
import { type Db, expectOneChange, runBatch } from "../db/client";
import { creators } from "../db/schema";
import { forgetCreatorDropSettings } from "../drops/settings";
import { AppError } from "../errors";
import { seal, unseal } from "../keys/seal";
import { newKey } from "../keys/store";
import { newId } from "../lib/ids";
import { toIso, toIsoOrNull } from "../lib/time";
import { forgetCreatorPricing } from "../pricing/catalog";
import { answerWrite, creatorIdForKey, storedAnswer } from "./replay";
import type { CreateCreatorInput, CreatedCreatorView, CreatorView, UpdateCreatorInput } from "./schemas";
import { type CreatorRow, creatorById, creatorPage, creatorRead, creatorView, creatorWrites } from "./store";

export interface OperatorContext {
  db: Db;
  now: number;
  /** `operator`, in every audit row these verbs write. */
  actor: string;
}

/** A create's Idempotency-Key, the request's hash, and the operator key that seals the stored secret. */
export interface CreateIdempotency {
  key: string;
  requestHash: string;
  operatorKey: string;
}

const unknownCreator = (id: string) =>
  new AppError("not_found", `No creator with id ${JSON.stringify(id)} exists on this platform.`);

/**
 * A creator and its first secret key, with their audit rows, in one batch. With an Idempotency-Key the
 * creator's id comes from the key and the answer is stored in the same batch (./replay.ts): a retry
 * replays it, secret included, and another body with the same key is 422.
 */
export async function createCreator({
  ctx,
  input,
}: {
  ctx: OperatorContext;
  input: CreateCreatorInput & { idempotency?: CreateIdempotency | undefined };
}): Promise<{ created: CreatedCreatorView; replayed: boolean }> {
  const { idempotency } = input;
  const creatorId = idempotency === undefined ? newId("creator") : await creatorIdForKey(idempotency.key);
  const creator = {
    id: creatorId,
    name: input.name,
    defaultCurrency: input.default_currency,
    platformFeeBps: input.platform_fee_bps ?? null,
    createdAt: ctx.now,
  };
  const { key, write } = await newKey(ctx.db, { creatorId, name: "default", kind: "secret", now: ctx.now });
  const tenant = { db: ctx.db, creatorId, actor: ctx.actor, now: ctx.now };
  const row: CreatorRow = {
    ...creator,
    status: "active",
    suspendedAt: null,
    suspensionReason: null,
    accountId: null,
    chargesEnabled: null,
    payoutsEnabled: null,
  };
  const apiKey = {
    object: "api_key" as const,
    id: key.id,
    name: key.name,
    kind: "secret" as const,
    scopes: key.scopes,
    prefix: key.prefix,
    created_at: toIso(key.createdAt),
  };
  const created: CreatedCreatorView = {
    creator: creatorView(row),
    api_key: { ...apiKey, secret: key.secret },
  };
  const writes = [
    ...creatorWrites(ctx.db, creator, { actor: ctx.actor }),
    write,
    auditWrite(
      tenant,
      "api_key.created",
      { type: "api_key", id: key.id },
      {
        name: key.name,
        kind: key.kind,
        prefix: key.prefix,
      },
    ),
  ];
  if (idempotency !== undefined) {
    const stored = {
      requestHash: idempotency.requestHash,
      answer: { creator: created.creator, api_key: apiKey },
      sealedSecret: await seal(idempotency.operatorKey, key.secret),
    };
    writes.push(answerWrite(ctx.db, { creatorId, idempotencyKey: idempotency.key, now: ctx.now, stored }));
  }
  try {
    await runBatch(ctx.db, writes);
    return { created, replayed: false };
  } catch (error) {
    if (idempotency === undefined) throw error;
    // Most likely the same key landed first (this creator id exists): replay what it answered.
    return { created: await replayCreate(ctx, creatorId, idempotency, error), replayed: true };
  }
}

async function replayCreate(
  ctx: OperatorContext,
  creatorId: string,
  idempotency: CreateIdempotency,
  failure: unknown,
): Promise<CreatedCreatorView> {
  const earlier = await storedAnswer<
    Omit<CreatedCreatorView, "api_key"> & {
      api_key: Omit<CreatedCreatorView["api_key"], "secret">;
    }
  >(ctx.db, creatorId, idempotency.key, ctx.now);
  if (earlier === undefined) {
    if ((await creatorById(ctx.db, creatorId)) === undefined) throw failure;
    throw new AppError(
      "conflict",
      `This Idempotency-Key created creator ${creatorId} more than 24 hours ago; use a new key for a new creator.`,
    );
  }
  if (earlier.requestHash !== idempotency.requestHash) {
    throw new AppError(
      "idempotency_key_reused",
      "This Idempotency-Key was already used with a different request. Use a new key for a new request.",
    );
  }
  const secret = await unseal(idempotency.operatorKey, earlier.sealedSecret);
  if (secret === null) {
    throw new AppError(
      "conflict",
      "This create was made with another operator key (rotated since); only that key can replay its secret.",
    );
  }
  return { creator: earlier.answer.creator, api_key: { ...earlier.answer.api_key, secret } };
}

export async function getCreator({ ctx, input }: { ctx: OperatorContext; input: { id: string } }) {
  const row = await creatorById(ctx.db, input.id);
  if (row === undefined) throw unknownCreator(input.id);
  return creatorView(row);
}

export const listCreators = ({
  ctx,
  input,
}: {
  ctx: OperatorContext;
  input: Parameters<typeof creatorPage>[1];
}) => creatorPage(ctx.db, input);

/** Changes the creator's name or fee; the update, its audit row and the fresh read share one batch. */
export async function updateCreator({
  ctx,
  input,
}: {
  ctx: OperatorContext;
  input: UpdateCreatorInput & { id: string };
}): Promise<CreatorView> {
  const set = {
    ...(input.name === undefined ? {} : { name: input.name }),
    ...(input.platform_fee_bps === undefined ? {} : { platformFeeBps: input.platform_fee_bps }),
  };
  return changeCreator(ctx, input.id, set, "creator.updated", {
    name: input.name,
    platform_fee_bps: input.platform_fee_bps,
  });
}

/**
 * Suspends the creator: its keys answer 403 creator_suspended, and so do its buyer routes (quotes,
 * holds, the queue, checkouts, its link pages). A creator already suspended is 409: the first
 * suspension's time and reason are kept, not overwritten.
 */
export async function suspendCreator({
  ctx,
  input,
}: {
  ctx: OperatorContext;
  input: { id: string; reason: string };
}): Promise<CreatorView> {
  const view = await changeCreator(
    ctx,
    input.id,
    { status: "suspended", suspendedAt: ctx.now, suspensionReason: input.reason },
    "creator.suspended",
    { reason: input.reason },
    "active",
  );
  forgetCreator(input.id);
  return view;
}

/** Reinstates a suspended creator: everything it had works again. An active creator is 409. */
export async function reinstateCreator({
  ctx,
  input,
}: {
  ctx: OperatorContext;
  input: { id: string };
}): Promise<CreatorView> {
  const view = await changeCreator(
    ctx,
    input.id,
    { status: "active", suspendedAt: null, suspensionReason: null },
    "creator.reinstated",
    {},
    "suspended",
  );
  forgetCreator(input.id);
  return view;
}

/** This isolate's cached offers and drop settings of the creator: its next request reads the new status. */
function forgetCreator(creatorId: string): void {
  forgetCreatorPricing(creatorId);
  forgetCreatorDropSettings(creatorId);
}

/**
 * One guarded batch: the update (only from status `from`, when given), a guard that aborts the batch
 * unless it changed the row, its audit row, and the row as it now is. Only a refusal reads again, to
 * say why (unknown creator, or already in that state).
 */
async function changeCreator(
  ctx: OperatorContext,
  id: string,
  set: Partial<typeof creators.$inferInsert>,
  action: string,
  data: unknown,
  from?: CreatorRow["status"],
): Promise<CreatorView> {
  if (!/^cre_[0-9a-z_]{1,60}$/.test(id)) throw unknownCreator(id);
  const where =
    from === undefined ? eq(creators.id, id) : and(eq(creators.id, id), eq(creators.status, from));
  const tenant = { db: ctx.db, creatorId: id, actor: ctx.actor, now: ctx.now };
  let row: CreatorRow | undefined;
  try {
    const results = await ctx.db.batch([
      ctx.db.update(creators).set(set).where(where),
      expectOneChange(ctx.db),
      auditWrite(tenant, action, { type: "creator", id }, data),
      creatorRead(ctx.db, id),
    ]);
    row = results[3][0];
  } catch (error) {
    const current = await creatorById(ctx.db, id);
    if (current === undefined) throw unknownCreator(id);
    if (from === undefined || current.status === from) throw error;
    throw new AppError(
      "conflict",
      current.status === "suspended"
        ? `Creator ${id} is already suspended (since ${toIsoOrNull(current.suspendedAt)}); its reason and time are kept. Reinstate it first to suspend it again.`
        : `Creator ${id} is not suspended: there is nothing to reinstate.`,
    );
  }
  if (row === undefined) throw unknownCreator(id);
  return creatorView(row);
}
