/**
 * The sandbox provider: the local default when no Stripe key is configured, so `npm start` runs the whole
 * loop. It follows Stripe's test cards (sandbox-cards.ts) and PaymentIntent state machine, keeps its
 * payments in D1, and emits the events Stripe would send as webhooks, through the callback checkout
 * gives it. Stripe's dispute test card opens a chargeback the moment it succeeds; the sandbox has no
 * dashboard to answer it, so its disputes stay open (`needs_response`).
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { sandboxPayments as sp } from "../db/schema";
import { randomToken, sha256Hex } from "../lib/crypto";
import {
  type CallStats,
  type CreatePayment,
  type Dispute,
  type Payment,
  type PaymentFailure,
  type PaymentProvider,
  type PaymentStatus,
  ProviderError,
  type ProviderEvent,
} from "./provider";
import { chargeOutcome } from "./sandbox-cards";
import { createSandboxConnect } from "./sandbox-connect";
import {
  destinationOf,
  destinationRefusal,
  keyReused,
  timed,
  transferOnSuccess,
} from "./sandbox-destination";
import { refundSandboxPayment } from "./sandbox-refunds";

/** States a payment can still be confirmed or cancelled from. */
const open: PaymentStatus[] = ["requires_payment_method", "requires_confirmation", "requires_action"];

type Row = typeof sp.$inferSelect;

function paymentOf(row: Row): Payment {
  const final = row.status === "succeeded" || row.status === "canceled";
  return {
    id: row.id,
    status: row.status as PaymentStatus,
    amount: row.amount,
    currency: row.currency,
    clientSecret: final ? null : row.clientSecret,
    nextAction:
      row.status === "requires_action"
        ? { type: "redirect_to_url", redirectUrl: `https://sandbox.invalid/3ds/${row.id}` }
        : null,
    lastError: row.lastError === null ? null : (JSON.parse(row.lastError) as PaymentFailure),
    metadata: JSON.parse(row.metadata) as Record<string, string>,
    latestCharge: row.latestCharge,
    amountRefunded: row.amountRefunded,
    paymentMethod: row.paymentMethod,
    ...destinationOf(row),
  };
}

export interface SandboxOptions {
  now: () => number;
  /** Receives what Stripe would deliver as webhooks; checkout routes it to its completion path. */
  emit?: (event: ProviderEvent) => void | Promise<void>;
}

