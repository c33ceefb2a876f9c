/**
 * The demo tenant's physical goods (seed.ts seeds the rest): a printed tour poster that requires
 * shipping, a live drop of it, two hubs (a London micro hub that batches daily at 17:00 UTC, and a
 * central warehouse) and the routing rule GB/IE → the micro hub, anything else → central. Fixed ids
 * and ON CONFLICT DO NOTHING: seeding twice changes nothing.
 */
import type { RuleDocument } from "../fulfilment/rules";
import type { Db, Write } from "./client";
import { auditEvents, drops, fulfilmentHubs, fulfilmentRules, offerPrices, offers } from "./schema";
import { seedAudit } from "./seed-audit";

export const demoFulfilment = {
  offerId: "off_demo_poster_printed",
  dropId: "drp_demo_printed",
  microHubId: "hub_demo_london",
  centralHubId: "hub_demo_central",
} as const;

export const demoRule: RuleDocument = {
  rules: [{ when: { countries: ["GB", "IE"] }, path: "micro_hub", hub_id: demoFulfilment.microHubId }],
  default: { path: "central", hub_id: demoFulfilment.centralHubId },
};

export function demoFulfilmentWrites(db: Db, ids: { creatorId: string }, now: number): Write[] {
  const at = { creatorId: ids.creatorId, createdAt: now, updatedAt: now };
  const audit = seedAudit(ids.creatorId, now);
  return [
    db
      .insert(offers)
      .values({
        ...at,
        id: demoFulfilment.offerId,
        kind: "one_time",
        title: "Tour poster (printed)",
        description: "A2, printed on 200 g matte stock, shipped in a tube.",
        defaultCurrency: "USD",
        requiresShipping: true,
      })
      .onConflictDoNothing(),
    db
      .insert(offerPrices)
      .values([
        { offerId: demoFulfilment.offerId, currency: "USD", amount: 3000 },
        { offerId: demoFulfilment.offerId, currency: "EUR", amount: 2800 },
      ])
      .onConflictDoNothing(),
    db
      .insert(drops)
      .values({
        ...at,
        id: demoFulfilment.dropId,
        offerId: demoFulfilment.offerId,
        title: "Tour poster (printed): live drop",
        stock: 50,
        startsAt: now,
        perBuyerLimit: 3,
      })
      .onConflictDoNothing(),
    db
      .insert(fulfilmentHubs)
      .values([
        {
          ...at,
          id: demoFulfilment.microHubId,
          name: "London micro hub",
          kind: "micro_hub",
          country: "GB",
          batchWindow: { every_minutes: 1440, offset_minutes: 1020 },
        },
        { ...at, id: demoFulfilment.centralHubId, name: "Central warehouse", kind: "central", country: "NL" },
      ])
      .onConflictDoNothing(),
    db
      .insert(fulfilmentRules)
      .values({ creatorId: ids.creatorId, rules: demoRule, updatedAt: now })
      .onConflictDoNothing(),
    db
      .insert(auditEvents)
      .values([
        audit("offer", demoFulfilment.offerId),
        audit("drop", demoFulfilment.dropId),
        audit("fulfilment_hub", demoFulfilment.microHubId),
        audit("fulfilment_hub", demoFulfilment.centralHubId),
      ])
      .onConflictDoNothing(),
  ];
}
