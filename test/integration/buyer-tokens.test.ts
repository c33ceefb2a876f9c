import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { solveChallenge } from "../../clients/buyer-token";
import { signAdmission } from "../../src/admission/token";
import { solutionBits } from "../../src/buyers/pow";
import { orders } from "../../src/db/schema";
import { gateQueue } from "../../src/drops/gate";
import type { AppError } from "../../src/errors";
import { inventoryGateway } from "../../src/inventory/gateway";
import { api } from "../support/api";
import {
  challengeFor,
  earnedToken,
  freshIp,
  holdWith,
  mint,
  plainToken,
  problem,
} from "../support/buyer-tokens";
import { startSession } from "../support/entitlements";
import { createDrop } from "../support/fixtures";
import { insertMember, testQuoteKeys } from "../support/quotes";
import { createTenant, db } from "../support/tenants";

const email = () => `buyer-${crypto.randomUUID()}@example.test`;
const tokenDrop = async (terms: Record<string, unknown> = {}) =>
  createDrop(await createTenant(), { stock: 10, buyer_proof: { mode: "token" }, ...terms });

describe("POST /v1/buyer-tokens", () => {
  it("mints a token for a buyer id the server chose, with no proof of work", async () => {
    const res = await mint();
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ object: "buyer_token", pow_bits: 0 });
    expect(res.body.buyer_key).toMatch(/^btk:byr_[0-9a-z]{24}$/);
    const lifetime = Date.parse(res.body.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(23 * 3600_000);
    expect(lifetime).toBeLessThanOrEqual(24 * 3600_000);
    expect((await mint()).body.buyer_key).not.toBe(res.body.buyer_key);
  });

  it("carries the bits of a solved challenge", async () => {
    expect((await earnedToken("difficulty=9")).pow_bits).toBe(9);
  });

  it("refuses a replayed challenge: one solution, one token", async () => {
    const ip = freshIp();
    const challenge = (await challengeFor("difficulty=8", ip)).body;
    const nonce = await solveChallenge(challenge.challenge, 8);
    const first = await mint({ challenge: challenge.challenge, nonce }, ip);
    const replays = await Promise.all(
      Array.from({ length: 5 }, () => mint({ challenge: challenge.challenge, nonce }, freshIp())),
    );
    expect(first.status).toBe(201);
    for (const replay of replays) {
      expect(replay.status).toBe(409);
      expect(replay.body.type).toBe(problem("pow-challenge-used"));
    }
  });

  it("refuses concurrent redemptions of one challenge but one", async () => {
    const challenge = (await challengeFor("difficulty=8")).body;
    const nonce = await solveChallenge(challenge.challenge, 8);
    const racing = await Promise.all(
      Array.from({ length: 8 }, () => mint({ challenge: challenge.challenge, nonce }, freshIp())),
    );
    expect(racing.filter((r) => r.status === 201)).toHaveLength(1);
    expect(racing.filter((r) => r.status === 409)).toHaveLength(7);
  });

  it("refuses a wrong nonce and still takes the right one", async () => {
    const challenge = (await challengeFor("difficulty=16")).body;
    const nonce = await solveChallenge(challenge.challenge, 16);
    // A nonce whose hash falls short, found with the server's own count, so the test cannot pass by luck.
    let wrong = "w0";
    for (let i = 1; (await solutionBits(challenge.challenge, wrong)) >= 16; i++) wrong = `w${i}`;
    const refused = await mint({ challenge: challenge.challenge, nonce: wrong });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toBe(problem("pow-solution-invalid"));
    expect((await mint({ challenge: challenge.challenge, nonce })).status).toBe(201);
  });

  it.each([
    ["a challenge without its nonce", () => ({ challenge: "x" }), 422, "validation-failed"],
    ["a nonce with a dot", () => ({ challenge: "x", nonce: "a.b" }), 422, "validation-failed"],
    ["an unknown field", () => ({ pow: 28 }), 422, "validation-failed"],
    ["a challenge that is no token", () => ({ challenge: "x", nonce: "1" }), 422, "pow-challenge-invalid"],
  ])("refuses %s", async (_name, body, status, type) => {
    const res = await mint(body());
    expect(res.status).toBe(status);
    expect(res.body.type).toBe(problem(type));
  });
});