export function createSandboxProvider(db: Db, options: SandboxOptions): PaymentProvider {
  const emit = async (type: ProviderEvent["type"], payment: Payment) =>
    options.emit?.({ id: `evt_sbx_${randomToken(24)}`, type, created: options.now(), payment });
  const load = async (id: string): Promise<Row> => {
    const [row] = await db.select().from(sp).where(eq(sp.id, id)).limit(1);
    if (row === undefined)
      throw new ProviderError("not_found", `No such payment: ${id}`, false, "resource_missing");
    return row;
  };
  const unexpectedState = (row: Row) =>
    new ProviderError(
      "invalid_request",
      `This payment's status is ${row.status}, which does not allow that.`,
      false,
      "payment_intent_unexpected_state",
    );

  /** Moves an open payment to `changes.status` if it is still in one of `from`; emits `event` if it moved. */
  async function transition(
    id: string,
    from: PaymentStatus[],
    changes: Partial<Row> & { status: PaymentStatus },
    event: ProviderEvent["type"],
  ): Promise<Payment> {
    const update = db
      .update(sp)
      .set({ ...changes, updatedAt: options.now() })
      .where(and(eq(sp.id, id), inArray(sp.status, from)))
      .returning();
    // A destination charge's transfer lands with its success, in the same batch.
    const [moved] =
      changes.status === "succeeded"
        ? (await db.batch([update, transferOnSuccess(db, id, options.now())]))[0]
        : await update;
    if (moved === undefined) return paymentOf(await load(id));
    const payment = paymentOf(moved);
    await emit(event, payment);
    return payment;
  }

  async function charge(row: Row, method: string): Promise<Payment> {
    const { changes, event, dispute } = chargeOutcome(method);
    const moved = await transition(
      row.id,
      ["requires_payment_method", "requires_confirmation"],
      changes,
      event,
    );
    return dispute ? openDispute(moved) : moved;
  }

  /** The bank disputes the charge as fraudulent, once, as Stripe's 0259 card does. */
  async function openDispute(payment: Payment): Promise<Payment> {
    const [opened] = await db
      .update(sp)
      .set({
        disputeId: `dp_sbx_${randomToken(24)}`,
        disputeStatus: "needs_response",
        disputeReason: "fraudulent",
        disputeCreatedAt: options.now(),
        updatedAt: options.now(),
      })
      .where(and(eq(sp.id, payment.id), eq(sp.status, "succeeded"), sql`${sp.disputeId} IS NULL`))
      .returning();
    if (opened !== undefined) await emit("charge.dispute.created", paymentOf(opened));
    return payment;
  }

  return {
    name: "sandbox",

    create: (input: CreatePayment, stats?: CallStats) =>
      timed(stats, async () => {
        const { idempotencyKey, ...request } = input;
        const requestHash = await sha256Hex(JSON.stringify(request));
        const refused = input.destination && (await destinationRefusal(db, input.destination, input.amount));
        if (refused) {
          // A replay answers what the key first created, even if the account changed since.
          if ((await byKey(idempotencyKey)) === undefined) throw refused;
          return replay(idempotencyKey, requestHash);
        }
        const now = options.now();
        const id = `pi_sbx_${randomToken(24)}`;
        // Created and confirmed at once, in one write, as Stripe's `confirm: true` is one request.
        const charged = input.paymentMethod === undefined ? undefined : chargeOutcome(input.paymentMethod);
        const insert = db
          .insert(sp)
          .values({
            id,
            idempotencyKey,
            requestHash,
            amount: input.amount,
            currency: input.currency,
            status: "requires_payment_method",
            paymentMethod: null,
            clientSecret: `${id}_secret_${randomToken(24)}`,
            lastError: null,
            metadata: JSON.stringify(input.metadata),
            latestCharge: null,
            transferDestination: input.destination?.account ?? null,
            applicationFeeAmount: input.destination?.applicationFeeAmount ?? null,
            createdAt: now,
            updatedAt: now,
            ...charged?.changes,
          })
          .onConflictDoNothing()
          .returning();
        const [created] =
          charged?.changes.status === "succeeded" && input.destination !== undefined
            ? (await db.batch([insert, transferOnSuccess(db, id, now)]))[0]
            : await insert;
        if (created === undefined) return replay(idempotencyKey, requestHash);
        const payment = paymentOf(created);
        if (charged === undefined) return payment;
        await emit(charged.event, payment);
        return charged.dispute ? openDispute(payment) : payment;
      }),

    retrieve: (id: string, stats?: CallStats) => timed(stats, async () => paymentOf(await load(id))),

    confirm: (id, input, stats) =>
      timed(stats, async () => {
        const row = await load(id);
        if (row.status === "succeeded") return paymentOf(row);
        if (row.status === "requires_action") {
          // The buyer completed 3-D Secure.
          return transition(
            id,
            ["requires_action"],
            { status: "succeeded", latestCharge: `ch_sbx_${randomToken(24)}` },
            "payment_intent.succeeded",
          );
        }
        const method = input.paymentMethod ?? row.paymentMethod;
        if (row.status === "canceled" || method === null) throw unexpectedState(row);
        return charge(row, method);
      }),

    cancel: (id, _input, stats) =>
      timed(stats, async () => {
        const row = await load(id);
        if (row.status === "canceled") return paymentOf(row);
        if (!open.includes(row.status as PaymentStatus)) throw unexpectedState(row);
        return transition(id, open, { status: "canceled" }, "payment_intent.canceled");
      }),

    refund: (id, input, stats) =>
      timed(stats, async () =>
        refundSandboxPayment(
          {
            db,
            now: options.now,
            load,
            unexpectedState,
            refunded: (row) => emit("charge.refunded", paymentOf(row)),
          },
          id,
          input,
        ),
      ),

    disputes: (id, stats) => timed(stats, async () => disputesOf(await load(id))),

    connect: createSandboxConnect(db, options),
  };

  async function byKey(idempotencyKey: string): Promise<Row | undefined> {
    const [row] = await db.select().from(sp).where(eq(sp.idempotencyKey, idempotencyKey)).limit(1);
    return row;
  }

  async function replay(idempotencyKey: string, requestHash: string): Promise<Payment> {
    const row = await byKey(idempotencyKey);
    if (row === undefined) throw new ProviderError("unavailable", "The payment vanished mid-request.", true);
    if (row.requestHash !== requestHash) throw keyReused();
    return paymentOf(row);
  }
}

function disputesOf(row: Row): Dispute[] {
  if (row.disputeId === null || row.disputeStatus === null) return [];
  return [
    {
      id: row.disputeId,
      paymentId: row.id,
      amount: row.amount,
      currency: row.currency,
      status: row.disputeStatus,
      reason: row.disputeReason ?? "general",
      created: row.disputeCreatedAt ?? row.updatedAt,
    },
  ];
}
