import type { Context } from "hono";
import type { CheckoutContext } from "../checkout/create";
import type { Config } from "../config";
import type { BuyerContext, TenantContext } from "../context";
import { type Db, database, type Write } from "../db/client";
import type { ApiKeyKind } from "../db/schema";
import { entitlementKeys } from "../entitlements/keys";
import type { EntitlementContext, TokenContext, TokenIssuer } from "../entitlements/verbs";
import type { InventoryGateway } from "../inventory/gateway";
import type { Clock } from "../lib/time";
import { type PaymentsFactory, subscriptionProvider } from "../payments";
import type { ProviderEvent } from "../payments/provider";
import type { RenewalContext } from "../subscriptions/renewals";
import { claimLost, completionWrites, type IdempotencyClaim, stillHeld } from "./idempotency";

/** Who is calling: the creator an API key belongs to, and an actor string for the audit log. */
export interface Tenant {
  creatorId: string;
  actor: string;
  /** The key that authenticated the request (absent for a dashboard session or an internal caller). */
  keyId?: string;
  kind?: ApiKeyKind;
  scopes?: string[];
}

/**
 * Per-request variables. Read them with `c.get(name)`, not `c.var.name`: Hono builds a fresh object of
 * every variable on each `c.var` read, which showed up in the hot pricing route's profile.
 */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: Db;
    inventory: InventoryGateway;
    clock: Clock;
    config: Config;
    tenant: Tenant;
    /** Set by optionalApiKey: the creator whose key was sent, or null for an anonymous buyer. */
    caller: Tenant | null;
    idempotency: IdempotencyClaim | undefined;
    /** Builds the request's payment provider: Stripe or the sandbox, or a test's own. */
    payments: PaymentsFactory;
  };
}

export function tenantContext(c: Context<AppEnv>): TenantContext {
  return {
    ...c.get("tenant"),
    db: c.get("db"),
    inventory: c.get("inventory"),
    now: c.get("clock").now(),
    commit: commitWith(c.get("db"), c.get("idempotency")),
  };
}

/** Parsed entitlement keys (imported once per isolate) and the configured issuer and token lifetime. */
export async function tokenIssuer(c: Context<AppEnv>): Promise<TokenIssuer> {
  const config = c.get("config");
  return {
    keys: await entitlementKeys(config.ENTITLEMENT_SIGNING_KEYS),
    settings: { issuer: config.ENTITLEMENT_ISSUER, ttlSeconds: config.ENTITLEMENT_TOKEN_TTL_SECONDS },
  };
}

export const tokenContext = async (c: Context<AppEnv>): Promise<TokenContext> => ({
  db: c.get("db"),
  now: c.get("clock").now(),
  issuer: await tokenIssuer(c),
});

export const entitlementContext = async (c: Context<AppEnv>): Promise<EntitlementContext> => ({
  ...tenantContext(c),
  issuer: await tokenIssuer(c),
});

/** For checkout routes: the payment provider (the sandbox's events queued for this request) and tokens. */
export async function checkoutContext(c: Context<AppEnv>): Promise<CheckoutContext> {
  const [db, clock] = [c.get("db"), c.get("clock")];
  const emitted: ProviderEvent[] = [];
  return {
    db,
    inventory: c.get("inventory"),
    now: clock.now(),
    provider: c.get("payments")(c.get("config"), db, {
      now: () => clock.now(),
      emit: (e) => emitted.push(e),
    }),
    tokens: await tokenContext(c),
    payoutsMode: c.get("config").PAYOUTS_MODE,
    emitted,
    commit: commitWith(db, c.get("idempotency")),
  };
}

/**
 * For public reads that may be a little behind (a price: what a checkout charges is the signed quote):
 * the database through a D1 session that may read from a nearby replica once read replication is on
 * (docs/placement.md). One session per isolate: its reads never go back in time, and building a session
 * and its drizzle instance per request cost more than the route's own work.
 */
export const replicaBuyerContext = (c: Context<AppEnv>): BuyerContext => ({
  ...buyerContext(c),
  db: replicaOf(c.env.DB),
});

const replicas = new WeakMap<D1Database, Db>();

function replicaOf(d1: D1Database): Db {
  let db = replicas.get(d1);
  if (db === undefined) {
    // drizzle's D1 driver calls only prepare() and batch(), which a session has.
    db = database(d1.withSession("first-unconstrained") as unknown as D1Database);
    replicas.set(d1, db);
  }
  return db;
}

export const buyerContext = (c: Context<AppEnv>): BuyerContext => ({
  db: c.get("db"),
  inventory: c.get("inventory"),
  now: c.get("clock").now(),
});

/**
 * TenantContext.commit: one D1 batch, carrying the idempotent response when there is a claim. A batch
 * refused because a retry took the claim over answers 409, as the retry's own request would.
 */
export const commitWith =
  (db: Db, claim: IdempotencyClaim | undefined) =>
  async (writes: Write[], result: unknown): Promise<unknown[]> => {
    if (!claim) return batchOf(db, writes);
    let results: unknown[];
    try {
      results = await batchOf(db, [...completionWrites(db, claim, result), ...writes]);
    } catch (error) {
      if (!(await stillHeld(db, claim))) throw claimLost();
      throw error;
    }
    claim.completed = true;
    // The writes' own results, in order, after the two statements that store the response.
    return results.slice(2);
  };

const batchOf = async (db: Db, writes: Write[]): Promise<unknown[]> => {
  const [first, ...rest] = writes;
  return first === undefined ? [] : db.batch([first, ...rest]);
};

/** For subscription routes: the provider renewals and resumes charge through (its events not needed). */
export const renewalContext = (c: Context<AppEnv>, actor: string): RenewalContext => {
  const db = c.get("db");
  const { provider, disputed } = subscriptionProvider(c.get("config"), db, c.get("payments"), () =>
    c.get("clock").now(),
  );
  return {
    db,
    now: c.get("clock").now(),
    provider,
    disputed,
    actor,
    payoutsMode: c.get("config").PAYOUTS_MODE,
  };
};

/**
 * For a write whose verb lands its own batches: stores the answer under the request's Idempotency-Key
 * once it is known, so a retry replays it (nothing to store without a key). Answers `result`.
 */
export async function storeAnswer<T>(c: Context<AppEnv>, result: T): Promise<T> {
  await commitWith(c.get("db"), c.get("idempotency"))([], result);
  return result;
}
