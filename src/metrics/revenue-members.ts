/**
 * `GET /v1/metrics/retention` and `GET /v1/metrics/enrolments`: the members who joined in the range
 * (members(creator_id, joined_at, id)), each looked up by its own id in entitlements(member_id) and
 * orders(member_id), so no other creator's row is read. A member is one person per creator (one row per
 * email), so a person who enrolled at a pop-up and online is one enrolment.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Call } from "../context";
import type { MetricReport } from "../contract/metrics";
import { DAY_MS, dailySeries, type MetricInput, num, type Range, rate, report, resolveRange } from "./range";
import { dayOfIndex } from "./revenue-sql";

/**
 * The join cohort: `founding` first (as cohortFor decides it), then `pop-up` for a member enrolled at a
 * point of sale (`pos:<event>`), else the member's cohort (seasonal or utility).
 */
export const JOIN_COHORT = sql.raw(
  "CASE WHEN cohort = 'founding' THEN 'founding' WHEN substr(acquisition_source, 1, 4) = 'pos:' THEN 'pop-up' ELSE cohort END",
);
/** The enrolment source: link, overlay, api, or pos (any pop-up event). */
export const JOIN_SOURCE = sql.raw(
  "CASE WHEN substr(acquisition_source, 1, 4) = 'pos:' THEN 'pos' ELSE acquisition_source END",
);

/** The creator's members who joined in the range. */
export const joined = (creatorId: string, range: Range): SQL => sql`j AS (
    SELECT id, joined_at, ${JOIN_COHORT} AS cohort, ${JOIN_SOURCE} AS source
    FROM members WHERE creator_id = ${creatorId} AND joined_at >= ${range.from} AND joined_at < ${range.to}
  )`;

export const RETENTION_DAYS = [7, 30, 90] as const;

export const RETENTION_DEFINITION =
  "Members who joined in the range, by join cohort (founding, seasonal, utility, pop-up), retained at " +
  "7, 30 and 90 days: at joined_at + N days they held an entitlement granted by then, not revoked and " +
  "not expired by then (a subscription's tier is such an entitlement while it is active, past_due in " +
  "grace or trialing). The rate is over the members whose N days have passed; null until any have.";

/** Whether entitlement `e` was held at `joined_at + days` (granted by then, neither revoked nor expired). */
const heldAt = (days: number) => sql`(e.granted_at <= j.joined_at + ${days * DAY_MS}
      AND (e.revoked_at IS NULL OR e.revoked_at > j.joined_at + ${days * DAY_MS})
      AND (e.expires_at IS NULL OR e.expires_at > j.joined_at + ${days * DAY_MS}))`;

/**
 * Per join cohort and day: members, and per horizon those who reached it and those retained. Each
 * member's entitlements are read once (one probe of entitlements(member_id) per member).
 */
export function retentionQuery(creatorId: string, range: Range, now: number): SQL {
  const reached = (days: number) =>
    sql`COUNT(CASE WHEN joined_at + ${days * DAY_MS} <= ${now} THEN 1 END) AS ${sql.raw(`reached_${days}`)},
      COUNT(CASE WHEN joined_at + ${days * DAY_MS} <= ${now} AND ${sql.raw(`r${days}`)} THEN 1 END) AS ${sql.raw(`retained_${days}`)}`;
  return sql`WITH ${joined(creatorId, range)},
    r AS (
      SELECT j.cohort, j.joined_at, COALESCE(MAX(${heldAt(7)}), 0) AS r7, COALESCE(MAX(${heldAt(30)}), 0) AS r30,
        COALESCE(MAX(${heldAt(90)}), 0) AS r90
      FROM j LEFT JOIN entitlements e ON e.member_id = j.id AND +e.creator_id = ${creatorId}
      GROUP BY j.id
    )
    SELECT cohort, joined_at / ${DAY_MS} AS day, COUNT(*) AS members,
      ${reached(7)}, ${reached(30)}, ${reached(90)}
    FROM r GROUP BY cohort, day`;
}

