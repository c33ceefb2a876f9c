/**
 * What the subscription and member KPIs share: UTC day numbers computed in SQL, and MRR movements regrouped per member (customer-level, as Stripe and ChartMogul classify them).
 * Every query starts from one creator's index range; nothing is loaded row by row into the worker.
 */
import { type SQL, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { DAY_MS, dayOf, num, type Range } from "./range";

/** The UTC day (`YYYY-MM-DD`) of an epoch-day number SQL answered (`at / 86400000`). */
export const dayOfIndex = (index: number): string => dayOf(index * DAY_MS);

/**
 * Customer-level MRR movements up to `to`, in one currency: each member's movements at one instant are
 * netted (a switch that ends one subscription and starts another at once is one change), then
 * classified by the member's MRR before and after: `new` is a member's first MRR, `reactivation` MRR
 * returning after it was 0, `churn` MRR going to 0, and otherwise `expansion` or `contraction`. So a
 * member with two subscriptions who cancels one is contraction, not churn. Columns: member, at,
 * delta (signed, minor units per month), before, kind.
 */
export function memberMovements(creatorId: string, range: Pick<Range, "to">, currency: string): SQL {
  return sql`mv AS (
      SELECT s.member_id AS member, m.at AS at, SUM(m.amount) AS delta
      FROM mrr_movements m JOIN subscriptions s ON s.id = m.subscription_id
      WHERE m.creator_id = ${creatorId} AND m.at < ${range.to} AND m.currency = ${currency}
      GROUP BY s.member_id, m.at
      HAVING SUM(m.amount) <> 0
    ),
    walk AS (
      SELECT member, at, delta,
        SUM(delta) OVER (PARTITION BY member ORDER BY at ROWS UNBOUNDED PRECEDING) - delta AS before,
        COUNT(CASE WHEN delta > 0 THEN 1 END) OVER (
          PARTITION BY member ORDER BY at ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS rises
      FROM mv
    ),
    classified AS MATERIALIZED (
      SELECT member, at, delta, before,
        CASE
          WHEN before <= 0 AND before + delta > 0 THEN CASE WHEN rises > 0 THEN 'reactivation' ELSE 'new' END
          WHEN before > 0 AND before + delta <= 0 THEN 'churn'
          WHEN delta > 0 THEN 'expansion'
          ELSE 'contraction'
        END AS kind
      FROM walk
    )`;
}

export type MovementKind = "new" | "expansion" | "contraction" | "churn" | "reactivation";

export interface MemberMrr {
  openingMrr: number;
  closingMrr: number;
  /** Members with MRR > 0 at the range's start and end. */
  openingSubscribers: number;
  closingSubscribers: number;
  /** The classified movements in the range per UTC day and kind: signed sum, members moving. */
  byDay: { day: number; kind: MovementKind; amount: number; members: number }[];
  /** The same over the whole range (members distinct over it). */
  byKind: { kind: MovementKind; amount: number; members: number }[];
}

/**
 * One statement, one walk over the creator's movements: the totals (each member's MRR at `from` and at
 * `to`), the movements per day and kind, and per kind over the range, as rows told apart by `part`.
 */
export const memberMrrQuery = (creatorId: string, range: Range, currency: string): SQL =>
  sql`WITH ${memberMovements(creatorId, range, currency)},
    balances AS (
      SELECT COALESCE(SUM(CASE WHEN at < ${range.from} THEN delta END), 0) AS opening, SUM(delta) AS closing
      FROM classified GROUP BY member
    )
    SELECT 'totals' AS part, NULL AS day, NULL AS kind, SUM(opening) AS amount, SUM(closing) AS closing,
      COUNT(CASE WHEN opening > 0 THEN 1 END) AS members, COUNT(CASE WHEN closing > 0 THEN 1 END) AS paying
    FROM balances
    UNION ALL
    SELECT 'day', at / ${DAY_MS}, kind, SUM(delta), NULL, COUNT(DISTINCT member), NULL
    FROM classified WHERE at >= ${range.from} GROUP BY at / ${DAY_MS}, kind
    UNION ALL
    SELECT 'kind', NULL, kind, SUM(delta), NULL, COUNT(DISTINCT member), NULL
    FROM classified WHERE at >= ${range.from} GROUP BY kind`;

type MrrRow = {
  part: "totals" | "day" | "kind";
  day: number | null;
  kind: MovementKind | null;
  amount: number | null;
  closing: number | null;
  members: number | null;
  paying: number | null;
};

export async function memberMrr(
  db: Db,
  creatorId: string,
  range: Range,
  currency: string,
): Promise<MemberMrr> {
  const rows = await db.all<MrrRow>(memberMrrQuery(creatorId, range, currency));
  const totals = rows.find((r) => r.part === "totals");
  const moved = (r: MrrRow) => ({
    kind: r.kind as MovementKind,
    amount: num(r.amount),
    members: num(r.members),
  });
  return {
    openingMrr: num(totals?.amount),
    closingMrr: num(totals?.closing),
    openingSubscribers: num(totals?.members),
    closingSubscribers: num(totals?.paying),
    byDay: rows.filter((r) => r.part === "day").map((r) => ({ day: num(r.day), ...moved(r) })),
    byKind: rows.filter((r) => r.part === "kind").map(moved),
  };
}

/** Subscriptions whose MRR is in another currency (left out of every money figure). */
export const otherCurrencyQuery = (creatorId: string, range: Pick<Range, "to">, currency: string): SQL =>
  sql`SELECT COUNT(DISTINCT subscription_id) AS n
    FROM mrr_movements WHERE creator_id = ${creatorId} AND at < ${range.to} AND currency <> ${currency}`;

export async function otherCurrencySubscriptions(
  db: Db,
  creatorId: string,
  range: Range,
  currency: string,
): Promise<number> {
  const [row] = await db.all<{ n: number }>(otherCurrencyQuery(creatorId, range, currency));
  return num(row?.n);
}
