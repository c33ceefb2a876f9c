/**
 * The sandbox's Stripe Connect (docs/payouts.md): connected accounts, onboarded on a local page
 * (src/routes/pages/sandbox-connect.ts) instead of Stripe's hosted one, and the transfer reversals and
 * transfers that move a destination charge's share after the charge (a dispute lost, a dispute won).
 * Destination charges themselves are in sandbox-destination.ts; refunds' reversals in sandbox-refunds.ts.
 */
import { and, eq, sql } from "drizzle-orm";
import { type Db, expectOneChange } from "../db/client";
import { sandboxAccounts, sandboxTransfers, sandboxPayments as sp } from "../db/schema";
import { randomToken } from "../lib/crypto";
import { type ConnectedAccount, type ConnectProvider, ProviderError } from "./provider";
import { keyReused, reversalFits, timed, transferredSql } from "./sandbox-destination";

type PaymentRow = typeof sp.$inferSelect;
type AccountRow = typeof sandboxAccounts.$inferSelect;

/** What a fresh Express account must still provide (Stripe's `requirements.currently_due`, abridged). */
export const ONBOARDING_REQUIREMENTS = [
  "external_account",
  "individual.verification.document",
  "tos_acceptance.date",
  "tos_acceptance.ip",
];
/** An onboarding left half done: the details are in, the identity document is not. */
const PENDING_REQUIREMENTS = ["individual.verification.document"];
/** Stripe's account links expire a few minutes after they are made. */
export const ACCOUNT_LINK_TTL_MS = 5 * 60 * 1000;

export function accountOf(row: AccountRow): ConnectedAccount {
  const requirementsDue = !row.detailsSubmitted
    ? [...ONBOARDING_REQUIREMENTS]
    : row.chargesEnabled
      ? []
      : [...PENDING_REQUIREMENTS];
  return {
    id: row.id,
    type: row.type === "standard" ? "standard" : "express",
    chargesEnabled: row.chargesEnabled,
    payoutsEnabled: row.payoutsEnabled,
    detailsSubmitted: row.detailsSubmitted,
    requirementsDue,
    disabledReason: row.chargesEnabled ? null : "requirements.past_due",
    // The sandbox keeps no metadata for accounts (sandbox_accounts has no column for it).
    metadata: {},
  };
}

export async function findAccount(db: Db, id: string): Promise<AccountRow | undefined> {
  const [row] = await db.select().from(sandboxAccounts).where(eq(sandboxAccounts.id, id)).limit(1);
  return row;
}

async function loadAccount(db: Db, id: string): Promise<AccountRow> {
  const row = await findAccount(db, id);
  if (row === undefined)
    throw new ProviderError("not_found", `No such account: '${id}'`, false, "resource_missing");
  return row;
}

/**
 * What the onboarding page's two buttons do: `complete` enables charges and payouts; `leave` submits
 * the details but leaves the identity document due, so the account still takes no charges.
 */
export async function onboard(
  db: Db,
  id: string,
  outcome: "complete" | "leave",
  now: number,
): Promise<ConnectedAccount | undefined> {
  const ready = outcome === "complete";
  const [row] = await db
    .update(sandboxAccounts)
    .set({ detailsSubmitted: true, chargesEnabled: ready, payoutsEnabled: ready, updatedAt: now })
    .where(eq(sandboxAccounts.id, id))
    .returning();
  return row === undefined ? undefined : accountOf(row);
}

