/**
 * The gate in front of a drop's units: who the buyer is, whether they proved enough to hold this drop,
 * and whether the queue admitted them. The hold route calls `gateHold`; checkout create calls
 * `gateCheckout` for every drop its quote holds. Both read the drop's settings from the per-isolate
 * copy (./settings.ts), so a gate costs no D1 read on a hot drop, and verifying a token is one HMAC.
 *
 * The rules (docs/buyer-tokens.md):
 * - A Buyer-Token that is sent is always verified, on any drop, and its key (`btk:<id>`) replaces
 *   Buyer-Id: a tampered or expired one is 401, never quietly ignored.
 * - buyer_proof `token`: a valid Buyer-Token is required (401 buyer_token_required). `pow`: its
 *   proof-of-work bits must reach the drop's difficulty. `none`: Buyer-Id alone still holds, as before.
 * - A checkout for a signed-in member (a quote priced for `member:<id>`, its member token verified at
 *   checkout) passes the proof: members are identities the creator issued, not ones a client invents.
 * - queue on and the drop live: an Admission-Token for this drop and this buyer key is required (403).
 */

import { DEFAULT_DIFFICULTY } from "../buyers/pow";
import { tokenBuyerKey, verifyBuyerToken } from "../buyers/token";
import type { Db } from "../db/client";
import { AppError, invalid, notFound } from "../errors";
import { buyerKey } from "../holds/buyer";
import type { InventoryGateway } from "../inventory/gateway";
import { creatorSuspended } from "../operator/standing";
import type { QuoteClaims, QuoteKeys } from "../quotes/token";
import { type DropSettings, dropSettings, isLive } from "./settings";

/** The headers a gated route accepts, as validated by its schema. */
export interface GateHeaders {
  "buyer-id"?: string | undefined;
  "buyer-token"?: string | undefined;
  "admission-token"?: string | undefined;
}

/** The queue's check (src/admission/token.ts): throws 403 admission_required, or names the ticket. */
export type AdmissionCheck = (
  token: string,
  dropId: string,
  buyerKey: string,
) => Promise<{ ticketId: string }>;

export interface GateContext {
  db: Db;
  inventory: InventoryGateway;
  now: number;
  buyerKeys: QuoteKeys;
  admit: AdmissionCheck;
}

export interface Admitted {
  dropId: string;
  ticketId: string;
}

/** Who is asking, from the headers: a verified Buyer-Token, else the client's own Buyer-Id. */
interface Asker {
  key: string;
  /** Holds a token this worker minted, and the proof-of-work bits it was earned with. */
  proven: boolean;
  powBits: number;
}

const MINT = "POST /v1/buyer-tokens";
const CHALLENGE = "GET /v1/buyer-tokens/challenge";

async function askerOf(
  ctx: Pick<GateContext, "buyerKeys" | "now">,
  headers: GateHeaders,
): Promise<Asker | null> {
  const token = headers["buyer-token"];
  if (token !== undefined) {
    const claims = await verifyBuyerToken(ctx.buyerKeys, token, ctx.now);
    return { key: tokenBuyerKey(claims.buyerId), proven: true, powBits: claims.powBits };
  }
  const id = headers["buyer-id"];
  return id === undefined ? null : { key: buyerKey({ "buyer-id": id }), proven: false, powBits: 0 };
}

/** Refuses an asker who has not proved what the drop asks; a `none` drop asks nothing. */
function assertProof(settings: DropSettings, asker: Pick<Asker, "proven" | "powBits">): void {
  if (settings.buyerProof === "none") return;
  if (!asker.proven) {
    throw new AppError(
      "buyer_token_required",
      settings.buyerProof === "pow"
        ? `Drop ${settings.id} holds only for buyers with a Buyer-Token earned by a proof of work: get a ` +
            `challenge at ${CHALLENGE}?drop_id=${settings.id}, solve it, and mint the token at ${MINT}.`
        : `Drop ${settings.id} holds only for buyers with a Buyer-Token: mint one at ${MINT} and send it ` +
            "as the Buyer-Token header.",
    );
  }
  const difficulty = settings.powDifficulty ?? DEFAULT_DIFFICULTY;
  if (settings.buyerProof === "pow" && asker.powBits < difficulty) {
    throw new AppError(
      "buyer_token_required",
      `Drop ${settings.id} needs a Buyer-Token earned with ${difficulty} bits of proof of work; this one ` +
        `carries ${asker.powBits}. Get a challenge at ${CHALLENGE}?drop_id=${settings.id}, solve it, and ` +
        `mint a new token at ${MINT}.`,
    );
  }
}

/**
 * The drop must be the named creator's (a publishable key's: another creator's drop reads as unknown),
 * and its creator not suspended. Both come with the settings row, so this costs no read.
 */
function assertSellable(settings: DropSettings, owner: string | null | undefined): void {
  if (owner != null && settings.creatorId !== owner) throw notFound("drop", settings.id);
  if (settings.creatorSuspended) throw creatorSuspended("drop");
}

