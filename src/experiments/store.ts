import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { type ExperimentArmRow, type ExperimentRow, experimentArms, experiments, orders } from "../db/schema";
import { fromBps, toBps } from "../lib/percent";
import { toIso, toIsoOrNull } from "../lib/time";
import { toArm } from "../pricing/catalog";
import type { AdjustmentView, ArmInput, Experiment, ExperimentResults } from "./schemas";

/**
 * Storage format of an arm, which the pricing catalog reads back (see `toArm` in pricing/catalog.ts):
 * - none:    percent_bps NULL, amounts NULL
 * - percent: percent_bps = signed basis points (-1000 is 10 % off), amounts NULL
 * - amount:  amounts = JSON object of currency → signed minor units per unit ({"USD":-100}), percent_bps NULL
 * `position` is the arm's index in the request; assignment walks arms in that order, so it must be kept.
 */
export function armRows(experimentId: string, arms: ArmInput[]): ExperimentArmRow[] {
  return arms.map((arm, position) => {
    const a = arm.adjustment;
    return {
      experimentId,
      key: arm.key,
      weight: arm.weight,
      adjustmentKind: a.type,
      percentBps: a.type === "percent" ? toBps(a.percent) : null,
      amounts:
        a.type === "amount"
          ? JSON.stringify(Object.fromEntries(a.amounts.map((m) => [m.currency, m.amount])))
          : null,
      position,
    };
  });
}

const byCurrency = (a: { currency: string }, b: { currency: string }) =>
  a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0;

/** Read back through the catalog's own reader, so the view shows exactly what pricing applies. */
function adjustmentView(row: ExperimentArmRow): AdjustmentView {
  const { adjustment } = toArm(row);
  switch (adjustment.kind) {
    case "none":
      return { type: "none" };
    case "percent":
      return { type: "percent", percent: fromBps(adjustment.bps) };
    case "amount":
      return {
        type: "amount",
        amounts: Object.entries(adjustment.amounts)
          .map(([currency, amount]) => ({ currency, amount }))
          .sort(byCurrency),
      };
  }
}

const byPosition = (a: ExperimentArmRow, b: ExperimentArmRow) => a.position - b.position;

/** The API view of an experiment. Pure, so a write can return what it is about to store. */
export function renderExperiment(row: ExperimentRow, arms: ExperimentArmRow[]): Experiment {
  return {
    id: row.id,
    object: "experiment",
    offer_id: row.offerId,
    name: row.name,
    status: row.status,
    arms: [...arms]
      .sort(byPosition)
      .map((arm) => ({ key: arm.key, weight: arm.weight, adjustment: adjustmentView(arm) })),
    started_at: toIsoOrNull(row.startedAt),
    stopped_at: toIsoOrNull(row.stoppedAt),
    created_at: toIso(row.createdAt),
    updated_at: toIso(row.updatedAt),
  };
}

const experimentQuery = (db: Db, creatorId: string, id: string) =>
  db
    .select()
    .from(experiments)
    .where(and(eq(experiments.creatorId, creatorId), eq(experiments.id, id)))
    .limit(1);

// Arm rows carry no creator id; they are only used once the experiment row proved to be the caller's.
const armsQuery = (db: Db, ids: string[]) =>
  db
    .select()
    .from(experimentArms)
    .where(inArray(experimentArms.experimentId, ids))
    .orderBy(asc(experimentArms.experimentId), asc(experimentArms.position));

export interface StoredExperiment {
  row: ExperimentRow;
  arms: ExperimentArmRow[];
}

/** The creator's experiment and its arms, in one D1 round trip. */
export async function findExperiment(
  db: Db,
  creatorId: string,
  id: string,
): Promise<StoredExperiment | undefined> {
  const [[row], arms] = await db.batch([experimentQuery(db, creatorId, id), armsQuery(db, [id])]);
  return row && { row, arms };
}

/** Renders experiment rows with their arms, loading every arm in one query. */
export async function renderExperiments(db: Db, rows: ExperimentRow[]): Promise<Experiment[]> {
  if (rows.length === 0) return [];
  const arms = await armsQuery(
    db,
    rows.map((r) => r.id),
  );
  return rows.map((row) =>
    renderExperiment(
      row,
      arms.filter((a) => a.experimentId === row.id),
    ),
  );
}

/** The running experiment on an offer, if any (at most one; startExperiment enforces it). */
export async function runningOn(db: Db, offerId: string): Promise<ExperimentRow | undefined> {
  const [row] = await db
    .select()
    .from(experiments)
    .where(and(eq(experiments.offerId, offerId), eq(experiments.status, "running")))
    .limit(1);
  return row;
}

/**
 * Per-arm results, in one D1 round trip: the experiment, its arms, and the orders grouped by arm,
 * currency and status in a single aggregate query. Paid orders count as revenue; refunded ones are
 * counted apart; other statuses (pending, failed, cancelled) never took money and are left out.
 */
export async function loadResults(
  db: Db,
  creatorId: string,
  id: string,
): Promise<ExperimentResults | undefined> {
  const [[row], arms, groups] = await db.batch([
    experimentQuery(db, creatorId, id),
    armsQuery(db, [id]),
    db
      .select({
        arm: orders.experimentArm,
        currency: orders.currency,
        status: orders.status,
        orders: sql<number>`count(*)`.mapWith(Number),
        units: sql<number>`coalesce(sum(${orders.quantity}), 0)`.mapWith(Number),
        amount: sql<number>`coalesce(sum(${orders.amountTotal}), 0)`.mapWith(Number),
      })
      .from(orders)
      .where(
        and(
          eq(orders.creatorId, creatorId),
          eq(orders.experimentId, id),
          inArray(orders.status, ["paid", "refunded"]),
        ),
      )
      .groupBy(orders.experimentArm, orders.currency, orders.status),
  ]);
  if (row === undefined) return undefined;
  return {
    experiment_id: row.id,
    status: row.status,
    started_at: toIsoOrNull(row.startedAt),
    stopped_at: toIsoOrNull(row.stoppedAt),
    // Arms are immutable, so every order's arm key is one of these; arms without orders show zeros.
    arms: [...arms].sort(byPosition).map((arm) => {
      const mine = groups.filter((g) => g.arm === arm.key);
      const paid = mine.filter((g) => g.status === "paid");
      return {
        key: arm.key,
        weight: arm.weight,
        orders_paid: paid.reduce((n, g) => n + g.orders, 0),
        units: paid.reduce((n, g) => n + g.units, 0),
        revenue: paid.map((g) => ({ currency: g.currency, amount: g.amount })).sort(byCurrency),
        orders_refunded: mine.filter((g) => g.status === "refunded").reduce((n, g) => n + g.orders, 0),
      };
    }),
  };
}
