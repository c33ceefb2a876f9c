/**
 * Who is being priced: the stable key experiments and coupon limits count against, and the member's
 * tier when we know it. A member is known two ways: the buyer presents their entitlement token
 * (`member_token`, verified as introspection verifies it), or the creator's server names `member_id`
 * with its API key. Either yields `member:<id>` and the member's current tier: the highest tier they
 * hold an active entitlement to now (see members/tier.ts), read in the same statement as the member.
 */
import { and, eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { members, offers } from "../db/schema";
import { AppError, invalid } from "../errors";
import { buyerKey } from "../holds/buyer";
import { activeTierOfferId } from "../members/tier";

export interface PricingBuyer {
  key: string;
  member: { id: string; tierOfferId: string | null; tierRank: number | null } | null;
}

export interface BuyerClaim {
  /** The creator whose API key was sent, or null for a buyer calling directly. */
  caller: { creatorId: string } | null;
  memberId: string | undefined;
  buyerId: string | undefined;
  /** The key of the Buyer-Token sent (`btk:<id>`), already verified; it wins over Buyer-Id. */
  buyerTokenKey?: string | undefined;
  /** A buyer's entitlement token, and how to learn the member it proves for a creator. */
  memberToken?:
    | { token: string; memberOf: (token: string, creatorId: string) => Promise<string> }
    | undefined;
}

export async function pricingBuyer(
  db: Db,
  creatorId: string,
  now: number,
  claim: BuyerClaim,
): Promise<PricingBuyer> {
  if (claim.memberToken !== undefined) {
    if (claim.memberId !== undefined) {
      throw invalid([
        { in: "body", path: "/member_id", message: "Send member_id or member_token, not both" },
      ]);
    }
    const memberId = await claim.memberToken.memberOf(claim.memberToken.token, creatorId);
    return { key: `member:${memberId}`, member: await activeMember(db, creatorId, memberId, now) };
  }
  if (claim.memberId !== undefined) {
    if (claim.caller === null) {
      throw new AppError(
        "unauthenticated",
        "member_id needs the creator's API key; a buyer proves membership with a member token.",
        { errors: [{ in: "body", path: "/member_id", message: "Needs the creator's API key" }] },
      );
    }
    return {
      key: `member:${claim.memberId}`,
      member: await activeMember(db, creatorId, claim.memberId, now),
    };
  }
  if (claim.buyerTokenKey !== undefined) return { key: claim.buyerTokenKey, member: null };
  if (claim.buyerId === undefined) {
    throw invalid(
      [{ in: "header", path: "/buyer-id", message: "Required unless a member is named" }],
      "Send Buyer-Id: experiments and coupon limits need a stable buyer.",
    );
  }
  return { key: buyerKey({ "buyer-id": claim.buyerId }), member: null };
}

/** The member and their tier rank now; an inactive member prices as a plain buyer with the same key. */
async function activeMember(
  db: Db,
  creatorId: string,
  memberId: string,
  now: number,
): Promise<PricingBuyer["member"]> {
  const [row] = await db
    .select({
      id: members.id,
      status: members.status,
      tierOfferId: offers.id,
      tierRank: offers.tierRank,
    })
    .from(members)
    // One correlated subquery picks the tier; the join reads its rank.
    .leftJoin(offers, eq(offers.id, activeTierOfferId(now)))
    .where(and(eq(members.creatorId, creatorId), eq(members.id, memberId)))
    .limit(1);
  if (row === undefined) throw invalid([{ in: "body", path: "/member_id", message: "No such member" }]);
  if (row.status !== "active") return { id: row.id, tierOfferId: null, tierRank: null };
  return { id: row.id, tierOfferId: row.tierOfferId, tierRank: row.tierRank };
}
