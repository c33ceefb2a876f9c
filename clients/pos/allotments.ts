/**
 * Allotments for the reference POS client: a device claims units of a drop while online, sells them
 * offline, and releases what is left. Built on client.ts alone (so jose and WebCrypto beneath, nothing of
 * the worker's): copy the two files together.
 *
 * Two rules. A claim is saved with its claim_id before it is first sent, and resent under that id until the
 * server answers it, so a claim whose answer was lost (or whose app died) takes its units once. And a sale
 * that would take more units than its allotment has left on this device is refused when enqueued, since
 * the server would reject it `allotment_exceeded` at sync, after the buyer has gone. What is left is counted
 * from the sales buffer itself (its sales naming the allotment, less rejected ones), so no counter has to
 * be kept in step with it; prune() keeps the sales that count.
 *
 * The server takes a sale from its allotment while the allotment is live when the sale syncs: sync before
 * `expires_at`, or those sales fall back on the drop's open stock and may be rejected `sold_out`.
 */
import {
  type BufferedItem,
  createPosClient,
  memoryCell,
  type NewPosItem,
  type PosClientOptions,
  PosSyncError,
  readProblem,
  type SyncStop,
  type SyncSummary,
  signedSender,
} from "./client";

/** Units of a drop the device claimed while online, as the server last described them. */
export interface Allotment {
  id: string;
  object: "pos_allotment";
  device_id: string;
  drop_id: string;
  /** The drop's offer: the offer_id of every sale made from the allotment. */
  offer_id: string;
  quantity: number;
  /** Units synced sales had taken when the server last answered. */
  consumed: number;
  /** Units still held for the device when the server last answered; 0 once ended. */
  remaining: number;
  state: "active" | "released" | "expired";
  expires_at: string;
  released_at: string | null;
  created_at: string;
}

/** Allotment ids one batch may release. */
export const MAX_RELEASES = 50;

export interface ClaimRequest {
  dropId: string;
  quantity: number;
  /** How long the units stay claimed: at most, and by default, the device's offline window. */
  hours?: number;
  /** Take what is left when fewer than `quantity` units remain, rather than nothing. */
  allowPartial?: boolean;
}

/** A claim saved before it was first sent and not answered yet: it goes again under its claimId. */
export interface PendingClaim extends ClaimRequest {
  claimId: string;
}

/** What the allotment storage keeps: unanswered claims, and the allotments the server answered. */
export interface AllotmentBook {
  claims: PendingClaim[];
  allotments: Allotment[];
}

/** Where the book lives, beside the sales' PosStorage. `load` answers undefined before the first save. */
export interface AllotmentStorage {
  load(): Promise<AllotmentBook | undefined>;
  save(book: AllotmentBook): Promise<void>;
}

/** An allotment book in memory: for tests and demos. */
export const memoryAllotmentStorage = (initial?: AllotmentBook): AllotmentStorage =>
  memoryCell<AllotmentBook | undefined>(initial);

/** An allotment, what this device sold from it, and what it may still sell. */
export interface AllotmentBalance {
  allotment: Allotment;
  /** Units of the buffered sales naming it, less rejected ones (the server took none of those). */
  sold: number;
  /** Units it may still sell from it: 0 once released, expired (by this device's clock) or being released. */
  sellable: number;
}

export type ClaimStop = "refused" | "unavailable" | "claim_pending";

/**
 * Why a claim failed. `refused`: the server said no (`status`, and the problem's `type`, e.g.
 * `…/problems/sold-out`); the claim is forgotten unless the status is 401 (set the clock, claim again).
 * `unavailable`: no answer after the retries; the claim is kept and claiming again resends it.
 * `claim_pending`: another claim for the drop is unanswered (`claimId` names it); send that one first.
 */
export class PosClaimError extends Error {
  constructor(
    readonly reason: ClaimStop,
    message: string,
    readonly claimId: string,
    readonly status?: number,
    readonly type?: string,
  ) {
    super(message);
    this.name = "PosClaimError";
  }
}

