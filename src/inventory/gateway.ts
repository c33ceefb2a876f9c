import { eq } from "drizzle-orm";
import type { JoinResult, QueueSettings, QueueSummary, TicketRecord } from "../admission/contract";
import { queueSettingsOf } from "../admission/settings";
import type { Db } from "../db/client";
import { type DropRow, drops } from "../db/schema";
import { AppError, notFound } from "../errors";
import type { ConsumeOutcome } from "./allotments";
import type {
  AdjustResult,
  ClaimCall,
  ClaimResult,
  ConsumeResult,
  HoldResult,
  NotConfigured,
  ReserveCall,
  ReserveResult,
  SaleCall,
  StockSnapshot,
} from "./contract";
import type { DropInventory } from "./drop-inventory";
import type { DropTerms, Hold } from "./ledger";
import { idSuffix, shardName, shardOf, shardOfId } from "./sharding";

/** How long the worker waits for a drop's object before answering 503 rather than hanging. */
export const INVENTORY_DEADLINE_MS = 5000;

export const termsOf = (
  row: Pick<DropRow, "stock" | "startsAt" | "endsAt" | "perBuyerLimit" | "holdTtlSeconds" | "state">,
): DropTerms => ({
  stock: row.stock,
  startsAt: row.startsAt,
  endsAt: row.endsAt,
  perBuyerLimit: row.perBuyerLimit,
  holdTtlMs: row.holdTtlSeconds * 1000,
  closed: row.state === "closed",
});

const overloaded = () =>
  new AppError(
    "overloaded",
    "This drop is taking more requests than it can answer right now. Retry shortly.",
    {
      headers: { "retry-after": "1" },
    },
  );

/** The runtime marks a saturated object's errors `overloaded`; treat a missed deadline the same way. */
const isOverload = (error: unknown): boolean =>
  error instanceof Error &&
  ((error as { overloaded?: boolean }).overloaded === true || /overloaded/i.test(error.message));

/** Maps the runtime's overload errors to 503; no timer (the reserve path, bounded by the object itself). */
async function guarded<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw isOverload(error) ? overloaded() : error;
  }
}

/** `guarded`, and a missed deadline is 503 too. */
async function withDeadline<T>(call: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(overloaded()), INVENTORY_DEADLINE_MS);
  });
  try {
    return await guarded(Promise.race([call, deadline]));
  } finally {
    clearTimeout(timer);
  }
}

type Stub = DurableObjectStub<DropInventory>;

/**
 * A drop this isolate knows: its object's id and, for a sharded drop, its shard count (null until
 * learned, for a drop vouched for without a read) and its shards' ids, each computed once.
 */
interface KnownDrop {
  id: DurableObjectId;
  shards: number | null;
  shardIds: DurableObjectId[];
}

/** Which of a drop's objects a call goes to: the buyer's shard, or the shard an id names. */
type Route = { buyer: string } | { id: string };

/**
 * Drops this isolate has seen in D1, with their object ids. Only a drop D1 knows is ever addressed: an
 * object comes into being on its first call, so a made-up `drp_` id must be refused before any stub is
 * called. Positives only, and for good: drops are never deleted. A reset when full bounds the memory.
 */
const MAX_KNOWN_DROPS = 10_000;
/** Drop ids are `drp_` and a short token; anything else is answered 404 without a read. */
export const DROP_ID = /^drp_[0-9a-z_]{1,60}$/;

// Bindings are stable per isolate, so one gateway serves every request.
const gateways = new WeakMap<DurableObjectNamespace<DropInventory>, { db: Db; gateway: InventoryGateway }>();

export function inventoryGateway(namespace: DurableObjectNamespace<DropInventory>, db: Db): InventoryGateway {
  const cached = gateways.get(namespace);
  if (cached?.db === db) return cached.gateway;
  const gateway = buildGateway(namespace, db);
  gateways.set(namespace, { db, gateway });
  return gateway;
}

