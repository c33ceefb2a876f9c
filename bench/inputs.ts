/**
 * The bench worker's input routes, all outside the timing: the fixture (creator, offer, drop, member),
 * refresh credentials, checkout quotes and signed POS batches.
 */

import { Hono } from "hono";
import { CompactSign } from "jose";
import type { buildApp } from "../src/app";
import { database, runBatch } from "../src/db/client";
import {
  creators,
  drops,
  entitlements,
  experimentArms,
  experiments,
  members,
  offerCountryPrices,
  offerPrices,
  offers,
  posDevices,
} from "../src/db/schema";
import { startFamily } from "../src/entitlements/refresh";
import { inventoryGateway } from "../src/inventory/gateway";
import { claimAllotment } from "../src/pos/allotments";
import type { BenchEnv } from "./worker";

/** The offer every bench drop sells (the catalog offer, off_bench, has no drop). */
const DROP_OFFER = "off_bench_drop";

/** The bench member: three entitlements, as the token issuance route and minting alone mint for. */
export const benchMember = {
  memberId: "mem_bench",
  creatorId: "cre_bench",
  version: 0,
  entitlements: ["off_bench", "backstage", "early-access"].map((key) => ({ key, expiresAt: null })),
};

// The bench's point-of-sale device: a key made once per isolate (kept resolved, never as a promise).
let benchDevice: { id: string; privateKey: CryptoKey } | undefined;
async function posDevice(db: ReturnType<typeof database>): Promise<{ id: string; privateKey: CryptoKey }> {
  if (benchDevice) return benchDevice;
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ])) as CryptoKeyPair;
  const { x } = (await crypto.subtle.exportKey("jwk", pair.publicKey)) as JsonWebKey;
  const id = `dev_bench_${Date.now().toString(36)}`;
  const now = Date.now();
  await db.insert(posDevices).values({
    id,
    creatorId: "cre_bench",
    name: "Bench tablet",
    publicJwk: JSON.stringify({ kty: "OKP", crv: "Ed25519", x }),
    maxUnitsPerTransaction: 10,
    maxOfflineUnits: 1_000_000_000,
    offlineWindowHours: 72,
    createdAt: now,
    updatedAt: now,
  });
  benchDevice = { id, privateKey: pair.privateKey };
  return benchDevice;
}

const signedBy = (device: { id: string; privateKey: CryptoKey }, payload: unknown) =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "EdDSA", kid: device.id })
    .sign(device.privateKey);

