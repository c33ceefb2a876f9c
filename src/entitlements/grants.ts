/** Admin grants and revocations of entitlements (checkout and reconcile write theirs through store.ts). */
import { and, eq } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call } from "../context";
import { expectOneChange } from "../db/client";
import { type EntitlementRow, members, offers } from "../db/schema";
import { AppError, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { periodEnd } from "./rules";
import type { Entitlement, GrantEntitlementInput } from "./schemas";
import { findBySource, findEntitlement, grantWrite, renderEntitlement, revokeWrites } from "./store";

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
