/**
 * The checkout's state machine, driven end to end: random sequences of buyers creating and confirming
 * checkouts, paying and authenticating at Stripe directly, Stripe delivering any event it emitted in
 * any order and more than once, time passing, the cron sweeping, the creator refunding, banks
 * disputing, and a crash (a D1 call failing, or Stripe's answer lost) possible before any step. Through
 * the real worker: real D1, the real drop objects, Stripe through the official SDK against the local
 * fake. After every step and once everything has settled, test/support/checkout-invariants.ts checks
 * from D1, the drop's object and Stripe's own records that no order is paid without its payment, no
 * entitlement exists without a paid order, no unit is sold twice, and no money is kept without access.
 *
 * The fast twin over a pure reducer is test/unit/checkout.model.test.ts; this one runs fewer sequences
 * (each is dozens of real requests). More, or a replay of a failure, from the shell:
 *
 *   VITE_CHECKOUT_MODEL_RUNS=500 npx vitest run --config test/vitest.config.ts test/integration/checkout.model.test.ts
 *   VITE_CHECKOUT_MODEL_SEED=<seed> VITE_CHECKOUT_MODEL_PATH=<path> npx vitest run …   (the failure prints both)
 *   VITE_CHECKOUT_MODEL_VERBOSE=1 …   (every sequence's trace, and which audited paths the runs reached)
 */

import { eq } from "drizzle-orm";
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { entitlements, orders } from "../../src/db/schema";
import { type Command, type Scenario, scenarioArb, sequenceArb } from "../support/checkout-commands";
import {
  newHistory,
  reachedPaths,
  settledViolations,
  settleEverything,
  stepViolations,
} from "../support/checkout-invariants";
import { modelClock, modelWorld } from "../support/checkout-model";
import { runCommand } from "../support/checkout-steps";
import { db } from "../support/tenants";

// Vite hands the test only `VITE_`-prefixed variables of the shell's environment.
const settings = (import.meta as unknown as { env: Record<string, string | undefined> }).env;
const NUM_RUNS = Number(settings.VITE_CHECKOUT_MODEL_RUNS ?? 30);
/** Unset: fast-check picks a fresh seed each run, and a failure prints it. */
const SEED = settings.VITE_CHECKOUT_MODEL_SEED;
const PATH = settings.VITE_CHECKOUT_MODEL_PATH;
/** Prints every sequence's trace (what each step answered), to see what the runs explore. */
const VERBOSE = settings.VITE_CHECKOUT_MODEL_VERBOSE !== undefined;
/**
 * Disputes move access (charge.dispute.* through the inbox, src/checkout/disputes.ts). While off, the
 * dispute commands are skipped and no invariant asks a chargeback to revoke access.
 */
const MODEL_DISPUTES = true;

/**
 * Counterexamples the random runs found, shrunk, run first on every run whatever the seed (each one
 * failed against the code of its day; see its note).
 */
const FOUND: [Scenario, Command[]][] = [
  // The worker dies right after the refund's batch lands (order refunded, access revoked) and before
  // the drop's restock: Stripe's charge.refunded redelivery and the sweep never restock it, so the unit
  // stays sold to nobody. Random seed 799562739 first, as a crash at the restock policy read.
  [
    { stock: 1, buyers: 1, restockOnRefund: true },
    [
      { kind: "create", buyer: 0, card: "visa", quantity: 1 },
      { kind: "crash", fault: { kind: "d1", at: 0, counting: "write", mode: "die_after" } },
      { kind: "refund", checkout: 0 },
    ],
  ],
];

