/**
 * Payouts, pure (docs/payouts.md): where a creator's money goes, what the platform keeps, and how a
 * refund or a dispute splits between the creator's share and the platform's fee. No I/O: checkout,
 * renewals, refunds and disputes all decide through these functions.
 */
import type { connectedAccounts } from "../db/schema";

export type ConnectedAccountRow = typeof connectedAccounts.$inferSelect;

export type PayoutsMode = "platform" | "connect";

/** The readiness columns payouts decide on. */
export type AccountReadiness = Pick<
  ConnectedAccountRow,
  "accountId" | "chargesEnabled" | "detailsSubmitted" | "requirementsDue" | "disabledReason"
>;

export type Payout =
  | { kind: "platform" }
  | { kind: "destination"; account: string; feeBps: number }
  | { kind: "not_ready"; reason: string };

/** An account takes destination charges once Stripe enables charges and the creator finished onboarding. */
export const isReady = (a: Pick<AccountReadiness, "chargesEnabled" | "detailsSubmitted">): boolean =>
  a.chargesEnabled && a.detailsSubmitted;

/**
 * Where a creator's payment goes. No linked account: the platform keeps the money in `platform` mode,
 * and refuses in `connect` mode. A linked account that is not ready refuses in both modes: the creator
 * asked to be paid out, and money taken on the platform meanwhile would be stranded there.
 */
export function payoutOf(mode: PayoutsMode, account: AccountReadiness | null, feeBps: number | null): Payout {
  if (account === null) {
    return mode === "platform" ? { kind: "platform" } : { kind: "not_ready", reason: "no connected account" };
  }
  if (isReady(account)) return { kind: "destination", account: account.accountId, feeBps: feeBps ?? 0 };
  return { kind: "not_ready", reason: missingOf(account) };
}

/** What an account still lacks, in words a creator can act on. */
export function missingOf(account: AccountReadiness): string {
  const due = dueOf(account.requirementsDue);
  const parts: string[] = [];
  if (account.disabledReason !== null) parts.push(`disabled: ${account.disabledReason}`);
  if (due.length > 0) parts.push(`requirements due: ${due.join(", ")}`);
  if (!account.detailsSubmitted) parts.push("onboarding not finished (details not submitted)");
  if (!account.chargesEnabled && parts.length === 0) parts.push("charges not enabled yet");
  return `connected account ${account.accountId}: ${parts.join("; ")}`;
}

/** The stored JSON array of requirements, tolerant of a damaged value. */
export function dueOf(stored: string): string[] {
  try {
    const parsed: unknown = JSON.parse(stored);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

/** The platform's fee on a payment: `floor(amount × bps / 10 000)`, never more than the amount. */
export function applicationFee(amount: number, feeBps: number): number {
  if (amount <= 0 || feeBps <= 0) return 0;
  return Math.min(amount, Math.floor((amount * Math.min(feeBps, 10_000)) / 10_000));
}

/** A destination charge as its shares stand: what it charged, and the fee the platform kept of it. */
export interface Charged {
  amount: number;
  fee: number;
}

/** The creator's share of the charge: what was transferred to the account. */
export const transferredOf = (c: Charged): number => c.amount - c.fee;

/**
 * The creator's share of the first `upTo` minor units of the charge, rounded down. Shares are taken
 * cumulatively (share of everything refunded so far, minus the share already taken), so partial
 * refunds never round their way past the transfer, and a full refund takes back exactly all of it.
 */
function shareUpTo(c: Charged, upTo: number): number {
  if (c.amount <= 0) return 0;
  const x = Math.max(0, Math.min(upTo, c.amount));
  return Math.floor((x * transferredOf(c)) / c.amount);
}

/**
 * A refund of `amount` after `before` was already refunded: what comes back from the creator's account
 * (`reversal`) and what of the platform fee goes back with it (`feeRefunded`). They sum to the refund
 * (capped at what is left of the charge); over a full refund they sum to the transfer and the fee.
 */
export function refundSplit(
  c: Charged,
  before: number,
  amount: number,
): { reversal: number; feeRefunded: number } {
  const from = Math.max(0, Math.min(before, c.amount));
  const to = Math.max(from, Math.min(from + Math.max(0, amount), c.amount));
  const reversal = shareUpTo(c, to) - shareUpTo(c, from);
  return { reversal, feeRefunded: to - from - reversal };
}

/**
 * The creator's share of a disputed amount: taken back from the account when the bank withdraws the
 * money, sent again when the dispute is won. The platform's fee on that amount is not refunded: the
 * platform bears it, with the bank's dispute fee (docs/payouts.md, who bears what).
 */
export const disputeShare = (c: Charged, disputed: number): number => shareUpTo(c, disputed);
