/**
 * What checkout and the pay path read of fulfilment, each as one statement for a batch (or a call side
 * by side with others) they already make, and how an order's fulfilment is shown.
 */
import { z } from "@hono/zod-openapi";
import { and, eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import {
  creators,
  fulfilmentHubs,
  fulfilmentPaths,
  fulfilmentRules,
  fulfilmentStatuses,
  type OrderRow,
  offers,
} from "../db/schema";
import { toIsoOrNull } from "../lib/time";
import type { ShippingAddress } from "./address";
import { type RoutableHub, type RuleDocument, storedDocument, storedHubs } from "./rules";

/** The rule document and the active hubs, for routing a physical order when it is paid. */
export interface FulfilmentInputs {
  doc: RuleDocument | null;
  hubs: RoutableHub[];
}

const hubsJson = (creatorId: string) => sql<string | null>`(
  SELECT json_group_array(json_object('id', h.id, 'kind', h.kind, 'batch_window', json(h.batch_window)))
  FROM ${fulfilmentHubs} h WHERE h.creator_id = ${creatorId} AND h.status = 'active')`;
const rulesJson = (creatorId: string) =>
  sql<string | null>`(SELECT r.rules FROM ${fulfilmentRules} r WHERE r.creator_id = ${creatorId})`;

/**
 * One statement: whether the offer ships (its own flag, or for a bundle any component's, as they stand
 * now), with the creator's rule and hubs. Checkout sends it among the reads of the Idempotency-Key claim's
 * batch, so the create decides on the address, and a payment that completes in the same request
 * routes the order, without a round trip of its own.
 */
export const shippingRead = (db: Db, creatorId: string, offerId: string) =>
  db
    .select({
      // Written out: drizzle leaves columns in a select's fields unqualified, and the subquery needs the outer row.
      ships: sql<number>`("offers"."requires_shipping" OR EXISTS (
        SELECT 1 FROM bundle_components bc JOIN offers c ON c.id = bc.component_id
        WHERE bc.bundle_id = "offers"."id" AND c.requires_shipping = 1))`,
      rules: rulesJson(creatorId),
      hubs: hubsJson(creatorId),
    })
    .from(offers)
    .where(and(eq(offers.id, offerId), eq(offers.creatorId, creatorId)))
    .limit(1);

export interface ShippingFacts {
  ships: boolean;
  fulfilment: FulfilmentInputs;
}

export const shippingOf = (rows: Awaited<ReturnType<typeof shippingRead>>): ShippingFacts => {
  const [row] = rows;
  return {
    ships: Boolean(row?.ships),
    fulfilment: { doc: storedDocument(row?.rules ?? null), hubs: storedHubs(row?.hubs ?? null) },
  };
};

/** The rule and active hubs alone: the pay path reads them beside its other reads, for a physical order. */
export async function fulfilmentInputs(db: Db, creatorId: string): Promise<FulfilmentInputs> {
  const [row] = await db
    .select({ rules: rulesJson(creatorId), hubs: hubsJson(creatorId) })
    .from(creators)
    .where(eq(creators.id, creatorId))
    .limit(1);
  return { doc: storedDocument(row?.rules ?? null), hubs: storedHubs(row?.hubs ?? null) };
}

export const FulfilmentSchema = z
  .object({
    status: z.enum(fulfilmentStatuses),
    path: z.enum(fulfilmentPaths),
    hub_id: z.string().nullable(),
    batch_at: z
      .string()
      .nullable()
      .openapi({ description: "The start of the hub's batching window it ships in; null: as it comes." }),
    carrier: z.string().nullable(),
    tracking_number: z.string().nullable(),
    updated_at: z.string().nullable(),
  })
  .openapi("OrderFulfilment");
export type FulfilmentView = z.infer<typeof FulfilmentSchema>;

/** The order's fulfilment, or null while there is none (a digital order, or a physical one not yet paid). */
export const renderFulfilment = (order: OrderRow): FulfilmentView | null =>
  order.fulfilmentStatus === null || order.fulfilmentPath === null
    ? null
    : {
        status: order.fulfilmentStatus,
        path: order.fulfilmentPath,
        hub_id: order.fulfilmentHubId,
        batch_at: toIsoOrNull(order.fulfilmentBatchAt),
        carrier: order.carrier,
        tracking_number: order.trackingNumber,
        updated_at: toIsoOrNull(order.fulfilmentUpdatedAt),
      };

export const renderShippingAddress = (order: OrderRow): ShippingAddress | null => {
  const a = order.shippingAddress;
  if (a === null || a === undefined) return null;
  return {
    name: a.name ?? "",
    line1: a.line1 ?? "",
    line2: a.line2 ?? null,
    city: a.city ?? "",
    region: a.region ?? null,
    postal_code: a.postal_code ?? null,
    country: a.country ?? "",
  };
};

export const hubOf = (db: Db, creatorId: string, id: string) =>
  db
    .select()
    .from(fulfilmentHubs)
    .where(and(eq(fulfilmentHubs.creatorId, creatorId), eq(fulfilmentHubs.id, id)))
    .limit(1);

export const ruleRowOf = (db: Db, creatorId: string) =>
  db.select().from(fulfilmentRules).where(eq(fulfilmentRules.creatorId, creatorId)).limit(1);
