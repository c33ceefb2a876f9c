/**
 * The attack suite for one promise: a scalper cannot hold a drop with identities it invents for free
 * (issue 18: 60 invented Buyer-Ids held a whole drop). Each test is named after the attack it stops.
 */
import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { solveChallenge } from "../../clients/buyer-token";
import { signBuyerToken } from "../../src/buyers/token";
import { quoteKeys } from "../../src/quotes/token";
import { api } from "../support/api";
import {
  challengeFor,
  earnedToken,
  freshIp,
  holdWith,
  mint,
  mintLimit,
  plainToken,
  problem,
} from "../support/buyer-tokens";
import { expectInvariants } from "../support/drops";
import { createDrop } from "../support/fixtures";
import { createTenant } from "../support/tenants";

const SCALPER_IDS = 60;
const inventedIds = () =>
  Array.from({ length: SCALPER_IDS }, (_, i) => `scalper-${crypto.randomUUID()}-${i}`);

/** A drop of `stock` units, one per buyer, with the given buyer proof. */
const oneEachDrop = async (stock: number, buyerProof: Record<string, unknown>) =>
  createDrop(await createTenant(), { stock, per_buyer_limit: 1, buyer_proof: buyerProof });

describe("scalper: invented identities", () => {
  it("60 invented Buyer-Ids hold a whole 60-unit drop that asks no proof (the attack is real)", async () => {
    const drop = await oneEachDrop(SCALPER_IDS, { mode: "none" });
    const results = await Promise.all(inventedIds().map((id) => holdWith(drop.id, { "buyer-id": id })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(SCALPER_IDS);
    expect(await expectInvariants(drop.id)).toMatchObject({ available: 0 });
  });

  it("60 invented Buyer-Ids hold nothing of a drop that requires buyer tokens", async () => {
    const drop = await oneEachDrop(SCALPER_IDS, { mode: "token" });
    const results = await Promise.all(inventedIds().map((id) => holdWith(drop.id, { "buyer-id": id })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(0);
    for (const r of results) expect(r.body.type).toBe(problem("buyer-token-required"));
    expect(await expectInvariants(drop.id)).toMatchObject({ available: SCALPER_IDS, held: 0 });
  });

  it("10 invented Buyer-Ids quoted and checked out hold nothing of a token drop", async () => {
    const drop = await oneEachDrop(SCALPER_IDS, { mode: "token" });
    const results = await Promise.all(
      inventedIds()
        .slice(0, 10)
        .map(async (id) => {
          const quoted = await api("POST", "/v1/quotes", {
            body: { offer_id: drop.offer_id, drop_id: drop.id },
            headers: { "buyer-id": id },
          });
          return api("POST", "/v1/checkouts", {
            body: {
              quote: quoted.body.token,
              email: `${id}@example.test`,
              payment_method: "4242424242424242",
            },
            headers: { "buyer-id": id, "idempotency-key": `chk-${id}` },
          });
        }),
    );
    for (const r of results) expect(r.status).toBe(401);
    expect(await expectInvariants(drop.id)).toMatchObject({ held: 0, sold: 0 });
  });

  it("tokens minted from one IP hold at most that IP's mint limit of a token drop", async () => {
    const limit = mintLimit();
    const drop = await oneEachDrop(SCALPER_IDS + limit, { mode: "token" });
    const ip = freshIp();
    const mints = await Promise.all(Array.from({ length: SCALPER_IDS }, () => mint({}, ip)));
    const tokens = mints.filter((m) => m.status === 201).map((m) => m.body.token as string);
    expect(tokens).toHaveLength(Math.min(limit, SCALPER_IDS));
    for (const refused of mints.filter((m) => m.status !== 201)) {
      expect(refused.status).toBe(429);
      expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    }
    const holds = await Promise.all(tokens.map((token) => holdWith(drop.id, { "buyer-token": token })));
    expect(holds.filter((h) => h.status === 201).length).toBeLessThanOrEqual(limit);
    // Another IP is not held back by the scalper's: the limit is per address, not global.
    expect((await mint({}, freshIp())).status).toBe(201);
  });

  it("one token sent with many Buyer-Ids is one buyer: the per-buyer limit holds", async () => {
    const drop = await oneEachDrop(SCALPER_IDS, { mode: "none" });
    const { token } = await plainToken();
    const results = await Promise.all(
      inventedIds()
        .slice(0, 20)
        .map((id) => holdWith(drop.id, { "buyer-token": token, "buyer-id": id })),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
  });
});

describe("scalper: forged and recycled proof", () => {
  it("a token the scalper signs itself under the worker's kid does not hold", async () => {
    const drop = await oneEachDrop(5, { mode: "token" });
    const forger = await quoteKeys({
      active: "q2",
      keys: { q2: base64url.encode(crypto.getRandomValues(new Uint8Array(32))) },
    });
    const forged = await signBuyerToken(forger, {
      buyerId: "byr_0123456789abcdefghjkmnpq",
      powBits: 28,
      issuedAt: Date.now(),
      expiresAt: Date.now() + 3600_000,
    });
    const res = await holdWith(drop.id, { "buyer-token": forged });
    expect(res.status).toBe(401);
    expect(res.body.type).toBe(problem("buyer-token-invalid"));
  });

  it("a plain token whose payload is edited to claim the drop's bits does not hold a pow drop", async () => {
    const drop = await oneEachDrop(5, { mode: "pow", pow_difficulty: 12 });
    const [header, payload, signature] = ((await plainToken()).token as string).split(".");
    const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? "")));
    const inflated = base64url.encode(JSON.stringify({ ...claims, pow: 12 }));
    const res = await holdWith(drop.id, { "buyer-token": `${header}.${inflated}.${signature}` });
    expect(res.status).toBe(401);
    expect(res.body.type).toBe(problem("buyer-token-invalid"));
  });

  it("one solved challenge shared across 20 IPs mints one token", async () => {
    const challenge = (await challengeFor("difficulty=10")).body;
    const nonce = await solveChallenge(challenge.challenge, 10);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => mint({ challenge: challenge.challenge, nonce }, freshIp())),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    for (const r of results.filter((x) => x.status !== 201)) {
      expect(r.body.type).toBe(problem("pow-challenge-used"));
    }
  });

  it("a token earned on an easier challenge does not hold a harder pow drop", async () => {
    const drop = await oneEachDrop(5, { mode: "pow", pow_difficulty: 12 });
    const easy = await earnedToken("difficulty=8");
    const res = await holdWith(drop.id, { "buyer-token": easy.token });
    expect(res.status).toBe(401);
    expect(res.body.type).toBe(problem("buyer-token-required"));
    expect(res.body.detail).toContain("12 bits");
  });
});
