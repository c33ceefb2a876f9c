/**
 * The commands of the checkout model test (test/integration/checkout.model.test.ts) and their
 * generators. A command names the checkout it acts on by an index taken modulo the checkouts it can
 * act on, so a shrunk sequence (commands removed) still means something.
 */
import fc from "fast-check";
import type { Fault } from "./faults";

export const CARDS = {
  visa: "pm_card_visa",
  declined: "pm_card_chargeDeclined",
  "3ds": "pm_card_authenticationRequired",
} as const;
export type Card = keyof typeof CARDS;

/** Which checkout a command is about: an index taken modulo the checkouts made so far (shrinks well). */
export type Pick = number;

export type Command =
  /** A buyer quotes and opens a checkout, paying at once with `card` or not. */
  | { kind: "create"; buyer: number; card: Card | "none"; quantity: 1 | 2 }
  /** The same request again, same Idempotency-Key (a buyer whose answer was lost). */
  | { kind: "retry_create"; checkout: Pick }
  /** The buyer pays at Stripe directly (Stripe.js), the worker not involved. */
  | { kind: "pay_at_stripe"; checkout: Pick; card: Card }
  /** The buyer finishes (or fails) 3-D Secure at Stripe. */
  | { kind: "authenticate"; checkout: Pick; outcome: "succeed" | "fail" }
  /** The buyer's confirm route, with a new card or none (then it reads where the payment stands). */
  | { kind: "confirm"; checkout: Pick; card: Card | "none" }
  /** Stripe delivers an event it emitted, any of them, in any order, again and again. */
  | { kind: "deliver"; event: number }
  | { kind: "tick"; seconds: number }
  /** Time moves past every hold's expiry. */
  | { kind: "lapse" }
  /** The minute cron: abandoned checkouts, and events whose handling did not finish. */
  | { kind: "sweep" }
  /** The creator refunds the order. */
  | { kind: "refund"; checkout: Pick }
  /** The buyer's bank disputes the payment. */
  | { kind: "dispute"; checkout: Pick; caseType: "chargeback" | "inquiry" }
  | { kind: "resolve_dispute"; checkout: Pick; evidence: "winning_evidence" | "losing_evidence" }
  /** The next step that reaches the worker runs with this fault. */
  | { kind: "crash"; fault: Fault }
  /** Two worker steps at once (the buyer's confirm and Stripe's webhook arriving together…). */
  | { kind: "race"; steps: [Command, Command] };

export interface Scenario {
  stock: number;
  buyers: number;
  restockOnRefund: boolean;
}

export const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  stock: fc.integer({ min: 1, max: 3 }),
  buyers: fc.integer({ min: 1, max: 3 }),
  restockOnRefund: fc.boolean(),
});

const pick = fc.nat({ max: 7 });
const card = fc.constantFrom<Card>("visa", "declined", "3ds");
const faultArb: fc.Arbitrary<Fault> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("d1" as const),
      // Steps make from a few to a few dozen D1 calls, most of them early: aim there more often.
      at: fc.oneof(
        { weight: 3, arbitrary: fc.nat({ max: 7 }) },
        { weight: 1, arbitrary: fc.nat({ max: 30 }) },
      ),
      counting: fc.constantFrom("any" as const, "write" as const),
      mode: fc.constantFrom("crash" as const, "blip" as const, "lost_answer" as const, "die_after" as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("stripe" as const),
      fault: fc.constantFrom("network_after" as const, "network_before" as const),
      times: fc.integer({ min: 1, max: 4 }),
    }),
  },
);

const createArb = fc.record({
  kind: fc.constant("create" as const),
  buyer: fc.nat({ max: 2 }),
  card: fc.constantFrom<Card | "none">("none", "visa", "declined", "3ds"),
  quantity: fc.constantFrom<1 | 2>(1, 1, 2),
});
const confirmArb = fc.record({
  kind: fc.constant("confirm" as const),
  checkout: pick,
  card: fc.constantFrom<Card | "none">("none", "visa", "declined", "3ds"),
});
const deliverArb = fc.record({ kind: fc.constant("deliver" as const), event: fc.nat({ max: 63 }) });
const sweepArb = fc.constant({ kind: "sweep" as const });
const refundArb = fc.record({ kind: fc.constant("refund" as const), checkout: pick });
const retryArb = fc.record({ kind: fc.constant("retry_create" as const), checkout: pick });
/** What can reach the worker at the same moment as something else. */
const concurrentArb: fc.Arbitrary<Command> = fc.oneof(confirmArb, deliverArb, sweepArb, refundArb, retryArb);

/** Weighted so that sequences mostly buy, pay and deliver, with the rarer moves mixed in. */
export const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("race" as const),
      steps: fc.tuple(concurrentArb, concurrentArb),
    }),
  },
  { weight: 5, arbitrary: createArb },
  { weight: 1, arbitrary: retryArb },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("pay_at_stripe" as const), checkout: pick, card }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("authenticate" as const),
      checkout: pick,
      outcome: fc.constantFrom("succeed" as const, "fail" as const),
    }),
  },
  { weight: 2, arbitrary: confirmArb },
  { weight: 5, arbitrary: deliverArb },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant("tick" as const), seconds: fc.integer({ min: 1, max: 90 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "lapse" as const }) },
  { weight: 2, arbitrary: sweepArb },
  { weight: 2, arbitrary: refundArb },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("dispute" as const),
      checkout: pick,
      caseType: fc.constantFrom("chargeback" as const, "inquiry" as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("resolve_dispute" as const),
      checkout: pick,
      evidence: fc.constantFrom("winning_evidence" as const, "losing_evidence" as const),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("crash" as const), fault: faultArb }) },
);

/** A sequence: it opens with a checkout (so little is spent on moves with nothing to act on). */
export const sequenceArb: fc.Arbitrary<Command[]> = fc
  .tuple(createArb, fc.array(commandArb, { minLength: 3, maxLength: 30, size: "max" }))
  .map(([first, rest]) => [first, ...rest]);
