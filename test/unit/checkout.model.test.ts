import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FROM, type OrderFacts, type PaymentFacts, plan, type Status } from "../../src/checkout/machine";

/**
 * The checkout's state machine (src/checkout/machine.ts) under random interleavings. A small world
 * stands in for D1 (checkout rows, entitlements, audit counts), the drop's object (units held and sold)
 * and the provider (payments and the events they emit). Every settlement runs `plan()`, the function
 * the worker's confirm, webhooks and sweep run, and applies each transition's effects in the order
 * settle.ts applies them; a guarded batch lands only from `FROM`. A crash can cut any settlement
 * between two effects. After every step: no order is paid without its payment, no entitlement exists
 * without a paid order, no unit is sold twice; at the end, once every event is delivered and the sweep
 * has run, no money is kept without access and no access is kept without money.
 */
interface Pay {
  id: string;
  orderId: string;
  amount: number;
  currency: string;
  status: "requires_payment_method" | "requires_action" | "succeeded" | "canceled";
  refunded: number;
  failed: boolean;
}
interface Checkout {
  id: string;
  status: Status;
  amount: number;
  currency: string;
  paymentId: string | null;
  /** The drop object's view of this checkout's unit. */
  unit: "none" | "held" | "sold" | "released";
  /** Hold lapsed (its TTL passed): a held unit is back on sale. */
  lapsed: boolean;
}
interface World {
  stock: number;
  checkouts: Checkout[];
  payments: Pay[];
  entitlement: Map<string, "active" | "revoked">;
  paidAudits: Map<string, number>;
  /** Payment ids, one per provider change, as webhooks would deliver them. */
  events: string[];
  crashAt: number | null;
  effects: number;
}

class Crash extends Error {}

const paymentOf = (w: World, c: Checkout) => w.payments.find((p) => p.id === c.paymentId);
const unitsOut = (w: World) => w.checkouts.filter((c) => c.unit === "held" || c.unit === "sold").length;

/** One effect of a settlement; a planned crash cuts the settlement here, leaving earlier effects. */
function effect(w: World, apply: () => void) {
  if (w.crashAt !== null && w.effects++ >= w.crashAt) {
    w.crashAt = null;
    w.effects = 0;
    throw new Crash();
  }
  apply();
}

/** A guarded batch: lands all of its writes only while the checkout is in `from`. */
function land(w: World, c: Checkout, from: readonly Status[], writes: () => void) {
  effect(w, () => {
    if (from.includes(c.status)) writes();
  });
}

const facts = (c: Checkout): OrderFacts => ({
  status: c.status,
  orderId: c.id,
  amount: c.amount,
  currency: c.currency,
  paymentId: c.paymentId,
});
const paymentFacts = (p: Pay): PaymentFacts => ({
  id: p.id,
  status: p.status,
  amount: p.amount,
  currency: p.currency,
  amountRefunded: p.refunded,
  orderId: p.orderId,
  failed: p.failed,
});

function refundAtProvider(w: World, p: Pay) {
  effect(w, () => {
    if (p.status === "succeeded" && p.refunded < p.amount) {
      p.refunded = p.amount;
      w.events.push(p.id);
    }
  });
}

function release(w: World, c: Checkout) {
  effect(w, () => {
    if (c.unit === "held") c.unit = "released";
  });
}

