import { and, eq, lte } from "drizzle-orm";
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { type Db, expectOneChange, type Write } from "../db/client";
import { idempotencyKeys } from "../db/schema";
import { AppError } from "../errors";
import { sha256Hex } from "../lib/crypto";
import type { AppEnv } from "./context";

/** How long a key is remembered, and how long a claim blocks retries if its request dies. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
export const IDEMPOTENCY_LOCK_MS = 60 * 1000;
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyClaim {
  creatorId: string;
  key: string;
  lockToken: string;
  status: number;
  completed: boolean;
  /** The results of `alongside`'s reads, read in the claim's batch. */
  alongside?: unknown[];
}

export interface ReplayOptions {
  /** The key must be sent: a missing one is 400 (checkout, where a lost response must be recoverable). */
  required?: boolean;
  /**
   * The creator a key is scoped to, for public routes without an API key (checkout reads it from the
   * quote). Defaults to the API key's creator.
   */
  scope?: (c: Context<AppEnv>) => Promise<string>;
  /**
   * Rebuilds a replayed response from the stored one, for parts that must be fresh each time (a
   * short-lived token) or must never be stored (a secret). The stored part is replayed as is.
   */
  replay?: (c: Context<AppEnv>, stored: unknown) => Promise<unknown>;
  /**
   * Reads the handler needs, sent in the claim's own D1 batch so they cost no round trip of their own
   * (checkout reads everything it decides on this way). Their results are on the claim, in order.
   */
  alongside?: (c: Context<AppEnv>) => Promise<Write[]>;
}

/**
 * Makes a write route safe to retry. With an `Idempotency-Key` header:
 * - a new key runs the request and stores its response with the writes (see TenantContext.commit);
 * - the same key and the same request replays the stored response with `Idempotent-Replayed: true`;
 * - the same key and a different request is 422; the same key still running is 409.
 * Without the header the request runs normally. Failed requests store nothing, so they can be retried.
 */
export const idempotent = (successStatus: number, options: ReplayOptions = {}) =>
  createMiddleware<AppEnv>(async (c, next) => {
    const key = options.required
      ? idempotencyKeyOf(c, { required: true })
      : idempotencyKeyOf(c, { required: false });
    if (key === undefined) return next();
    const [db, clock] = [c.get("db"), c.get("clock")];
    const tenant = { creatorId: options.scope ? await options.scope(c) : c.get("tenant").creatorId };
    const now = clock.now();
    const { pathname, search } = new URL(c.req.url);
    const requestHash = await sha256Hex(`${c.req.method} ${pathname}${search}\n${await c.req.text()}`);
    const lockToken = crypto.randomUUID();
    const alongside = options.alongside ? await options.alongside(c) : [];
    const claimed = await claim(
      db,
      { creatorId: tenant.creatorId, key, requestHash, lockToken, now },
      alongside,
    );
    if (claimed.kind === "replay") {
      const body = options.replay
        ? JSON.stringify(await options.replay(c, JSON.parse(claimed.body)))
        : claimed.body;
      return c.body(body, claimed.status as ContentfulStatusCode, {
        "content-type": "application/json",
        "idempotent-replayed": "true",
      });
    }
    const state: IdempotencyClaim = {
      creatorId: tenant.creatorId,
      key,
      lockToken,
      status: successStatus,
      completed: false,
      alongside: claimed.alongside,
    };
    c.set("idempotency", state);
    await next();
    if (!state.completed) {
      // The request failed before its writes landed: forget the key so a retry runs afresh.
      await db
        .delete(idempotencyKeys)
        .where(
          and(
            eq(idempotencyKeys.creatorId, state.creatorId),
            eq(idempotencyKeys.key, key),
            eq(idempotencyKeys.lockToken, lockToken),
          ),
        );
    }
  });

/** The request's Idempotency-Key: checked for shape; when required, its absence is a 400. */
export function idempotencyKeyOf(c: Context, options: { required: true }): string;
export function idempotencyKeyOf(c: Context, options: { required: false }): string | undefined;
export function idempotencyKeyOf(c: Context, options: { required: boolean }): string | undefined {
  const key = c.req.header("idempotency-key");
  if (key === undefined) {
    if (!options.required) return undefined;
    throw new AppError(
      "idempotency_key_required",
      "This write needs an Idempotency-Key header, so it can be retried safely.",
      {
        errors: [{ in: "header", path: "/idempotency-key", message: "Required" }],
      },
    );
  }
  if (!KEY_PATTERN.test(key)) {
    throw new AppError(
      "idempotency_key_invalid",
      "Idempotency-Key must be 1 to 255 printable ASCII characters.",
      {
        errors: [{ in: "header", path: "/idempotency-key", message: "1 to 255 printable ASCII characters" }],
      },
    );
  }
  return key;
}