export async function retentionReport({ ctx, input }: Call<MetricInput>): Promise<MetricReport> {
  const range = resolveRange(input);
  const rows = await ctx.db.all<Record<string, number | string>>(
    retentionQuery(ctx.creatorId, range, ctx.now),
  );
  const cohorts = new Map<string, Record<string, number>>();
  const total: Record<string, number> = {};
  const joinsByDay = new Map<string, number>();
  for (const row of rows) {
    const day = dayOfIndex(num(row.day));
    joinsByDay.set(day, (joinsByDay.get(day) ?? 0) + num(row.members));
    const c = cohorts.get(String(row.cohort)) ?? {};
    for (const [k, v] of Object.entries(row)) {
      if (k === "cohort" || k === "day") continue;
      c[k] = (c[k] ?? 0) + num(v);
      total[k] = (total[k] ?? 0) + num(v);
    }
    cohorts.set(String(row.cohort), c);
  }
  const values = (c: Record<string, number>) => ({
    members: c.members ?? 0,
    ...Object.fromEntries(
      RETENTION_DAYS.flatMap((d) => [
        [`reached_${d}d`, c[`reached_${d}`] ?? 0],
        [`retained_${d}d`, c[`retained_${d}`] ?? 0],
        [`retention_${d}d`, rate(c[`retained_${d}`] ?? 0, c[`reached_${d}`] ?? 0)],
      ]),
    ),
  });
  const order = ["founding", "seasonal", "utility", "pop-up"];
  return report("retention", RETENTION_DEFINITION, range, null, {
    summary: values(total),
    series: [dailySeries("members_joined", "count", range.days, joinsByDay)],
    breakdowns: [
      {
        name: "retention_by_cohort",
        by: ["cohort"],
        rows: [...cohorts]
          .sort(([a], [b]) => order.indexOf(a) - order.indexOf(b))
          .map(([cohort, c]) => ({ group: { cohort }, values: values(c) })),
      },
    ],
  });
}

export const ENROLMENT_SOURCES = ["link", "overlay", "api", "pos"] as const;

export const ENROLMENTS_DEFINITION =
  "New members per UTC day by the source they first joined from (link, overlay, api, pos). A person is " +
  "one member per creator (by email), so one who enrolled at a pop-up and online counts once: `pos` " +
  "when they enrolled at a pop-up or bought at its till, `online` when they enrolled or paid online, " +
  "`both` when both.";

/** Per day and source: members, those present at a pop-up, online, and both (one probe per member). */
export function enrolmentsQuery(creatorId: string, range: Range): SQL {
  return sql`WITH ${joined(creatorId, range)},
    p AS (
      SELECT j.joined_at / ${DAY_MS} AS day, j.source,
        (j.source = 'pos' OR COALESCE(MAX(o.source = 'pos'), 0)) AS at_pos,
        (j.source <> 'pos' OR COALESCE(MAX(o.source <> 'pos'), 0)) AS online
      FROM j LEFT JOIN orders o ON o.member_id = j.id AND +o.creator_id = ${creatorId} AND o.paid_at IS NOT NULL
      GROUP BY j.id
    )
    SELECT day, source, COUNT(*) AS members, SUM(at_pos) AS pos, SUM(online) AS online,
      SUM(at_pos AND online) AS both
    FROM p GROUP BY day, source`;
}

type EnrolmentRow = {
  day: number;
  source: string;
  members: number;
  pos: number;
  online: number;
  both: number;
};

export async function enrolmentsReport({ ctx, input }: Call<MetricInput>): Promise<MetricReport> {
  const range = resolveRange(input);
  const rows = await ctx.db.all<EnrolmentRow>(enrolmentsQuery(ctx.creatorId, range));
  const bySource = new Map<string, Map<string, number>>();
  const totals = { members: 0, pos: 0, online: 0, both: 0 };
  const perSource = new Map<string, number>();
  for (const r of rows) {
    const days = bySource.get(r.source) ?? new Map<string, number>();
    days.set(dayOfIndex(r.day), r.members);
    bySource.set(r.source, days);
    perSource.set(r.source, (perSource.get(r.source) ?? 0) + r.members);
    totals.members += r.members;
    totals.pos += num(r.pos);
    totals.online += num(r.online);
    totals.both += num(r.both);
  }
  const sources = [...ENROLMENT_SOURCES, ...[...bySource.keys()].filter((s) => !isKnown(s)).sort()];
  return report("enrolments", ENROLMENTS_DEFINITION, range, null, {
    summary: {
      enrolments: totals.members,
      pos: totals.pos,
      online: totals.online,
      both: totals.both,
      pos_only: totals.pos - totals.both,
      online_only: totals.online - totals.both,
    },
    series: sources.map((s) => dailySeries(s, "count", range.days, bySource.get(s) ?? new Map())),
    breakdowns: [
      {
        name: "enrolments_by_source",
        by: ["source"],
        rows: sources.map((source) => ({
          group: { source },
          values: { members: perSource.get(source) ?? 0 },
        })),
      },
    ],
  });
}

const isKnown = (s: string): boolean => (ENROLMENT_SOURCES as readonly string[]).includes(s);