export type SaleRefusal = "unknown_allotment" | "offer_mismatch" | "exceeded" | "ended";

/** A sale refused before it was buffered, because the server would reject it at sync. */
export class PosAllotmentError extends Error {
  constructor(
    readonly reason: SaleRefusal,
    message: string,
    readonly allotmentId: string,
    readonly sellable: number,
  ) {
    super(message);
    this.name = "PosAllotmentError";
  }
}

export interface AllotmentClientOptions extends PosClientOptions {
  allotmentStorage: AllotmentStorage;
}

export function createPosClientWithAllotments(options: AllotmentClientOptions) {
  const client = createPosClient(options);
  const sender = signedSender(options);
  const store = options.allotmentStorage;
  const now = options.now ?? Date.now;
  // Allotments a release is under way for (once per call): a sale from one now would sync after it.
  const releasing: string[] = [];

  // Reads and writes of the book, and each check-then-enqueue of an allotment sale, run one at a time.
  let queue: Promise<unknown> = Promise.resolve();
  const locked = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  const loadBook = async (): Promise<AllotmentBook> => (await store.load()) ?? { claims: [], allotments: [] };

  const isLive = (a: Allotment) =>
    a.state === "active" && now() < Date.parse(a.expires_at) && !releasing.includes(a.id);

  function balanceOf(allotment: Allotment, items: BufferedItem[]): AllotmentBalance {
    let sold = 0;
    for (const b of items) {
      if (b.item.allotment_id === allotment.id && b.status !== "rejected") sold += b.item.quantity;
    }
    const left = allotment.quantity - Math.max(sold, allotment.consumed);
    return { allotment, sold, sellable: isLive(allotment) ? Math.max(0, left) : 0 };
  }

  /** Saves allotments as the server answered them over the known ones, and forgets an answered claim. */
  const record = (answered: Allotment[], claimId?: string) =>
    locked(async () => {
      const book = await loadBook();
      const byId = new Map(book.allotments.map((a) => [a.id, a]));
      for (const a of answered) byId.set(a.id, a);
      await store.save({
        claims: book.claims.filter((c) => c.claimId !== claimId),
        allotments: [...byId.values()],
      });
    });

  /**
   * Claims units of a drop (online). The claim is saved before it is sent and resent under the same
   * claim_id until answered, so calling this again with the same request after a lost answer or a restart
   * (or with a claimId from pendingClaims()) answers the same allotment, its units taken once. While a claim
   * for a drop is unanswered, a different claim for it is refused (`claim_pending`): the first may have
   * taken its units. Retries like sync(); throws PosClaimError.
   */
  async function claimAllotment(request: ClaimRequest & { claimId?: string }): Promise<Allotment> {
    const claim = await locked(async () => {
      const book = await loadBook();
      const same = book.claims.find((c) =>
        request.claimId === undefined ? sameRequest(c, request) : c.claimId === request.claimId,
      );
      if (same) return same;
      const earlier = book.claims.find((c) => c.dropId === request.dropId);
      if (earlier) {
        throw new PosClaimError(
          "claim_pending",
          `A claim of ${earlier.quantity} units of drop ${earlier.dropId} is unanswered and may have taken ` +
            `them: send it again first (the same request, or claimId ${earlier.claimId}).`,
          earlier.claimId,
        );
      }
      const { dropId, quantity, hours, allowPartial } = request;
      const made: PendingClaim = {
        claimId: request.claimId ?? crypto.randomUUID(),
        dropId,
        quantity,
        ...(hours !== undefined && { hours }),
        ...(allowPartial !== undefined && { allowPartial }),
      };
      await store.save({ ...book, claims: [...book.claims, made] });
      return made;
    });
    const payload = {
      claim_id: claim.claimId,
      drop_id: claim.dropId,
      quantity: claim.quantity,
      hours: claim.hours,
      allow_partial: claim.allowPartial,
    };
    const allotment = await sender.post(
      "/v1/pos/allotments",
      payload,
      async (res) => {
        if (res.ok) return allotmentOf(await res.json().catch(() => undefined));
        const { type, detail } = await readProblem(res);
        // A 401 is the device's clock or registration: once that is fixed, the same claim may go again.
        if (res.status !== 401) await record([], claim.claimId);
        throw new PosClaimError(
          "refused",
          `Claim refused: ${detail} (HTTP ${res.status}).`,
          claim.claimId,
          res.status,
          type,
        );
      },
      (attempts, last) =>
        new PosClaimError(
          "unavailable",
          `Could not claim after ${attempts} attempts (last: ${last}). The claim is kept: claim again ` +
            "when online and it goes under the same claim_id, so its units are taken once.",
          claim.claimId,
        ),
    );
    await record([allotment], claim.claimId);
    return allotment;
  }

  /**
   * Buffers a sale as client.enqueue does. A sale naming an allotment is first checked against what this
   * device may still sell from it, and refused (PosAllotmentError) rather than buffered when the server
   * would reject it at sync. Enqueuing a client_id already buffered returns that entry.
   */
  function enqueue(input: NewPosItem): Promise<BufferedItem> {
    const allotmentId = input.allotment_id;
    if (allotmentId === undefined) return client.enqueue(input);
    return locked(async () => {
      const items = await client.items();
      if (!items.some((b) => b.item.client_id === input.client_id)) {
        const allotment = (await loadBook()).allotments.find((a) => a.id === allotmentId);
        const refuse = (reason: SaleRefusal, message: string, sellable = 0) =>
          new PosAllotmentError(reason, message, allotmentId, sellable);
        if (allotment === undefined) {
          throw refuse("unknown_allotment", `No allotment ${allotmentId} was claimed with this storage.`);
        }
        if (allotment.offer_id !== input.offer_id) {
          throw refuse(
            "offer_mismatch",
            `Allotment ${allotmentId} sells offer ${allotment.offer_id}, not ${input.offer_id}.`,
          );
        }
        if (!isLive(allotment)) {
          const state = releasing.includes(allotmentId)
            ? "being released"
            : allotment.state === "active"
              ? "expired"
              : allotment.state;
          throw refuse("ended", `Allotment ${allotmentId} is ${state}: claim another to sell offline.`);
        }
        const { sellable } = balanceOf(allotment, items);
        if (input.quantity > sellable) {
          throw refuse(
            "exceeded",
            `Allotment ${allotmentId} has ${sellable} units left on this device; the sale takes ${input.quantity}.`,
            sellable,
          );
        }
      }
      return client.enqueue(input);
    });
  }

  /** Sends one batch of releases (no items) until answered: the allotments as the server left them. */
  function sendRelease(ids: string[], summary: SyncSummary): Promise<Allotment[]> {
    const stop = (reason: SyncStop, why: string, status?: number) =>
      new PosSyncError(
        reason,
        `Release stopped: ${why} The sales are synced; release again later (unused units also return ` +
          "when the allotments expire).",
        status,
        summary,
      );
    return sender.post(
      "/v1/pos/reconcile",
      { batch_id: crypto.randomUUID(), items: [], release_allotments: ids },
      async (res) => {
        if (!res.ok) {
          const reasons: Record<number, SyncStop> = {
            401: "unauthorized",
            403: "revoked",
            422: "invalid_batch",
          };
          const { detail } = await readProblem(res);
          throw stop(reasons[res.status] ?? "unexpected", `${detail} (HTTP ${res.status}).`, res.status);
        }
        const body = (await res.json().catch(() => undefined)) as
          | { released_allotments?: unknown }
          | undefined;
        const listed = body?.released_allotments;
        const released = Array.isArray(listed) ? listed.map(allotmentOf) : [undefined];
        return released.every((a) => a !== undefined) ? (released as Allotment[]) : undefined;
      },
      (attempts, last) => stop("unavailable", `no answer after ${attempts} attempts (last: ${last}).`),
    );
  }

  return {
    ...client,
    enqueue,
    /** Buffers a sale from an allotment, naming its offer and id for you (see enqueue). */
    async enqueueFromAllotment(
      allotmentId: string,
      sale: Omit<NewPosItem, "offer_id" | "allotment_id">,
    ): Promise<BufferedItem> {
      const allotment = (await locked(loadBook)).allotments.find((a) => a.id === allotmentId);
      return enqueue({ ...sale, offer_id: allotment?.offer_id ?? "", allotment_id: allotmentId });
    },
    claimAllotment,
    /** Claims saved but not answered yet (after a lost answer or a restart): claim them again. */
    pendingClaims: () => locked(async () => (await loadBook()).claims),
    /** Every allotment claimed with this storage, with what was sold from it here and what is left. */
    allotments: () =>
      locked(async () => {
        const [book, items] = [await loadBook(), await client.items()];
        return book.allotments.map((a) => balanceOf(a, items));
      }),
    /**
     * Gives allotments' unused units back to their drops. Sales from them are refused from this call on;
     * every pending sale is synced first so that those made from them consume them before they go (a sync
     * already running is joined, then a fresh one sends what it missed); then the ids, up to MAX_RELEASES
     * a batch, with no items. Answers the sales' summary and the allotments as the server left them (ids
     * not this device's are left out), also saved here. Throws PosSyncError; releasing again is harmless.
     */
    async releaseAllotments(ids: string[]): Promise<{ summary: SyncSummary; released: Allotment[] }> {
      const unique = [...new Set(ids)];
      releasing.push(...unique);
      try {
        const summary = plus(await client.sync(), await client.sync());
        const released: Allotment[] = [];
        for (let start = 0; start < unique.length; start += MAX_RELEASES) {
          const answered = await sendRelease(unique.slice(start, start + MAX_RELEASES), summary);
          await record(answered);
          released.push(...answered);
        }
        return { summary, released };
      } finally {
        for (const id of unique) releasing.splice(releasing.indexOf(id), 1);
      }
    },
    /**
     * Drops settled sales as client.prune does, but keeps those from allotments this device still sells
     * from: they count what it has left. Returns how many went.
     */
    prune: () =>
      locked(async () => {
        const live = new Set((await loadBook()).allotments.filter(isLive).map((a) => a.id));
        return client.prune((b) => b.status !== "rejected" && live.has(b.item.allotment_id ?? ""));
      }),
  };
}

