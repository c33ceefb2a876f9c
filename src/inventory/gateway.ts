import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { type DropRow, drops } from "../db/schema";
import { AppError, notFound } from "../errors";
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
  let known = new Map<string, DurableObjectId>();

  const remember = (dropId: string): DurableObjectId => {
    if (known.size >= MAX_KNOWN_DROPS) known = new Map();
    // The id is a hash of the name: computed once per drop, not once per request.
    const id = namespace.idFromName(dropId);
    known.set(dropId, id);
    return id;
  };

  /** The drop's object, once D1 vouches that the drop exists. */
  const stubFor = async (dropId: string): Promise<Stub> => {
    const cached = known.get(dropId);
    if (cached !== undefined) return namespace.get(cached);
    if (!DROP_ID.test(dropId)) throw notFound("drop", dropId);
    const [row] = await db.select({ id: drops.id }).from(drops).where(eq(drops.id, dropId)).limit(1);
    if (row === undefined) throw notFound("drop", dropId);
    return namespace.get(remember(dropId));
  };

  async function configureFromD1(stub: Stub, dropId: string): Promise<void> {
    const [row] = await db.select().from(drops).where(eq(drops.id, dropId)).limit(1);
    if (row === undefined) throw notFound("drop", dropId);
    await withDeadline(stub.configure(termsOf(row)));
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
  ): Promise<T> {
    const stub = await stubFor(dropId);
    const first = await (hot ? guarded(op(stub)) : withDeadline(op(stub)));
    if (!isUnconfigured(first)) return first;
    await configureFromD1(stub, dropId);
    const second = await withDeadline(op(stub));
    if (isUnconfigured(second)) throw new Error(`drop ${dropId} stayed unconfigured`);
    return second;
  }

  type Configured<R> = Exclude<R, NotConfigured>;
  const unconfigured: NotConfigured = { ok: false, reason: "unconfigured" };

  return {
    /**
     * The caller holds proof that the drop exists (a quote this worker signed names it, and quotes are
     * made only for drops read from D1): it is known from here on, without a read.
     */
    vouch: (dropId: string): void => {
      if (!known.has(dropId) && DROP_ID.test(dropId)) remember(dropId);
    },
    /** At the drop's creation, after its D1 row landed: the drop is known from here on. */
    configure: async (dropId: string, terms: DropTerms): Promise<StockSnapshot> =>
      withDeadline(namespace.get(known.get(dropId) ?? remember(dropId)).configure(terms)),
    snapshot: (dropId: string) =>
      onDrop<StockSnapshot>(dropId, async (stub) => (await stub.snapshot()) ?? unconfigured),
    reserve: (dropId: string, call: ReserveCall) =>
      onDrop<Configured<ReserveResult>>(
        dropId,
        async (stub) => (await stub.reserve(call)) as ReserveResult,
        true,
      ),
    hold: async (dropId: string, holdId: string, buyer: string): Promise<Hold | null> =>
      withDeadline((await stubFor(dropId)).hold(holdId, buyer)),
    release: (dropId: string, holdId: string, buyer: string) =>
      onDrop<Configured<HoldResult>>(
        dropId,
        async (stub) => (await stub.release(holdId, buyer)) as HoldResult,
      ),
    /** Sells the hold's units to an order; a second commit for the same order returns the same hold. */
    commit: (dropId: string, holdId: string, orderRef: string) =>
      onDrop<Configured<HoldResult>>(
        dropId,
        async (stub) => (await stub.commit(holdId, orderRef)) as HoldResult,
      ),
    /** A refunded order's units back on sale, once per hold (the drop's restock-on-refund policy). */
    restock: (dropId: string, holdId: string, orderRef: string) =>
      onDrop<Configured<HoldResult>>(
        dropId,
        async (stub) => (await stub.restock(holdId, orderRef)) as HoldResult,
      ),
    /** Once per hold, while a payment waits on the buyer (3-D Secure). */
    extend: (dropId: string, holdId: string, buyer: string) =>
      onDrop<Configured<HoldResult>>(
        dropId,
        async (stub) => (await stub.extend(holdId, buyer)) as HoldResult,
      ),
    /** A point-of-sale device's long hold for offline sales; idempotent by its claim id. */
    claim: (dropId: string, call: ClaimCall) =>
      onDrop<Configured<ClaimResult>>(dropId, async (stub) => (await stub.claim(call)) as ClaimResult),
    /** Offline sales drawn from their allotments, each once; one outcome per sale, in order. */
    consume: (dropId: string, sales: SaleCall[]) =>
      onDrop<Configured<ConsumeResult>>(dropId, async (stub) => (await stub.consume(sales)) as ConsumeResult),
    allotment: async (dropId: string, allotmentId: string): Promise<Hold | null> =>
      withDeadline((await stubFor(dropId)).allotment(allotmentId)),
    adjust: (dropId: string, changes: Partial<Omit<DropTerms, "closed">>) =>
      onDrop<Configured<AdjustResult>>(dropId, async (stub) => (await stub.adjust(changes)) as AdjustResult),
    close: (dropId: string) =>
      onDrop<StockSnapshot>(dropId, async (stub) => (await stub.close()) ?? unconfigured),
  };
}

export type InventoryGateway = ReturnType<typeof buildGateway>;

function isUnconfigured(value: unknown): value is NotConfigured {
  return (
    typeof value === "object" && value !== null && (value as { reason?: unknown }).reason === "unconfigured"
  );
}
