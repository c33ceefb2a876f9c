/**
 * Fixed datasets for the subscription and member KPIs, written straight to D1 with drizzle as the
 * worker's own verbs would leave them: members, subscriptions with their MRR movements and invoices,
 * orders and entitlements. Every row belongs to the tenant given, so two tenants' datasets share a
 * database and never each other's figures.
 */
import {
  entitlements,
  members,
  mrrMovements,
  offers,
  orders,
  subscriptionInvoices,
  subscriptions,
} from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { type Interval, monthlyAmount } from "../../src/subscriptions/intervals";
import { api, type Json } from "./api";
import { db, type Tenant } from "./tenants";

export const DAY = 86_400_000;
/** Noon UTC of a day in 2026: `on("03-05")`. */
export const on = (monthDay: string, hour = 12) =>
  Date.parse(`2026-${monthDay}T${String(hour).padStart(2, "0")}:00:00Z`);

export const metric = (tenant: Tenant, name: string, query: string) =>
  api("GET", `/v1/metrics/${name}?${query}`, { key: tenant.key });

/** A report's summary, a named series as `{ day: value }`, or a breakdown's rows keyed by their group. */
export const seriesOf = (body: Json, name: string): Record<string, number | null> =>
  Object.fromEntries(
    (body.series.find((s: Json) => s.name === name)?.points ?? []).map((p: Json) => [p.day, p.value]),
  );
export const breakdownOf = (body: Json, name: string): Record<string, Record<string, number | null>> =>
  Object.fromEntries(
    (body.breakdowns.find((b: Json) => b.name === name)?.rows ?? []).map((r: Json) => [
      Object.values(r.group).join("/"),
      r.values,
    ]),
  );

export async function tier(
  tenant: Tenant,
  p: { kind?: "membership" | "one_time" | "bundle" | "upsell"; requiresShipping?: boolean } = {},
) {
  const id = newId("offer");
  const kind = p.kind ?? "one_time";
  await db.insert(offers).values({
    id,
    creatorId: tenant.creatorId,
    kind,
    title: kind,
    defaultCurrency: "USD",
    billingInterval: kind === "membership" ? "month" : null,
    tierRank: kind === "membership" ? Math.floor(Math.random() * 1e9) : null,
    requiresShipping: p.requiresShipping ?? false,
    createdAt: Date.now(),
    updatedAt: Date.now(),
  });
  return id;
}

export async function member(
  tenant: Tenant,
  p: { joinedAt: number; cohort?: "founding" | "seasonal" | "utility"; source?: string },
) {
  const id = newId("member");
  await db.insert(members).values({
    id,
    creatorId: tenant.creatorId,
    email: `${id}@example.test`,
    cohort: p.cohort ?? "utility",
    acquisitionSource: p.source ?? "link",
    joinedAt: p.joinedAt,
    updatedAt: p.joinedAt,
  });
  return id;
}

export interface SubscriptionFixture {
  memberId: string;
  offerId: string;
  amount: number;
  interval?: Interval;
  currency?: string;
  anchor: number;
  /** Null: converted from a pop-up till (no order). */
  orderId?: string | null;
  trialEnd?: number | null;
  status?: "active" | "past_due" | "canceled" | "trialing" | "unpaid";
}

/** A subscription row; its MRR movements come separately (`moves`). */
export async function subscription(tenant: Tenant, p: SubscriptionFixture) {
  const id = newId("subscription");
  const interval = p.interval ?? { unit: "month", count: 1 };
  await db.insert(subscriptions).values({
    id,
    creatorId: tenant.creatorId,
    memberId: p.memberId,
    offerId: p.offerId,
    amount: p.amount,
    currency: p.currency ?? "USD",
    intervalUnit: interval.unit,
    intervalCount: interval.count,
    anchor: p.anchor,
    status: p.status ?? "active",
    periodStart: p.anchor,
    periodEnd: p.anchor + 30 * DAY,
    trialEnd: p.trialEnd ?? null,
    provider: "sandbox",
    orderId: p.orderId === undefined ? newId("order") : p.orderId,
    createdAt: p.anchor,
    updatedAt: p.anchor,
  });
  return { id, monthly: Math.round(monthlyAmount(p.amount, interval)), currency: p.currency ?? "USD" };
}

/** MRR movements of one subscription, as the subscription code writes them: signed, per month. */
export async function moves(
  tenant: Tenant,
  sub: { id: string; currency: string },
  list: [kind: "new" | "expansion" | "contraction" | "churn" | "reactivation", amount: number, at: number][],
) {
  if (list.length === 0) return;
  await db.insert(mrrMovements).values(
    list.map(([kind, amount, at]) => ({
      id: newId("mrrMovement"),
      creatorId: tenant.creatorId,
      subscriptionId: sub.id,
      kind,
      amount,
      currency: sub.currency,
      at,
      createdAt: at,
    })),
  );
}

export async function invoice(
  tenant: Tenant,
  sub: { id: string; currency: string },
  p: {
    createdAt: number;
    amount: number;
    status: "open" | "paid" | "uncollectible" | "refunded" | "void";
    attempts: number;
    periodStart?: number;
    periodEnd?: number;
    periodIndex?: number;
  },
) {
  const start = p.periodStart ?? p.createdAt;
  await db.insert(subscriptionInvoices).values({
    id: newId("invoice"),
    creatorId: tenant.creatorId,
    subscriptionId: sub.id,
    periodIndex: p.periodIndex ?? 1,
    periodStart: start,
    periodEnd: p.periodEnd ?? start + 30 * DAY,
    amount: p.amount,
    currency: sub.currency,
    status: p.status,
    attempts: p.attempts,
    paidAt: p.status === "paid" || p.status === "refunded" ? p.createdAt : null,
    createdAt: p.createdAt,
    updatedAt: p.createdAt,
  });
}

export async function order(
  tenant: Tenant,
  p: {
    memberId: string;
    offerId: string;
    amount: number;
    paidAt: number;
    status?: "paid" | "refunded";
    source?: "link" | "overlay" | "pos" | "api";
    currency?: string;
    path?: "micro_hub" | "central";
  },
) {
  const id = newId("order");
  await db.insert(orders).values({
    id,
    creatorId: tenant.creatorId,
    memberId: p.memberId,
    email: `${p.memberId}@example.test`,
    offerId: p.offerId,
    quantity: 1,
    currency: p.currency ?? "USD",
    amountTotal: p.amount,
    status: p.status ?? "paid",
    source: p.source ?? "link",
    fulfilmentPath: p.path ?? null,
    createdAt: p.paidAt,
    updatedAt: p.paidAt,
    paidAt: p.paidAt,
  });
  return id;
}

export async function entitlement(
  tenant: Tenant,
  p: { memberId: string; grantedAt: number; expiresAt?: number | null; revokedAt?: number | null },
) {
  await db.insert(entitlements).values({
    id: newId("entitlement"),
    creatorId: tenant.creatorId,
    memberId: p.memberId,
    benefitKey: "backstage",
    sourceType: "admin",
    sourceId: newId("entitlement"),
    grantedAt: p.grantedAt,
    expiresAt: p.expiresAt ?? null,
    revokedAt: p.revokedAt ?? null,
    revokeReason: p.revokedAt ? "admin" : null,
  });
}
