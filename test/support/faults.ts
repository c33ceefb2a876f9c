/**
 * Faults injected at the worker's edges, for crash tests: a D1 binding that fails its k-th call, and a
 * Stripe fault queued on the fake for one step only. Both are the real thing underneath (the real D1,
 * the fake's own fault queue); nothing of ours is mocked.
 */
import type { StripeFake } from "./stripe-fake";

/**
 * How the k-th D1 call of a step fails:
 * - `crash`: it and every later call of the step fail, as when the worker dies at that point (nothing
 *   after it reaches D1; what ran before has landed).
 * - `blip`: only that call fails, before reaching D1 (a dropped connection); later calls work.
 * - `lost_answer`: that call runs and lands in D1, then its answer is lost (the worker sees an error).
 * - `die_after`: that call lands, then the worker dies: its answer is lost and every later call fails.
 */
export type D1FaultMode = "crash" | "blip" | "lost_answer" | "die_after";

export interface D1Fault {
  kind: "d1";
  /**
   * 0-based index among the step's D1 calls that reach the database (batch, first, all, run, raw,
   * exec), counting every call (`any`) or only the writes (`write`: batches, and statements that are
   * not a SELECT), which aims the fault between two writes.
   */
  at: number;
  counting: "any" | "write";
  mode: D1FaultMode;
}

export interface StripeFault {
  kind: "stripe";
  /** `network_after`: Stripe does the work, the answer is lost; `network_before`: nothing happens there. */
  fault: "network_after" | "network_before";
  /** How many of the step's Stripe requests meet it, from its first (4 outlasts the provider's retries). */
  times: number;
}

export type Fault = D1Fault | StripeFault;

const STATEMENT_CALLS = new Set<PropertyKey>(["first", "all", "run", "raw"]);

/** A callable property of `target`, bound to it (workerd's D1 objects refuse a Proxy as `this`). */
function bound(target: object, prop: PropertyKey): unknown {
  const value = Reflect.get(target, prop, target);
  return typeof value === "function" ? value.bind(target) : value;
}

/**
 * The real D1 binding, except that its calls are counted and the one at `fault.at` fails as
 * `fault.mode` says. Counting covers every call that reaches the database: `batch()` counts once, as
 * does each statement's `first`/`all`/`run`/`raw` and `exec`; `prepare` and `bind` are local and not
 * counted (a throw there is the same as a throw at the call that would have sent the statement).
 */
export function faultyD1(real: D1Database, fault: D1Fault) {
  let calls = 0;
  let counted = 0;
  let dead = false;
  let tripped: string | null = null;

  async function gate<T>(what: string, write: boolean, run: () => Promise<T>): Promise<T> {
    calls += 1;
    const index = fault.counting === "any" || write ? counted++ : null;
    const failing = dead || index === fault.at;
    if (!failing) return run();
    const landing = !dead && (fault.mode === "lost_answer" || fault.mode === "die_after");
    if (fault.mode === "crash" || fault.mode === "die_after") dead = true;
    tripped ??= `${fault.mode} at D1 ${fault.counting === "write" ? "write" : "call"} ${index} (${what})`;
    if (landing) await run();
    throw new Error(`D1_ERROR: Network connection lost. (test fault: ${tripped})`);
  }

  return {
    binding: gatedD1(real, gate),
    /** D1 calls the step made through this binding. */
    calls: () => calls,
    /** What failed, or null when the step never reached the fault's call. */
    tripped: () => tripped,
  };
}

/**
 * The real D1 binding, counting round trips: `sequential` is how many times a call started while no
 * other was in flight (calls made side by side share one), `calls` every call, and `provider` the calls
 * that only the sandbox payment provider makes (its tables stand in for Stripe's API, not for ours).
 */
export function countingD1(real: D1Database) {
  let inFlight = 0;
  const seen = { sequential: 0, calls: 0, provider: 0, queries: [] as string[] };
  async function gate<T>(what: string, _write: boolean, run: () => Promise<T>): Promise<T> {
    if (inFlight === 0) seen.sequential += 1;
    seen.calls += 1;
    if (/sandbox_/.test(what)) seen.provider += 1;
    seen.queries.push(what);
    inFlight += 1;
    try {
      return await run();
    } finally {
      inFlight -= 1;
    }
  }
  return { binding: gatedD1(real, gate, 400), seen };
}

type Gate = <T>(what: string, write: boolean, run: () => Promise<T>) => Promise<T>;

/**
 * The real D1 binding with every call that reaches the database passed through `gate`: `batch()` once,
 * as each statement's `first`/`all`/`run`/`raw` and `exec`; `prepare` and `bind` are local and not
 * counted. `describe` is how much of a statement's SQL names it.
 */
function gatedD1(real: D1Database, gate: Gate, describe = 40): D1Database {
  const unwrapped = new WeakMap<object, D1PreparedStatement>();
  const wrap = (statement: D1PreparedStatement, query: string): D1PreparedStatement => {
    const write = !/^\s*select\b/i.test(query);
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrap(target.bind(...values), query);
        if (STATEMENT_CALLS.has(prop)) {
          const call = bound(target, prop) as (...args: unknown[]) => Promise<unknown>;
          return (...args: unknown[]) =>
            gate(`${String(prop)} ${query.slice(0, describe)}`, write, () => call(...args));
        }
        return bound(target, prop);
      },
    });
    unwrapped.set(proxy, statement);
    sql.set(proxy, query);
    return proxy;
  };
  const sql = new WeakMap<object, string>();
  return new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrap(target.prepare(query), query);
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) =>
          gate(
            `batch of ${statements.length}: ${statements.map((s) => (sql.get(s) ?? "").slice(0, describe)).join(" | ")}`,
            true,
            () => target.batch(statements.map((s) => unwrapped.get(s) ?? s)),
          );
      }
      if (prop === "exec") return (query: string) => gate("exec", true, () => target.exec(query));
      return bound(target, prop);
    },
  });
}

/**
 * Runs `step` with `fault` queued on the fake for its first `times` Stripe requests. Faults the step
 * did not use are drained afterwards, so they never leak into a later step.
 */
export async function withStripeFault<T>(fake: StripeFake, fault: StripeFault, step: () => Promise<T>) {
  const before = fake.requests.length;
  fake.failNext({ kind: fault.fault }, fault.times);
  try {
    return await step();
  } finally {
    const unused = fault.times - (fake.requests.length - before);
    for (let i = 0; i < unused; i++) {
      // A request to a route the fake does not serve takes the next queued fault and changes nothing.
      await fake
        .fetch(`${fake.apiBase}/v1/drain_unused_fault`, {
          headers: { authorization: "Bearer sk_test_drain" },
        })
        .catch(() => undefined);
    }
  }
}

export const describeFault = (fault: Fault): string =>
  fault.kind === "d1"
    ? `D1 ${fault.mode} at ${fault.counting === "write" ? "write" : "call"} ${fault.at}`
    : `Stripe ${fault.fault} ×${fault.times}`;
