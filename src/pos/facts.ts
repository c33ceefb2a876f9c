/**
 * Everything a reconcile decides on, read in one D1 round trip: which items landed already, the offers
 * and the drops that may govern them (and their bundles' components), the allotments the batch names
 * (its items' and those it releases), the buyers' members by email, the device's offline units within
 * its window and the creator's cohort rules.
 *
 * The reads are keyed by the device id (the JWS's kid) and the batch's payload before its signature is
 * verified, so they ride in the same batch as the device row itself: the creator is a subquery on the
 * device row, and nothing is decided or written until the signature verifies. Ids go in IN lists of at
 * most 90 (inChunks), as many statements as that takes, all in the one batch.
 */
import { and, eq, gte, inArray, type SQL, sql } from "drizzle-orm";
import { type Db, inChunks, type Write } from "../db/client";
import { creators, members, offers, posDevices, posItemResults } from "../db/schema";
import { type CohortRules, rulesOf } from "../members/cohorts";
import { type AllotmentRows, addAllotments, allotmentsRead } from "./allotments";
import { addGateRows, type GateFacts, gateReads } from "./drop-gate";
import type { Accepted, Landed } from "./reconcile";

/** What a batch's reads are keyed by: its items' client ids, offers, allotments and buyers' emails. */
export interface FactKeys {
  clientIds: string[];
  offerIds: string[];
  allotmentIds: string[];
  emails: string[];
}

export interface Facts extends GateFacts {
  rules: CohortRules;
  /** Units the device's landed items sold within its offline window. */
  offlineUnits: number;
  /** Items already landed (by any batch or device), with their first result, by client id. */
  landed: Map<string, Landed & { ours: boolean }>;
  /** The creator's active offers among the batch's, by id. */
  offers: Map<string, Accepted["offer"]>;
  allotments: AllotmentRows;
  /** Existing members by (normalised) email. */
  members: Map<string, string>;
}

/** The longest offline window a device may have (pos_devices_window): drops are read that far back. */
const MAX_WINDOW_MS = 72 * 3600_000;

/** The creator of the device `kid`, as a subquery: reads keyed by it need no round trip of their own. */
export const creatorOf = (kid: string): SQL =>
  sql`(select ${posDevices.creatorId} from ${posDevices} where ${posDevices.id} = ${kid})`;

/** The result rows of items among `clientIds`, one statement per chunk. */
export const landedReads = (db: Db, kid: string, clientIds: string[]) =>
  inChunks(clientIds).map((chunk) =>
    db
      .select()
      .from(posItemResults)
      .where(and(eq(posItemResults.creatorId, creatorOf(kid)), inArray(posItemResults.clientId, chunk))),
  );
type ResultRow = typeof posItemResults.$inferSelect;

/** What landedReads found, by client id; `ours` when this batch of this device landed it. */
export function landedOf(
  rows: unknown[],
  batchId?: string,
  deviceId?: string,
): Map<string, Landed & { ours: boolean }> {
  const found = new Map<string, Landed & { ours: boolean }>();
  for (const row of (rows as ResultRow[][]).flat()) {
    const ours = row.batchId === batchId && row.deviceId === deviceId;
    found.set(row.clientId, { ...(JSON.parse(row.result) as Landed), ours });
  }
  return found;
}

/** The statements (for the caller's batch, in order) and how to read their results back. */
export function factReads(
  db: Db,
  kid: string,
  keys: FactKeys,
  now: number,
): { statements: Write[]; facts: (results: unknown[]) => Facts } {
  const creator = creatorOf(kid);
  const facts: Facts = {
    rules: rulesOf([]),
    offlineUnits: 0,
    landed: new Map(),
    offers: new Map(),
    drops: new Map(),
    components: new Map(),
    allotments: new Map(),
    members: new Map(),
  };
  // Each part: its statements, and what to do with their results.
  const parts: [Write[], (results: unknown[]) => void][] = [
    [
      [
        db
          .select({
            foundingUntil: creators.foundingCohortUntil,
            defaultCohort: creators.defaultCohort,
            popUpCohort: creators.popUpCohort,
          })
          .from(creators)
          .where(eq(creators.id, creator))
          .limit(1),
      ],
      ([rows]) => {
        facts.rules = rulesOf(rows as Parameters<typeof rulesOf>[0]);
      },
    ],
    [
      [
        db
          .select({ units: sql<number>`coalesce(sum(${posItemResults.units}), 0)` })
          .from(posItemResults)
          .where(
            and(
              eq(posItemResults.deviceId, kid),
              gte(
                posItemResults.capturedAt,
                sql`${now} - (select ${posDevices.offlineWindowHours} from ${posDevices} where ${posDevices.id} = ${kid}) * 3600000`,
              ),
            ),
          ),
      ],
      ([rows]) => {
        facts.offlineUnits = Number((rows as { units: number }[])[0]?.units ?? 0);
      },
    ],
    [landedReads(db, kid, keys.clientIds), (results) => (facts.landed = landedOf(results))],
    ...inChunks(keys.offerIds).map((chunk): [Write[], (results: unknown[]) => void] => [
      [
        db
          .select({
            id: offers.id,
            kind: offers.kind,
            billingInterval: offers.billingInterval,
            tierRank: offers.tierRank,
            status: offers.status,
          })
          .from(offers)
          .where(and(eq(offers.creatorId, creator), inArray(offers.id, chunk))),
        ...gateReads(db, creator, chunk, now - MAX_WINDOW_MS),
      ],
      ([offerRows, ...gateRows]) => {
        for (const { status, ...row } of offerRows as (Accepted["offer"] & { status: string })[])
          if (status === "active") facts.offers.set(row.id, row);
        addGateRows(facts, gateRows as Parameters<typeof addGateRows>[1]);
      },
    ]),
    [
      inChunks(keys.allotmentIds).map((chunk) => allotmentsRead(db, creator, chunk)),
      (results) => {
        for (const rows of results)
          addAllotments(facts.allotments, rows as Parameters<typeof addAllotments>[1]);
      },
    ],
    [
      membersByEmail(db, creator, keys.emails),
      (results) => {
        for (const m of (results as { id: string; email: string }[][]).flat())
          facts.members.set(m.email, m.id);
      },
    ],
  ];
  return {
    statements: parts.flatMap(([statements]) => statements),
    facts(results) {
      let at = 0;
      for (const [statements, take] of parts) {
        take(results.slice(at, at + statements.length));
        at += statements.length;
      }
      return facts;
    },
  };
}

/** The members with these emails (normalised), one statement per chunk; `creatorId` may be a subquery. */
export const membersByEmail = (db: Db, creatorId: string | SQL, emails: string[]) =>
  inChunks(emails).map((chunk) =>
    db
      .select({ id: members.id, email: members.email })
      .from(members)
      .where(and(eq(members.creatorId, creatorId), inArray(members.email, chunk))),
  );

/**
 * Sends statement lists as one D1 batch (one round trip; each statement sees the ones before it) and
 * answers each list's results. Nothing is sent when there is no statement.
 */
export async function sendParts(db: Db, parts: Write[][]): Promise<unknown[][]> {
  const [first, ...rest] = parts.flat();
  const results: unknown[] = first === undefined ? [] : await db.batch([first, ...rest]);
  let at = 0;
  return parts.map((part) => {
    at += part.length;
    return results.slice(at - part.length, at);
  });
}
