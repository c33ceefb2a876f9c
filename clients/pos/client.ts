/**
 * A reference client for point-of-sale apps: buffer sales while offline, sync them to
 * `POST /v1/pos/reconcile` when online. Framework-free (browsers, React Native, Node ≥ 20, Workers); it
 * depends on jose and WebCrypto only, and never imports the worker's own code.
 *
 * Exactly-once comes from the server: every item carries a client_id made here, and the worker lands a
 * client_id once however often it is sent (a resend answers "duplicate" with the original ids). So the one
 * rule here: an item stays `pending` in storage until its result has been saved, and a pending item may
 * always be sent again — after a lost response, a timeout, or the app dying mid-sync.
 *
 * Selling a drop offline takes an allotment claimed while online: allotments.ts builds that on this
 * file (claims, releases, and a local guard against selling past an allotment).
 */
import { CompactSign } from "jose";

export const MAX_BATCH = 500;

export type RejectCode =
  | "sold_out"
  | "allotment_exceeded"
  | "offline_window_exceeded"
  | "device_limit_exceeded"
  | "unknown_offer"
  /** The offer sells only through an open or upcoming drop: sell it from an allotment of that drop. */
  | "drop_required"
  /** The allotment was claimed by another device: a device sells only from its own. */
  | "allotment_not_owned"
  | "invalid";

/** One sale as the worker receives it. `amount` is the whole item's price in minor units. */
export interface PosItem {
  client_id: string;
  captured_at: string;
  email: string;
  offer_id: string;
  quantity: number;
  amount: number;
  currency: string;
  payment: { method: "cash" | "card_offline" | "pay_later"; reference?: string };
  allotment_id?: string;
}
/** What the app enqueues: client_id and captured_at are made when absent. */
export type NewPosItem = Omit<PosItem, "client_id" | "captured_at"> &
  Partial<Pick<PosItem, "client_id" | "captured_at">>;

/**
 * A receipt of one sale, to show the buyer: it lists only what that sale granted and is not a sign-in
 * (the email typed at the till was never verified), so it cannot stand in for the member's own token.
 */
export interface BuyerToken {
  token: string;
  expires_at: string;
  entitlements: string[];
  scope: "purchase";
}

/** An item and where it stands. Only `pending` items are ever sent. */
export type BufferedItem =
  | { status: "pending"; item: PosItem }
  | {
      status: "accepted" | "duplicate";
      item: PosItem;
      member_id: string;
      order_id: string;
      entitlement_ids: string[];
      token?: BuyerToken;
    }
  | { status: "rejected"; item: PosItem; code: RejectCode; message: string };

/** Where the buffer lives (IndexedDB, AsyncStorage, a file…). `save` must replace the whole list. */
export interface PosStorage {
  load(): Promise<BufferedItem[]>;
  save(items: BufferedItem[]): Promise<void>;
}

/** A value that lives as long as the page/process, copied in and out as a real storage would. */
export function memoryCell<T>(initial: T): { load(): Promise<T>; save(next: T): Promise<void> } {
  const copy = (value: T): T => (value === undefined ? value : JSON.parse(JSON.stringify(value)));
  let value = copy(initial);
  return {
    load: async () => copy(value),
    save: async (next) => {
      value = copy(next);
    },
  };
}

/** A sales buffer in memory: for tests and demos. */
export const memoryStorage = (initial: BufferedItem[] = []): PosStorage => memoryCell(initial);

export interface BatchPayload {
  batch_id: string;
  signed_at: string;
  event?: string;
  items: PosItem[];
  /** Allotments the device is done with (see allotments.ts): released after the items land. */
  release_allotments?: string[];
}

/** The request body: a compact JWS (EdDSA) under the device's id as `kid`. */
export function signBatch(privateKey: CryptoKey, deviceId: string, payload: BatchPayload): Promise<string> {
  return signPayload(privateKey, deviceId, payload);
}

