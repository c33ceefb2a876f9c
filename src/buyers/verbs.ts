/**
 * Minting buyer tokens and handing out proof-of-work challenges. The per-IP rate limit is the route's
 * (it needs the request); these verbs decide what a token says and whether a solution earns bits.
 */
import { AppError } from "../errors";
import { toIso } from "../lib/time";
import type { QuoteKeys } from "../quotes/token";
import type { ChallengeLedger } from "./challenges";
import { newChallenge, signChallenge, solutionBits, verifyChallenge } from "./pow";
import type { BuyerTokenView, ChallengeView } from "./schemas";
import { BUYER_TOKEN_TTL_MS, newBuyerId, signBuyerToken, tokenBuyerKey } from "./token";

export interface BuyerTokenContext {
  keys: QuoteKeys;
  now: number;
  challenges: ChallengeLedger;
}

export async function issueChallenge({
  ctx,
  input,
}: {
  ctx: Pick<BuyerTokenContext, "keys" | "now">;
  input: { difficulty: number };
}): Promise<ChallengeView> {
  const challenge = newChallenge(input.difficulty, ctx.now);
  return {
    object: "pow_challenge",
    challenge: await signChallenge(ctx.keys, challenge),
    difficulty: challenge.difficulty,
    algorithm: "sha256-leading-zero-bits",
    expires_at: toIso(challenge.expiresAt),
  };
}

/**
 * A fresh buyer token; with a solved challenge it carries the challenge's difficulty as its bits (what
 * was asked, not a luckier hash: the expected work is what a drop's difficulty prices). The checks
 * cost one HMAC and one hash, and only a solution that passes both spends the challenge, so a wrong
 * nonce can be corrected while the challenge lasts, and a right one works exactly once.
 */
export async function mintBuyerToken({
  ctx,
  input,
}: {
  ctx: BuyerTokenContext;
  input: { challenge?: string | undefined; nonce?: string | undefined };
}): Promise<BuyerTokenView> {
  let powBits = 0;
  if (input.challenge !== undefined && input.nonce !== undefined) {
    const challenge = await verifyChallenge(ctx.keys, input.challenge, ctx.now);
    const bits = await solutionBits(input.challenge, input.nonce);
    if (bits < challenge.difficulty) {
      throw new AppError(
        "pow_solution_invalid",
        `SHA-256(challenge ‖ nonce) starts with ${bits} zero bits; the challenge asks for ${challenge.difficulty}.`,
      );
    }
    if (!(await ctx.challenges.spend(challenge, ctx.now))) {
      throw new AppError(
        "pow_challenge_used",
        "This challenge was already redeemed for a token; each solves once. Ask for a new challenge.",
      );
    }
    powBits = challenge.difficulty;
  }
  const issuedAt = Math.floor(ctx.now / 1000) * 1000;
  const claims = { buyerId: newBuyerId(), powBits, issuedAt, expiresAt: issuedAt + BUYER_TOKEN_TTL_MS };
  return {
    object: "buyer_token",
    token: await signBuyerToken(ctx.keys, claims),
    buyer_key: tokenBuyerKey(claims.buyerId),
    pow_bits: powBits,
    expires_at: toIso(claims.expiresAt),
  };
}