export type PosClientWithAllotments = ReturnType<typeof createPosClientWithAllotments>;

const sameRequest = (a: ClaimRequest, b: ClaimRequest) =>
  a.dropId === b.dropId &&
  a.quantity === b.quantity &&
  a.hours === b.hours &&
  (a.allowPartial ?? false) === (b.allowPartial ?? false);

/** Two syncs run back to back, as one. */
const plus = (a: SyncSummary, b: SyncSummary): SyncSummary => ({
  batches: a.batches + b.batches,
  sent: a.sent + b.sent,
  accepted: a.accepted + b.accepted,
  duplicate: a.duplicate + b.duplicate,
  rejected: a.rejected + b.rejected,
  remaining: b.remaining,
});

/** The body as an allotment, or undefined if it is not one. */
function allotmentOf(body: unknown): Allotment | undefined {
  const a = body as Partial<Allotment> | null | undefined;
  const texts = [a?.id, a?.drop_id, a?.offer_id, a?.expires_at, a?.created_at];
  const counts = [a?.quantity, a?.consumed, a?.remaining];
  const known = a?.state === "active" || a?.state === "released" || a?.state === "expired";
  return a?.object === "pos_allotment" &&
    known &&
    texts.every((t) => typeof t === "string") &&
    counts.every((n) => typeof n === "number")
    ? (a as Allotment)
    : undefined;
}
