/**
 * The benchmark's worker: the real app, plus floors measured in the same run: a bare Hono hello route,
 * a bare Durable Object RPC echo, and raw Ed25519 signatures with crypto.subtle (the key type that
 * entitlement tokens use). Only `npm run bench` serves this entry; production never does.
 */
import { DurableObject } from "cloudflare:workers";
import { and, eq, gte } from "drizzle-orm";
import { Hono } from "hono";
import { CompactSign } from "jose";
import { buildApp } from "../src/app";
import { readConfig } from "../src/config";
import { database, runBatch } from "../src/db/client";
import {
  checkouts,
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
import { entitlementKeys } from "../src/entitlements/keys";
import { startFamily } from "../src/entitlements/refresh";
import { mintToken } from "../src/entitlements/token";
import { inventoryGateway, termsOf } from "../src/inventory/gateway";
import { claimAllotment } from "../src/pos/allotments";

export { DropInventory } from "../src/inventory/drop-inventory";

export class EchoObject extends DurableObject {
  echo(payload: unknown): unknown {
    return payload;
  }
}

interface BenchEnv extends Env {
  ECHO: DurableObjectNamespace<EchoObject>;
}

const app = buildApp();
const bench = new Hono<{ Bindings: BenchEnv }>();

bench.get("/bench/hello", (c) => c.text("hello"));

/** Signatures per /bench/sign request: enough that one signature's cost stands out from routing. */
const SIGNATURES_PER_REQUEST = 50;
// A token-sized message: what an entitlement token's signing input weighs.
const message = new TextEncoder().encode("x".repeat(420));

/** The raw signature floor: SIGNATURES_PER_REQUEST Ed25519 signatures with the worker's own parsed key. */
bench.get("/bench/sign", async (c) => {
  const { signer } = await entitlementKeys(readConfig(c.env).ENTITLEMENT_SIGNING_KEYS);
  for (let i = 0; i < SIGNATURES_PER_REQUEST; i++) await crypto.subtle.sign("Ed25519", signer, message);
  return c.text(String(SIGNATURES_PER_REQUEST));
});

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
        body: JSON.stringify({ offer_id: "off_bench", drop_id: dropId, quantity: 1 }),
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
        offer_id: "off_bench",
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

/** Time from payment success to entitlement, per paid checkout since `since` (epoch ms): p50 and p90. */
bench.get("/bench/checkout-stats", async (c) => {
  const rows = await database(c.env.DB)
    .select({ succeeded: checkouts.paymentSucceededAt, issued: checkouts.entitlementIssuedAt })
    .from(checkouts)
    .where(and(eq(checkouts.status, "paid"), gte(checkouts.createdAt, Number(c.req.query("since") ?? 0))));
  const ms = rows.map((r) => (r.issued ?? 0) - (r.succeeded ?? 0)).sort((a, b) => a - b);
  const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] ?? null;
  return c.json({ paid: ms.length, p50_ms: at(0.5), p90_ms: at(0.9), max_ms: at(1) });
});

/**
 * The storage floor: one raw D1 query, the least any route that reads D1 does. Locally D1 runs in the
 * same single-threaded runtime, so its cost lands on the worker's core; in production it is a wait.
 */
bench.get("/bench/d1", async (c) =>
  c.json(await c.env.DB.prepare("SELECT token_version FROM members WHERE id = ?").bind("mem_bench").first()),
);

/** Minting alone, as checkout will after its paid batch: the bench member's claims, signed; no storage. */
bench.get("/bench/mint", async (c) => {
  const config = readConfig(c.env);
  const keys = await entitlementKeys(config.ENTITLEMENT_SIGNING_KEYS);
  const settings = { issuer: config.ENTITLEMENT_ISSUER, ttlSeconds: config.ENTITLEMENT_TOKEN_TTL_SECONDS };
  return c.json(await mintToken(keys, settings, benchMember, "cre_bench", Date.now()));
});

const benchMember = {
  memberId: "mem_bench",
  creatorId: "cre_bench",
  version: 0,
  entitlements: ["off_bench", "backstage", "early-access"].map((key) => ({ key, expiresAt: null })),
};

bench.post("/bench/echo", async (c) => {
  const stub = c.env.ECHO.get(c.env.ECHO.idFromName("echo"));
  return c.json(await stub.echo(await c.req.json()), 200);
});

/**
 * One creator, offer and drop with stock that a run cannot exhaust; answers the drop id. The offer is
 * priced the way a real one is: two currencies, a country price and a running two-arm experiment, so
 * the pricing routes do all of their work.
 */
bench.post("/bench/setup", async (c) => {
  const db = database(c.env.DB);
  const now = Date.now();
  const dropId = `drp_bench_${now}`;
  const row = {
    id: dropId,
    creatorId: "cre_bench",
    offerId: "off_bench",
    title: "Bench drop",
    stock: 10_000_000,
    startsAt: now,
    endsAt: null,
    perBuyerLimit: 5,
    holdTtlSeconds: 3600,
    state: "open" as const,
    closedAt: null,
    createdAt: now,
    updatedAt: now,
  };
  await db.batch([
    db
      .insert(creators)
      .values({ id: "cre_bench", name: "Bench", defaultCurrency: "USD", createdAt: now })
      .onConflictDoNothing(),
    db
      .insert(offers)
      .values({
        id: "off_bench",
        creatorId: "cre_bench",
        kind: "one_time",
        title: "Bench item",
        defaultCurrency: "USD",
        createdAt: now,
        updatedAt: now,
      })
      .onConflictDoNothing(),
    db
      .insert(offerPrices)
      .values([
        { offerId: "off_bench", currency: "USD", amount: 1000, floor: 500 },
        { offerId: "off_bench", currency: "EUR", amount: 900, floor: null },
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
  await inventoryGateway(c.env.DROP_INVENTORY, db).configure(dropId, termsOf(row));
  return c.json({ drop_id: dropId });
});

/** The drop's counters straight from its object, and its invariant check. */
bench.get("/bench/check/:dropId", async (c) => {
  const stub = c.env.DROP_INVENTORY.get(c.env.DROP_INVENTORY.idFromName(c.req.param("dropId")));
  return c.json({ snapshot: await stub.snapshot(), violations: await stub.selfCheck() });
});

/** Bench routes go to the bench app; everything else straight to the real app, as in production. */
export default {
  fetch: (request, env, ctx) =>
    request.url.includes("/bench/") ? bench.fetch(request, env, ctx) : app.fetch(request, env, ctx),
} satisfies ExportedHandler<BenchEnv>;