describe("checkout model (real worker)", () => {
  afterEach(() => modelClock.stop());

  it(
    "no interleaving of buyers, webhooks, sweeps, refunds, disputes and crashes pays an order without its payment, grants without a paid order, sells a unit twice or keeps money without access",
    async () => {
      const reached = new Map<string, number>();
      const property = fc.asyncProperty(scenarioArb, sequenceArb, async (scenario, commands: Command[]) => {
        modelClock.start();
        const m = await modelWorld(scenario, { disputes: MODEL_DISPUTES });
        const history = newHistory();
        const fail = (what: string, problems: string[]) => {
          throw new Error(
            `${what}:\n  ${problems.join("\n  ")}\n\nscenario ${JSON.stringify(scenario)}\ntrace:\n  ${m.trace.join("\n  ")}`,
          );
        };
        for (const [i, command] of commands.entries()) {
          const { line, serverError } = await runCommand(m, command);
          m.trace.push(`#${i} ${line}`);
          const problems = await stepViolations(m, history);
          if (serverError) problems.push("(0) a step with no fault answered 5xx or threw");
          if (problems.length > 0) fail(`after step #${i}`, problems);
        }
        const settling = await settleEverything(m);
        const problems = [
          ...settling,
          ...(await stepViolations(m, history)),
          ...(await settledViolations(m)),
        ];
        if (problems.length > 0) fail("once everything settled", problems);
        for (const path of await reachedPaths(m)) reached.set(path, (reached.get(path) ?? 0) + 1);
        // biome-ignore lint/suspicious/noConsole: VITE_CHECKOUT_MODEL_VERBOSE asks for every trace
        if (VERBOSE) console.log(`scenario ${JSON.stringify(scenario)}\n  ${m.trace.join("\n  ")}`);
        modelClock.stop();
      });
      const details = await fc.check(property, {
        numRuns: NUM_RUNS,
        examples: FOUND,
        ...(SEED === undefined ? {} : { seed: Number(SEED) }),
        ...(PATH === undefined ? {} : { path: PATH }),
      });
      if (VERBOSE) {
        const counts = [...reached].sort(([a], [b]) => a.localeCompare(b)).map(([p, n]) => `${p}: ${n}`);
        // biome-ignore lint/suspicious/noConsole: the paths the sequences reached, for VERBOSE runs
        console.log(`audit actions reached over ${details.numRuns} sequences:\n  ${counts.join("\n  ")}`);
      }
      if (details.failed) {
        throw new Error(
          `${fc.defaultReportMessage(details)}\n\n${String(details.errorInstance)}\n\nReplay: VITE_CHECKOUT_MODEL_SEED=${details.seed} VITE_CHECKOUT_MODEL_PATH=${details.counterexamplePath}`,
        );
      }
    },
    60_000 + NUM_RUNS * 5_000,
  );

  it("the invariants are not vacuous: they see an order paid without its payment, access without a paid order, and money kept without access", async () => {
    modelClock.start();
    const m = await modelWorld({ stock: 2, buyers: 2, restockOnRefund: false }, { disputes: MODEL_DISPUTES });
    const history = newHistory();
    await runCommand(m, { kind: "create", buyer: 0, card: "visa", quantity: 1 });
    await runCommand(m, { kind: "create", buyer: 1, card: "none", quantity: 1 });
    expect(await stepViolations(m, history)).toEqual([]);
    const [paid, pending] = m.attempts;
    if (paid === undefined || pending === undefined) throw new Error("two checkouts expected");
    // Written behind the worker's back: the unpaid order marked paid (and back), access copied to it,
    // then the paid order's access revoked.
    await db.update(orders).set({ status: "paid" }).where(eq(orders.id, pending.orderId));
    const seen = await stepViolations(m, history);
    expect(seen.filter((p) => p.startsWith("(1)"))).toHaveLength(1);
    expect(seen.some((p) => p.startsWith("(3)"))).toBe(true);
    expect(seen.some((p) => p.startsWith("(6)"))).toBe(true);
    await db.update(orders).set({ status: "pending" }).where(eq(orders.id, pending.orderId));
    expect(await stepViolations(m, history)).toEqual([
      `(4) order ${pending.orderId} was paid and is now pending`,
    ]);
    // The paid order's entitlement copied onto the unpaid one.
    const [grant] = await db.select().from(entitlements).where(eq(entitlements.sourceId, paid.orderId));
    if (grant === undefined) throw new Error("the paid order granted nothing");
    await db.insert(entitlements).values({ ...grant, id: `${grant.id}_copy`, sourceId: pending.orderId });
    expect((await stepViolations(m, history)).filter((p) => p.startsWith("(2)"))).toHaveLength(1);
    await db.delete(entitlements).where(eq(entitlements.id, `${grant.id}_copy`));
    await db
      .update(entitlements)
      .set({ revokedAt: Date.now() })
      .where(eq(entitlements.sourceId, paid.orderId));
    expect(await settleEverything(m)).toEqual([]);
    const settled = await settledViolations(m);
    expect(settled).toHaveLength(1);
    expect(settled[0]).toMatch(/^\(5\) payment pi_\w+ \(2000 usd\) was kept, but order .* and no access$/);
  });
});
