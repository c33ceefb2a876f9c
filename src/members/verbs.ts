import { and, eq } from "drizzle-orm";
import type { Call } from "../context";
import { listOwned } from "../db/keyset";
import { type MemberRow, members } from "../db/schema";
import { notFound } from "../errors";
import { toIso } from "../lib/time";
import type { Member } from "./schemas";

/** One person is one member per creator: emails are compared trimmed and lower-cased. */
export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

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

export async function getMember({ ctx, input }: Call<{ id: string }>): Promise<Member> {
  const [row] = await ctx.db
    .select()
    .from(members)
    .where(and(eq(members.creatorId, ctx.creatorId), eq(members.id, input.id)))
    .limit(1);
  if (row === undefined) throw notFound("member", input.id);
  return renderMember(row);
}

export async function listMembers({
  ctx,
  input,
}: Call<{ limit: number; cursor?: string | undefined; cohort?: MemberRow["cohort"] | undefined }>) {
  const listed = await listOwned(ctx.db, members, {
    time: members.joinedAt,
    creatorId: ctx.creatorId,
    filter: input.cohort ? eq(members.cohort, input.cohort) : undefined,
    query: input,
    position: (r) => ({ t: r.joinedAt, id: r.id }),
  });
  return { ...listed, data: listed.data.map(renderMember) };
}
