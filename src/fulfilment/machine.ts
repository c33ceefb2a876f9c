/**
 * A physical order's fulfilment status. Pure: the route loads the order once, asks `fulfilmentMove`,
 * and lands the move guarded on the status it read, so two packers cannot both move it.
 *
 *   unfulfilled ⇄ packed → shipped (carrier and tracking number) → delivered
 *                          shipped | delivered → returned (terminal)
 *
 * Only a paid physical order moves. A refunded one may still be unpacked or come back (`returned`),
 * never packed, shipped or delivered: its money is gone.
 */
import { fulfilmentStatuses, type orderStatuses } from "../db/schema";

export type FulfilmentStatus = (typeof fulfilmentStatuses)[number];
export type OrderStatus = (typeof orderStatuses)[number];
export { fulfilmentStatuses };

/** Every allowed move: from → the statuses it may go to. */
export const MOVES: Readonly<Record<FulfilmentStatus, readonly FulfilmentStatus[]>> = {
  unfulfilled: ["packed"],
  packed: ["unfulfilled", "shipped"],
  shipped: ["delivered", "returned"],
  delivered: ["returned"],
  returned: [],
};

/** Where a refunded order may still go. */
const AFTER_REFUND: ReadonlySet<FulfilmentStatus> = new Set(["unfulfilled", "returned"]);

export interface FulfilmentState {
  orderStatus: OrderStatus;
  /** Null: nothing to fulfil (a digital order, or a physical one not paid yet). */
  fulfilment: FulfilmentStatus | null;
}

export type Refusal =
  | { code: "fulfilment_not_applicable"; detail: string }
  | { code: "fulfilment_transition_invalid"; detail: string };

/** Null when the move is allowed; otherwise why not. */
export function fulfilmentMove(state: FulfilmentState, to: FulfilmentStatus): Refusal | null {
  const from = state.fulfilment;
  if (from === null || (state.orderStatus !== "paid" && state.orderStatus !== "refunded")) {
    return {
      code: "fulfilment_not_applicable",
      detail:
        from === null
          ? "This order has nothing to fulfil: it is digital, or it has not been paid."
          : `This order is ${state.orderStatus}: only paid orders are fulfilled.`,
    };
  }
  if (!MOVES[from].includes(to)) {
    const allowed = MOVES[from];
    return {
      code: "fulfilment_transition_invalid",
      detail:
        `The order is ${from}; it cannot move to ${to}. ` +
        (allowed.length === 0 ? "It is final." : `It can move to: ${allowed.join(", ")}.`),
    };
  }
  if (state.orderStatus === "refunded" && !AFTER_REFUND.has(to)) {
    return {
      code: "fulfilment_transition_invalid",
      detail: `The order was refunded: it can be unpacked or returned, not ${to}.`,
    };
  }
  return null;
}

/** The field rules of a move: shipping needs a carrier and a tracking number, and nothing else takes them. */
export function moveFieldErrors(move: {
  status: FulfilmentStatus;
  carrier?: string | undefined;
  tracking_number?: string | undefined;
}): { path: string; message: string }[] {
  const shipping = move.status === "shipped";
  const errors: { path: string; message: string }[] = [];
  for (const field of ["carrier", "tracking_number"] as const) {
    const given = move[field] !== undefined;
    if (shipping && !given) errors.push({ path: `/${field}`, message: "Required to ship" });
    if (!shipping && given) errors.push({ path: `/${field}`, message: "Only a move to shipped takes it" });
  }
  return errors;
}