const signPayload = (privateKey: CryptoKey, deviceId: string, payload: object): Promise<string> =>
  new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: "EdDSA", kid: deviceId })
    .sign(privateKey);

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface PosClientOptions {
  /** The worker's origin (and path prefix, if any), e.g. `https://commerce.example`. */
  baseUrl: string;
  deviceId: string;
  /** The device's Ed25519 private key; it may be non-extractable. */
  privateKey: CryptoKey;
  storage: PosStorage;
  fetch?: FetchLike;
  /** Milliseconds since the epoch; for captured_at and signed_at. */
  now?: () => number;
  /** The pop-up's name: members enrolled here record `pos:<event>`. */
  event?: string;
  /** Items per batch, 1 to 500 (default 500). */
  maxBatch?: number;
  /** Tries per batch before sync gives up on transport failures and 5xx (default 5). */
  maxAttempts?: number;
  /** The first retry's delay; each next one doubles, up to 60 s, with jitter (default 1000). */
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface SyncSummary {
  /** Requests the server answered with results (retries of one batch count once). */
  batches: number;
  /** Items with a result applied in this sync: accepted + duplicate + rejected. */
  sent: number;
  accepted: number;
  duplicate: number;
  rejected: number;
  /** Items still pending in storage afterwards (including any enqueued during the sync). */
  remaining: number;
}

export type SyncStop =
  | "unauthorized"
  | "revoked"
  | "too_large"
  | "invalid_batch"
  | "unavailable"
  | "unexpected";

/** Why a sync stopped early. Items not yet answered stay pending; `summary` counts what got done. */
export class PosSyncError extends Error {
  constructor(
    readonly reason: SyncStop,
    message: string,
    readonly status: number | undefined,
    readonly summary: SyncSummary,
  ) {
    super(message);
    this.name = "PosSyncError";
  }
}

/** A stop decided while sending one batch; sync() turns it into a PosSyncError with its summary. */
class Stop {
  constructor(
    readonly reason: SyncStop,
    readonly message: string,
    readonly status?: number,
  ) {}
}

export type SenderOptions = Pick<
  PosClientOptions,
  "baseUrl" | "deviceId" | "privateKey" | "fetch" | "now" | "maxAttempts" | "retryDelayMs" | "sleep"
>;

/**
 * Posts device-signed payloads, retrying what a retry can fix: transport failures, 5xx and 429 (honouring
 * Retry-After) and answers it cannot read, with jittered backoff doubling up to 60 s. Every attempt is
 * signed anew with its own signed_at, which must be within 5 minutes of the server's clock when it arrives.
 * `answer` reads any other response: the result, undefined if unreadable (tried again), or a throw to stop.
 */
export function signedSender(options: SenderOptions) {
  const origin = options.baseUrl.replace(/\/+$/, "");
  const doFetch: FetchLike = options.fetch ?? ((input, init) => fetch(input, init));
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  const baseDelay = options.retryDelayMs ?? 1000;

  return {
    url: (path: string) => `${origin}${path}`,
    /** `giveUp` makes what is thrown once maxAttempts are spent, from the attempts and the last failure. */
    async post<T>(
      path: string,
      payload: object,
      answer: (res: Response) => Promise<T | undefined>,
      giveUp: (attempts: number, lastFailure: string) => unknown,
    ): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        const signed = { ...payload, signed_at: new Date(now()).toISOString() };
        const body = await signPayload(options.privateKey, options.deviceId, signed);
        // A transport failure (offline, DNS, a reset) becomes its message.
        const res = await Promise.resolve()
          .then(() =>
            doFetch(`${origin}${path}`, {
              method: "POST",
              headers: { "content-type": "application/jose" },
              body,
            }),
          )
          .catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
        let failure: string;
        let retryAfterMs = 0;
        if (typeof res === "string") {
          failure = res;
        } else if (res.status >= 500 || res.status === 429) {
          failure = `HTTP ${res.status}`;
          retryAfterMs = 1000 * (Number(res.headers.get("retry-after")) || 0);
        } else {
          const result = await answer(res);
          if (result !== undefined) return result;
          // A 200 we cannot read (a captive portal's page, a proxy): nothing is known, so try again.
          failure = `an HTTP ${res.status} answer it could not read`;
        }
        if (attempt >= maxAttempts) throw giveUp(attempt, failure);
        const backoff = Math.min(60_000, baseDelay * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2);
        await sleep(Math.max(backoff, Math.min(retryAfterMs, 60_000)));
      }
    },
  };
}

