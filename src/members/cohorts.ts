/**
 * A creator's cohort rules: which cohort a new member joins. Members who join before the founding
 * cutoff are `founding`; otherwise pop-up enrolments join the pop-up cohort if one is set, and everyone
 * else the default. A member's cohort is decided once, when they join; changing the rules later does
 * not move existing members.
 *
 * Rules are kept per isolate for a few seconds, like the pricing catalog: every paid checkout may enrol
 * a member, and a D1 read for rules that change once in a blue moon measurably slowed checkout under
 * load (bench: payment → entitlement p50 73 → 121 ms). A change applies here at once, elsewhere within
 * COHORT_RULES_TTL_MS.
 */
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call } from "../context";
import type { Db } from "../db/client";
import { creators, memberCohorts } from "../db/schema";
import { toIsoOrNull } from "../lib/time";

export type Cohort = (typeof memberCohorts)[number];

export interface CohortRules {
  foundingUntil: number | null;
  defaultCohort: Cohort;
  popUpCohort: Cohort | null;
}

/** The cohort a member joining at `joinedAt` gets; pure, so checkout and the pop-up agree. */
export function cohortFor(rules: CohortRules, join: { at: number; atPopUp: boolean }): Cohort {
  if (rules.foundingUntil !== null && join.at < rules.foundingUntil) return "founding";
  return (join.atPopUp ? rules.popUpCohort : null) ?? rules.defaultCohort;
}

export const COHORT_RULES_TTL_MS = 5_000;
const MAX_CACHED = 2_000;
const cached = new Map<string, { loadedAt: number; rules: CohortRules }>();

export async function cohortRulesOf(db: Db, creatorId: string, now: number): Promise<CohortRules> {
  const hit = cached.get(creatorId);
  if (hit && now - hit.loadedAt < COHORT_RULES_TTL_MS) return hit.rules;
  const rules = await loadRules(db, creatorId);
  if (cached.size >= MAX_CACHED) cached.clear();
  cached.set(creatorId, { loadedAt: now, rules });
  return rules;
}

async function loadRules(db: Db, creatorId: string): Promise<CohortRules> {
  return rulesOf(await rulesRead(db, creatorId));
}

/** The creator's cohort rules, as one statement for a caller's batch, and what its rows mean. */
export const rulesRead = (db: Db, creatorId: string) =>
  db
    .select({
      foundingUntil: creators.foundingCohortUntil,
      defaultCohort: creators.defaultCohort,
      popUpCohort: creators.popUpCohort,
    })
    .from(creators)
    .where(eq(creators.id, creatorId))
    .limit(1);

export const rulesOf = ([row]: Awaited<ReturnType<typeof rulesRead>>): CohortRules =>
  row ?? { foundingUntil: null, defaultCohort: "utility", popUpCohort: null };

export const CohortRulesBody = z
  .strictObject({
    founding_until: z.iso
      .datetime({ offset: true })
      .nullable()
      .openapi({ description: "Members who join before this moment are `founding`; null for none." }),
    default_cohort: z.enum(memberCohorts),
    pop_up_cohort: z
      .enum(memberCohorts)
      .nullable()
      .openapi({ description: "The cohort of members enrolled at a pop-up; null to use the default." }),
  })
  .openapi("CohortRulesInput");

export const CohortRulesSchema = z
  .object({
    object: z.literal("cohort_rules"),
    founding_until: z.string().nullable(),
    default_cohort: z.enum(memberCohorts),
    pop_up_cohort: z.enum(memberCohorts).nullable(),
  })
  .openapi("CohortRules");
export type CohortRulesView = z.infer<typeof CohortRulesSchema>;

const render = (rules: CohortRules): CohortRulesView => ({
  object: "cohort_rules",
  founding_until: toIsoOrNull(rules.foundingUntil),
  default_cohort: rules.defaultCohort,
  pop_up_cohort: rules.popUpCohort,
});

export async function getCohortRules({ ctx }: Call<unknown>): Promise<CohortRulesView> {
  return render(await loadRules(ctx.db, ctx.creatorId));
}

export async function putCohortRules({
  ctx,
  input,
}: Call<z.infer<typeof CohortRulesBody>>): Promise<CohortRulesView> {
  const rules: CohortRules = {
    foundingUntil: input.founding_until === null ? null : Date.parse(input.founding_until),
    defaultCohort: input.default_cohort,
    popUpCohort: input.pop_up_cohort,
  };
  const view = render(rules);
  await ctx.commit(
    [
      ctx.db
        .update(creators)
        .set({
          foundingCohortUntil: rules.foundingUntil,
          defaultCohort: rules.defaultCohort,
          popUpCohort: rules.popUpCohort,
        })
        .where(eq(creators.id, ctx.creatorId)),
      auditWrite(ctx, "cohort_rules.updated", { type: "creator", id: ctx.creatorId }, view),
    ],
    view,
  );
  cached.delete(ctx.creatorId);
  return view;
}
