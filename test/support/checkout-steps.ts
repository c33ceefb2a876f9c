/**
 * How each command of the checkout model test runs against the world (checkout-model.ts): worker
 * steps through the app with the armed fault, buyers' and banks' moves at the Stripe fake directly.
 */
import { env } from "cloudflare:workers";
import { checkoutIds } from "../../src/checkout/store";
import type { Json } from "./api";
import { CARDS, type Command, type Pick } from "./checkout-commands";
import { type Attempt, HOLD_TTL_SECONDS, type Model, modelClock } from "./checkout-model";
import { describeFault, faultyD1, withStripeFault } from "./faults";

type Outcome = { status: number; body: Json } | { skipped: string } | { done: string } | { threw: string };
type Result = { outcome: Outcome; fault: string | null };

/** A worker step takes the armed fault (steps outside the worker leave it armed for the next one). */
async function workerStep(m: Model, run: (db: D1Database) => Promise<Outcome>): Promise<Result> {
  const fault = m.armed;
  m.armed = null;
  const attempt = async (db: D1Database): Promise<Outcome> => {
    try {
      return await run(db);
    } catch (error) {
      return { threw: String(error) };
    }
  };
  if (fault === null) return { outcome: await attempt(env.DB), fault: null };
  if (fault.kind === "d1") {
    const faulty = faultyD1(env.DB, fault);
    const outcome = await attempt(faulty.binding);
    const tripped = faulty.tripped();
    return { outcome, fault: tripped ?? `${describeFault(fault)} never reached: ${faulty.calls()} D1 calls` };
  }
  const before = m.fake.requests.length;
  const outcome = await withStripeFault(m.fake, fault, () => attempt(env.DB));
  const reached = Math.min(fault.times, m.fake.requests.length - before);
  const hit = reached > 0 ? `${reached} request(s) hit` : "never reached: no Stripe request";
  return { outcome, fault: `${describeFault(fault)}, ${hit}` };
}

/** The attempt a command names, among those it can act on (so few commands are wasted on no-ops). */
function chosen(m: Model, index: Pick, usable: (a: Attempt) => boolean = () => true) {
  const candidates = m.attempts.filter(usable);
  return candidates.length === 0 ? undefined : candidates[index % candidates.length];
}

const withPayment = (m: Model) => (a: Attempt) => m.intentOf(a) !== undefined;

function shown({ outcome, fault }: Result): string {
  const text =
    "status" in outcome
      ? `${outcome.status}${outcome.body?.status ? ` ${outcome.body.status}` : ""}${outcome.status >= 400 ? ` ${outcome.body?.title ?? ""}: ${outcome.body?.detail ?? ""}` : ""}`
      : "threw" in outcome
        ? `threw ${outcome.threw.slice(0, 300)}`
        : "skipped" in outcome
          ? `skipped (${outcome.skipped})`
          : outcome.done;
  return `${text}${fault ? ` [fault: ${fault}]` : ""}`;
}

/** A worker step failed as a server fails (5xx, or threw). `busy` allows the documented 503 retry. */
function failedOnItsOwn({ outcome, fault }: Result, busy: boolean): boolean {
  if (fault !== null && !fault.includes("never reached")) return false;
  if ("threw" in outcome) return true;
  return "status" in outcome && outcome.status >= 500 && !(busy && outcome.status === 503);
}

/** Runs one command. Answers a line for the trace, and whether a step with no fault failed as a server. */
export async function runCommand(
  m: Model,
  command: Command,
): Promise<{ line: string; serverError: boolean }> {
  if (command.kind === "race") {
    // Both at once, interleaving at every await (D1, the drop's object, Stripe), as two requests would.
    const [a, b] = await Promise.all(command.steps.map((step) => dispatch(m, step)));
    if (a === undefined || b === undefined) throw new Error("a race has two steps");
    return {
      line: `race ${JSON.stringify(command.steps[0])} → ${shown(a)}\n       with ${JSON.stringify(command.steps[1])} → ${shown(b)}`,
      serverError: failedOnItsOwn(a, true) || failedOnItsOwn(b, true),
    };
  }
  const result = await dispatch(m, command);
  return {
    line: `${JSON.stringify(command)} → ${shown(result)}`,
    serverError: failedOnItsOwn(result, false),
  };
}

const done = (text: string): Result => ({ outcome: { done: text }, fault: null });
const skipped = (why: string): Result => ({ outcome: { skipped: why }, fault: null });

