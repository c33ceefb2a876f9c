/**
 * The sandbox billing clock, like a Stripe test clock: a developer or a test advances a creator's
 * subscriptions through weeks in one call, and every renewal, retry and period end that falls in
 * between runs at its own time, in order, exactly as the cron sweep would have run it.
 *
 * Each subscription keeps its own offset from the wall clock (`clock_offset_ms`): its periods and
 * facts are on its clock, while entitlements stay on the wall clock, so advancing shifts their ends
 * back by the same amount: what remains of a member's access, from the subscription's now, is what
 * remains of the entitlement. Sandbox subscriptions only, and never in production (the route says so).
 */
import { and, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import { auditWrite } from "../audit";
import { entitlements, subscriptions } from "../db/schema";
import { emptyReport, type RenewalContext, type RenewalReport, renewDue } from "./renewals";

/** Enough rounds for thousands of subscriptions each renewing dozens of times. */
const MAX_ROUNDS = 1000;

export async function advanceClock(
  ctx: RenewalContext,
  p: { creatorId: string; byMs: number },
): Promise<{ subscriptions: number; report: RenewalReport }> {
  const mine = and(eq(subscriptions.creatorId, p.creatorId), eq(subscriptions.provider, "sandbox"));
  const ids = ctx.db.select({ id: subscriptions.id }).from(subscriptions).where(mine);
  const [moved] = await ctx.db.batch([
    ctx.db
      .update(subscriptions)
      .set({
        clockOffsetMs: sql`${subscriptions.clockOffsetMs} + ${p.byMs}`,
        dueAt: sql`${subscriptions.dueAt} - ${p.byMs}`,
      })
      .where(mine)
      .returning({ id: subscriptions.id }),
    ctx.db
      .update(entitlements)
      .set({ expiresAt: sql`${entitlements.expiresAt} - ${p.byMs}` })
      .where(
        and(
          eq(entitlements.creatorId, p.creatorId),
          eq(entitlements.sourceType, "subscription"),
          inArray(entitlements.sourceId, ids),
          isNull(entitlements.revokedAt),
          isNotNull(entitlements.expiresAt),
        ),
      ),
    auditWrite(
      { ...ctx, creatorId: p.creatorId },
      "sandbox_clock.advanced",
      { type: "creator", id: p.creatorId },
      {
        by_ms: p.byMs,
      },
    ),
  ]);
  const report = emptyReport();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const step = await renewDue(ctx, { creatorId: p.creatorId, limit: 200 });
    for (const k of Object.keys(report) as (keyof RenewalReport)[]) report[k] += step[k];
    if (step.subscriptions === 0 || step.subscriptions === step.deferred) break;
  }
  return { subscriptions: moved.length, report };
}
