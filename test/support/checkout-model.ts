/**
 * The checkout model test against the real worker (test/integration/checkout.model.test.ts): random
 * command sequences driven through the real app, real D1 and the real drop objects, with Stripe reached
 * through the official SDK against the local fake. This file holds the world; checkout-commands.ts the
 * commands, checkout-steps.ts how each runs, checkout-invariants.ts what must stay true after each.
 *
 * One clock drives everything: the isolate's `Date` is faked (vitest fake timers, `Date` only), so the
 * app's clock, the Stripe fake, the sweep and the drop objects (which read `Date.now()` themselves, in
 * this same isolate) all see the same instant, and it moves only when a command moves it.
 */
import { env } from "cloudflare:workers";
import { vi } from "vitest";
import { buildApp } from "../../src/app";
import { sweepCheckouts } from "../../src/checkout/sweep";
import { database } from "../../src/db/client";
import { inventoryGateway } from "../../src/inventory/gateway";
import type { Clock } from "../../src/lib/time";
import type { ProviderEvent } from "../../src/payments/provider";
import { createStripeProvider } from "../../src/payments/stripe";
import type { Json } from "./api";
import type { Scenario } from "./checkout-commands";
import type { Fault } from "./faults";
import { createDrop } from "./fixtures";
import { createStripeFake } from "./stripe-fake";
import { createTenant, type Tenant } from "./tenants";

const WEBHOOK_SECRET = "whsec_checkoutmodel";
export const HOLD_TTL_SECONDS = 60;

// --- the clock --------------------------------------------------------------------------------------

let furthest = 0;
/** The isolate's `Date`, faked and moved by hand; it never goes back, across sequences too. */
export const modelClock: Clock & { start(): void; advance(ms: number): void; stop(): void } = {
  now: () => Date.now(),
  start() {
    vi.useFakeTimers({ toFake: ["Date"], now: Math.max(Date.now(), furthest) });
  },
  advance(ms) {
    furthest = Date.now() + ms;
    vi.setSystemTime(furthest);
  },
  stop: () => vi.useRealTimers(),
};

// --- the world --------------------------------------------------------------------------------------

/** One checkout a buyer opened (or tried to): enough to retry, confirm, pay or refund it. */
export interface Attempt {
  buyer: number;
  key: string;
  body: Record<string, unknown>;
  checkoutId: string;
  orderId: string;
  /** From the create's answer; null while no answer reached the buyer. */
  secret: string | null;
}

export type Model = Awaited<ReturnType<typeof modelWorld>>;

/** A fresh creator, a small drop, its buyers, and the app wired to a fresh Stripe fake. */
export async function modelWorld(scenario: Scenario, options: { disputes: boolean }) {
  const fake = createStripeFake({ now: modelClock.now });
  const provider = createStripeProvider({
    secretKey: "sk_test_checkoutmodel",
    apiBase: fake.apiBase,
    fetch: fake.fetch,
    sleep: async () => {},
  });
  const app = buildApp({ clock: modelClock, payments: () => provider });
  const bindings = {
    ...env,
    STRIPE_SECRET_KEY: "sk_test_checkoutmodel",
    STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
  };
  const tenant: Tenant = await createTenant();
  const drop = await createDrop(tenant, {
    stock: scenario.stock,
    hold_ttl_seconds: HOLD_TTL_SECONDS,
    restock_on_refund: scenario.restockOnRefund,
  });
  const buyers = Array.from({ length: scenario.buyers }, (_, i) => {
    const id = `model-${i}-${crypto.randomUUID()}`;
    return { id, email: `${id}@example.test` };
  });

  /** One request through the app; work it defers (webhook handling) is awaited before it returns. */
  async function call(
    db: D1Database,
    method: string,
    path: string,
    body: string | undefined,
    headers: Record<string, string>,
  ): Promise<{ status: number; body: Json }> {
    const deferred: Promise<unknown>[] = [];
    const ctx = {
      waitUntil: (p: Promise<unknown>) => void deferred.push(p),
      passThroughOnException() {},
      props: {},
    };
    const res = await app.fetch(
      new Request(`http://api.test${path}`, {
        method,
        headers: { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers },
        body,
      }),
      { ...bindings, DB: db },
      ctx as unknown as ExecutionContext,
    );
    // Deferred work that fails is the worker's own business (the inbox retries it); it must not hide.
    await Promise.allSettled(deferred);
    const text = await res.text();
    return { status: res.status, body: text.length > 0 ? JSON.parse(text) : null };
  }

  return {
    scenario,
    options,
    fake,
    provider,
    tenant,
    drop: { id: drop.id as string, offerId: drop.offer_id as string },
    buyers,
    attempts: [] as Attempt[],
    /** Events the worker answered 2xx to; Stripe redelivers any other until it does. */
    acknowledged: new Set<string>(),
    armed: null as Fault | null,
    trace: [] as string[],
    call,
    /** Delivers one event as Stripe would, signed for now. */
    async deliver(db: D1Database, eventIndex: number) {
      const event = fake.events[eventIndex];
      if (event === undefined) return null;
      const delivery = await fake.signedDelivery(event, WEBHOOK_SECRET);
      const res = await call(db, "POST", "/v1/webhooks/stripe", delivery.body, delivery.headers);
      if (res.status < 300) this.acknowledged.add(event.id);
      return res;
    },
    /** The minute cron with this world's provider, at the current instant. */
    async sweep(d1: D1Database) {
      const db = database(d1);
      const emitted: ProviderEvent[] = [];
      const ctx = {
        db,
        inventory: inventoryGateway(env.DROP_INVENTORY, db),
        provider,
        now: modelClock.now(),
        emitted,
      };
      return sweepCheckouts(ctx);
    },
    /** The PaymentIntent Stripe holds for an attempt's checkout (found even if its create's answer was lost). */
    intentOf(attempt: Attempt) {
      return fake.paymentIntents().find((pi) => pi.metadata.checkout_id === attempt.checkoutId);
    },
  };
}
