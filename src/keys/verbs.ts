/**
 * A creator's own API keys (docs/keys.md): create, read, list, rotate with an overlap, revoke. Only a
 * secret key reaches these verbs (`/v1/api-keys` is in no scope, so requireApiKey refuses the other
 * kinds): a restricted key can never mint a wider one. Every change is audited in its own batch; another
 * creator's ids read as unknown (404). A secret is returned once and never stored, not even in an
 * Idempotency-Key's stored answer, which holds it sealed to the caller's key (src/keys/seal.ts).
 */
import { and, eq, gt, isNull, or } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call, TenantContext } from "../context";
import { expectOneChange } from "../db/client";
import { listOwned } from "../db/keyset";
import { apiKeys } from "../db/schema";
import { AppError, notFound } from "../errors";
import { toIso, toIsoOrNull } from "../lib/time";
import type { ApiKey, ApiKeyWithSecret, CreateApiKeyInput, RotateApiKeyInput } from "./schemas";
import { newKey } from "./store";

export type ApiKeyRow = typeof apiKeys.$inferSelect;

export interface KeyContext extends TenantContext {
  /** Seals a new secret for the stored Idempotency-Key answer (to the key making this request). */
  seal(secret: string): Promise<string>;
}

/** What an Idempotency-Key stores for a create or a rotation: the key, its secret sealed. */
export type StoredKeyAnswer = ApiKey & { sealed_secret: string };

export function renderKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    object: "api_key",
    name: row.name,
    kind: row.kind,
    scopes: JSON.parse(row.scopes) as string[],
    prefix: row.prefix,
    created_at: toIso(row.createdAt),
    last_used_at: toIsoOrNull(row.lastUsedAt),
    expires_at: toIsoOrNull(row.expiresAt),
    revoked_at: toIsoOrNull(row.revokedAt),
    replaced_by: row.replacedBy,
  };
}

async function owned(ctx: TenantContext, id: string): Promise<ApiKeyRow> {
  const [row] = await ctx.db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.creatorId, ctx.creatorId), eq(apiKeys.id, id)))
    .limit(1);
  if (row === undefined) throw notFound("API key", id);
  return row;
}

const subject = (id: string) => ({ type: "api_key", id });

/** The row newKey inserts, as it will read back: nothing used, nothing ended. */
const freshRow = (key: Awaited<ReturnType<typeof newKey>>["key"]): ApiKeyRow => ({
  id: key.id,
  creatorId: key.creatorId,
  name: key.name,
  prefix: key.prefix,
  hash: "",
  kind: key.kind,
  scopes: JSON.stringify(key.scopes),
  createdAt: key.createdAt,
  revokedAt: null,
  expiresAt: null,
  replacedBy: null,
  lastUsedAt: null,
});

export async function createKey({
  ctx,
  input,
}: Call<CreateApiKeyInput, KeyContext>): Promise<ApiKeyWithSecret> {
  const { key, write } = await newKey(ctx.db, {
    creatorId: ctx.creatorId,
    name: input.name,
    kind: input.kind,
    scopes: input.scopes,
    now: ctx.now,
  });
  const rendered = renderKey(freshRow(key));
  const stored: StoredKeyAnswer = { ...rendered, sealed_secret: await ctx.seal(key.secret) };
  await ctx.commit(
    [
      write,
      auditWrite(ctx, "api_key.created", subject(key.id), {
        name: key.name,
        kind: key.kind,
        scopes: key.scopes,
        prefix: key.prefix,
      }),
    ],
    stored,
  );
  return { ...rendered, secret: key.secret };
}

export async function getKey({ ctx, input }: Call<{ id: string }>): Promise<ApiKey> {
  return renderKey(await owned(ctx, input.id));
}

export async function listKeys({ ctx, input }: Call<{ limit: number; cursor?: string | undefined }>) {
  const listed = await listOwned(ctx.db, apiKeys, {
    time: apiKeys.createdAt,
    creatorId: ctx.creatorId,
    filter: undefined,
    query: input,
    position: (r) => ({ t: r.createdAt, id: r.id }),
  });
  return { ...listed, data: listed.data.map(renderKey) };
}

