/** Entitlement tokens: issuing them, sessions and refresh, and introspection. */
import { and, eq } from "drizzle-orm";
import { decodeJwt } from "jose";
import {
  type EntitlementClaims,
  EntitlementTokenError,
  verifyEntitlementToken,
} from "../../clients/verifier";
import { auditWrite } from "../audit";
import type { Call, TenantContext } from "../context";
import type { Db } from "../db/client";
import { members } from "../db/schema";
import { AppError, notFound } from "../errors";
import { toIso } from "../lib/time";
import type { EntitlementKeys } from "./keys";
import { isCredentialShaped, type RefreshCredential, rotate, startFamily } from "./refresh";
import type { Introspection, SessionView, TokenView } from "./schemas";
import { memberTokenState, tokenStateOf, tokenStateReads } from "./store";
import { audienceOf, type IssuedToken, type MemberTokenState, mintToken, type TokenSettings } from "./token";

/** What minting and checking tokens needs: parsed keys and the configured issuer and lifetime. */
export interface TokenIssuer {
  keys: EntitlementKeys;
  settings: TokenSettings;
}

/** For the public token routes: no tenant, since the credential or token says who it is. */
export interface TokenContext {
  db: Db;
  now: number;
  issuer: TokenIssuer;
}

export type EntitlementContext = TenantContext & { issuer: TokenIssuer };

const renderToken = (issued: IssuedToken, audience: string): TokenView => ({
  object: "entitlement_token",
  token: issued.token,
  token_type: "Bearer",
  expires_at: toIso(issued.expiresAt),
  audience,
  entitlements: issued.entitlements,
});

const renderSession = (issued: IssuedToken, audience: string, refresh: RefreshCredential): SessionView => ({
  ...renderToken(issued, audience),
  refresh_token: refresh.credential,
  refresh_expires_at: toIso(refresh.expiresAt),
});

const mint = (issuer: TokenIssuer, state: MemberTokenState, audience: string, now: number) =>
  mintToken(issuer.keys, issuer.settings, state, audience, now);

/**
 * A fresh token for a member of this creator, listing what they hold now. Checkout and reconcile call
 * this right after their grant lands, so time to entitlement is one read and one signature.
 */
export async function issueToken({
  ctx,
  input,
}: Call<{ memberId: string; surface?: string | undefined }, EntitlementContext>): Promise<TokenView> {
  const token = await freshToken(
    ctx,
    ctx.creatorId,
    input.memberId,
    audienceOf(ctx.creatorId, input.surface),
  );
  if (token === undefined) throw notFound("member", input.memberId);
  return token;
}

/** A token minted now from the member's current state; undefined when they are not this creator's. */
export async function freshToken(
  ctx: Pick<TokenContext, "db" | "now" | "issuer">,
  creatorId: string,
  memberId: string,
  audience: string,
): Promise<TokenView | undefined> {
  return tokenOf(ctx, creatorId, audience, await memberTokenState(ctx.db, creatorId, memberId, ctx.now));
}

/**
 * A purchase receipt: a token listing only what `orderIds` granted (active now), scoped `purchase` so
 * that it proves nothing about who holds it. Checkout and reconcile hand this to a buyer whose email was
 * never verified: the member with that email gets the order, the buyer gets only what they paid for.
 * Undefined when the member is not this creator's or the orders granted nothing active.
 */
export async function purchaseToken(
  ctx: Pick<TokenContext, "db" | "now" | "issuer">,
  p: { creatorId: string; memberId: string; orderIds: string[]; audience: string },
): Promise<TokenView | undefined> {
  const [member, active] = await ctx.db.batch(purchaseReads(ctx, p));
  return purchaseTokenOf(ctx, p, tokenStateOf(member, active));
}

/** purchaseToken's reads, for a caller's batch; `purchaseTokenOf` mints from their results. */
export const purchaseReads = (
  ctx: Pick<TokenContext, "db" | "now">,
  p: { memberId: string; orderIds: string[] },
) => tokenStateReads(ctx.db, [p.memberId], ctx.now, { type: "order", ids: p.orderIds });

export async function purchaseTokenOf(
  ctx: Pick<TokenContext, "now" | "issuer">,
  p: { creatorId: string; audience: string },
  state: MemberTokenState | undefined,
): Promise<TokenView | undefined> {
  if (state === undefined || state.creatorId !== p.creatorId || state.entitlements.length === 0) {
    return undefined;
  }
  const issued = await mintToken(
    ctx.issuer.keys,
    ctx.issuer.settings,
    state,
    p.audience,
    ctx.now,
    "purchase",
  );
  return renderToken(issued, p.audience);
}

/** A token minted now from a member's state as read; undefined when they are not this creator's. */
export async function tokenOf(
  ctx: Pick<TokenContext, "now" | "issuer">,
  creatorId: string,
  audience: string,
  state: MemberTokenState | undefined,
): Promise<TokenView | undefined> {
  if (state?.creatorId !== creatorId) return undefined;
  return renderToken(await mint(ctx.issuer, state, audience, ctx.now), audience);
}

