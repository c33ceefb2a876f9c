/**
 * The operator's reads and writes of creators. `creatorWrites` is the one insert of a new creator: the
 * operator's create verb and the demo seed (src/db/seed.ts) both land it, so a creator's row and its
 * audit row are always written the same way.
 */
import { and, eq, type SQL } from "drizzle-orm";
import type { Db, Write } from "../db/client";
import { keyset } from "../db/keyset";
import { auditEvents, connectedAccounts, creators } from "../db/schema";
import { newId } from "../lib/ids";
import { toIso, toIsoOrNull } from "../lib/time";
import type { CreatorView } from "./schemas";

export interface NewCreator {
  id: string;
  name: string;
  defaultCurrency: string;
  platformFeeBps: number | null;
  createdAt: number;
}

/**
 * The creator's insert and its `creator.created` audit row. The seed passes fixed ids and `ifAbsent`,
 * so seeding again changes nothing; the operator's insert is plain, so a second create with the same
 * id fails the whole batch (that is what makes its Idempotency-Key exact: src/operator/replay.ts).
 */
export function creatorWrites(
  db: Db,
  creator: NewCreator,
  audit: { actor: string; id?: string; ifAbsent?: boolean },
): Write[] {
  const row = db.insert(creators).values({
    id: creator.id,
    name: creator.name,
    defaultCurrency: creator.defaultCurrency,
    platformFeeBps: creator.platformFeeBps,
    createdAt: creator.createdAt,
  });
  const event = db.insert(auditEvents).values({
    id: audit.id ?? newId("audit"),
    creatorId: creator.id,
    actor: audit.actor,
    action: "creator.created",
    subjectType: "creator",
    subjectId: creator.id,
    data: JSON.stringify({
      name: creator.name,
      default_currency: creator.defaultCurrency,
      platform_fee_bps: creator.platformFeeBps,
    }),
    createdAt: creator.createdAt,
  });
  return audit.ifAbsent ? [row.onConflictDoNothing(), event.onConflictDoNothing()] : [row, event];
}

const columns = {
  id: creators.id,
  name: creators.name,
  defaultCurrency: creators.defaultCurrency,
  status: creators.status,
  suspendedAt: creators.suspendedAt,
  suspensionReason: creators.suspensionReason,
  platformFeeBps: creators.platformFeeBps,
  createdAt: creators.createdAt,
  accountId: connectedAccounts.accountId,
  chargesEnabled: connectedAccounts.chargesEnabled,
  payoutsEnabled: connectedAccounts.payoutsEnabled,
};

export type CreatorRow = {
  id: string;
  name: string;
  defaultCurrency: string;
  status: "active" | "suspended";
  suspendedAt: number | null;
  suspensionReason: string | null;
  platformFeeBps: number | null;
  createdAt: number;
  accountId: string | null;
  chargesEnabled: boolean | null;
  payoutsEnabled: boolean | null;
};

/** A creator and its connected account (read only here: the Connect routes own that table). */
const selectCreators = (db: Db) =>
  db.select(columns).from(creators).leftJoin(connectedAccounts, eq(connectedAccounts.creatorId, creators.id));

export const creatorRead = (db: Db, id: string) => selectCreators(db).where(eq(creators.id, id)).limit(1);

export async function creatorById(db: Db, id: string): Promise<CreatorRow | undefined> {
  if (!/^cre_[0-9a-z_]{1,60}$/.test(id)) return undefined;
  const [row] = await creatorRead(db, id);
  return row;
}

export async function creatorPage(
  db: Db,
  query: { limit: number; cursor?: string | undefined; status?: CreatorRow["status"] | undefined },
) {
  const page = keyset(creators.createdAt, creators.id, query);
  const filter: SQL | undefined = query.status === undefined ? undefined : eq(creators.status, query.status);
  const rows = await selectCreators(db)
    .where(and(filter, page.where))
    .orderBy(...page.orderBy)
    .limit(page.fetch);
  return page.page(rows, (r) => ({ t: r.createdAt, id: r.id }), creatorView);
}

export const creatorView = (row: CreatorRow): CreatorView => ({
  object: "creator",
  id: row.id,
  name: row.name,
  default_currency: row.defaultCurrency,
  status: row.status,
  suspended_at: toIsoOrNull(row.suspendedAt),
  suspension_reason: row.suspensionReason,
  platform_fee_bps: row.platformFeeBps,
  payout_account:
    row.accountId === null
      ? null
      : {
          account_id: row.accountId,
          charges_enabled: row.chargesEnabled === true,
          payouts_enabled: row.payoutsEnabled === true,
        },
  created_at: toIso(row.createdAt),
});
