import { env } from "cloudflare:workers";
import { solveChallenge } from "../../clients/buyer-token";
import { type PolicyOverrides, policyOf } from "../../src/ratelimit/policies";
import { api, type Json } from "./api";

/** A connecting IP of the test's own, so no two tests share a mint counter. */
export const freshIp = () => {
  const [a = 0, b = 0, c = 0] = crypto.getRandomValues(new Uint8Array(3));
  return `10.${a}.${b}.${c}`;
};

/** Tokens one IP may mint per window, under the policy the worker enforces in this test run. */
export function mintLimit(): number {
  const raw = (env as unknown as Record<string, unknown>).RATE_LIMIT_OVERRIDES;
  const overrides =
    typeof raw === "string" && raw.length > 0 ? (JSON.parse(raw) as PolicyOverrides) : undefined;
  return policyOf("buyer_token_mint", overrides).limit;
}

export const mint = (body: Record<string, unknown> = {}, ip = freshIp()) =>
  api("POST", "/v1/buyer-tokens", { body, headers: { "cf-connecting-ip": ip } });

export const challengeFor = (query: string, ip = freshIp()) =>
  api("GET", `/v1/buyer-tokens/challenge?${query}`, { headers: { "cf-connecting-ip": ip } });

/** A token earned by solving a challenge of `query` (e.g. `difficulty=8`, `drop_id=drp_…`). */
export async function earnedToken(query: string, ip = freshIp()): Promise<Json> {
  const challenge = await challengeFor(query, ip);
  if (challenge.status !== 200) throw new Error(`challenge refused: ${JSON.stringify(challenge.body)}`);
  const nonce = await solveChallenge(challenge.body.challenge, challenge.body.difficulty);
  const minted = await mint({ challenge: challenge.body.challenge, nonce }, ip);
  if (minted.status !== 201) throw new Error(`mint refused: ${JSON.stringify(minted.body)}`);
  return minted.body;
}

/** A plain token (0 bits), for drops whose buyer_proof is `token`. */
export async function plainToken(ip = freshIp()): Promise<Json> {
  const minted = await mint({}, ip);
  if (minted.status !== 201) throw new Error(`mint refused: ${JSON.stringify(minted.body)}`);
  return minted.body;
}

let counter = 0;
/** A hold on `dropId` with the given buyer headers. */
export const holdWith = (dropId: string, headers: Record<string, string>, quantity = 1) =>
  api("POST", `/v1/drops/${dropId}/holds`, {
    headers: { "idempotency-key": `bt-${Date.now()}-${counter++}`, ...headers },
    body: { quantity },
  });

export const problem = (type: string) => `https://creator-commerce.dev/problems/${type}`;