/**
 * Signs a member in: a token plus the first refresh credential of a new family. The creator's server
 * calls it once it knows who the member is; checkout and reconcile call it after a grant.
 */
export async function startSession({
  ctx,
  input,
}: Call<{ memberId: string; surface?: string | undefined }, EntitlementContext>): Promise<SessionView> {
  const audience = audienceOf(ctx.creatorId, input.surface);
  const member = { creatorId: ctx.creatorId, memberId: input.memberId, audience };
  const [owner] = await ctx.db
    .select({ id: members.id })
    .from(members)
    .where(and(eq(members.creatorId, ctx.creatorId), eq(members.id, input.memberId)))
    .limit(1);
  if (owner === undefined) throw notFound("member", input.memberId);
  const family = await startFamily(ctx.db, member, ctx.now);
  const [, , memberRows, active] = await ctx.db.batch([
    family.write,
    auditWrite(ctx, "session.started", { type: "member", id: input.memberId }, { audience }),
    ...tokenStateReads(ctx.db, [input.memberId], ctx.now),
  ]);
  const state = tokenStateOf(memberRows, active);
  if (state === undefined) throw notFound("member", input.memberId);
  return renderSession(await mint(ctx.issuer, state, audience, ctx.now), audience, family.credential);
}

const refreshRefusals = {
  unknown: "The refresh credential is not one this worker issued.",
  expired: "The refresh credential has expired; sign in again.",
  revoked: "The refresh credential was revoked; sign in again.",
  reused: "The refresh credential was already used, so its whole family is now revoked; sign in again.",
} as const;

/** Exchanges a refresh credential for a fresh token and its successor credential. */
export async function exchangeRefresh({
  ctx,
  input,
}: Call<{ credential: string; idempotencyKey: string | undefined }, TokenContext>): Promise<SessionView> {
  if (!isCredentialShaped(input.credential)) {
    throw new AppError("refresh_token_invalid", refreshRefusals.unknown);
  }
  const rotation = await rotate(ctx.db, input.credential, input.idempotencyKey, ctx.now);
  if (rotation.kind === "refused") throw new AppError("refresh_token_invalid", refreshRefusals[rotation.why]);
  const issued = await mint(ctx.issuer, rotation.state, rotation.audience, ctx.now);
  return renderSession(issued, rotation.audience, rotation.successor);
}

/**
 * Introspection for surfaces without a JWT library: the same checks as the exported verifier, plus
 * the member's current token version, so a token minted before a revocation is refused at once.
 */
export async function introspect({
  ctx,
  input,
}: Call<{ token: string; audience: string }, TokenContext>): Promise<Introspection> {
  const claims = await checkedToken(ctx, input.token, input.audience);
  return {
    active: true,
    member_id: claims.memberId,
    audience: claims.audience,
    entitlements: claims.entitlements,
    token_id: claims.tokenId,
    version: claims.version,
    issued_at: toIso(claims.issuedAt),
    expires_at: toIso(claims.expiresAt),
    scope: claims.scope,
  };
}

/**
 * The member a buyer's token proves, for pricing: a token for this creator or any of its surfaces,
 * checked exactly as introspection checks it.
 */
export async function memberOfToken(ctx: TokenContext, token: string, creatorId: string): Promise<string> {
  let audience: unknown;
  try {
    audience = decodeJwt(token).aud;
  } catch {
    audience = undefined;
  }
  const expected =
    typeof audience === "string" && (audience === creatorId || audience.startsWith(`${creatorId}:`))
      ? audience
      : creatorId;
  const claims = await checkedToken(ctx, token, expected);
  if (claims.scope === "purchase") {
    throw new AppError("token_invalid", "A purchase receipt is not a sign-in; sign the member in first.", {
      errors: [{ in: "body", path: "/member_token", message: "purchase_scope" }],
    });
  }
  return claims.memberId;
}

async function checkedToken(ctx: TokenContext, token: string, audience: string): Promise<EntitlementClaims> {
  const { keys, settings } = ctx.issuer;
  try {
    const claims = await verifyEntitlementToken(token, (kid) => keys.verifiers.get(kid), {
      issuer: settings.issuer,
      audience,
      now: ctx.now,
    });
    const [member] = await ctx.db
      .select({ creatorId: members.creatorId, version: members.tokenVersion })
      .from(members)
      .where(eq(members.id, claims.memberId))
      .limit(1);
    if (member === undefined || member.creatorId !== claims.audience.split(":")[0]) {
      throw new EntitlementTokenError("claims", "The token's member does not belong to its audience.");
    }
    if (claims.version < member.version) {
      throw new EntitlementTokenError("stale_version", "The token predates a revocation; refresh it.");
    }
    return claims;
  } catch (error) {
    if (!(error instanceof EntitlementTokenError)) throw error;
    const code =
      error.reason === "expired"
        ? "token_expired"
        : error.reason === "stale_version"
          ? "token_revoked"
          : "token_invalid";
    throw new AppError(code, error.message, {
      errors: [{ in: "body", path: "/token", message: error.reason }],
    });
  }
}
