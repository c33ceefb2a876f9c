/**
 * A member's tier is derived, never stored: the highest-ranked membership offer they hold an active
 * entitlement to (not revoked, not expired at `now`). It therefore follows every grant, refund,
 * revocation, chargeback and expiry the moment it lands, online or at the till, with no ladder to keep
 * in step. (`members.tier_offer_id` is no longer read for pricing or shown.)
 *
 * It is a correlated subquery on `members`, so any read of members (one member for a quote, a page of
 * them for the admin list) gets its tier in the same statement: no extra D1 round trip.
 */
import { type SQL, sql } from "drizzle-orm";

/**
 * The member's current tier offer id, or null: select it alongside `members` columns, or join `offers`
 * on it for the tier's rank. Written with explicit aliases: drizzle leaves columns unqualified in a
 * single-table select, which would make `id` inside the subquery mean the entitlement's.
 */
export const activeTierOfferId = (now: number): SQL<string | null> => sql<string | null>`(
    SELECT tier.id FROM entitlements AS ent
    INNER JOIN offers AS tier ON tier.id = ent.offer_id
    WHERE ent.member_id = "members"."id"
      AND ent.creator_id = "members"."creator_id"
      AND tier.creator_id = "members"."creator_id"
      AND tier.kind = 'membership'
      AND ent.revoked_at IS NULL
      AND (ent.expires_at IS NULL OR ent.expires_at > ${now})
    ORDER BY tier.tier_rank DESC, tier.id
    LIMIT 1
  )`;
