/** What every checkout transition shares: its context, the guarded move, and how a batch lands. */
import { and, eq, inArray } from "drizzle-orm";
import { auditWrite } from "../audit";
import { type Db, expectOneChange, type Write } from "../db/client";
import { type CheckoutRow, checkouts, type OrderRow } from "../db/schema";
import type { InventoryGateway } from "../inventory/gateway";
import type { PaymentProvider } from "../payments/provider";
import type { Status } from "./machine";
import { loadCheckout } from "./store";

export interface PaymentContext {
  db: Db;
  inventory: InventoryGateway;
  provider: PaymentProvider;
  now: number;
}

export type Loaded = { checkout: CheckoutRow; order: OrderRow };
export type { Status } from "./machine";
export { OPEN, UNPAID } from "./machine";
export type Settled = "changed" | "unchanged" | "unknown_payment";

/** The checkout row moves from one of `from` to `changes`, or the batch lands nothing. */
export const moveWrites = (
  db: Db,
  id: string,
  from: readonly Status[],
  changes: Partial<CheckoutRow>,
): Write[] => [
  db
    .update(checkouts)
    .set(changes)
    .where(and(eq(checkouts.id, id), inArray(checkouts.status, [...from]))),
  expectOneChange(db),
];

/**
 * Runs a transition's batch. A refused batch whose checkout has meanwhile left `from` means the other
 * side got there first: nothing to do. Any other failure is real and is thrown.
 */
export async function land(
  db: Db,
  checkoutId: string,
  from: readonly Status[],
  writes: Write[],
): Promise<Settled> {
  const [first, ...rest] = writes;
  if (first === undefined) return "unchanged";
  try {
    await db.batch([first, ...rest]);
    return "changed";
  } catch (error) {
    const current = await loadCheckout(db, checkoutId);
    if (current !== undefined && !from.includes(current.checkout.status)) return "unchanged";
    throw error;
  }
}

export const audit = (ctx: PaymentContext, { checkout }: Loaded, action: string, data: unknown) =>
  auditWrite(
    { db: ctx.db, creatorId: checkout.creatorId, actor: `provider:${ctx.provider.name}`, now: ctx.now },
    action,
    { type: "order", id: checkout.orderId },
    data,
  );
