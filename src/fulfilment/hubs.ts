/** The creator's fulfilment hubs and routing rule: their verbs (the pure rules are in ./rules.ts). */
import { and, eq, inArray } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call } from "../context";
import { listOwned } from "../db/keyset";
import { fulfilmentHubs, fulfilmentRules } from "../db/schema";
import { AppError, type FieldError, invalid, notFound } from "../errors";
import { newId } from "../lib/ids";
import { toIso, toIsoOrNull } from "../lib/time";
import { NO_RULE, type RuleDocument, storedDocument, targetsOf } from "./rules";
import type { CreateHubInput, HubView, RulesView, UpdateHubInput } from "./schemas";
import { hubOf, ruleRowOf } from "./store";

type HubRow = typeof fulfilmentHubs.$inferSelect;

export const renderHub = (row: HubRow): HubView => ({
  id: row.id,
  object: "fulfilment_hub",
  name: row.name,
  kind: row.kind,
  country: row.country,
  batch_window: row.batchWindow ?? null,
  status: row.status,
  created_at: toIso(row.createdAt),
  updated_at: toIso(row.updatedAt),
});

export async function createHub({ ctx, input }: Call<CreateHubInput>): Promise<HubView> {
  const row: HubRow = {
    id: newId("hub"),
    creatorId: ctx.creatorId,
    name: input.name,
    kind: input.kind,
    country: input.country ?? null,
    batchWindow: input.batch_window ?? null,
    status: "active",
    createdAt: ctx.now,
    updatedAt: ctx.now,
  };
  const hub = renderHub(row);
  await ctx.commit(
    [
      ctx.db.insert(fulfilmentHubs).values(row),
      auditWrite(ctx, "fulfilment_hub.created", { type: "fulfilment_hub", id: row.id }, hub),
    ],
    hub,
  );
  return hub;
}

export async function getHub({ ctx, input }: Call<{ id: string }>): Promise<HubView> {
  const [row] = await hubOf(ctx.db, ctx.creatorId, input.id);
  if (row === undefined) throw notFound("fulfilment hub", input.id);
  return renderHub(row);
}

export async function listHubs({ ctx, input }: Call<{ limit: number; cursor?: string | undefined }>) {
  const listed = await listOwned(ctx.db, fulfilmentHubs, {
    time: fulfilmentHubs.createdAt,
    creatorId: ctx.creatorId,
    filter: undefined,
    query: input,
    position: (r) => ({ t: r.createdAt, id: r.id }),
  });
  return { ...listed, data: listed.data.map(renderHub) };
}

/**
 * Renames, moves, re-windows or archives a hub. A hub the routing rule names keeps its kind and stays
 * active (409): change the rule first, so paid orders never route to a hub that cannot take them. A new
 * window applies to orders paid from now on; those already batched keep theirs.
 */
export async function updateHub({ ctx, input }: Call<{ id: string; changes: UpdateHubInput }>) {
  const { changes } = input;
  const [[existing], [ruleRow]] = await ctx.db.batch([
    hubOf(ctx.db, ctx.creatorId, input.id),
    ruleRowOf(ctx.db, ctx.creatorId),
  ]);
  if (existing === undefined) throw notFound("fulfilment hub", input.id);
  const row: HubRow = {
    ...existing,
    name: changes.name ?? existing.name,
    kind: changes.kind ?? existing.kind,
    country: changes.country === undefined ? existing.country : changes.country,
    batchWindow: changes.batch_window === undefined ? existing.batchWindow : changes.batch_window,
    status: changes.status ?? existing.status,
    updatedAt: ctx.now,
  };
  const named = targetsOf(storedDocument(ruleRow?.rules) ?? NO_RULE).some((t) => t.target.hub_id === row.id);
  if (named && (row.status !== "active" || row.kind !== existing.kind)) {
    throw new AppError(
      "conflict",
      "The routing rule sends orders to this hub: change PUT /v1/fulfilment-rules first, then archive it or change its kind.",
    );
  }
  const hub = renderHub(row);
  await ctx.commit(
    [
      ctx.db
        .update(fulfilmentHubs)
        .set(row)
        .where(and(eq(fulfilmentHubs.creatorId, ctx.creatorId), eq(fulfilmentHubs.id, row.id))),
      auditWrite(ctx, "fulfilment_hub.updated", { type: "fulfilment_hub", id: row.id }, { changes }),
    ],
    hub,
  );
  return hub;
}

const renderRules = (doc: RuleDocument, updatedAt: number | null): RulesView => ({
  object: "fulfilment_rules",
  rules: doc.rules,
  default: doc.default,
  updated_at: toIsoOrNull(updatedAt),
});

/** The rule paid orders are routed by; with none set, the built-in one: everything `central`, no hub. */
export async function getRules({ ctx }: Call<unknown>): Promise<RulesView> {
  const [row] = await ruleRowOf(ctx.db, ctx.creatorId);
  const doc = row === undefined ? null : storedDocument(row.rules);
  return doc === null ? renderRules(NO_RULE, null) : renderRules(doc, row?.updatedAt ?? null);
}

/** Replaces the rule. Every hub it names must be the creator's, active, and of its path's kind. */
export async function putRules({ ctx, input }: Call<RuleDocument>): Promise<RulesView> {
  const targets = targetsOf(input);
  const ids = [...new Set(targets.flatMap((t) => (t.target.hub_id === null ? [] : [t.target.hub_id])))];
  const found =
    ids.length === 0
      ? []
      : await ctx.db
          .select({ id: fulfilmentHubs.id, kind: fulfilmentHubs.kind, status: fulfilmentHubs.status })
          .from(fulfilmentHubs)
          .where(and(eq(fulfilmentHubs.creatorId, ctx.creatorId), inArray(fulfilmentHubs.id, ids)));
  const byId = new Map(found.map((h) => [h.id, h]));
  const errors = targets.flatMap(({ target, path }): FieldError[] => {
    const at = `${path}/hub_id`;
    if (target.hub_id === null) {
      return target.path === "micro_hub"
        ? [{ in: "body", path: at, message: "A micro_hub path names its hub" }]
        : [];
    }
    const hub = byId.get(target.hub_id);
    if (hub === undefined) return [{ in: "body", path: at, message: "No such hub" }];
    if (hub.status !== "active") return [{ in: "body", path: at, message: "The hub is archived" }];
    if (hub.kind !== target.path)
      return [{ in: "body", path: at, message: `The hub is a ${hub.kind} hub, not ${target.path}` }];
    return [];
  });
  if (errors.length > 0) throw invalid(errors);
  const view = renderRules(input, ctx.now);
  await ctx.commit(
    [
      ctx.db
        .insert(fulfilmentRules)
        .values({ creatorId: ctx.creatorId, rules: input, updatedAt: ctx.now })
        .onConflictDoUpdate({ target: fulfilmentRules.creatorId, set: { rules: input, updatedAt: ctx.now } }),
      auditWrite(ctx, "fulfilment_rules.updated", { type: "creator", id: ctx.creatorId }, input),
    ],
    view,
  );
  return view;
}
