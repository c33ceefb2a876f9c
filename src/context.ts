import type { Db, Write } from "./db/client";
import type { InventoryGateway } from "./inventory/gateway";

/** What a domain verb gets: storage, the caller, the time, and one way to land its writes. */
export interface TenantContext {
  db: Db;
  inventory: InventoryGateway;
  creatorId: string;
  /** Who acts, for the audit log: `api_key:<id>`, `seed`, `system`. */
  actor: string;
  now: number;
  /**
   * Lands `writes` as one D1 batch. When the request carries an Idempotency-Key, the stored response
   * (`result`) is written in the same batch, so a replay can never describe rows that do not exist.
   */
  commit(writes: Write[], result: unknown): Promise<unknown>;
}

/** The arguments every domain verb takes. */
export interface Call<Input, Ctx = TenantContext> {
  ctx: Ctx;
  input: Input;
}

/** What a buyer-facing verb gets: no tenant, since buyers are anonymous or members, not API keys. */
export interface BuyerContext {
  db: Db;
  inventory: InventoryGateway;
  now: number;
}
