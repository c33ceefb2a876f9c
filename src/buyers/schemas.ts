import { z } from "@hono/zod-openapi";
import { queryInt } from "../http/query";
import { MAX_DIFFICULTY, MIN_DIFFICULTY, NONCE } from "./pow";

export const BuyerTokenSchema = z
  .object({
    object: z.literal("buyer_token"),
    token: z
      .string()
      .openapi({ description: "Send it as the Buyer-Token header on quotes, holds and checkouts." }),
    buyer_key: z.string().openapi({
      example: "btk:byr_…",
      description: "The key per-buyer caps count against; the token's buyer id was chosen by the server.",
    }),
    pow_bits: z
      .number()
      .int()
      .openapi({ description: "Leading zero bits of the proof of work it was earned with; 0 for none." }),
    expires_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("BuyerToken");

export const MintBuyerTokenBody = z
  .strictObject({
    challenge: z.string().max(1024).optional().openapi({
      description: "A challenge from GET /v1/buyer-tokens/challenge, to earn proof-of-work bits.",
    }),
    nonce: z.string().regex(NONCE, "1 to 64 characters: letters, digits, - and _").optional().openapi({
      description:
        "What makes SHA-256(challenge ‖ nonce) start with the challenge's difficulty in zero bits.",
    }),
  })
  .refine((b) => (b.challenge === undefined) === (b.nonce === undefined), {
    message: "Send challenge and nonce together, or neither",
    path: ["nonce"],
  })
  .openapi("MintBuyerToken");

export const ChallengeSchema = z
  .object({
    object: z.literal("pow_challenge"),
    challenge: z.string(),
    difficulty: z.number().int().openapi({ description: "Leading zero bits the hash must start with." }),
    algorithm: z.literal("sha256-leading-zero-bits").openapi({
      description:
        "Find a nonce (1 to 64 of A-Z a-z 0-9 - _) such that SHA-256 of the UTF-8 bytes of challenge " +
        "followed by nonce starts with `difficulty` zero bits; 2^difficulty tries on average.",
    }),
    expires_at: z.string().openapi({ format: "date-time", description: "Post the solution before this." }),
  })
  .openapi("PowChallenge");

export const ChallengeQuery = z.object({
  difficulty: queryInt({ min: MIN_DIFFICULTY, max: MAX_DIFFICULTY }).optional().openapi({
    description: "Bits of work to prove, 1 to 28; default the drop's (with drop_id) or 18.",
  }),
  drop_id: z.string().max(64).optional().openapi({ description: "Ask for the work this drop requires." }),
});

/** The gate's headers (src/drops/gate.ts), added to the hold, checkout and quote routes. */
export const GateHeaders = z.object({
  "buyer-token": z
    .string()
    .max(1024)
    .optional()
    .openapi({
      description:
        "A buyer token from POST /v1/buyer-tokens; replaces Buyer-Id, and is required on drops whose " +
        "buyer_proof is token or pow. Always verified when sent: a bad one is 401.",
    }),
  "admission-token": z.string().max(2048).optional().openapi({
    description: "While the drop's queue is on and the drop is live: the admission token the queue gave.",
  }),
});

export type BuyerTokenView = z.infer<typeof BuyerTokenSchema>;
export type ChallengeView = z.infer<typeof ChallengeSchema>;
export type MintBuyerTokenInput = z.infer<typeof MintBuyerTokenBody>;
