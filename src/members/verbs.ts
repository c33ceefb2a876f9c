import { and, eq, getTableColumns } from "drizzle-orm";
import type { Call } from "../context";
import type { Db } from "../db/client";
import { keyset } from "../db/keyset";
import { type MemberRow, members } from "../db/schema";
import { notFound } from "../errors";
import { toIso } from "../lib/time";
import type { Member } from "./schemas";
import { activeTierOfferId } from "./tier";

/** One person is one member per creator: emails are compared trimmed and lower-cased. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** A member as read: `tierOfferId` is the tier derived from active entitlements (./tier.ts), not the column. */
export function renderMember(row: MemberRow): Member {
  return {
    id: row.id,
    object: "member",
    email: row.email,
    tier_offer_id: row.tierOfferId,
    cohort: row.cohort,
    acquisition_source: row.acquisitionSource,
    status: row.status,
    token_version: row.tokenVersion,
    joined_at: toIso(row.joinedAt),
    updated_at: toIso(row.updatedAt),
  };
}

/** Members with their tier as of `now`, in the one statement that reads them. */
const selectMembers = (db: Db, now: number) =>
  db.select({ ...getTableColumns(members), tierOfferId: activeTierOfferId(now) }).from(members);

export async function getMember({ ctx, input }: Call<{ id: string }>): Promise<Member> {
  const [row] = await selectMembers(ctx.db, ctx.now)
    .where(and(eq(members.creatorId, ctx.creatorId), eq(members.id, input.id)))
    .limit(1);
  if (row === undefined) throw notFound("member", input.id);
  return renderMember(row);
}

export async function listMembers({
  ctx,
  input,
}: Call<{ limit: number; cursor?: string | undefined; cohort?: MemberRow["cohort"] | undefined }>) {
  const page = keyset(members.joinedAt, members.id, input);
  const rows = await selectMembers(ctx.db, ctx.now)
    .where(
      and(
        eq(members.creatorId, ctx.creatorId),
        input.cohort ? eq(members.cohort, input.cohort) : undefined,
        page.where,
      ),
    )
    .orderBy(...page.orderBy)
    .limit(page.fetch);
  return page.page(rows, (r) => ({ t: r.joinedAt, id: r.id }), renderMember);
}