/** Settlement, as settle.ts runs it: the plan's transitions in order, each with its effects. */
function settle(w: World, p: Pay) {
  const c = w.checkouts.find((x) => x.id === p.orderId);
  if (c === undefined) return;
  for (const step of plan(facts(c), paymentFacts(p))) {
    switch (step) {
      case "refuse_mismatch":
        refundAtProvider(w, p);
        break;
      case "pay": {
        if (c.status === "paid" || c.status === "refunded") break;
        // Secure the unit: commit the hold, or take a unit again after it lapsed, if any is left.
        let secured = c.unit === "sold";
        effect(w, () => {
          if (c.unit === "held" && !c.lapsed) c.unit = "sold";
          else if (c.unit !== "sold" && unitsOut(w) < w.stock) c.unit = "sold";
          secured = c.unit === "sold";
        });
        if (!secured) {
          refundAtProvider(w, p);
          land(w, c, FROM.pay, () => {
            c.status = "refunded";
          });
          break;
        }
        land(w, c, FROM.pay, () => {
          c.status = "paid";
          c.paymentId ??= p.id;
          w.entitlement.set(c.id, "active");
          w.paidAudits.set(c.id, (w.paidAudits.get(c.id) ?? 0) + 1);
        });
        break;
      }
      case "refund":
        land(w, c, FROM.refund, () => {
          c.status = "refunded";
          if (w.entitlement.has(c.id)) w.entitlement.set(c.id, "revoked");
        });
        break;
      case "require_action":
        land(w, c, FROM.require_action, () => {
          c.status = "requires_action";
          c.paymentId ??= p.id;
        });
        break;
      case "fail":
        land(w, c, FROM.fail, () => {
          c.status = "failed";
          c.paymentId ??= p.id;
        });
        release(w, c);
        break;
      case "expire":
        land(w, c, FROM.expire, () => {
          c.status = "expired";
        });
        release(w, c);
        break;
    }
  }
}

const safely = (run: () => void) => {
  try {
    run();
  } catch (error) {
    if (!(error instanceof Crash)) throw error;
  }
};

/**
 * The sweep: an open checkout whose hold lapsed has its payment cancelled (refused once it succeeded:
 * then it settles as paid), or ends expired if it never got one.
 */
function sweep(w: World) {
  const lapsed = w.checkouts.filter((c) => c.lapsed && FROM.expire.includes(c.status));
  for (const c of lapsed) {
    safely(() => {
      const p = paymentOf(w, c);
      if (p === undefined) {
        land(w, c, FROM.expire, () => {
          c.status = "expired";
        });
        return;
      }
      effect(w, () => {
        if (p.status !== "succeeded") {
          p.status = "canceled";
          w.events.push(p.id);
        }
      });
      settle(w, p);
    });
  }
}

type Cmd = (w: World) => void;
const pick = <T>(xs: T[], i: number): T | undefined => (xs.length === 0 ? undefined : xs[i % xs.length]);
const newPayment = (w: World, c: Checkout, amount: number, currency: string): Pay => {
  const p: Pay = {
    id: `pi_${w.payments.length}`,
    orderId: c.id,
    amount,
    currency,
    status: "requires_payment_method",
    refunded: 0,
    failed: false,
  };
  w.payments.push(p);
  return p;
};

