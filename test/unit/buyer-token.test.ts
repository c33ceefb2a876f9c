import { base64url } from "jose";
import { describe, expect, it } from "vitest";
import { leadingZeroBits as clientBits, solveChallenge } from "../../clients/buyer-token";
import type { ChallengeLedger } from "../../src/buyers/challenges";
import {
  leadingZeroBits,
  newChallenge,
  signChallenge,
  solutionBits,
  verifyChallenge,
} from "../../src/buyers/pow";
import { BUYER_TOKEN_TTL_MS, newBuyerId, signBuyerToken, verifyBuyerToken } from "../../src/buyers/token";
import { mintBuyerToken } from "../../src/buyers/verbs";
import { AppError } from "../../src/errors";
import { type QuoteKeys, quoteKeys } from "../../src/quotes/token";
import { testQuoteKeys } from "../support/quotes";

const NOW = 1_790_000_000_000;
const claims = (overrides = {}) => ({
  buyerId: newBuyerId(),
  powBits: 12,
  issuedAt: NOW,
  expiresAt: NOW + BUYER_TOKEN_TTL_MS,
  ...overrides,
});

/** The code a refusal carries, or "accepted". */
async function outcome(work: Promise<unknown>): Promise<string> {
  try {
    await work;
    return "accepted";
  } catch (error) {
    if (error instanceof AppError) return error.code;
    throw error;
  }
}

/** Keys with the worker's kids but secrets of our own: what a forger who guessed the kid holds. */
const forgedKeys = (): Promise<QuoteKeys> =>
  quoteKeys({
    active: "q2",
    keys: { q2: base64url.encode(crypto.getRandomValues(new Uint8Array(32))) },
  });

/** One character of a token's part changed (the middle, so no base64url padding bits are involved). */
function flip(token: string, part: 0 | 1 | 2): string {
  const parts = token.split(".");
  const text = parts[part] ?? "";
  const i = Math.floor(text.length / 2);
  parts[part] = text.slice(0, i) + (text[i] === "A" ? "B" : "A") + text.slice(i + 1);
  return parts.join(".");
}

describe("buyer tokens", () => {
  it("verify to the claims they were signed with", async () => {
    const keys = await testQuoteKeys();
    const signed = claims();
    expect(await verifyBuyerToken(keys, await signBuyerToken(keys, signed), NOW + 1000)).toEqual(signed);
  });

  it.each([
    ["a changed header", 0],
    ["a changed payload (more proof-of-work bits claimed)", 1],
    ["a changed signature", 2],
  ] as const)("refuses a token with %s as buyer_token_invalid", async (_name, part) => {
    const keys = await testQuoteKeys();
    const token = await signBuyerToken(keys, claims());
    expect(await outcome(verifyBuyerToken(keys, flip(token, part), NOW))).toBe("buyer_token_invalid");
  });

  it("refuses a token whose payload was swapped for one claiming 28 bits", async () => {
    const keys = await testQuoteKeys();
    const [header, payload, signature] = (await signBuyerToken(keys, claims({ powBits: 0 }))).split(".");
    const decoded = JSON.parse(new TextDecoder().decode(base64url.decode(payload ?? "")));
    const richer = base64url.encode(JSON.stringify({ ...decoded, pow: 28 }));
    expect(await outcome(verifyBuyerToken(keys, `${header}.${richer}.${signature}`, NOW))).toBe(
      "buyer_token_invalid",
    );
  });

  it("refuses a token signed by another key under the worker's own kid", async () => {
    const token = await signBuyerToken(await forgedKeys(), claims());
    expect(await outcome(verifyBuyerToken(await testQuoteKeys(), token, NOW))).toBe("buyer_token_invalid");
  });

  it("refuses a token signed under a kid the worker does not hold", async () => {
    const stranger = await quoteKeys({
      active: "zz",
      keys: { zz: base64url.encode(crypto.getRandomValues(new Uint8Array(32))) },
    });
    const token = await signBuyerToken(stranger, claims());
    expect(await outcome(verifyBuyerToken(await testQuoteKeys(), token, NOW))).toBe("buyer_token_invalid");
  });

  it("refuses a token from its expiry on, and accepts it the second before", async () => {
    const keys = await testQuoteKeys();
    const token = await signBuyerToken(keys, claims());
    expect(await outcome(verifyBuyerToken(keys, token, NOW + BUYER_TOKEN_TTL_MS - 1000))).toBe("accepted");
    expect(await outcome(verifyBuyerToken(keys, token, NOW + BUYER_TOKEN_TTL_MS))).toBe(
      "buyer_token_invalid",
    );
  });

  it("refuses a quote token presented as a buyer token (another typ and issuer)", async () => {
    const keys = await testQuoteKeys();
    const challenge = await signChallenge(keys, newChallenge(8, NOW));
    expect(await outcome(verifyBuyerToken(keys, challenge, NOW))).toBe("buyer_token_invalid");
  });
});