/** The queue's admission, while it is on and the drop is live; null when no admission is needed. */
async function admission(
  ctx: GateContext,
  settings: DropSettings,
  key: string,
  headers: GateHeaders,
): Promise<Admitted | null> {
  if (!settings.queueEnabled || !isLive(settings, ctx.now)) return null;
  const token = headers["admission-token"];
  if (token === undefined) {
    throw new AppError(
      "admission_required",
      `Drop ${settings.id} admits buyers through its queue: join it at POST /v1/drops/${settings.id}/queue ` +
        "and send the admission token you are given as the Admission-Token header.",
    );
  }
  const { ticketId } = await ctx.admit(token, settings.id, key);
  return { dropId: settings.id, ticketId };
}

/** The buyer key a direct hold counts against, once the drop's gate lets it through. */
export async function gateHold(
  ctx: GateContext,
  dropId: string,
  headers: GateHeaders,
  owner?: string | null,
): Promise<{ buyerKey: string; admission: Admitted | null }> {
  // Side by side: a token's HMAC and the (usually cached) settings read do not wait on each other.
  const [settings, asker] = await Promise.all([dropSettings(ctx.db, dropId, ctx.now), askerOf(ctx, headers)]);
  assertSellable(settings, owner);
  // D1 just vouched for the drop: the gateway needs no read of its own to address its object.
  ctx.inventory.vouch(dropId);
  if (asker === null) {
    assertProof(settings, { proven: false, powBits: 0 });
    throw invalid(
      [{ in: "header", path: "/buyer-id", message: "Required unless a Buyer-Token is sent" }],
      "Send Buyer-Token (or, where the drop allows it, Buyer-Id): per-buyer caps need a stable buyer.",
    );
  }
  assertProof(settings, asker);
  return { buyerKey: asker.key, admission: await admission(ctx, settings, asker.key, headers) };
}

/**
 * Checkout create's gate, for every drop its quote holds. The buyer is the quote's; a Buyer-Token sent
 * must be that same buyer's. Answers the token's key (create checks a `btk:` quote is paid for by its
 * holder) and the admissions it checked (the holds themselves use them, in the drops' objects).
 */
export async function gateCheckout(
  ctx: GateContext,
  quote: Pick<QuoteClaims, "buyerKey" | "drops">,
  headers: GateHeaders,
): Promise<{ tokenKey: string | undefined; admissions: Admitted[] }> {
  const token = headers["buyer-token"];
  const claims = token === undefined ? undefined : await verifyBuyerToken(ctx.buyerKeys, token, ctx.now);
  const tokenKey = claims === undefined ? undefined : tokenBuyerKey(claims.buyerId);
  if (tokenKey !== undefined && tokenKey !== quote.buyerKey) {
    throw invalid(
      [{ in: "header", path: "/buyer-token", message: "Not the buyer this quote was made for" }],
      "The Buyer-Token is another buyer's than the quote's; quote again with this token.",
    );
  }
  const asker = quote.buyerKey.startsWith("member:")
    ? { proven: true, powBits: Number.POSITIVE_INFINITY }
    : { proven: claims !== undefined, powBits: claims?.powBits ?? 0 };
  const settings = await Promise.all(quote.drops.map((d) => dropSettings(ctx.db, d.dropId, ctx.now)));
  for (const s of settings) assertSellable(s, null);
  for (const s of settings) assertProof(s, asker);
  const admitted = await Promise.all(settings.map((s) => admission(ctx, s, quote.buyerKey, headers)));
  return { tokenKey, admissions: admitted.filter((a): a is Admitted => a !== null) };
}

/**
 * The buyer key joining a drop's queue (and reading one's ticket) counts as: the same proof rules as a
 * hold, without the admission (joining is how one gets it). Without this, invented Buyer-Ids could fill
 * a token drop's queue and have admissions speak for its stock until they lapse.
 */
export async function gateQueue(
  ctx: GateContext,
  dropId: string,
  headers: GateHeaders,
  owner?: string | null,
): Promise<string> {
  const [settings, asker] = await Promise.all([dropSettings(ctx.db, dropId, ctx.now), askerOf(ctx, headers)]);
  assertSellable(settings, owner);
  assertProof(settings, asker ?? { proven: false, powBits: 0 });
  if (asker === null) {
    throw invalid([{ in: "header", path: "/buyer-id", message: "Required unless a Buyer-Token is sent" }]);
  }
  return asker.key;
}

/**
 * The key GET and DELETE of a hold address it by: the Buyer-Token's when one is sent (verified), else
 * Buyer-Id's. No drop rules apply: a buyer may always see and give back their own hold.
 */
export async function requestBuyerKey(ctx: Pick<GateContext, "buyerKeys" | "now">, headers: GateHeaders) {
  const asker = await askerOf(ctx, headers);
  if (asker === null) {
    throw invalid([{ in: "header", path: "/buyer-id", message: "Required unless a Buyer-Token is sent" }]);
  }
  return asker.key;
}