/**
 * The worker's side of the drop objects. Each call has a deadline, saturation becomes 503, and an
 * object that was never configured (its drop's creation crashed between D1 and the object) is
 * configured from D1 and the call retried, so the two stores heal rather than drift.
 *
 * An id no drop has is 404 before any object is called. The check costs one D1 read by primary key the
 * first time this isolate meets a drop, and nothing after; a made-up id costs that read every time,
 * and never an object or a byte of its storage.
 */
function buildGateway(namespace: DurableObjectNamespace<DropInventory>, db: Db) {
  let known = new Map<string, KnownDrop>();

  const remember = (dropId: string, shards: number | null): KnownDrop => {
    if (known.size >= MAX_KNOWN_DROPS) known = new Map();
    // The id is a hash of the name: computed once per drop, not once per request.
    const entry = { id: namespace.idFromName(dropId), shards, shardIds: [] };
    known.set(dropId, entry);
    return entry;
  };

  /** What the isolate knows of the drop, once D1 vouches that it exists (the same read learns its shards). */
  const entryFor = async (dropId: string): Promise<KnownDrop> => {
    const cached = known.get(dropId);
    if (cached !== undefined) return cached;
    if (!DROP_ID.test(dropId)) throw notFound("drop", dropId);
    const [row] = await db
      .select({ id: drops.id, shards: drops.shards })
      .from(drops)
      .where(eq(drops.id, dropId))
      .limit(1);
    if (row === undefined) throw notFound("drop", dropId);
    return remember(dropId, row.shards);
  };

  /** The drop's object (a sharded drop's coordinator), once D1 vouches that the drop exists. */
  const stubFor = async (dropId: string): Promise<Stub> => namespace.get((await entryFor(dropId)).id);

  /** The shard count: from D1's read, or (a vouched drop) asked of its object once per isolate. */
  const shardsOf = async (entry: KnownDrop): Promise<number> => {
    entry.shards ??= await withDeadline(namespace.get(entry.id).shardCount());
    return entry.shards;
  };

  const shardStub = (dropId: string, entry: KnownDrop, shard: number): Stub => {
    entry.shardIds[shard] ??= namespace.idFromName(shardName(dropId, shard));
    return namespace.get(entry.shardIds[shard]);
  };

  /**
   * The object that holds what `route` names: the drop's own when unsharded; else the buyer's shard by
   * hash, or the shard an id names. Null for an id naming a shard the drop lacks: no object is called.
   */
  const objectFor = async (dropId: string, route?: Route): Promise<Stub | null> => {
    const entry = await entryFor(dropId);
    if (route === undefined) return namespace.get(entry.id);
    const shards = await shardsOf(entry);
    if (shards <= 1) return namespace.get(entry.id);
    const shard = "buyer" in route ? shardOf(route.buyer, shards) : shardOfId(route.id, shards);
    return shard === null ? null : shardStub(dropId, entry, shard);
  };

  /** Always the drop's own object: a sharded drop's coordinator configures (so heals) its shards. */
  async function configureFromD1(dropId: string): Promise<void> {
    const [row] = await db.select().from(drops).where(eq(drops.id, dropId)).limit(1);
    if (row === undefined) throw notFound("drop", dropId);
    const own = await stubFor(dropId);
    await withDeadline(own.configure(termsOf(row), { dropId, shards: row.shards }));
    // The queue's settings too: an object that missed them (created before the queue, or a push that
    // failed after the drop was stored) takes them from the same row.
    const queue: Promise<unknown> = own.configureQueue(queueSettingsOf(row));
    await withDeadline(queue);
  }

  /**
   * Runs `op` with a deadline; if the object answers `unconfigured`, configures it from D1 and runs
   * `op` once more. The reserve path passes `hot`: no timer per call, because the object bounds every
   * reserve's wait itself (queue length and queue age, see DropInventory), which costs nothing extra.
   */
  async function onDrop<T>(
    dropId: string,
    op: (stub: Stub) => Promise<T | NotConfigured>,
    hot = false,
    route?: { to: Route; missing: T },
  ): Promise<T> {
    const stub = await objectFor(dropId, route?.to);
    if (stub === null) return (route as { missing: T }).missing;
    const first = await (hot ? guarded(op(stub)) : withDeadline(op(stub)));
    if (!isUnconfigured(first)) return first;
    await configureFromD1(dropId);
    const second = await withDeadline(op(stub));
    if (isUnconfigured(second)) throw new Error(`drop ${dropId} stayed unconfigured`);
    return second;
  }

  type Configured<R> = Exclude<R, NotConfigured>;
  const unconfigured: NotConfigured = { ok: false, reason: "unconfigured" };
  /** A reserve's answer once routed: a coordinator's redirect never reaches the caller. */
  type Placed = Exclude<Configured<ReserveResult>, { reason: "sharded" }>;
  const holdNotFound = { ok: false, reason: "hold_not_found" } as const;
  const allotmentNotFound = { ok: false, reason: "allotment_not_found" } as const;

  return {
    /**
     * The caller holds proof that the drop exists (a quote this worker signed names it, and quotes are
     * made only for drops read from D1): it is known from here on, without a read.
     */
    vouch: (dropId: string): void => {
      if (!known.has(dropId) && DROP_ID.test(dropId)) remember(dropId, null);
    },
    /** At the drop's creation, after its D1 row landed: the drop is known from here on. */
    configure: async (dropId: string, terms: DropTerms, shards = 1): Promise<StockSnapshot> => {
      const entry = known.get(dropId) ?? remember(dropId, shards);
      entry.shards = shards;
      return withDeadline(namespace.get(entry.id).configure(terms, { dropId, shards }));
    },
    snapshot: (dropId: string) =>
      onDrop<StockSnapshot>(dropId, async (stub) => (await stub.snapshot()) ?? unconfigured),
    /**
     * A buyer's reserve, on the drop's object or (sharded) the buyer's shard. A drop vouched for without
     * a read is tried unsharded; a sharded coordinator answers with its shard count, learned for good.
     */
    reserve: async (dropId: string, call: ReserveCall): Promise<Placed> => {
      const entry = await entryFor(dropId);
      const to = entry.shards === null ? undefined : { to: { buyer: call.buyer }, missing: unconfigured };
      const first = await onDrop<Configured<ReserveResult>>(
        dropId,
        async (stub) => (await stub.reserve(call)) as ReserveResult,
        true,
        to as { to: Route; missing: Configured<ReserveResult> } | undefined,
      );
      if (first.ok || first.reason !== "sharded") return first as Placed;
      entry.shards = first.shards;
      const again = await onDrop<Configured<ReserveResult>>(
        dropId,
        async (stub) => (await stub.reserve(call)) as ReserveResult,
        true,
        { to: { buyer: call.buyer }, missing: { ok: false, reason: "overloaded" } },
      );
      if (!again.ok && again.reason === "sharded") throw new Error(`drop ${dropId} redirected twice`);
      return again as Placed;
    },
    hold: async (dropId: string, holdId: string, buyer: string): Promise<Hold | null> => {
      const stub = await objectFor(dropId, { id: holdId });
      return stub === null ? null : withDeadline(stub.hold(holdId, buyer));
    },
    release: (dropId: string, holdId: string, buyer: string) =>
      onDrop<Configured<HoldResult>>(
        dropId,
        async (stub) => (await stub.release(holdId, buyer)) as HoldResult,
        false,
        { to: { id: holdId }, missing: holdNotFound },
      ),
    /** Sells the hold's units to an order; a second commit for the same order returns the same hold. */
    commit: (dropId: string, holdId: string, orderRef: string) =>
      onDrop<Configured<HoldResult>>(
        dropId,
        async (stub) => (await stub.commit(holdId, orderRef)) as HoldResult,
        false,
        { to: { id: holdId }, missing: holdNotFound },
      ),
    /** A refunded order's units back on sale, once per hold (the drop's restock-on-refund policy). */
    restock: (dropId: string, holdId: string, orderRef: string) =>
      onDrop<Configured<HoldResult>>(
        dropId,
        async (stub) => (await stub.restock(holdId, orderRef)) as HoldResult,
        false,
        { to: { id: holdId }, missing: holdNotFound },
      ),
    /** Once per hold, while a payment waits on the buyer (3-D Secure). */
    extend: (dropId: string, holdId: string, buyer: string) =>
      onDrop<Configured<HoldResult>>(
        dropId,
        async (stub) => (await stub.extend(holdId, buyer)) as HoldResult,
        false,
        { to: { id: holdId }, missing: holdNotFound },
      ),
    /**
     * A point-of-sale device's long hold for offline sales; idempotent by its claim id. On a sharded
     * drop it lives on the shard its id hashes to: the POS verb names it (and stores that name) first.
     */
    claim: (dropId: string, call: ClaimCall) =>
      onDrop<Configured<ClaimResult>>(
        dropId,
        async (stub) => (await stub.claim(call)) as ClaimResult,
        false,
        { to: { id: call.allotmentId }, missing: { ok: false, reason: "sold_out" } },
      ),
    /**
     * Offline sales drawn from their allotments, each once; one outcome per sale, in order. Sharded:
     * each goes to its allotment's shard, and its id takes that shard's suffix so a refund finds it.
     */
    consume: async (dropId: string, sales: SaleCall[]): Promise<Configured<ConsumeResult>> => {
      const shards = await shardsOf(await entryFor(dropId));
      const send = (batch: SaleCall[], route?: Route) =>
        onDrop<Configured<ConsumeResult>>(
          dropId,
          async (stub) => (await stub.consume(batch)) as ConsumeResult,
          false,
          route && { to: route, missing: { ok: true, outcomes: batch.map(() => allotmentNotFound) } },
        );
      if (shards <= 1) return send(sales);
      const byShard = new Map<number, number[]>();
      sales.forEach((sale, i) => {
        const shard = shardOfId(sale.allotmentId, shards) ?? 0;
        byShard.set(shard, [...(byShard.get(shard) ?? []), i]);
      });
      const outcomes = new Array<ConsumeOutcome>(sales.length);
      await Promise.all(
        [...byShard].map(async ([shard, indexes]) => {
          const batch = indexes.map((i) => {
            const sale = sales[i] as SaleCall;
            return { ...sale, saleId: `${sale.saleId}${idSuffix(shard)}` };
          });
          const got = await send(batch, { id: batch[0]?.allotmentId ?? "" });
          indexes.forEach((i, k) => {
            outcomes[i] = got.outcomes[k] ?? allotmentNotFound;
          });
        }),
      );
      return { ok: true, outcomes };
    },
    allotment: async (dropId: string, allotmentId: string): Promise<Hold | null> => {
      const stub = await objectFor(dropId, { id: allotmentId });
      return stub === null ? null : withDeadline(stub.allotment(allotmentId));
    },
    adjust: (dropId: string, changes: Partial<Omit<DropTerms, "closed">>) =>
      onDrop<Configured<AdjustResult>>(dropId, async (stub) => (await stub.adjust(changes)) as AdjustResult),
    close: (dropId: string) =>
      onDrop<StockSnapshot>(dropId, async (stub) => (await stub.close()) ?? unconfigured),
    /** The admission queue's settings, at the drop's creation and whenever its queue (or rate) changes. */
    configureQueue: (dropId: string, settings: QueueSettings) =>
      onDrop<QueueSummary | null>(
        dropId,
        async (stub) => (await stub.configureQueue(settings)) as QueueSummary | null | NotConfigured,
      ),
    /** A queue ticket for the buyer (docs/admission.md). */
    joinQueue: (dropId: string, buyer: string) =>
      onDrop<Configured<JoinResult>>(dropId, async (stub) => (await stub.joinQueue(buyer)) as JoinResult),
    /** The buyer's own queue ticket as it reads now, or null. */
    ticket: (dropId: string, ticketId: string, buyer: string) =>
      onDrop<TicketRecord | null>(
        dropId,
        async (stub) => (await stub.ticket(ticketId, buyer)) as TicketRecord | null | NotConfigured,
      ),
  };
}

export type InventoryGateway = ReturnType<typeof buildGateway>;

function isUnconfigured(value: unknown): value is NotConfigured {
  return (
    typeof value === "object" && value !== null && (value as { reason?: unknown }).reason === "unconfigured"
  );
}
