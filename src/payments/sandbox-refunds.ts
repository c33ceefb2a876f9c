/**
 * The sandbox provider's refunds (sandbox.ts), destination charges' included: a refund with
 * `reverseTransfer` takes the creator's share of it back from the connected account and returns the
 * rest of it as the platform fee (Stripe's `reverse_transfer` with `refund_application_fee`).
 *
 * The rounding: the share is taken on the cumulative amount refunded, rounded down, minus what earlier
 * refunds took (`floor(transferred × refunded / amount)`); the fee refunded is the rest of the refund.
 * So partial refunds never round their way past the transfer, the reversal and the fee always sum to
 * the refund, and a full refund (in one or many parts) takes back exactly the transfer and the fee.
 */
import { and, eq, sql } from "drizzle-orm";
import { type Db, expectOneChange, type Write } from "../db/client";
import { sandboxRefunds, sandboxTransfers, sandboxPayments as sp } from "../db/schema";
import { randomToken, sha256Hex } from "../lib/crypto";
import { type PaymentProvider, ProviderError, type Refund } from "./provider";
import { keyReused, reversalFits, reversalIdOf } from "./sandbox-destination";

type Row = typeof sp.$inferSelect;
type Moved = Pick<Refund, "transferReversal" | "feeRefunded">;

/** The creator's share of the first `upTo` minor units of the charge, rounded down. */
function shareUpTo(row: Row, upTo: number): number {
  if (row.amount <= 0) return 0;
  const transferred = row.amount - (row.applicationFeeAmount ?? 0);
  return Math.floor((Math.min(upTo, row.amount) * transferred) / row.amount);
}

/**
 * A reversing refund of `amount` after what the row says was refunded: what comes back from the
 * account and what of the fee is returned. Null for a payment that is not a destination charge.
 */
export function refundSplit(row: Row, amount: number): { reversal: number; feeRefunded: number } | null {
  if (row.transferDestination === null) return null;
  const before = row.amountRefunded;
  const reversal = shareUpTo(row, before + amount) - shareUpTo(row, before);
  return { reversal, feeRefunded: amount - reversal };
}

/** The reversal row of a reversing refund; none when its share rounds to zero. */
function reversalWrite(db: Db, row: Row, refundId: string, reversal: number, now: number): Write {
  return db.insert(sandboxTransfers).values({
    id: reversalIdOf(refundId),
    idempotencyKey: `refund:${refundId}`,
    paymentId: row.id,
    account: row.transferDestination ?? "",
    kind: "reversal",
    amount: reversal,
    currency: row.currency,
    createdAt: now,
  });
}

/** What a reversing refund moved, read back for a replay of its key (the fee is the rest of it). */
async function movedBy(db: Db, row: Row, refund: { id: string; amount: number }): Promise<Moved> {
  if (row.transferDestination === null) return { transferReversal: null, feeRefunded: 0 };
  const [reversal] = await db
    .select({ id: sandboxTransfers.id, amount: sandboxTransfers.amount })
    .from(sandboxTransfers)
    .where(eq(sandboxTransfers.id, reversalIdOf(refund.id)))
    .limit(1);
  return { transferReversal: reversal ?? null, feeRefunded: refund.amount - (reversal?.amount ?? 0) };
}

export interface RefundDeps {
  db: Db;
  now: () => number;
  load: (id: string) => Promise<Row>;
  unexpectedState: (row: Row) => ProviderError;
  /** Emits `charge.refunded` for the payment as it now stands. */
  refunded: (row: Row) => Promise<unknown>;
}

/**
 * A refund, as one batch that lands only if nothing was refunded meanwhile (compare-and-set on the
 * amount refunded): a reversing refund's split depends on what came before it, so a racing refund
 * makes it reload and split again, a few times, before giving up as Stripe's lock timeout does.
 */
export async function refundSandboxPayment(
  deps: RefundDeps,
  id: string,
  input: Parameters<PaymentProvider["refund"]>[1],
): Promise<Refund> {
  const { db, load } = deps;
  const reverse = input.reverseTransfer === true;
  // `reverseTransfer` joins the hash only when set, so the hashes of earlier refunds still match.
  const asked = [id, input.amount ?? null, input.reason ?? null, ...(reverse ? [true] : [])];
  const requestHash = await sha256Hex(JSON.stringify(asked));
  const replay = async (refund: { id: string; amount: number; requestHash: string }): Promise<Refund> => {
    if (refund.requestHash !== requestHash) throw keyReused();
    const moved = reverse ? await movedBy(db, await load(id), refund) : {};
    return { id: refund.id, paymentId: id, amount: refund.amount, status: "succeeded", ...moved };
  };
  const earlier = await refundByKey(db, input.idempotencyKey);
  if (earlier !== undefined) return replay(earlier);
  for (let attempt = 0; attempt < 8; attempt++) {
    const row = await load(id);
    if (row.status !== "succeeded") throw deps.unexpectedState(row);
    if (row.disputeId !== null) {
      throw new ProviderError(
        "invalid_request",
        `Charge ${row.latestCharge} has been charged back; cannot issue a refund.`,
        false,
        "charge_disputed",
      );
    }
    const amount = input.amount ?? row.amount - row.amountRefunded;
    if (amount <= 0 || row.amountRefunded + amount > row.amount) {
      throw new ProviderError(
        "invalid_request",
        "The refund exceeds what is left to refund.",
        false,
        "charge_already_refunded",
      );
    }
    const split = reverse ? refundSplit(row, amount) : null;
    const refundId = `re_sbx_${randomToken(24)}`;
    const now = deps.now();
    try {
      await db.batch([
        db
          .update(sp)
          .set({
            amountRefunded: row.amountRefunded + amount,
            ...(split === null
              ? {}
              : {
                  transferReversed: sql`${sp.transferReversed} + ${split.reversal}`,
                  applicationFeeRefunded: sql`${sp.applicationFeeRefunded} + ${split.feeRefunded}`,
                }),
            updatedAt: now,
          })
          .where(
            and(
              eq(sp.id, id),
              eq(sp.amountRefunded, row.amountRefunded),
              split === null ? undefined : reversalFits(id, split.reversal),
            ),
          ),
        expectOneChange(db),
        db.insert(sandboxRefunds).values({
          id: refundId,
          paymentId: id,
          idempotencyKey: input.idempotencyKey,
          requestHash,
          amount,
          reason: input.reason ?? null,
          createdAt: now,
        }),
        ...(split !== null && split.reversal > 0
          ? [reversalWrite(db, row, refundId, split.reversal, now)]
          : []),
      ]);
    } catch {
      // The same key landed first (a racing retry), or another refund moved the amount: split again.
      const raced = await refundByKey(db, input.idempotencyKey);
      if (raced !== undefined) return replay(raced);
      continue;
    }
    await deps.refunded(await load(id));
    const moved: Moved | Record<string, never> = !reverse
      ? {}
      : split === null
        ? { transferReversal: null, feeRefunded: 0 }
        : {
            transferReversal:
              split.reversal > 0 ? { id: reversalIdOf(refundId), amount: split.reversal } : null,
            feeRefunded: split.feeRefunded,
          };
    return { id: refundId, paymentId: id, amount, status: "succeeded", ...moved };
  }
  throw new ProviderError(
    "rate_limited",
    "This payment is being refunded by other requests at once; try again.",
    true,
    "lock_timeout",
  );
}

async function refundByKey(db: Db, key: string) {
  const [row] = await db.select().from(sandboxRefunds).where(eq(sandboxRefunds.idempotencyKey, key)).limit(1);
  return row;
}
