/**
 * Connect's storage: a creator's connected account and standing, read where checkout and renewals
 * already read (one statement, no round trip of its own), and the ledger of a creator's share moving
 * after the charge (connect_transfers), one row per refund or dispute by its unique index.
 */
import { eq } from "drizzle-orm";
import type { Db, Write } from "../db/client";
import { connectedAccounts, connectTransfers, creators } from "../db/schema";
import { randomToken } from "../lib/crypto";
import { type ConnectedAccountRow, type Payout, type PayoutsMode, payoutOf } from "./payouts";

/** The creator's standing, fee and account: one row (the account columns null when none is linked). */
export const payoutRead = (db: Db, creatorId: string) =>
  db
    .select({
      status: creators.status,
      feeBps: creators.platformFeeBps,
      accountId: connectedAccounts.accountId,
      chargesEnabled: connectedAccounts.chargesEnabled,
      detailsSubmitted: connectedAccounts.detailsSubmitted,
      requirementsDue: connectedAccounts.requirementsDue,
      disabledReason: connectedAccounts.disabledReason,
    })
    .from(creators)
    .leftJoin(connectedAccounts, eq(connectedAccounts.creatorId, creators.id))
    .where(eq(creators.id, creatorId))
    .limit(1);

export type PayoutRows = Awaited<ReturnType<typeof payoutRead>>;

/** What checkout decides on before holding anything: whether the creator may sell, and where the money goes. */
export interface PayoutFacts {
  suspended: boolean;
  feeBps: number | null;
  account: Pick<
    ConnectedAccountRow,
    "accountId" | "chargesEnabled" | "detailsSubmitted" | "requirementsDue" | "disabledReason"
  > | null;
}

export function payoutFactsOf(rows: PayoutRows): PayoutFacts {
  const [row] = rows;
  if (row === undefined) return { suspended: false, feeBps: null, account: null };
  const account =
    row.accountId === null
      ? null
      : {
          accountId: row.accountId,
          chargesEnabled: row.chargesEnabled ?? false,
          detailsSubmitted: row.detailsSubmitted ?? false,
          requirementsDue: row.requirementsDue ?? "[]",
          disabledReason: row.disabledReason,
        };
  return { suspended: row.status === "suspended", feeBps: row.feeBps, account };
}

export const payoutOfFacts = (mode: PayoutsMode, facts: PayoutFacts): Payout =>
  payoutOf(mode, facts.account, facts.feeBps);

/** The creator's payout in a read of its own (renewals: the creator's payout at the time of the charge). */
export async function currentPayout(db: Db, creatorId: string, mode: PayoutsMode): Promise<Payout> {
  return payoutOfFacts(mode, payoutFactsOf(await payoutRead(db, creatorId)));
}

export async function accountOf(db: Db, creatorId: string): Promise<ConnectedAccountRow | undefined> {
  const [row] = await db
    .select()
    .from(connectedAccounts)
    .where(eq(connectedAccounts.creatorId, creatorId))
    .limit(1);
  return row;
}

export async function accountById(db: Db, accountId: string): Promise<ConnectedAccountRow | undefined> {
  const [row] = await db
    .select()
    .from(connectedAccounts)
    .where(eq(connectedAccounts.accountId, accountId))
    .limit(1);
  return row;
}

export type TransferRow = typeof connectTransfers.$inferSelect;

/** Every movement of the creator's share recorded for a payment. */
export const transfersOf = (db: Db, paymentId: string): Promise<TransferRow[]> =>
  db.select().from(connectTransfers).where(eq(connectTransfers.paymentId, paymentId));

export interface TransferRecord {
  creatorId: string;
  orderId: string | null;
  paymentId: string;
  accountId: string;
  kind: "reversal" | "transfer";
  reason: "refund" | "dispute" | "dispute_won";
  sourceId: string;
  amount: number;
  feeRefunded: number;
  currency: string;
  providerId: string | null;
}

/**
 * One movement, once: the unique index on (kind, reason, source) makes a second record of the same
 * refund or dispute a no-op, so a redelivered event or a retried refund never counts twice.
 */
export const transferWrite = (db: Db, t: TransferRecord, now: number): Write =>
  db
    .insert(connectTransfers)
    .values({ id: `ctr_${randomToken(24)}`, ...t, createdAt: now })
    .onConflictDoNothing();