/** Why a key cannot be rotated, or null when it can: only a live key that no rotation has replaced. */
function unrotatable(row: ApiKeyRow, now: number): string | null {
  if (row.revokedAt !== null) return `API key ${row.id} is revoked; create a new key instead.`;
  if (row.replacedBy !== null)
    return `API key ${row.id} was already rotated (replaced by ${row.replacedBy}).`;
  if (row.expiresAt !== null && row.expiresAt <= now) return `API key ${row.id} has expired.`;
  return null;
}

/**
 * A new key with the old one's name, kind and scopes; the old one keeps working for the overlap and
 * then never again (0: it ends now). The guard on the old row lives in the UPDATE itself, so of two
 * rotations at once exactly one lands and the other's batch, its new key included, rolls back.
 */
export async function rotateKey({
  ctx,
  input,
}: Call<{ id: string; body: RotateApiKeyInput }, KeyContext>): Promise<ApiKeyWithSecret> {
  const old = await owned(ctx, input.id);
  const refusal = unrotatable(old, ctx.now);
  if (refusal !== null) throw new AppError("conflict", refusal);
  const { key, write } = await newKey(ctx.db, {
    creatorId: ctx.creatorId,
    name: old.name,
    kind: old.kind,
    scopes: JSON.parse(old.scopes) as string[],
    now: ctx.now,
  });
  const expiresAt = ctx.now + input.body.overlap_seconds * 1000;
  const rendered = renderKey(freshRow(key));
  const stored: StoredKeyAnswer = { ...rendered, sealed_secret: await ctx.seal(key.secret) };
  try {
    await ctx.commit(
      [
        ctx.db
          .update(apiKeys)
          .set({ expiresAt, replacedBy: key.id })
          .where(
            and(
              eq(apiKeys.creatorId, ctx.creatorId),
              eq(apiKeys.id, old.id),
              isNull(apiKeys.revokedAt),
              isNull(apiKeys.replacedBy),
              or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, ctx.now)),
            ),
          ),
        expectOneChange(ctx.db),
        write,
        auditWrite(ctx, "api_key.rotated", subject(old.id), {
          replaced_by: key.id,
          expires_at: toIso(expiresAt),
        }),
        auditWrite(ctx, "api_key.created", subject(key.id), {
          name: key.name,
          kind: key.kind,
          scopes: key.scopes,
          prefix: key.prefix,
          rotated_from: old.id,
        }),
      ],
      stored,
    );
  } catch (error) {
    if (error instanceof AppError) throw error;
    // The guard refused: another request rotated or revoked the key after we read it.
    const current = await owned(ctx, old.id);
    throw new AppError("conflict", unrotatable(current, ctx.now) ?? `API key ${old.id} changed; try again.`);
  }
  return { ...rendered, secret: key.secret };
}

/**
 * Ends a key now: the very next request with it is 401, since every request reads the key's row (no
 * cache). Revoking a revoked key changes nothing and answers it as it is.
 */
export async function revokeKey({ ctx, input }: Call<{ id: string }>): Promise<ApiKey> {
  const row = await owned(ctx, input.id);
  if (row.revokedAt !== null) {
    const unchanged = renderKey(row);
    await ctx.commit([], unchanged);
    return unchanged;
  }
  const revoked = { ...row, revokedAt: ctx.now };
  const rendered = renderKey(revoked);
  try {
    await ctx.commit(
      [
        ctx.db
          .update(apiKeys)
          .set({ revokedAt: ctx.now })
          .where(
            and(eq(apiKeys.creatorId, ctx.creatorId), eq(apiKeys.id, row.id), isNull(apiKeys.revokedAt)),
          ),
        expectOneChange(ctx.db),
        auditWrite(ctx, "api_key.revoked", subject(row.id), { revoked_at: rendered.revoked_at }),
      ],
      rendered,
    );
  } catch (error) {
    if (error instanceof AppError) throw error;
    // A revocation at the same moment landed first: the key is revoked either way, audited once.
    const current = renderKey(await owned(ctx, row.id));
    await ctx.commit([], current);
    return current;
  }
  return rendered;
}
