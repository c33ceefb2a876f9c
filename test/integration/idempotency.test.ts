import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { idempotencyKeys, offers } from "../../src/db/schema";
import { commitWith } from "../../src/http/context";
import {
  IDEMPOTENCY_LOCK_MS,
  IDEMPOTENCY_TTL_MS,
  purgeExpiredIdempotencyKeys,
} from "../../src/http/idempotency";
import { sha256Hex } from "../../src/lib/crypto";
import { api } from "../support/api";
import { oneTimeOffer } from "../support/fixtures";
import { createTenant, db, tableCounts } from "../support/tenants";

/** A claim on `key` for the same request `post` sends, as a request that is still running leaves it. */
async function holdClaim(creatorId: string, key: string, lockedUntil: number) {
  const now = Date.now();
  await db.insert(idempotencyKeys).values({
    creatorId,
    key,
    requestHash: await sha256Hex(`POST /v1/offers\n${JSON.stringify(oneTimeOffer())}`),
    lockToken: crypto.randomUUID(),
    lockedUntil,
    createdAt: now,
    expiresAt: now + IDEMPOTENCY_TTL_MS,
  });
}

const post = (key: string, idempotencyKey: string, body: unknown = oneTimeOffer()) =>
  api("POST", "/v1/offers", { key, body, headers: { "idempotency-key": idempotencyKey } });

describe("Idempotency-Key on writes", () => {
  it("replays the first response for the same key and body, creating one offer", async () => {
    const tenant = await createTenant();
    const first = await post(tenant.key, "k-1");
    const before = await tableCounts();
    const second = await post(tenant.key, "k-1");
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(await tableCounts()).toEqual(before);
  });

  it("answers 422 when the key is reused with a different body", async () => {
    const tenant = await createTenant();
    await post(tenant.key, "k-2");
    const before = await tableCounts();
    const res = await post(tenant.key, "k-2", oneTimeOffer({ title: "Another" }));
    expect(res.status).toBe(422);
    expect(res.body.type).toBe("https://creator-commerce.dev/problems/idempotency-key-reused");
    expect(await tableCounts()).toEqual(before);
  });

  it("answers 409 with Retry-After while the first request with the key is in flight", async () => {
    const tenant = await createTenant();
    await holdClaim(tenant.creatorId, "k-3", Date.now() + IDEMPOTENCY_LOCK_MS);
    const before = await tableCounts();
    const res = await post(tenant.key, "k-3");
    expect(res.status).toBe(409);
    expect(res.body.type).toBe("https://creator-commerce.dev/problems/idempotency-in-flight");
    expect(Number(res.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await tableCounts()).toEqual(before);
  });

  it("runs the request again once an abandoned claim's lock has expired", async () => {
    const tenant = await createTenant();
    await holdClaim(tenant.creatorId, "k-4", Date.now() - 1);
    const res = await post(tenant.key, "k-4");
    expect(res.status).toBe(201);
    expect((await post(tenant.key, "k-4")).headers.get("idempotent-replayed")).toBe("true");
  });

  it("forgets the key when the request fails, so a corrected retry may use it", async () => {
    const tenant = await createTenant();
    const bad = await post(tenant.key, "k-5", oneTimeOffer({ prices: [] }));
    expect(bad.status).toBe(422);
    expect(await db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, "k-5"))).toEqual([]);
  });

  it("scopes keys to the creator", async () => {
    const a = await createTenant("A");
    const b = await createTenant("B");
    const fromA = await post(a.key, "shared-key");
    const fromB = await post(b.key, "shared-key");
    expect(fromB.status).toBe(201);
    expect(fromB.body.id).not.toBe(fromA.body.id);
    expect(fromB.headers.get("idempotent-replayed")).toBeNull();
  });

  it("makes PATCH retryable too", async () => {
    const tenant = await createTenant();
    const offer = (await post(tenant.key, "k-6")).body;
    const patch = () =>
      api("PATCH", `/v1/offers/${offer.id}`, {
        key: tenant.key,
        body: { title: "Renamed" },
        headers: { "idempotency-key": "k-7" },
      });
    const first = await patch();
    const second = await patch();
    expect(second.body).toEqual(first.body);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
  });

  it("never lands the writes of a request whose claim was taken over, and answers 409", async () => {
    const tenant = await createTenant();
    const now = Date.now();
    await db.insert(idempotencyKeys).values({
      creatorId: tenant.creatorId,
      key: "k-8",
      requestHash: "h",
      lockToken: "the-new-owner",
      lockedUntil: now + IDEMPOTENCY_LOCK_MS,
      createdAt: now,
      expiresAt: now + IDEMPOTENCY_TTL_MS,
    });
    const stale = {
      creatorId: tenant.creatorId,
      key: "k-8",
      lockToken: "the-old-owner",
      status: 201,
      completed: false,
    };
    const lateOffer = {
      id: "off_late",
      creatorId: tenant.creatorId,
      kind: "one_time" as const,
      title: "Late",
      defaultCurrency: "USD",
      createdAt: now,
      updatedAt: now,
    };
    const commit = commitWith(db, stale);
    await expect(commit([db.insert(offers).values(lateOffer)], { id: "off_late" })).rejects.toMatchObject({
      code: "idempotency_in_flight",
    });
    expect(stale.completed).toBe(false);
    expect(await db.select().from(offers).where(eq(offers.id, "off_late"))).toEqual([]);
    const [claim] = await db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, "k-8"));
    expect(claim).toMatchObject({ lockToken: "the-new-owner", responseBody: null });
  });

  it("purges keys past their retention", async () => {
    const tenant = await createTenant();
    await post(tenant.key, "k-9");
    await purgeExpiredIdempotencyKeys(db, Date.now() + IDEMPOTENCY_TTL_MS + 1);
    expect(await db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, "k-9"))).toEqual([]);
  });
});
