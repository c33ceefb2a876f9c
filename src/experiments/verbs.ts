import { and, eq, notExists, sql } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call, TenantContext } from "../context";
import { expectOneChange } from "../db/client";
import { listOwned } from "../db/keyset";
import { type ExperimentRow, experimentArms, experiments } from "../db/schema";
import { AppError, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { findOffer } from "../offers/store";
import { forgetPricing } from "../pricing/catalog";
import type { CreateExperimentInput, Experiment, ExperimentResults } from "./schemas";
import {
  armRows,
  findExperiment,
  loadResults,
  renderExperiment,
  renderExperiments,
  runningOn,
  type StoredExperiment,
} from "./store";

export async function createExperiment({ ctx, input }: Call<CreateExperimentInput>): Promise<Experiment> {
  const offer = await findOffer(ctx.db, ctx.creatorId, input.offer_id);
  if (offer === undefined) throw invalid([{ in: "body", path: "/offer_id", message: "No such offer" }]);
  if (offer.status !== "active")
    throw invalid([{ in: "body", path: "/offer_id", message: "The offer is archived" }]);
  const row: ExperimentRow = {
    id: newId("experiment"),
    creatorId: ctx.creatorId,
    offerId: offer.id,
    name: input.name,
    status: "draft",
    startedAt: null,
    stoppedAt: null,
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  const arms = armRows(row.id, input.arms);
  const experiment = renderExperiment(row, arms);
  await ctx.commit(
    [
      ctx.db.insert(experiments).values(row),
      ctx.db.insert(experimentArms).values(arms),
      auditWrite(ctx, "experiment.created", { type: "experiment", id: row.id }, experiment),
    ],
    experiment,
  );
  return experiment;
}

export async function getExperiment({ ctx, input }: Call<{ id: string }>): Promise<Experiment> {
  const found = await mustFind(ctx, input.id);
  return renderExperiment(found.row, found.arms);
}

export async function listExperiments({
  ctx,
  input,
}: Call<{ limit: number; cursor?: string | undefined; offer_id?: string | undefined }>) {
  const listed = await listOwned(ctx.db, experiments, {
    time: experiments.createdAt,
    creatorId: ctx.creatorId,
    filter: input.offer_id ? eq(experiments.offerId, input.offer_id) : undefined,
    query: input,
    position: (r) => ({ t: r.createdAt, id: r.id }),
  });
  return { ...listed, data: await renderExperiments(ctx.db, listed.data) };
}

/**
 * draft → running. At most one experiment runs per offer, so that a buyer's price on an offer comes
 * from one split. The check lives in the UPDATE itself (D1 runs a batch atomically), so of two
 * drafts started at once exactly one lands; the other's batch is rolled back by expectOneChange.
 */
export async function startExperiment({ ctx, input }: Call<{ id: string }>): Promise<Experiment> {
  const { row: existing, arms } = await mustFind(ctx, input.id);
  if (existing.status !== "draft") throw notDraft(existing);
  const offer = await findOffer(ctx.db, ctx.creatorId, existing.offerId);
  if (offer?.status !== "active")
    throw new AppError(
      "conflict",
      `Offer ${existing.offerId} is archived; an experiment on it cannot start.`,
    );
  const row: ExperimentRow = { ...existing, status: "running", startedAt: ctx.now, updatedAt: ctx.now };
  const experiment = renderExperiment(row, arms);
  const otherRunning = ctx.db
    .select({ one: sql`1` })
    .from(experiments)
    .where(and(eq(experiments.offerId, existing.offerId), eq(experiments.status, "running")));
  try {
    await ctx.commit(
      [
        ctx.db
          .update(experiments)
          .set({ status: row.status, startedAt: row.startedAt, updatedAt: row.updatedAt })
          .where(
            and(
              eq(experiments.creatorId, ctx.creatorId),
              eq(experiments.id, existing.id),
              eq(experiments.status, "draft"),
              notExists(otherRunning),
            ),
          ),
        expectOneChange(ctx.db),
        auditWrite(
          ctx,
          "experiment.started",
          { type: "experiment", id: existing.id },
          { offer_id: existing.offerId, started_at: experiment.started_at },
        ),
      ],
      experiment,
    );
  } catch (error) {
    await explainStartRefusal(ctx, existing);
    throw error;
  }
  forgetPricing(existing.offerId);
  return experiment;
}

/** draft or running → stopped. Stopped is final: a stopped experiment never runs again. */
export async function stopExperiment({ ctx, input }: Call<{ id: string }>): Promise<Experiment> {
  const { row: existing, arms } = await mustFind(ctx, input.id);
  if (existing.status === "stopped") throw alreadyStopped(existing.id);
  const row: ExperimentRow = { ...existing, status: "stopped", stoppedAt: ctx.now, updatedAt: ctx.now };
  const experiment = renderExperiment(row, arms);
  try {
    await ctx.commit(
      [
        // Guarded on the status we read, so the response (started_at included) is what was stored.
        ctx.db
          .update(experiments)
          .set({ status: row.status, stoppedAt: row.stoppedAt, updatedAt: row.updatedAt })
          .where(
            and(
              eq(experiments.creatorId, ctx.creatorId),
              eq(experiments.id, existing.id),
              eq(experiments.status, existing.status),
            ),
          ),
        expectOneChange(ctx.db),
        auditWrite(
          ctx,
          "experiment.stopped",
          { type: "experiment", id: existing.id },
          { offer_id: existing.offerId, from: existing.status, stopped_at: experiment.stopped_at },
        ),
      ],
      experiment,
    );
  } catch (error) {
    const current = (await mustFind(ctx, existing.id)).row;
    if (current.status === "stopped") throw alreadyStopped(existing.id);
    if (current.status !== existing.status)
      throw new AppError("conflict", `Experiment ${existing.id} changed while stopping it; try again.`);
    throw error;
  }
  // A draft never priced anything, but dropping the cache entry is cheap and keeps this unconditional.
  forgetPricing(existing.offerId);
  return experiment;
}

export async function experimentResults({ ctx, input }: Call<{ id: string }>): Promise<ExperimentResults> {
  const results = await loadResults(ctx.db, ctx.creatorId, input.id);
  if (results === undefined) throw notFound("experiment", input.id);
  return results;
}

async function mustFind(ctx: TenantContext, id: string): Promise<StoredExperiment> {
  const found = await findExperiment(ctx.db, ctx.creatorId, id);
  if (found === undefined) throw notFound("experiment", id);
  return found;
}

const alreadyStopped = (id: string) =>
  new AppError("conflict", `Experiment ${id} is stopped; stopping is final, so it cannot change.`);

const notDraft = (row: ExperimentRow) =>
  row.status === "running"
    ? new AppError("conflict", `Experiment ${row.id} is already running.`)
    : alreadyStopped(row.id);

/** After a refused start: say why from what D1 holds now; if nothing explains it, the caller rethrows. */
async function explainStartRefusal(ctx: TenantContext, existing: ExperimentRow): Promise<void> {
  const current = (await mustFind(ctx, existing.id)).row;
  if (current.status !== "draft") throw notDraft(current);
  const running = await runningOn(ctx.db, existing.offerId);
  if (running) throw runningConflict(running);
}

const runningConflict = (running: ExperimentRow) =>
  new AppError(
    "conflict",
    `Experiment ${running.id} is already running on offer ${running.offerId}; stop it before starting another.`,
  );