async function dispatch(m: Model, c: Command): Promise<Result> {
  switch (c.kind) {
    case "crash":
      m.armed = c.fault;
      return done(`armed ${describeFault(c.fault)}`);
    case "tick":
      modelClock.advance(c.seconds * 1000);
      return done(`+${c.seconds}s`);
    case "lapse":
      // A hold taken (or extended) now ends one TTL from now: past that, every hold has lapsed.
      modelClock.advance((HOLD_TTL_SECONDS + 1) * 1000);
      return done("holds lapsed");
    case "race":
      return skipped("races do not nest");
    case "create":
      return workerStep(m, (db) => create(m, db, c));
    case "retry_create": {
      const a = chosen(m, c.checkout);
      if (a === undefined) return skipped("no checkout yet");
      return workerStep(m, (db) => send(m, db, a));
    }
    case "confirm": {
      const a = chosen(m, c.checkout, (x) => x.secret !== null);
      const secret = a?.secret;
      if (a === undefined || secret == null) return skipped("no checkout secret");
      const body = JSON.stringify(c.card === "none" ? {} : { payment_method: CARDS[c.card] });
      return workerStep(m, (db) =>
        m.call(db, "POST", `/v1/checkouts/${a.checkoutId}/confirm`, body, { "checkout-secret": secret }),
      );
    }
    case "deliver": {
      if (m.fake.events.length === 0) return skipped("no events yet");
      const index = c.event % m.fake.events.length;
      return workerStep(m, async (db) => (await m.deliver(db, index)) ?? { skipped: "no event" });
    }
    case "sweep":
      return workerStep(m, async (db) => ({ done: `swept ${JSON.stringify(await m.sweep(db))}` }));
    case "refund": {
      const a = chosen(m, c.checkout, withPayment(m));
      if (a === undefined) return skipped("no payment to refund");
      return workerStep(m, (db) =>
        m.call(db, "POST", `/v1/orders/${a.orderId}/refund`, "{}", {
          authorization: `Bearer ${m.tenant.key}`,
        }),
      );
    }
    case "pay_at_stripe":
    case "authenticate":
    case "dispute":
    case "resolve_dispute":
      try {
        return { outcome: await atStripe(m, c), fault: null };
      } catch (error) {
        // Stripe refusing a buyer's move (confirming a finished payment…) is the buyer's problem, not ours.
        return done(`refused at Stripe: ${String(error).slice(0, 120)}`);
      }
  }
}

/** What buyers and their banks do at Stripe, without the worker. */
async function atStripe(
  m: Model,
  c: Extract<Command, { kind: "pay_at_stripe" | "authenticate" | "dispute" | "resolve_dispute" }>,
): Promise<Outcome> {
  const a = chosen(m, c.checkout, withPayment(m));
  const pi = a === undefined ? undefined : m.intentOf(a);
  if (pi === undefined) return { skipped: "no payment at Stripe" };
  if (c.kind === "pay_at_stripe") {
    const paid = await m.provider.confirm(pi.id, {
      paymentMethod: CARDS[c.card],
      idempotencyKey: `stripe-js-${crypto.randomUUID()}`,
    });
    return { done: `payment ${paid.status}` };
  }
  if (c.kind === "authenticate") {
    if (pi.status !== "requires_action") return { skipped: `payment is ${pi.status}` };
    m.fake.authenticate(pi.id, c.outcome);
    return { done: `3-D Secure ${c.outcome}` };
  }
  if (!m.options.disputes) return { skipped: "disputes not modelled (MODEL_DISPUTES off)" };
  const open = m.fake.disputes().find((d) => d.payment_intent === pi.id);
  if (c.kind === "dispute") {
    if (open !== undefined) return { skipped: "already disputed" };
    if (pi.status !== "succeeded") return { skipped: `payment is ${pi.status}` };
    m.fake.dispute(pi.id, c.caseType);
    return { done: `${c.caseType} opened` };
  }
  if (c.kind !== "resolve_dispute") return { skipped: "not a Stripe move" };
  if (open === undefined || ["won", "lost", "warning_closed"].includes(open.status)) {
    return { skipped: "no open dispute" };
  }
  return { done: `dispute ${m.fake.resolveDispute(open.id, c.evidence).status}` };
}

async function create(m: Model, db: D1Database, c: Extract<Command, { kind: "create" }>): Promise<Outcome> {
  const buyer = m.buyers[c.buyer % m.buyers.length];
  if (buyer === undefined) return { skipped: "no buyer" };
  // The quote is not what is under test: it goes through the real database whatever the fault.
  const quoted = await m.call(
    env.DB,
    "POST",
    "/v1/quotes",
    JSON.stringify({ offer_id: m.drop.offerId, drop_id: m.drop.id, quantity: c.quantity }),
    { "buyer-id": buyer.id },
  );
  if (quoted.status !== 201) return { skipped: `quote answered ${quoted.status}` };
  const key = `model-${crypto.randomUUID()}`;
  const ids = await checkoutIds(m.tenant.creatorId, key, quoted.body.id);
  const body = {
    quote: quoted.body.token,
    email: buyer.email,
    ...(c.card === "none" ? {} : { payment_method: CARDS[c.card] }),
  };
  const attempt: Attempt = { buyer: c.buyer, key, body, ...ids, secret: null };
  m.attempts.push(attempt);
  return send(m, db, attempt);
}

async function send(m: Model, db: D1Database, a: Attempt): Promise<Outcome> {
  const buyer = m.buyers[a.buyer % m.buyers.length];
  const res = await m.call(db, "POST", "/v1/checkouts", JSON.stringify(a.body), {
    "buyer-id": buyer?.id ?? "",
    "idempotency-key": a.key,
  });
  if (typeof res.body?.secret === "string") a.secret = res.body.secret;
  return res;
}
