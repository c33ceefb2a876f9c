/**
 * The D1 schema: this file and the table files it re-exports (./tables/) are the source of truth: `npm run db:generate` turns changes here into
 * SQL under migrations/, which wrangler applies locally and remotely and the tests apply too.
 *
 * Conventions: ids are prefixed random strings (`off_…`); timestamps are integer milliseconds since
 * the Unix epoch, UTC; money is an integer amount in the currency's minor unit plus an ISO 4217 code.
 * Every tenant-owned row carries `creator_id`, and every query filters on it.
 */
export * from "./tables/catalog";
export * from "./tables/checkout";
export * from "./tables/connect";
export * from "./tables/dashboard";
export * from "./tables/fulfilment";
export * from "./tables/metrics";
export * from "./tables/pos";
export * from "./tables/pricing";
export * from "./tables/records";
export * from "./tables/sandbox";
export * from "./tables/sign-in";
export * from "./tables/subscriptions";
export * from "./tables/surfaces";
export * from "./tables/webhooks";

import type { drops, members, offers } from "./tables/catalog";
import type { checkouts } from "./tables/checkout";
import type { posAllotments, posDevices } from "./tables/pos";
import type { coupons, experimentArms, experiments } from "./tables/pricing";
import type { entitlements, orders, refreshCredentials } from "./tables/records";
import type { subscriptionInvoices, subscriptions } from "./tables/subscriptions";

export type OfferRow = typeof offers.$inferSelect;
export type DropRow = typeof drops.$inferSelect;
export type MemberRow = typeof members.$inferSelect;
export type ExperimentRow = typeof experiments.$inferSelect;
export type ExperimentArmRow = typeof experimentArms.$inferSelect;
export type CouponRow = typeof coupons.$inferSelect;
export type EntitlementRow = typeof entitlements.$inferSelect;
export type RefreshCredentialRow = typeof refreshCredentials.$inferSelect;
export type CheckoutRow = typeof checkouts.$inferSelect;
export type OrderRow = typeof orders.$inferSelect;
export type PosDeviceRow = typeof posDevices.$inferSelect;
export type PosAllotmentRow = typeof posAllotments.$inferSelect;
export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type SubscriptionInvoiceRow = typeof subscriptionInvoices.$inferSelect;
