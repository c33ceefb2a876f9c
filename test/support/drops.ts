import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { api } from "./api";
import { createDrop } from "./fixtures";
import type { Tenant } from "./tenants";

export const inventoryOf = (dropId: string) => env.DROP_INVENTORY.get(env.DROP_INVENTORY.idFromName(dropId));

/** A drop created through the admin API (so D1 and its object both know it); answers its id. */
export const liveDrop = async (tenant: Tenant, terms: Record<string, unknown>): Promise<string> =>
  (await createDrop(tenant, terms)).id;

let counter = 0;
export const uniqueKey = (label = "k") => `${label}-${Date.now()}-${counter++}`;

export const reserveVia = (
  dropId: string,
  options: { buyer?: string; key?: string; quantity?: number; allowPartial?: boolean } = {},
) =>
  api("POST", `/v1/drops/${dropId}/holds`, {
    headers: {
      "buyer-id": options.buyer ?? uniqueKey("buyer"),
      "idempotency-key": options.key ?? uniqueKey(),
    },
    body: { quantity: options.quantity ?? 1, ...(options.allowPartial ? { allow_partial: true } : {}) },
  });

/** The object's own counters, uncached, after asserting every ledger invariant. */
export async function expectInvariants(dropId: string) {
  const stub = inventoryOf(dropId);
  expect(await stub.selfCheck()).toEqual([]);
  const snapshot = await stub.snapshot();
  if (snapshot === null) throw new Error(`drop ${dropId} is not configured`);
  expect(snapshot.available + snapshot.held + snapshot.sold).toBe(snapshot.stock);
  expect(snapshot.available).toBeGreaterThanOrEqual(0);
  return snapshot;
}