describe("proof of work", () => {
  it("counts leading zero bits the same on the server and in the client", () => {
    const cases: [number[], number][] = [
      [[0x80], 0],
      [[0x40], 1],
      [[0x01], 7],
      [[0x00, 0xff], 8],
      [[0x00, 0x00, 0x10], 19],
      [[0x00, 0x00], 16],
    ];
    for (const [bytes, bits] of cases) {
      expect(leadingZeroBits(Uint8Array.from(bytes))).toBe(bits);
      expect(clientBits(Uint8Array.from(bytes))).toBe(bits);
    }
  });

  it("accepts the client solver's nonce with one hash, at the challenge's difficulty", async () => {
    const keys = await testQuoteKeys();
    const token = await signChallenge(keys, newChallenge(10, NOW));
    const nonce = await solveChallenge(token, 10);
    expect(await solutionBits(token, nonce)).toBeGreaterThanOrEqual(10);
  });

  it("refuses an altered or expired challenge as pow_challenge_invalid", async () => {
    const keys = await testQuoteKeys();
    const challenge = newChallenge(8, NOW);
    const token = await signChallenge(keys, challenge);
    expect(await outcome(verifyChallenge(keys, flip(token, 1), NOW))).toBe("pow_challenge_invalid");
    expect(await outcome(verifyChallenge(keys, token, challenge.expiresAt))).toBe("pow_challenge_invalid");
    const forged = await signChallenge(await forgedKeys(), challenge);
    expect(await outcome(verifyChallenge(keys, forged, NOW))).toBe("pow_challenge_invalid");
  });
});

/** A ledger in memory, for the verb alone; the integration tests spend against the real counter object. */
const memoryLedger = (): ChallengeLedger => {
  const spent = new Set<string>();
  return {
    spend: async (challenge) => {
      if (spent.has(challenge.id)) return false;
      spent.add(challenge.id);
      return true;
    },
  };
};

describe("mintBuyerToken", () => {
  it("gives a token 0 bits without a challenge and the difficulty's bits with a solved one", async () => {
    const ctx = { keys: await testQuoteKeys(), now: NOW, challenges: memoryLedger() };
    const plain = await mintBuyerToken({ ctx, input: {} });
    expect(plain.pow_bits).toBe(0);
    const challenge = await signChallenge(ctx.keys, newChallenge(9, NOW));
    const earned = await mintBuyerToken({
      ctx,
      input: { challenge, nonce: await solveChallenge(challenge, 9) },
    });
    expect(earned.pow_bits).toBe(9);
    expect((await verifyBuyerToken(ctx.keys, earned.token, NOW)).powBits).toBe(9);
    expect(earned.buyer_key).not.toBe(plain.buyer_key);
  });

  it("refuses a wrong nonce without spending the challenge, then takes the right one once", async () => {
    const ctx = { keys: await testQuoteKeys(), now: NOW, challenges: memoryLedger() };
    const challenge = await signChallenge(ctx.keys, newChallenge(12, NOW));
    const nonce = await solveChallenge(challenge, 12);
    // A nonce that misses: the first one, counting up from the solver's, whose hash falls short.
    let wrong = "x0";
    for (let i = 0; (await solutionBits(challenge, wrong)) >= 12; i++) wrong = `x${i}`;
    expect(await outcome(mintBuyerToken({ ctx, input: { challenge, nonce: wrong } }))).toBe(
      "pow_solution_invalid",
    );
    expect(await outcome(mintBuyerToken({ ctx, input: { challenge, nonce } }))).toBe("accepted");
    expect(await outcome(mintBuyerToken({ ctx, input: { challenge, nonce } }))).toBe("pow_challenge_used");
  });
});
