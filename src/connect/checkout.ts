/**
 * The payout decision of a charge. Checkout decides from the facts its claim batch read (no round trip
 * of its own): refuse a suspended creator, refuse a payment whose creator's payout account cannot
 * receive it, else the destination charge (or none: the platform keeps the money). Renewals and tier
 * switches decide from the creator's payout at the time of the charge, in a read of their own.
 */
import type { Db } from "../db/client";
import { AppError } from "../errors";
import { creatorSuspended } from "../operator/standing";
import type { Destination, PaymentFailure } from "../payments/provider";
import { applicationFee, type Payout, type PayoutsMode } from "./payouts";
import { currentPayout, type PayoutFacts, payoutOfFacts } from "./store";

export const payoutsNotReady = (reason: string) =>
  new AppError(
    "payouts_not_ready",
    `This creator cannot take payments yet: ${reason}. The creator finishes payouts onboarding ` +
      "(POST /v1/connect/account-links), then the checkout can be made again. Nothing was charged or held.",
  );

/** The charge's destination for `amount`, or undefined for the platform's own; throws the refusals. */
export function destinationFor(
  mode: PayoutsMode,
  facts: PayoutFacts,
  amount: number,
): Destination | undefined {
  if (facts.suspended) throw creatorSuspended("quote");
  // Nothing is charged, so nothing needs paying out.
  if (amount === 0) return undefined;
  return destinationOf(payoutOfFacts(mode, facts), amount);
}

export function destinationOf(payout: Payout, amount: number): Destination | undefined {
  if (payout.kind === "not_ready") throw payoutsNotReady(payout.reason);
  if (payout.kind === "platform") return undefined;
  return {
    account: payout.account,
    applicationFeeAmount: applicationFee(amount, payout.feeBps),
    applicationFeeBps: payout.feeBps,
  };
}

/**
 * A renewal for a creator whose payout account cannot take charges now is a failed attempt, as a
 * provider's refusal is: charging it on the platform would strand the creator's money there, so the
 * invoice stays open with `payouts_not_ready` and dunning retries it on its schedule (docs/payouts.md).
 */
export function payoutRefusal(error: unknown): { refused: PaymentFailure } {
  if (error instanceof AppError && error.code === "payouts_not_ready") {
    return { refused: { code: "payouts_not_ready", declineCode: null, message: error.message } };
  }
  throw error;
}

/** The creator's payout at the time of the charge (its account may have changed since the checkout). */
export async function destinationNow(
  ctx: { db: Db; payoutsMode?: PayoutsMode | undefined },
  creatorId: string,
  amount: number,
): Promise<Destination | undefined> {
  if (amount === 0) return undefined;
  return destinationOf(await currentPayout(ctx.db, creatorId, ctx.payoutsMode ?? "platform"), amount);
}
