/** The reference POS client wired to the real worker, and what its tests read back. */
import { exports } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { base64url } from "jose";
import { expect } from "vitest";
import { createPosClientWithAllotments, memoryAllotmentStorage } from "../../clients/pos/allotments";
import {
  type BatchPayload,
  type BufferedItem,
  createPosClient,
  type FetchLike,
  memoryStorage,
  type NewPosItem,
  type PosClientOptions,
  PosSyncError,
} from "../../clients/pos/client";
import { entitlements, members, orders, posItemResults } from "../../src/db/schema";
import { createOffer, membershipTier } from "./fixtures";
import { posDevice, saleOf } from "./pos";
import { createTenant, db, type Tenant } from "./tenants";

/** The real worker, as the client's fetch. */
export const worker: FetchLike = (url, init) => exports.default.fetch(new Request(url, init));

/** The payload of an allotment claim, as the client signs it. */
export interface ClaimPayload {
  claim_id: string;
  signed_at: string;
  drop_id: string;
  quantity: number;
  hours?: number;
  allow_partial?: boolean;
}

/**
 * Records every batch and claim the client sends; `intercept` may answer instead of (or after) the
 * worker. `call` counts both kinds of request.
 */
export function wire(intercept?: (call: number, forward: () => Promise<Response>) => Promise<Response>) {
  const batches: BatchPayload[] = [];
  const claims: ClaimPayload[] = [];
  const fetch: FetchLike = async (url, init) => {
    const [, payload = ""] = String(init.body).split(".");
    const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(payload)));
    if (new URL(url).pathname === "/v1/pos/allotments") claims.push(decoded);
    else batches.push(decoded);
    const forward = () => worker(url, init);
    return intercept ? intercept(batches.length + claims.length, forward) : forward();
  };
  return { fetch, batches, claims };
}

export const problem = (status: number, detail: string) =>
  new Response(JSON.stringify({ type: "about:blank", title: "x", status, detail }), {
    status,
    headers: { "content-type": "application/problem+json" },
  });

export async function setup(limits: Record<string, unknown> = {}) {
  const tenant = await createTenant();
  const fan = await createOffer(tenant, membershipTier({ title: "Fan", tier_rank: 1 }));
  const vip = await createOffer(tenant, membershipTier({ title: "VIP", tier_rank: 2 }));
  const poster = await createOffer(tenant, {
    kind: "one_time",
    title: "Poster",
    prices: [{ currency: "USD", amount: 2000 }],
  });
  const device = await posDevice(tenant, limits);
  const storage = memoryStorage();
  const allotmentStorage = memoryAllotmentStorage();
  const sleeps: number[] = [];
  const clientOptions = (options: Partial<PosClientOptions>): PosClientOptions => ({
    baseUrl: "http://api.test/",
    deviceId: device.id,
    privateKey: device.privateKey,
    storage,
    fetch: worker,
    event: "spring-market",
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...options,
  });
  /** A client on the shared storage: a new one is what the app gets after a restart. */
  const client = (options: Partial<PosClientOptions> = {}) => createPosClient(clientOptions(options));
  /** The same, with allotments kept in their own shared storage. */
  const seller = (options: Partial<PosClientOptions> = {}) =>
    createPosClientWithAllotments({ ...clientOptions(options), allotmentStorage });
  return {
    tenant,
    device,
    storage,
    allotmentStorage,
    sleeps,
    client,
    seller,
    offers: { fan: fan.id as string, vip: vip.id as string, poster: poster.id as string },
  };
}

export const sale = (offerId: string, overrides: Partial<NewPosItem> = {}): NewPosItem => ({
  ...saleOf(offerId),
  ...overrides,
});

export async function rowsFor(tenant: Tenant) {
  const [memberRows, orderRows, grantRows, resultRows] = await Promise.all([
    db.select().from(members).where(eq(members.creatorId, tenant.creatorId)),
    db
      .select()
      .from(orders)
      .where(and(eq(orders.creatorId, tenant.creatorId), eq(orders.source, "pos"))),
    db
      .select()
      .from(entitlements)
      .where(and(eq(entitlements.creatorId, tenant.creatorId), eq(entitlements.sourceType, "pos"))),
    db.select().from(posItemResults).where(eq(posItemResults.creatorId, tenant.creatorId)),
  ]);
  return { members: memberRows, orders: orderRows, entitlements: grantRows, results: resultRows };
}

export const statuses = (items: BufferedItem[]) => items.map((b) => b.status);
export const landed = (b: BufferedItem) =>
  b.status === "accepted" || b.status === "duplicate" ? b : undefined;

export async function syncError(promise: Promise<unknown>): Promise<PosSyncError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PosSyncError);
  return error as PosSyncError;
}