export function createPosClient(options: PosClientOptions) {
  const { storage, event } = options;
  const sender = signedSender(options);
  const now = options.now ?? Date.now;
  const url = sender.url("/v1/pos/reconcile");
  const maxBatch = Math.min(MAX_BATCH, Math.max(1, Math.floor(options.maxBatch ?? MAX_BATCH)));

  // Every read-modify-write of storage runs one at a time, so an enqueue during a sync is never lost.
  let queue: Promise<unknown> = Promise.resolve();
  const locked = <T>(work: () => Promise<T>): Promise<T> => {
    const run = queue.then(work, work);
    queue = run.catch(() => undefined);
    return run;
  };
  const pending = () => locked(async () => (await storage.load()).filter((b) => b.status === "pending"));

  /**
   * Sends one chunk until the server answers it. A retry of the same chunk keeps its batch_id: it is the
   * same logical batch (the audit log shows one batch retried, not several), and the server's
   * exactly-once is per client_id, so the id never decides what lands.
   */
  function send(chunk: PosItem[]): Promise<BufferedItem[]> {
    return sender.post(
      "/v1/pos/reconcile",
      { batch_id: crypto.randomUUID(), event, items: chunk },
      async (res) => {
        if (!res.ok) throw stopFor(res.status, (await readProblem(res)).detail);
        return outcomesOf(await res.json().catch(() => undefined), chunk);
      },
      (attempts, last) =>
        new Stop(
          "unavailable",
          `Could not sync after ${attempts} attempts (last: ${last}). Nothing is lost: ` +
            "the items stay pending; sync again when the connection is back.",
        ),
    );
  }

  /** A status retrying cannot fix, and what the app (or its operator) should do about it. */
  function stopFor(status: number, detail: string): Stop {
    const advice: Record<number, [SyncStop, string]> = {
      401: [
        "unauthorized",
        "If the device clock is off, set it (a batch must be signed within 5 minutes of server time); " +
          "otherwise the device is not registered under this id and key: register it again.",
      ],
      403: ["revoked", "The device is revoked: register a new device and sync this same storage with it."],
      413: ["too_large", `The batch is over the body limit: lower maxBatch (now ${maxBatch}).`],
      422: ["invalid_batch", "Fix the event name (1 to 100 characters); items never cause this."],
    };
    const [reason, what] = advice[status] ?? ["unexpected", `Check baseUrl (${url}).`];
    return new Stop(
      reason,
      `Sync stopped: ${detail} (HTTP ${status}). ${what} The items stay pending.`,
      status,
    );
  }

  /** Saves a chunk's outcomes over their pending items, leaving everything else as it is. */
  const apply = (outcomes: BufferedItem[]) =>
    locked(async () => {
      const byId = new Map(outcomes.map((o) => [o.item.client_id, o]));
      const items = await storage.load();
      await storage.save(items.map((b) => (b.status === "pending" ? (byId.get(b.item.client_id) ?? b) : b)));
    });

  async function run(): Promise<SyncSummary> {
    const summary: SyncSummary = {
      batches: 0,
      sent: 0,
      accepted: 0,
      duplicate: 0,
      rejected: 0,
      remaining: 0,
    };
    const todo = (await pending()).map((b) => b.item);
    try {
      for (let start = 0; start < todo.length; start += maxBatch) {
        const outcomes = await send(todo.slice(start, start + maxBatch));
        await apply(outcomes);
        summary.batches += 1;
        summary.sent += outcomes.length;
        for (const o of outcomes) if (o.status !== "pending") summary[o.status] += 1;
      }
    } catch (error) {
      if (!(error instanceof Stop)) throw error;
      summary.remaining = (await pending()).length;
      throw new PosSyncError(error.reason, error.message, error.status, summary);
    }
    summary.remaining = (await pending()).length;
    return summary;
  }

  let running: Promise<SyncSummary> | undefined;
  return {
    /** Buffers a sale and persists it at once. Enqueuing a client_id already buffered returns that entry. */
    enqueue(input: NewPosItem): Promise<BufferedItem> {
      const item: PosItem = {
        ...input,
        client_id: input.client_id ?? crypto.randomUUID(),
        captured_at: input.captured_at ?? new Date(now()).toISOString(),
      };
      return locked(async () => {
        const items = await storage.load();
        const existing = items.find((b) => b.item.client_id === item.client_id);
        if (existing) return existing;
        const buffered: BufferedItem = { status: "pending", item };
        await storage.save([...items, buffered]);
        return buffered;
      });
    },
    /** Items not yet answered by the server. */
    pending,
    /** Every buffered item, settled ones with their ids, token or rejection code. */
    items: () => locked(() => storage.load()),
    /** Drops settled items (once the app has shown their tokens) but those `keep` names; returns how many went. */
    prune: (keep: (b: BufferedItem) => boolean = () => false) =>
      locked(async () => {
        const items = await storage.load();
        const kept = items.filter((b) => b.status === "pending" || keep(b));
        await storage.save(kept);
        return items.length - kept.length;
      }),
    /**
     * Sends every pending item, in batches of at most maxBatch, saving after each batch. A call while
     * another sync runs joins it. Throws PosSyncError when it has to stop (see `reason`).
     */
    sync(): Promise<SyncSummary> {
      running ??= run().finally(() => {
        running = undefined;
      });
      return running;
    },
  };
}