export function createSandboxConnect(db: Db, options: { now: () => number }): ConnectProvider {
  const loadPayment = async (id: string): Promise<PaymentRow> => {
    const [row] = await db.select().from(sp).where(eq(sp.id, id)).limit(1);
    if (row === undefined || row.transferDestination === null || row.status !== "succeeded") {
      throw new ProviderError(
        "invalid_request",
        `Payment ${id} is not a succeeded destination charge: it has no transfer.`,
        false,
        "resource_missing",
      );
    }
    return row;
  };
  const byKey = async (key: string) => {
    const [row] = await db
      .select()
      .from(sandboxTransfers)
      .where(eq(sandboxTransfers.idempotencyKey, key))
      .limit(1);
    return row;
  };
  const positive = (amount: number) => {
    if (!Number.isInteger(amount) || amount <= 0)
      throw new ProviderError(
        "invalid_request",
        "The amount must be a positive integer.",
        false,
        "parameter_invalid_integer",
      );
  };

  /** One movement of a payment's money, idempotent by key, guarded by `fits` in the same batch. */
  async function move(
    kind: "transfer" | "reversal",
    input: { paymentId: string; amount: number; idempotencyKey: string },
    row: PaymentRow,
    fits: ReturnType<typeof sql>,
    refusal: () => ProviderError,
  ) {
    const same = (t: typeof sandboxTransfers.$inferSelect) =>
      t.kind === kind && t.paymentId === input.paymentId && t.amount === input.amount;
    const id = `${kind === "transfer" ? "tr" : "trr"}_sbx_${randomToken(24)}`;
    const now = options.now();
    try {
      await db.batch([
        db
          .update(sp)
          .set({
            ...(kind === "reversal"
              ? { transferReversed: sql`${sp.transferReversed} + ${input.amount}` }
              : {}),
            updatedAt: now,
          })
          .where(and(eq(sp.id, row.id), fits)),
        expectOneChange(db),
        db.insert(sandboxTransfers).values({
          id,
          idempotencyKey: input.idempotencyKey,
          paymentId: row.id,
          account: row.transferDestination ?? "",
          kind,
          amount: input.amount,
          currency: row.currency,
          createdAt: now,
        }),
      ]);
    } catch {
      // The same key landed first (a racing retry), or the guard refused the amount.
      const raced = await byKey(input.idempotencyKey);
      if (raced === undefined) throw refusal();
      if (!same(raced)) throw keyReused();
      return { id: raced.id, amount: raced.amount };
    }
    return { id, amount: input.amount };
  }

  async function replayed(
    kind: "transfer" | "reversal",
    input: { paymentId: string; amount: number; idempotencyKey: string },
  ) {
    const earlier = await byKey(input.idempotencyKey);
    if (earlier === undefined) return undefined;
    if (earlier.kind !== kind || earlier.paymentId !== input.paymentId || earlier.amount !== input.amount)
      throw keyReused();
    return { id: earlier.id, amount: earlier.amount };
  }

  return {
    createAccount: (input, stats) =>
      timed(stats, async () => {
        const now = options.now();
        const [created] = await db
          .insert(sandboxAccounts)
          .values({
            id: `acct_sbx_${randomToken(16)}`,
            idempotencyKey: input.idempotencyKey,
            type: input.type,
            email: input.email ?? null,
            country: input.country ?? null,
            createdAt: now,
            updatedAt: now,
          })
          .onConflictDoNothing()
          .returning();
        if (created !== undefined) return accountOf(created);
        const [earlier] = await db
          .select()
          .from(sandboxAccounts)
          .where(eq(sandboxAccounts.idempotencyKey, input.idempotencyKey))
          .limit(1);
        if (earlier === undefined)
          throw new ProviderError("unavailable", "The account vanished mid-request.", true);
        const asked = [input.type, input.email ?? null, input.country ?? null];
        if ([earlier.type, earlier.email, earlier.country].some((v, i) => v !== asked[i])) throw keyReused();
        return accountOf(earlier);
      }),

    retrieveAccount: (id, stats) => timed(stats, async () => accountOf(await loadAccount(db, id))),

    createAccountLink: (input, stats) =>
      timed(stats, async () => {
        const account = await loadAccount(db, input.account);
        let origin: string;
        try {
          origin = new URL(input.returnUrl).origin;
          new URL(input.refreshUrl);
        } catch {
          throw new ProviderError(
            "invalid_request",
            "Not a valid URL: return_url or refresh_url.",
            false,
            "url_invalid",
          );
        }
        const query = new URLSearchParams({ return: input.returnUrl, refresh: input.refreshUrl });
        return {
          url: `${origin}/sandbox/connect/${account.id}?${query}`,
          expiresAt: options.now() + ACCOUNT_LINK_TTL_MS,
        };
      }),

    reverseTransfer: (input, stats) =>
      timed(stats, async () => {
        positive(input.amount);
        const earlier = await replayed("reversal", input);
        if (earlier !== undefined) return earlier;
        const row = await loadPayment(input.paymentId);
        return move(
          "reversal",
          input,
          row,
          reversalFits(row.id, input.amount),
          () =>
            new ProviderError(
              "invalid_request",
              `The reversal of ${input.amount} exceeds what remains of the transfer for ${row.id}.`,
              false,
              "amount_too_large",
            ),
        );
      }),

    transfer: (input, stats) =>
      timed(stats, async () => {
        positive(input.amount);
        const earlier = await replayed("transfer", input);
        if (earlier !== undefined) return { id: earlier.id };
        const row = await loadPayment(input.paymentId);
        if (row.transferDestination !== input.account || row.currency !== input.currency.toUpperCase()) {
          throw new ProviderError(
            "invalid_request",
            `A transfer funded by ${row.id} goes to ${row.transferDestination} in ${row.currency} only.`,
            false,
            "parameter_invalid",
          );
        }
        // Funded by the charge: the account never holds more of it than its share.
        const fits = sql`${transferredSql(row.id)} + ${input.amount} - ${sp.transferReversed} <= ${sp.amount} - coalesce(${sp.applicationFeeAmount}, 0)`;
        const moved = await move(
          "transfer",
          input,
          row,
          fits,
          () =>
            new ProviderError(
              "invalid_request",
              `A transfer of ${input.amount} would send the account more than its share of ${row.id}.`,
              false,
              "balance_insufficient",
            ),
        );
        return { id: moved.id };
      }),
  };
}
