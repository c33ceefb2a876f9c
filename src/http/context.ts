import type { Context } from "hono";
import type { TenantContext } from "../context";
import { type Db, runBatch } from "../db/client";
import type { Clock } from "../lib/time";
import { completionWrites, type IdempotencyClaim } from "./idempotency";

/** Who is calling: the creator an API key belongs to, and an actor string for the audit log. */
export interface Tenant {
  creatorId: string;
  actor: string;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    db: Db;
    clock: Clock;
    tenant: Tenant;
    idempotency: IdempotencyClaim | undefined;
  };
}

export function tenantContext(c: Context<AppEnv>): TenantContext {
  const db = c.var.db;
  const claim = c.var.idempotency;
  return {
    ...c.var.tenant,
    db,
    now: c.var.clock.now(),
    commit: async (writes, result) => {
      await runBatch(db, claim ? [...completionWrites(db, claim, result), ...writes] : writes);
      if (claim) claim.completed = true;
    },
  };
}
