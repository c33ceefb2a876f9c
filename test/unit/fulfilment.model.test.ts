/**
 * The fulfilment status machine against a model: random sequences of moves and refunds, applied to the
 * pure machine (src/fulfilment/machine.ts) and to an independent description of the rules, must agree
 * at every step, and the history the machine allows must always be a story that can happen.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type FulfilmentStatus,
  fulfilmentMove,
  fulfilmentStatuses,
  moveFieldErrors,
  type OrderStatus,
} from "../../src/fulfilment/machine";

/** The rules written as the issue states them, independently of MOVES. */
function modelAllows(order: OrderStatus, from: FulfilmentStatus | null, to: FulfilmentStatus): boolean {
  if (from === null) return false;
  if (order !== "paid" && order !== "refunded") return false;
  const edge = `${from}>${to}`;
  const edges = [
    "unfulfilled>packed",
    "packed>unfulfilled",
    "packed>shipped",
    "shipped>delivered",
    "shipped>returned",
    "delivered>returned",
  ];
  if (!edges.includes(edge)) return false;
  if (order === "refunded") return to === "returned" || to === "unfulfilled";
  return true;
}

type Command = { kind: "move"; to: FulfilmentStatus } | { kind: "refund" };
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(...fulfilmentStatuses).map((to) => ({ kind: "move" as const, to })),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "refund" as const }) },
);
const start = fc.constantFrom<[OrderStatus, FulfilmentStatus | null]>(
  ["paid", "unfulfilled"],
  ["pending", null],
  ["failed", null],
  ["cancelled", null],
  ["paid", null], // a digital order
);

describe("fulfilment status machine (model-based)", () => {
  it("agrees with the model on every step of random histories, and never tells an impossible story", () => {
    fc.assert(
      fc.property(
        start,
        fc.array(command, { maxLength: 40 }),
        ([initialOrder, initialFulfilment], commands) => {
          let orderStatus = initialOrder;
          let fulfilment = initialFulfilment;
          /** Every status the order entered, and whether it was refunded by then. */
          const history: { status: FulfilmentStatus; refunded: boolean }[] = [];
          for (const c of commands) {
            if (c.kind === "refund") {
              if (orderStatus === "paid") orderStatus = "refunded";
              continue;
            }
            const refusal = fulfilmentMove({ orderStatus, fulfilment }, c.to);
            expect(refusal === null).toBe(modelAllows(orderStatus, fulfilment, c.to));
            if (refusal !== null) {
              // Digital and unpaid orders are "not applicable"; a paid physical one gets "transition invalid".
              const applicable =
                fulfilment !== null && (orderStatus === "paid" || orderStatus === "refunded");
              expect(refusal.code).toBe(
                applicable ? "fulfilment_transition_invalid" : "fulfilment_not_applicable",
              );
              continue;
            }
            fulfilment = c.to;
            history.push({ status: c.to, refunded: orderStatus === "refunded" });
          }
          // The story: nothing moves unless paid and physical; shipped only straight after packed, delivered
          // only straight after shipped; nothing after returned; nothing packed, shipped or delivered once refunded.
          if (initialFulfilment === null) expect(history).toEqual([]);
          const statuses = [initialFulfilment, ...history.map((h) => h.status)];
          history.forEach((h, i) => {
            const before = statuses[i];
            if (h.status === "shipped") expect(before).toBe("packed");
            if (h.status === "delivered") expect(before).toBe("shipped");
            expect(before).not.toBe("returned");
            if (h.refunded) expect(["unfulfilled", "returned"]).toContain(h.status);
          });
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("a move to shipped needs a carrier and a tracking number; no other move takes them", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...fulfilmentStatuses),
        fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
        fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
        (status, carrier, tracking_number) => {
          const errors = moveFieldErrors({ status, carrier, tracking_number });
          const ok =
            status === "shipped"
              ? carrier !== undefined && tracking_number !== undefined
              : carrier === undefined && tracking_number === undefined;
          expect(errors.length === 0).toBe(ok);
        },
      ),
      { numRuns: 500 },
    );
  });
});