/** The input routes; `app` is the real app, which checkout quotes are made through. */
export function inputRoutes(app: ReturnType<typeof buildApp>): Hono<{ Bindings: BenchEnv }> {
  const bench = new Hono<{ Bindings: BenchEnv }>();
  /** `n` fresh refresh credentials for the bench member, one per line: the issuance route's inputs. */
  bench.post("/bench/sessions", async (c) => {
    const db = database(c.env.DB);
    const now = Date.now();
    const owner = { creatorId: "cre_bench", memberId: "mem_bench", audience: "cre_bench" };
    const families = await Promise.all(
      Array.from({ length: Number(c.req.query("n") ?? 64) }, () => startFamily(db, owner, now)),
    );
    await runBatch(
      db,
      families.map((f) => f.write),
    );
    return c.text(families.map((f) => f.credential.credential).join("\n"));
  });

  /**
   * `n` signed quotes for one unit of the bench drop, each for its own new buyer, one `buyer-id quote` pair
   * per line: the checkout route's inputs. Made through the real quote route, outside the timing.
   */
  bench.post("/bench/checkout-quotes", async (c) => {
    const n = Number(c.req.query("n") ?? 100);
    const dropId = c.req.query("drop") ?? "";
    const stamp = Date.now().toString(36);
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      const buyer = `bench-checkout-${stamp}-${i}`;
      const res = await app.fetch(
        new Request("http://bench.internal/v1/quotes", {
          method: "POST",
          headers: { "content-type": "application/json", "buyer-id": buyer, "buyer-country": "DE" },
          body: JSON.stringify({ offer_id: DROP_OFFER, drop_id: dropId, quantity: 1 }),
        }),
        c.env,
        c.executionCtx,
      );
      const quote = (await res.json()) as { token?: string };
      if (!res.ok || quote.token === undefined) return c.text(`quote refused: ${JSON.stringify(quote)}`, 500);
      lines.push(`${buyer} ${quote.token}`);
    }
    return c.text(lines.join("\n"));
  });

  /**
   * `n` signed reconcile batches of `size` new enrolments each (a new email and client id per item), one
   * JWS per line: the reconcile route's inputs, signed now (batches are refused 5 minutes after signing).
   * With `drop`, every item is a sale of that drop from an allotment the device claims here, up front.
   */
  bench.post("/bench/pos-batches", async (c) => {
    const [n, size] = [Number(c.req.query("n") ?? 10), Number(c.req.query("size") ?? 1)];
    const db = database(c.env.DB);
    const device = await posDevice(db);
    const dropId = c.req.query("drop");
    const allotmentId =
      dropId === undefined
        ? undefined
        : (
            await claimAllotment(
              { db, inventory: inventoryGateway(c.env.DROP_INVENTORY, db), now: Date.now() },
              await signedBy(device, {
                claim_id: crypto.randomUUID(),
                signed_at: new Date().toISOString(),
                drop_id: dropId,
                quantity: n * size,
              }),
            )
          ).allotment.id;
    const capturedAt = new Date(Date.now() - 60_000).toISOString();
    const lines: string[] = [];
    for (let b = 0; b < n; b++) {
      const items = Array.from({ length: size }, () => {
        const clientId = crypto.randomUUID();
        return {
          client_id: clientId,
          captured_at: capturedAt,
          email: `${clientId}@pos.bench`,
          // A drop's offer sells at the till only from an allotment; the catalog offer sells freely.
          offer_id: allotmentId ? DROP_OFFER : "off_bench",
          quantity: 1,
          amount: 1000,
          currency: "USD",
          payment: { method: "cash" },
          ...(allotmentId && { allotment_id: allotmentId }),
        };
      });
      const payload = {
        batch_id: crypto.randomUUID(),
        signed_at: new Date().toISOString(),
        event: "bench",
        items,
      };
      lines.push(await signedBy(device, payload));
    }
    return c.text(lines.join("\n"));
  });

  /**
   * One creator, two offers and a new drop with stock that a run cannot exhaust; answers the drop id.
   * `off_bench` is the catalog offer the pricing, quote and POS enrolment routes load: priced the way a
   * real one is (two currencies, a country price and a running two-arm experiment), so they do all of
   * their work, and without a drop, since an offer with a drop is quoted and sold only through it.
   * The drops sell DROP_OFFER (the reserve, checkout and POS drop-sale routes).
   */
  bench.post("/bench/setup", async (c) => {
    const db = database(c.env.DB);
    const now = Date.now();
    const dropId = `drp_bench_${now}_${Math.random().toString(36).slice(2, 8)}`;
    // bench/shards.sh and bench/queue.mjs size their drops: `shards`, `stock`, and a queue admitting
    // `admit_per_second` that opens `starts_in_ms` from now. Without them, today's one-object drop.
    const q = (name: string) => (c.req.query(name) === undefined ? undefined : Number(c.req.query(name)));
    const admit = q("admit_per_second");
    const row = {
      id: dropId,
      creatorId: "cre_bench",
      offerId: DROP_OFFER,
      title: "Bench drop",
      stock: q("stock") ?? 10_000_000,
      startsAt: now + (q("starts_in_ms") ?? 0),
      endsAt: null,
      perBuyerLimit: q("per_buyer_limit") ?? 5,
      holdTtlSeconds: 3600,
      state: "open" as const,
      closedAt: null,
      shards: q("shards") ?? 1,
      queueEnabled: admit !== undefined,
      queueAdmitPerSecond: admit ?? null,
      createdAt: now,
      updatedAt: now,
    };
    const offer = (id: string, title: string) => ({
      id,
      creatorId: "cre_bench",
      kind: "one_time" as const,
      title,
      defaultCurrency: "USD",
      createdAt: now,
      updatedAt: now,
    });
    await db.batch([
      db
        .insert(creators)
        .values({ id: "cre_bench", name: "Bench", defaultCurrency: "USD", createdAt: now })
        .onConflictDoNothing(),
      db
        .insert(offers)
        .values([offer("off_bench", "Bench item"), offer(DROP_OFFER, "Bench drop item")])
        .onConflictDoNothing(),
      db
        .insert(offerPrices)
        .values([
          { offerId: "off_bench", currency: "USD", amount: 1000, floor: 500 },
          { offerId: "off_bench", currency: "EUR", amount: 900, floor: null },
          { offerId: DROP_OFFER, currency: "USD", amount: 1000, floor: 500 },
          { offerId: DROP_OFFER, currency: "EUR", amount: 900, floor: null },
        ])
        .onConflictDoNothing(),
      db
        .insert(offerCountryPrices)
        .values({ offerId: "off_bench", country: "BR", currency: "USD", amount: 600 })
        .onConflictDoNothing(),
      db
        .insert(experiments)
        .values({
          id: "exp_bench",
          creatorId: "cre_bench",
          offerId: "off_bench",
          name: "Bench price test",
          status: "running",
          startedAt: now,
          createdAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing(),
      db
        .insert(experimentArms)
        .values([
          { experimentId: "exp_bench", key: "control", weight: 1, adjustmentKind: "none", position: 0 },
          {
            experimentId: "exp_bench",
            key: "low",
            weight: 1,
            adjustmentKind: "percent",
            percentBps: -1000,
            position: 1,
          },
        ])
        .onConflictDoNothing(),
      db.insert(drops).values(row),
      // A member holding three entitlements, as the token issuance route mints for.
      db
        .insert(members)
        .values({
          id: "mem_bench",
          creatorId: "cre_bench",
          email: "bench@example.test",
          cohort: "utility",
          acquisitionSource: "api",
          joinedAt: now,
          updatedAt: now,
        })
        .onConflictDoNothing(),
      db
        .insert(entitlements)
        .values(
          benchMember.entitlements.map(({ key: benefitKey }) => ({
            id: `ent_bench_${benefitKey}`,
            creatorId: "cre_bench",
            memberId: "mem_bench",
            offerId: benefitKey === "off_bench" ? "off_bench" : null,
            benefitKey,
            sourceType: "admin" as const,
            sourceId: "bench",
            grantedAt: now,
          })),
        )
        .onConflictDoNothing(),
    ]);
    // The drop's object (and its shards and queue) configure themselves from the row on first use,
    // as after a crash between D1 and the object: one read here, outside any timing.
    await inventoryGateway(c.env.DROP_INVENTORY, db).snapshot(dropId);
    return c.json({ drop_id: dropId });
  });

  return bench;
}