describe("GET /v1/buyer-tokens/challenge", () => {
  it("asks for a drop's own difficulty, and for 18 bits by default", async () => {
    const drop = await createDrop(await createTenant(), { buyer_proof: { mode: "pow", pow_difficulty: 11 } });
    const res = await challengeFor(`drop_id=${drop.id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body).toMatchObject({ object: "pow_challenge", difficulty: 11 });
    expect((await challengeFor("")).body.difficulty).toBe(18);
    expect((await challengeFor("difficulty=12")).body.difficulty).toBe(12);
  });

  it.each([
    ["an unknown drop", "drop_id=drp_nope", 404],
    ["30 bits", "difficulty=30", 422],
    ["0 bits", "difficulty=0", 422],
    ["a difficulty in hexadecimal", "difficulty=0x10", 422],
    ["both a drop and a difficulty", "drop_id=drp_nope&difficulty=9", 422],
  ])("refuses %s", async (_name, query, status) => {
    expect((await challengeFor(query)).status).toBe(status);
  });
});

describe("the hold gate", () => {
  it("a drop without buyer proof still holds for Buyer-Id alone, counting its per-buyer limit", async () => {
    const drop = await createDrop(await createTenant(), { stock: 5, per_buyer_limit: 1 });
    const buyerId = crypto.randomUUID();
    const first = await holdWith(drop.id, { "buyer-id": buyerId });
    expect(first.status).toBe(201);
    const read = await api("GET", `/v1/drops/${drop.id}/holds/${first.body.id}`, {
      headers: { "buyer-id": buyerId },
    });
    expect(read.status).toBe(200);
    expect((await holdWith(drop.id, { "buyer-id": buyerId })).body.type).toBe(problem("buyer-limit-reached"));
  });

  it("refuses a hold with neither Buyer-Id nor Buyer-Token as 422 on a drop without proof", async () => {
    const drop = await createDrop(await createTenant(), { stock: 5 });
    const res = await holdWith(drop.id, {});
    expect(res.status).toBe(422);
    expect(res.body.errors[0]).toMatchObject({ in: "header", path: "/buyer-id" });
  });

  it("refuses a tampered Buyer-Token even on a drop that asks for no proof", async () => {
    const drop = await createDrop(await createTenant(), { stock: 5 });
    const token: string = (await plainToken()).token;
    const tampered = `${token.slice(0, -3)}${token.endsWith("AAA") ? "BBB" : "AAA"}`;
    const res = await holdWith(drop.id, { "buyer-id": crypto.randomUUID(), "buyer-token": tampered });
    expect(res.status).toBe(401);
    expect(res.body.type).toBe(problem("buyer-token-invalid"));
  });

  it("holds for the token's buyer on a token drop, whom only the token finds again", async () => {
    const drop = await tokenDrop({ per_buyer_limit: 1 });
    const minted = await plainToken();
    const held = await holdWith(drop.id, { "buyer-token": minted.token, "buyer-id": "same-client-id-1" });
    expect(held.status).toBe(201);
    const path = `/v1/drops/${drop.id}/holds/${held.body.id}`;
    expect((await api("GET", path, { headers: { "buyer-token": minted.token } })).status).toBe(200);
    // The Buyer-Id the client also sent names another buyer: the token's key replaced it.
    expect((await api("GET", path, { headers: { "buyer-id": "same-client-id-1" } })).status).toBe(404);
    const again = await holdWith(drop.id, { "buyer-token": minted.token });
    expect(again.body.type).toBe(problem("buyer-limit-reached"));
    expect((await api("DELETE", path, { headers: { "buyer-token": minted.token } })).status).toBe(200);
  });

  it("refuses Buyer-Id alone on a token drop, pointing at the mint route", async () => {
    const drop = await tokenDrop();
    const res = await holdWith(drop.id, { "buyer-id": crypto.randomUUID() });
    expect(res.status).toBe(401);
    expect(res.body.type).toBe(problem("buyer-token-required"));
    expect(res.body.detail).toContain("POST /v1/buyer-tokens");
  });

  it("on a pow drop, refuses a token with fewer bits than its difficulty and takes one with enough", async () => {
    const drop = await createDrop(await createTenant(), {
      stock: 5,
      buyer_proof: { mode: "pow", pow_difficulty: 10 },
    });
    const plain = await holdWith(drop.id, { "buyer-token": (await plainToken()).token });
    expect(plain.status).toBe(401);
    expect(plain.body.type).toBe(problem("buyer-token-required"));
    expect(plain.body.detail).toContain(`/v1/buyer-tokens/challenge?drop_id=${drop.id}`);
    const weaker = await holdWith(drop.id, { "buyer-token": (await earnedToken("difficulty=9")).token });
    expect(weaker.status).toBe(401);
    const earned = await holdWith(drop.id, {
      "buyer-token": (await earnedToken(`drop_id=${drop.id}`)).token,
    });
    expect(earned.status).toBe(201);
  });
});

describe("the checkout gate", () => {
  const checkoutAs = (quote: string, headers: Record<string, string>) =>
    api("POST", "/v1/checkouts", {
      body: { quote, email: email(), payment_method: "4242424242424242" },
      headers: { "idempotency-key": `chk-${crypto.randomUUID()}`, ...headers },
    });
  const quoteAs = (drop: { id: string; offer_id: string }, headers: Record<string, string>) =>
    api("POST", "/v1/quotes", { body: { offer_id: drop.offer_id, drop_id: drop.id }, headers });

  it("pays on a token drop for the token's buyer, quoted and checked out with the token", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 10, buyer_proof: { mode: "token" } });
    const { token, buyer_key } = await plainToken();
    const quoted = await quoteAs(drop, { "buyer-token": token });
    expect(quoted.status).toBe(201);
    const paid = await checkoutAs(quoted.body.token, { "buyer-token": token });
    expect(paid.status).toBe(201);
    expect(paid.body.status).toBe("paid");
    const stock = await api("GET", `/v1/drops/${drop.id}/stock`);
    expect(stock.body).toMatchObject({ sold: 1, held: 0 });
    const [order] = await db
      .select({ buyerKey: orders.buyerKey })
      .from(orders)
      .where(eq(orders.id, paid.body.order_id));
    expect(order?.buyerKey).toBe(buyer_key);
  });

  it("refuses a checkout of a Buyer-Id quote on a token drop, and holds nothing", async () => {
    const drop = await tokenDrop({ stock: 1 });
    const buyerId = crypto.randomUUID();
    const quoted = await quoteAs(drop, { "buyer-id": buyerId });
    const res = await checkoutAs(quoted.body.token, { "buyer-id": buyerId });
    expect(res.status).toBe(401);
    expect(res.body.type).toBe(problem("buyer-token-required"));
    const stock = await api("GET", `/v1/drops/${drop.id}/stock`);
    expect(stock.body).toMatchObject({ available: 1, held: 0 });
  });

  it("refuses another buyer's token on a token-bound quote, and the quote without its token", async () => {
    const drop = await createDrop(await createTenant(), { stock: 5 });
    const mine = await plainToken();
    const quoted = await quoteAs(drop, { "buyer-token": mine.token });
    const theirs = await checkoutAs(quoted.body.token, { "buyer-token": (await plainToken()).token });
    expect(theirs.status).toBe(422);
    expect(theirs.body.errors[0]).toMatchObject({ in: "header", path: "/buyer-token" });
    const bare = await checkoutAs(quoted.body.token, { "buyer-id": "btk-guessing-client" });
    expect(bare.status).toBe(422);
    expect(bare.body.errors[0]).toMatchObject({ in: "header", path: "/buyer-token" });
  });

  it("pays on a pow drop for a signed-in member, whose identity the creator issued", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 3, buyer_proof: { mode: "pow", pow_difficulty: 20 } });
    const memberId = await insertMember(tenant, null);
    const { token: memberToken } = await startSession(tenant, memberId);
    const quoted = await api("POST", "/v1/quotes", {
      body: { offer_id: drop.offer_id, drop_id: drop.id, member_token: memberToken },
    });
    expect(quoted.status).toBe(201);
    const paid = await api("POST", "/v1/checkouts", {
      body: {
        quote: quoted.body.token,
        email: email(),
        member_token: memberToken,
        payment_method: "4242424242424242",
      },
      headers: { "idempotency-key": `chk-${crypto.randomUUID()}` },
    });
    expect(paid.status).toBe(201);
    expect(paid.body.status).toBe("paid");
  });

  it("refuses a quote asked for with a tampered Buyer-Token", async () => {
    const drop = await createDrop(await createTenant(), { stock: 5 });
    const { token } = await plainToken();
    const res = await quoteAs(drop, { "buyer-token": `${token}x` });
    expect(res.status).toBe(401);
    expect(res.body.type).toBe(problem("buyer-token-invalid"));
  });
});

describe("the queue's admission at the gate", () => {
  const queuedDrop = async () =>
    createDrop(await createTenant(), { stock: 10, queue: { enabled: true, admit_per_second: 100 } });
  const admission = async (dropId: string, buyerKey: string, expiresAt = Date.now() + 120_000) =>
    signAdmission(await testQuoteKeys(), { dropId, buyerKey, ticketId: "qtk_test", expiresAt });

  it("holds for the admitted buyer of this drop", async () => {
    const drop = await queuedDrop();
    const { token, buyer_key } = await plainToken();
    const res = await holdWith(drop.id, {
      "buyer-token": token,
      "admission-token": await admission(drop.id, buyer_key),
    });
    expect(res.status).toBe(201);
  });

  it.each([
    ["no admission token", async () => undefined],
    [
      "an expired admission",
      async (dropId: string, key: string) => admission(dropId, key, Date.now() - 1000),
    ],
    ["another buyer's admission", async (dropId: string) => admission(dropId, "btk:byr_someoneelse")],
    ["another drop's admission", async (_dropId: string, key: string) => admission("drp_another", key)],
  ])("refuses a hold with %s as 403 admission-required", async (_name, admissionFor) => {
    const drop = await queuedDrop();
    const { token, buyer_key } = await plainToken();
    const admitted = await admissionFor(drop.id, buyer_key);
    const res = await holdWith(drop.id, {
      "buyer-token": token,
      ...(admitted === undefined ? {} : { "admission-token": admitted }),
    });
    expect(res.status).toBe(403);
    expect(res.body.type).toBe(problem("admission-required"));
  });
});

describe("the queue's gate (gateQueue, for the join route)", () => {
  const gateCtx = async () => ({
    db,
    inventory: inventoryGateway(env.DROP_INVENTORY, db),
    now: Date.now(),
    buyerKeys: await testQuoteKeys(),
    admit: async () => ({ ticketId: "unused" }),
  });

  it("refuses an invented Buyer-Id on a token drop and answers the token's key", async () => {
    const drop = await createDrop(await createTenant(), {
      buyer_proof: { mode: "token" },
      queue: { enabled: true, admit_per_second: 10 },
    });
    const refused = await gateQueue(await gateCtx(), drop.id, { "buyer-id": "invented-0001" }).catch(
      (error: AppError) => error.code,
    );
    expect(refused).toBe("buyer_token_required");
    const { token, buyer_key } = await plainToken();
    expect(await gateQueue(await gateCtx(), drop.id, { "buyer-token": token })).toBe(buyer_key);
  });
});
