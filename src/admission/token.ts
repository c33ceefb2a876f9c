/**
 * Admission tokens: what an admitted viewer shows the hold and checkout routes while the drop's queue
 * is on. A compact JWS (HS256, `typ: admission+jwt`, `kid` in the header) signed with the quote keys,
 * because only this worker signs and verifies it, like a quote; its own issuer and typ keep one from
 * ever passing for the other. Claims: the drop (`aud`), the buyer key (`sub`), the ticket (`tkt`) and
 * `exp`, the admission's own lapse, so a token outlives its admission by nothing.
 */
import { z } from "zod";
import type { Config } from "../config";
import { AppError } from "../errors";
import { type QuoteKeys, quoteKeys, signWorkerToken, verifyWorkerToken } from "../quotes/token";

const ISSUER = "creator-commerce:admission";
const TYP = "admission+jwt";

export interface AdmissionClaims {
  dropId: string;
  buyerKey: string;
  ticketId: string;
  /** ms since the epoch; the token carries whole seconds, rounded down so it never outlives the admission. */
  expiresAt: number;
}

export const signAdmission = (keys: QuoteKeys, claims: AdmissionClaims): Promise<string> =>
  signWorkerToken(keys, TYP, {
    tkt: claims.ticketId,
    iss: ISSUER,
    aud: claims.dropId,
    sub: claims.buyerKey,
    exp: Math.floor(claims.expiresAt / 1000),
  });

const Payload = z.object({ tkt: z.string().min(1), aud: z.string(), sub: z.string(), exp: z.number().int() });

const required = (detail: string) => new AppError("admission_required", detail);

/**
 * The ticket an admission token admits, when it is this worker's, unexpired at `now`, for `dropId` and
 * for `buyerKey`; anything else (missing, altered, expired, another drop's or another buyer's) is
 * `admission_required` (403): the buyer's way forward is the queue either way.
 */
export async function verifyAdmission(
  config: Pick<Config, "QUOTE_SIGNING_KEYS">,
  token: string,
  dropId: string,
  buyerKey: string,
  now: number = Date.now(),
): Promise<{ ticketId: string }> {
  if (token === "") throw required("This drop admits buyers through its queue: join it and wait your turn.");
  const keys = await quoteKeys(config.QUOTE_SIGNING_KEYS);
  const notOurs = () => required("The admission token does not verify: it was altered or not issued here.");
  const claims = await verifyWorkerToken(keys, token, {
    issuer: ISSUER,
    typ: TYP,
    now,
    schema: Payload,
    invalid: notOurs,
    expired: () => required("The admission has lapsed; join the queue again."),
    missing: () => required("The admission token is missing claims."),
  });
  if (claims.aud !== dropId) throw required("The admission token is for another drop.");
  if (claims.sub !== buyerKey) throw required("The admission token was issued to another buyer.");
  return { ticketId: claims.tkt };
}