type ClaimResult =
  | { kind: "claimed"; alongside: unknown[] }
  | { kind: "replay"; status: number; body: string };

const inFlight = (retryAfterSeconds: number) =>
  new AppError("idempotency_in_flight", "A request with this Idempotency-Key is still being processed.", {
    headers: { "retry-after": String(Math.max(1, Math.ceil(retryAfterSeconds))) },
  });

/**
 * Claims the key in one round trip: a key past its retention is dropped, then the claim is raced for,
 * with the handler's reads in the same batch. Only a key already taken costs a second read.
 */
async function claim(
  db: Db,
  p: { creatorId: string; key: string; requestHash: string; lockToken: string; now: number },
  alongside: Write[],
): Promise<ClaimResult> {
  const fresh = {
    creatorId: p.creatorId,
    key: p.key,
    requestHash: p.requestHash,
    lockToken: p.lockToken,
    lockedUntil: p.now + IDEMPOTENCY_LOCK_MS,
    createdAt: p.now,
    expiresAt: p.now + IDEMPOTENCY_TTL_MS,
  };
  const where = and(eq(idempotencyKeys.creatorId, p.creatorId), eq(idempotencyKeys.key, p.key));
  const [, inserted, ...read] = await db.batch([
    db.delete(idempotencyKeys).where(and(where, lte(idempotencyKeys.expiresAt, p.now))),
    db.insert(idempotencyKeys).values(fresh).onConflictDoNothing().returning(),
    ...alongside,
  ]);
  if (inserted.length === 1) return { kind: "claimed", alongside: read };

  const [existing] = await db.select().from(idempotencyKeys).where(where);
  // Released between our insert and our read: the other request failed, and a retry will find it free.
  if (existing === undefined) throw inFlight(1);
  if (existing.requestHash !== p.requestHash) {
    throw new AppError(
      "idempotency_key_reused",
      "This Idempotency-Key was already used with a different request. Use a new key for a new request.",
    );
  }
  if (existing.responseBody !== null && existing.responseStatus !== null) {
    return { kind: "replay", status: existing.responseStatus, body: existing.responseBody };
  }
  const lockedUntil = existing.lockedUntil ?? 0;
  if (lockedUntil > p.now) throw inFlight((lockedUntil - p.now) / 1000);
  // The first request died without finishing: take its claim over, if nobody beat us to it.
  const taken = await db
    .update(idempotencyKeys)
    .set({ lockToken: p.lockToken, lockedUntil: fresh.lockedUntil })
    .where(and(where, eq(idempotencyKeys.lockToken, existing.lockToken)))
    .returning();
  if (taken.length === 1) return { kind: "claimed", alongside: read };
  throw inFlight(1);
}

/** Whether this claim still holds its key: false once a retry has taken an expired lock over. */
export async function stillHeld(db: Db, claim: IdempotencyClaim): Promise<boolean> {
  const [row] = await db
    .select({ lockToken: idempotencyKeys.lockToken })
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.creatorId, claim.creatorId), eq(idempotencyKeys.key, claim.key)));
  return row?.lockToken === claim.lockToken;
}

/** A batch that failed because its claim was taken over is a retry racing us, not a server fault. */
export const claimLost = () => inFlight(1);

/**
 * The statements that store a response with the writes that produced it. The first marks the claim
 * complete only if we still hold its lock; the second aborts the whole batch when we did not. So a
 * request whose claim was taken over (it outlived its lock) can never land its writes a second time.
 */
export function completionWrites(db: Db, claim: IdempotencyClaim, result: unknown): Write[] {
  return [
    db
      .update(idempotencyKeys)
      .set({ responseStatus: claim.status, responseBody: JSON.stringify(result), lockedUntil: null })
      .where(
        and(
          eq(idempotencyKeys.creatorId, claim.creatorId),
          eq(idempotencyKeys.key, claim.key),
          eq(idempotencyKeys.lockToken, claim.lockToken),
        ),
      ),
    expectOneChange(db),
  ];
}

export async function purgeExpiredIdempotencyKeys(db: Db, now: number): Promise<void> {
  await db.delete(idempotencyKeys).where(lte(idempotencyKeys.expiresAt, now));
}
