/**
 * The checkout's state machine, pure: given where a checkout stands and what the provider says about a
 * payment, which transitions run, in order, and from which states each may leave. Settlement
 * (settle.ts) runs exactly this plan for the buyer's confirm, every webhook and the sweep, and lands each
 * transition as one guarded D1 batch; the model test (test/unit/checkout.model.test.ts) drives this same
 * function through random interleavings, redeliveries and crashes.
 */
import type { CheckoutRow } from "../db/schema";

export type Status = CheckoutRow["status"];

/** Awaiting the buyer. */
export const OPEN: readonly Status[] = ["pending", "requires_action"];
/**
 * Any state a succeeded payment may still complete: a decline can be followed by a successful retry on
 * the same payment, and a payment can succeed after its hold lapsed.
 */
export const UNPAID: readonly Status[] = ["pending", "requires_action", "failed", "expired"];

export type Transition =
  /** The payment is not this order's: refund it if it took money, change nothing else. */
  | "refuse_mismatch"
  /** Secure the units (commit, or re-reserve a lapsed hold), then land paid + grant; sold out: refund. */
  | "pay"
  /** Refunded in full at the provider: land refunded + revoke, then apply the restock policy (again). */
  | "refund"
  /** 3-D Secure: extend the holds once, then land requires_action. */
  | "require_action"
  /** Declined: land failed, then release the holds. */
  | "fail"
  /** Cancelled (abandoned): land expired, then release the holds. */
  | "expire";

/** The states each transition may leave; a batch whose checkout is elsewhere lands nothing. */
export const FROM: Record<Exclude<Transition, "refuse_mismatch">, readonly Status[]> = {
  pay: UNPAID,
  refund: ["paid"],
  require_action: ["pending"],
  fail: OPEN,
  expire: OPEN,
};

/** What settlement knows of the order it is settling. */
export interface OrderFacts {
  status: Status;
  orderId: string;
  amount: number;
  currency: string;
  /** The provider payment recorded for the order, if any (the create's answer may have been lost). */
  paymentId: string | null;
}

/** What the provider says about a payment, as `Payment` carries it. */
export interface PaymentFacts {
  id: string;
  status: string;
  amount: number;
  currency: string;
  amountRefunded: number;
  /** `metadata.order_id`: what the payment was created for. */
  orderId: string | undefined;
  /** Whether a failed attempt is recorded (`last_payment_error`). */
  failed: boolean;
}

/**
 * Why this payment is not the order's, or null when it is: a payment lands only if its order, its
 * provider id (once recorded), its amount and its currency are the order's. Metadata alone proves
 * nothing: it is whatever the payment was created with.
 */
export function mismatchOf(order: OrderFacts, payment: PaymentFacts): string | null {
  if (payment.orderId !== order.orderId) return "order";
  if (order.paymentId !== null && order.paymentId !== payment.id) return "payment_id";
  if (payment.amount !== order.amount) return "amount";
  if (payment.currency.toUpperCase() !== order.currency) return "currency";
  return null;
}

/** The transitions to run, in order; each is guarded again by `FROM` when it lands. */
export function plan(order: OrderFacts, payment: PaymentFacts): Transition[] {
  if (mismatchOf(order, payment) !== null) return ["refuse_mismatch"];
  const { status } = order;
  switch (payment.status) {
    case "succeeded": {
      const steps: Transition[] = UNPAID.includes(status) ? ["pay"] : [];
      // Refunded in full: whatever order the news came in, the order ends refunded and access revoked.
      // Also once it is refunded: the step then only re-applies the drop's restock policy (idempotent per
      // hold), so a worker that died between landing a refund and restocking heals on the next event.
      if (payment.amountRefunded >= payment.amount) steps.push("refund");
      return steps;
    }
    case "requires_action":
      return FROM.require_action.includes(status) ? ["require_action"] : [];
    case "requires_payment_method":
      return payment.failed && FROM.fail.includes(status) ? ["fail"] : [];
    case "canceled":
      return FROM.expire.includes(status) ? ["expire"] : [];
    default:
      return [];
  }
}