export type PosClient = ReturnType<typeof createPosClient>;

interface WireResult {
  index?: unknown;
  client_id?: unknown;
  status?: unknown;
  member_id?: unknown;
  order_id?: unknown;
  entitlement_ids?: string[];
  code?: RejectCode;
  message?: string;
  token?: BuyerToken;
}

/** One outcome per item of the chunk, in order, or undefined if the body is not that. */
function outcomesOf(body: unknown, chunk: PosItem[]): BufferedItem[] | undefined {
  const results: unknown = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || results.length !== chunk.length) return undefined;
  const outcomes: BufferedItem[] = [];
  for (const [index, item] of chunk.entries()) {
    const r = (results[index] ?? {}) as WireResult;
    if (r.index !== index || (r.client_id !== null && r.client_id !== item.client_id)) return undefined;
    if (r.status === "rejected") {
      outcomes.push({ status: "rejected", item, code: r.code ?? "invalid", message: r.message ?? "" });
    } else if (
      (r.status === "accepted" || r.status === "duplicate") &&
      typeof r.member_id === "string" &&
      typeof r.order_id === "string"
    ) {
      const { member_id, order_id, entitlement_ids = [], token } = r;
      outcomes.push({
        status: r.status,
        item,
        member_id,
        order_id,
        entitlement_ids,
        ...(token ? { token } : {}),
      });
    } else {
      return undefined;
    }
  }
  return outcomes;
}

/** A refusal's problem+json `type` and `detail` (or the status text). */
export async function readProblem(res: Response): Promise<{ type: string; detail: string }> {
  const problem = (await res.json().catch(() => undefined)) as
    | { type?: unknown; detail?: unknown }
    | undefined;
  return {
    type: typeof problem?.type === "string" ? problem.type : "about:blank",
    detail:
      typeof problem?.detail === "string" ? problem.detail : `HTTP ${res.status} ${res.statusText}`.trim(),
  };
}
