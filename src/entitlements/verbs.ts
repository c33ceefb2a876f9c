import { and, eq } from "drizzle-orm";
import { decodeJwt } from "jose";
import { auditWrite } from "../audit";
import type { Call, TenantContext } from "../context";
import { type Db, expectOneChange } from "../db/client";
import { type EntitlementRow, members, offers } from "../db/schema";
import { AppError, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { toIso } from "../lib/time";
import type { EntitlementKeys } from "./keys";
import { isCredentialShaped, type RefreshCredential, rotate, startFamily } from "./refresh";
import { periodEnd } from "./rules";
import type { Entitlement, GrantEntitlementInput, Introspection, SessionView, TokenView } from "./schemas";
import {
  findBySource,
  findEntitlement,
  grantWrite,
  memberTokenState,
  renderEntitlement,
  revokeWrites,
  tokenStateOf,
  tokenStateReads,
} from "./store";
import { audienceOf, type IssuedToken, type MemberTokenState, mintToken, type TokenSettings } from "./token";
import { type EntitlementClaims, EntitlementTokenError, verifyEntitlementToken } from "./verify";

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
  const state = await memberTokenState(ctx.db, creatorId, memberId, ctx.now);
  if (state === undefined) return undefined;
  return renderToken(await mint(ctx.issuer, state, audience, ctx.now), audience);
}

/**
 * Grants an offer or a named benefit to a member. Idempotent per source: the same reference and benefit
 * return the first grant (`created: false`) and write nothing.
 */
export async function grantEntitlement({
  ctx,
  input,
}: Call<GrantEntitlementInput>): Promise<{ entitlement: Entitlement; created: boolean }> {
  const [member, offer] = await Promise.all([
    ctx.db
      .select({ id: members.id })
      .from(members)
      .where(and(eq(members.creatorId, ctx.creatorId), eq(members.id, input.member_id)))
      .limit(1),
    input.offer_id === undefined
      ? Promise.resolve([])
      : ctx.db
          .select({ kind: offers.kind, billingInterval: offers.billingInterval })
          .from(offers)
          .where(and(eq(offers.creatorId, ctx.creatorId), eq(offers.id, input.offer_id)))
          .limit(1),
  ]);
  const errors = [
    ...(member[0] === undefined
      ? [{ in: "body" as const, path: "/member_id", message: "No such member" }]
      : []),
    ...(input.offer_id !== undefined && offer[0] === undefined
      ? [{ in: "body" as const, path: "/offer_id", message: "No such offer" }]
      : []),
    ...(input.expires_at !== undefined && Date.parse(input.expires_at) <= ctx.now
      ? [{ in: "body" as const, path: "/expires_at", message: "Must be in the future" }]
      : []),
  ];
  if (errors.length > 0) throw invalid(errors);
  const id = newId("entitlement");
  const interval = offer[0]?.kind === "membership" ? offer[0].billingInterval : null;
  const row: EntitlementRow = {
    id,
    creatorId: ctx.creatorId,
    memberId: input.member_id,
    offerId: input.offer_id ?? null,
    benefitKey: input.benefit_key ?? (input.offer_id as string),
    sourceType: "admin",
    sourceId: input.reference ?? id,
    grantedAt: ctx.now,
    expiresAt:
      input.expires_at !== undefined
        ? Date.parse(input.expires_at)
        : interval
          ? periodEnd(ctx.now, interval)
          : null,
    revokedAt: null,
    revokeReason: null,
  };
  const earlier = await findBySource(ctx.db, row);
  if (earlier !== undefined) return alreadyGranted(earlier, row);
  const entitlement = renderEntitlement(row);
  try {
    await ctx.commit(
      [
        grantWrite(ctx.db, row),
        expectOneChange(ctx.db),
        auditWrite(ctx, "entitlement.granted", { type: "entitlement", id }, entitlement),
      ],
      entitlement,
    );
  } catch (error) {
    // A concurrent grant with the same reference landed first: answer with it.
    const raced = await findBySource(ctx.db, row);
    if (raced === undefined) throw error;
    return alreadyGranted(raced, row);
  }
  return { entitlement, created: true };
}

function alreadyGranted(existing: EntitlementRow, wanted: EntitlementRow) {
  if (existing.memberId !== wanted.memberId) {
    throw new AppError("conflict", "This reference already granted that benefit to another member.");
  }
  return { entitlement: renderEntitlement(existing), created: false };
}

export async function getEntitlement({ ctx, input }: Call<{ id: string }>): Promise<Entitlement> {
  const row = await findEntitlement(ctx.db, ctx.creatorId, input.id);
  if (row === undefined) throw notFound("entitlement", input.id);
  return renderEntitlement(row);
}

/**
 * Revokes an entitlement and bumps the member's token version, so introspection refuses their older
 * tokens at once and refresh stops listing it. Revoking a revoked entitlement changes nothing.
 */
export async function revokeEntitlement({
  ctx,
  input,
}: Call<{ id: string; reason: NonNullable<EntitlementRow["revokeReason"]> }>): Promise<Entitlement> {
  const row = await findEntitlement(ctx.db, ctx.creatorId, input.id);
  if (row === undefined) throw notFound("entitlement", input.id);
  if (row.revokedAt !== null) return renderEntitlement(row);
  const revoked = renderEntitlement({ ...row, revokedAt: ctx.now, revokeReason: input.reason });
  try {
    await ctx.commit(
      [
        ...revokeWrites(ctx.db, row, input.reason, ctx.now),
        auditWrite(ctx, "entitlement.revoked", { type: "entitlement", id: row.id }, { reason: input.reason }),
      ],
      revoked,
    );
  } catch (error) {
    // Revoked concurrently: the first revocation stands.
    const current = await findEntitlement(ctx.db, ctx.creatorId, input.id);
    if (current?.revokedAt == null) throw error;
    return renderEntitlement(current);
  }
  return revoked;
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
  return (await checkedToken(ctx, token, expected)).memberId;
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