const commands: fc.Arbitrary<Cmd>[] = [
  // Create: hold a unit, write the pending checkout, create the payment, record its id. A crash can
  // cut it anywhere; the unit then lapses with its hold.
  fc.constant((w: World) => {
    if (unitsOut(w) >= w.stock) return;
    const c: Checkout = {
      id: `ord_${w.checkouts.length}`,
      status: "pending",
      amount: 1000,
      currency: "USD",
      paymentId: null,
      unit: "held",
      lapsed: false,
    };
    w.checkouts.push(c);
    safely(() => {
      let p: Pay | undefined;
      effect(w, () => {
        p = newPayment(w, c, c.amount, c.currency);
      });
      effect(w, () => {
        if (p !== undefined) c.paymentId = p.id;
      });
    });
  }),
  // The buyer pays at the provider (Stripe.js): success, a decline, or 3-D Secure.
  fc.tuple(fc.nat(), fc.constantFrom("ok", "decline", "3ds")).map(([i, card]) => (w: World) => {
    const p = pick(w.payments, i);
    if (p === undefined || p.status === "succeeded" || p.status === "canceled") return;
    if (card === "ok") p.status = "succeeded";
    if (card === "decline") [p.status, p.failed] = ["requires_payment_method", true];
    if (card === "3ds") p.status = "requires_action";
    w.events.push(p.id);
  }),
  // Someone pays a second payment naming the order, for another amount or currency.
  fc
    .tuple(fc.nat(), fc.constantFrom([100, "USD"], [1000, "EUR"], [1000, "USD"]))
    .map(([i, [amount, currency]]) => (w: World) => {
      const c = pick(w.checkouts, i);
      if (c === undefined) return;
      const p = newPayment(w, c, amount as number, currency as string);
      p.status = "succeeded";
      w.events.push(p.id);
    }),
  // A webhook delivery of any event so far, again and in any order; or the buyer's confirm.
  fc.nat().map((i) => (w: World) => {
    const id = pick(w.events, i);
    const p = w.payments.find((x) => x.id === id);
    if (p !== undefined) safely(() => settle(w, p));
  }),
  fc.nat().map((i) => (w: World) => {
    const c = pick(w.checkouts, i);
    const p = c === undefined ? undefined : paymentOf(w, c);
    if (p !== undefined) safely(() => settle(w, p));
  }),
  // A hold's TTL passes.
  fc.nat().map((i) => (w: World) => {
    const c = pick(w.checkouts, i);
    if (c !== undefined && c.unit === "held") [c.unit, c.lapsed] = ["released", true];
  }),
  // The sweep.
  fc.constant((w: World) => sweep(w)),
  // The creator refunds a paid order: the provider refunds, then settlement revokes.
  fc.nat().map((i) => (w: World) => {
    const c = pick(w.checkouts, i);
    const p = c === undefined ? undefined : paymentOf(w, c);
    if (c === undefined || p === undefined || c.status !== "paid") return;
    safely(() => {
      refundAtProvider(w, p);
      settle(w, p);
    });
  }),
  // The next settlement crashes after this many effects.
  fc.nat({ max: 4 }).map((n) => (w: World) => {
    w.crashAt = n;
    w.effects = 0;
  }),
];

function assertAlways(w: World) {
  for (const c of w.checkouts) {
    if (c.status === "paid") {
      // Paid only with its own payment: succeeded, the order's amount and currency, the recorded id.
      const p = paymentOf(w, c);
      expect(p?.status).toBe("succeeded");
      expect([p?.amount, p?.currency]).toEqual([c.amount, c.currency]);
    }
    if (w.entitlement.get(c.id) === "active") expect(c.status).toBe("paid");
    expect(w.paidAudits.get(c.id) ?? 0).toBeLessThanOrEqual(1);
  }
  expect(unitsOut(w)).toBeLessThanOrEqual(w.stock);
}

/** Everything settles: every hold lapses, the sweep runs, every event is delivered, twice over. */
function settleEverything(w: World) {
  w.crashAt = null;
  for (let round = 0; round < 2; round++) {
    for (const c of w.checkouts) if (c.unit === "held") [c.unit, c.lapsed] = ["released", true];
    sweep(w);
    for (const id of [...w.events]) {
      const p = w.payments.find((x) => x.id === id);
      if (p !== undefined) settle(w, p);
    }
  }
}

describe("the checkout state machine", () => {
  it("keeps the promise after every step of random interleavings, redeliveries and crashes", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(fc.oneof(...commands), { maxLength: 40 }),
        (stock, cmds) => {
          const w: World = {
            stock,
            checkouts: [],
            payments: [],
            entitlement: new Map(),
            paidAudits: new Map(),
            events: [],
            crashAt: null,
            effects: 0,
          };
          for (const cmd of cmds) {
            cmd(w);
            assertAlways(w);
          }
          settleEverything(w);
          assertAlways(w);
          for (const p of w.payments) {
            if (p.status !== "succeeded" || p.refunded >= p.amount) continue;
            // Money kept: its order is paid with this very payment, and access is active.
            const c = w.checkouts.find((x) => x.id === p.orderId);
            expect(c?.status).toBe("paid");
            expect(c?.paymentId).toBe(p.id);
            expect(w.entitlement.get(p.orderId)).toBe("active");
          }
          for (const c of w.checkouts) {
            // Access kept: its payment still holds the money.
            if (c.status !== "paid") continue;
            const p = paymentOf(w, c);
            expect(p !== undefined && p.refunded < p.amount).toBe(true);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
