/**
 * An offer's price table: its price per currency (with the creator's floor), purchasing-power prices
 * per buyer country, and member-tier discounts. Replaced whole, so what the creator sends is what the
 * engine prices with; the per-isolate pricing cache is dropped on every change.
 */
import { z } from "@hono/zod-openapi";
import { and, eq, inArray } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call } from "../context";
import { type Db, insertInChunks } from "../db/client";
import { offerCountryPrices, offerMemberDiscounts, offerPrices, offers } from "../db/schema";
import { type FieldError, invalid, notFound } from "../errors";
import { CurrencySchema, MinorUnitsSchema, stepProblem } from "../lib/currency";
import { fromBps, percentSchema, toBps } from "../lib/percent";
import { toIso } from "../lib/time";
import { forgetPricing } from "../pricing/catalog";
import { isKnownCountry } from "../pricing/geo";
import { findOffer } from "./store";

const TablePrice = z.strictObject({
  currency: CurrencySchema,
  amount: MinorUnitsSchema,
  floor: MinorUnitsSchema.nullable()
    .optional()
    .openapi({ description: "No discount takes a unit below this; at most the amount." }),
});
const CountryPrice = z.strictObject({
  country: z.string().regex(/^[A-Z]{2}$/, "ISO 3166-1 alpha-2, upper case"),
  currency: CurrencySchema,
  amount: MinorUnitsSchema,
});
const MemberDiscount = z.strictObject({
  tier_offer_id: z.string().min(1).max(64),
  percent_off: percentSchema(0.01, 100),
});

export const PutPriceTableBody = z
  .strictObject({
    prices: z.array(TablePrice).min(1).max(50),
    country_prices: z.array(CountryPrice).max(250).default([]),
    member_discounts: z.array(MemberDiscount).max(20).default([]),
  })
  .openapi("PutPriceTable");

export const PriceTableSchema = z
  .object({
    object: z.literal("price_table"),
    offer_id: z.string(),
    default_currency: z.string(),
    prices: z.array(
      z.object({ currency: z.string(), amount: z.number().int(), floor: z.number().int().nullable() }),
    ),
    country_prices: z.array(
      z.object({ country: z.string(), currency: z.string(), amount: z.number().int() }),
    ),
    member_discounts: z.array(
      z.object({
        tier_offer_id: z.string(),
        percent_off: z
          .number()
          .openapi({ description: "Members of this tier or a higher one get this off." }),
      }),
    ),
    updated_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("PriceTable");

export type PutPriceTableInput = z.infer<typeof PutPriceTableBody>;
export type PriceTable = z.infer<typeof PriceTableSchema>;

export async function getPriceTable({ ctx, input }: Call<{ id: string }>): Promise<PriceTable> {
  const offer = await findOffer(ctx.db, ctx.creatorId, input.id);
  if (offer === undefined) throw notFound("offer", input.id);
  const [prices, countries, discounts] = await ctx.db.batch([
    ctx.db.select().from(offerPrices).where(eq(offerPrices.offerId, offer.id)),
    ctx.db.select().from(offerCountryPrices).where(eq(offerCountryPrices.offerId, offer.id)),
    ctx.db.select().from(offerMemberDiscounts).where(eq(offerMemberDiscounts.offerId, offer.id)),
  ]);
  return renderTable(offer.id, offer.defaultCurrency, offer.updatedAt, {
    prices: prices.map((p) => ({ currency: p.currency, amount: p.amount, floor: p.floor })),
    country_prices: countries.map((p) => ({ country: p.country, currency: p.currency, amount: p.amount })),
    member_discounts: discounts.map((d) => ({
      tier_offer_id: d.tierOfferId,
      percent_off: fromBps(d.percentOffBps),
    })),
  });
}

export async function putPriceTable({
  ctx,
  input,
}: Call<{ id: string; table: PutPriceTableInput }>): Promise<PriceTable> {
  const offer = await findOffer(ctx.db, ctx.creatorId, input.id);
  if (offer === undefined) throw notFound("offer", input.id);
  const { table } = input;
  const errors = tableErrors(table, offer.defaultCurrency);
  errors.push(...(await tierErrors(ctx.db, ctx.creatorId, table)));
  if (errors.length > 0) throw invalid(errors);

  const view = renderTable(offer.id, offer.defaultCurrency, ctx.now, table);
  const { db } = ctx;
  await ctx.commit(
    [
      db
        .update(offers)
        .set({ updatedAt: ctx.now })
        .where(and(eq(offers.creatorId, ctx.creatorId), eq(offers.id, offer.id))),
      db.delete(offerPrices).where(eq(offerPrices.offerId, offer.id)),
      ...insertInChunks(
        table.prices.map((p) => ({
          offerId: offer.id,
          currency: p.currency,
          amount: p.amount,
          floor: p.floor ?? null,
        })),
        (rows) => db.insert(offerPrices).values(rows),
      ),
      db.delete(offerCountryPrices).where(eq(offerCountryPrices.offerId, offer.id)),
      ...insertInChunks(
        table.country_prices.map((p) => ({ offerId: offer.id, ...p })),
        (rows) => db.insert(offerCountryPrices).values(rows),
      ),
      db.delete(offerMemberDiscounts).where(eq(offerMemberDiscounts.offerId, offer.id)),
      ...insertInChunks(
        table.member_discounts.map((d) => ({
          offerId: offer.id,
          tierOfferId: d.tier_offer_id,
          percentOffBps: toBps(d.percent_off),
        })),
        (rows) => db.insert(offerMemberDiscounts).values(rows),
      ),
      auditWrite(ctx, "offer.price_table_replaced", { type: "offer", id: offer.id }, table),
    ],
    view,
  );
  forgetPricing(offer.id);
  return view;
}

function renderTable(
  offerId: string,
  defaultCurrency: string,
  updatedAt: number,
  table: Pick<PutPriceTableInput, "prices" | "country_prices" | "member_discounts">,
): PriceTable {
  const by =
    <T>(key: (t: T) => string) =>
    (a: T, b: T) =>
      key(a).localeCompare(key(b));
  return {
    object: "price_table",
    offer_id: offerId,
    default_currency: defaultCurrency,
    prices: table.prices
      .map((p) => ({ currency: p.currency, amount: p.amount, floor: p.floor ?? null }))
      .sort(by((p) => p.currency)),
    country_prices: [...table.country_prices].sort(by((p) => p.country)),
    member_discounts: [...table.member_discounts].sort(by((d) => d.tier_offer_id)),
    updated_at: toIso(updatedAt),
  };
}

/** The rules that need no I/O: one price per currency, floors, charge steps, countries. */
export function tableErrors(table: PutPriceTableInput, defaultCurrency: string): FieldError[] {
  const errors: FieldError[] = [];
  const err = (path: string, message: string) => errors.push({ in: "body", path, message });
  const currencies = new Set<string>();
  table.prices.forEach((p, i) => {
    if (currencies.has(p.currency)) err(`/prices/${i}/currency`, "Each currency may have one price");
    currencies.add(p.currency);
    const step = stepProblem(p.currency, p.amount);
    if (step) err(`/prices/${i}/amount`, step);
    if (p.floor != null) {
      if (p.floor > p.amount) err(`/prices/${i}/floor`, "Must not exceed the amount");
      const floorStep = stepProblem(p.currency, p.floor);
      if (floorStep) err(`/prices/${i}/floor`, floorStep);
    }
  });
  if (!currencies.has(defaultCurrency)) {
    err("/prices", `Must include the offer's default currency, ${defaultCurrency}`);
  }
  const countries = new Set<string>();
  table.country_prices.forEach((p, i) => {
    if (countries.has(p.country)) err(`/country_prices/${i}/country`, "Each country may have one price");
    countries.add(p.country);
    if (!isKnownCountry(p.country)) err(`/country_prices/${i}/country`, "Unknown country");
    if (!currencies.has(p.currency))
      err(`/country_prices/${i}/currency`, "Must be one of the offer's currencies");
    const step = stepProblem(p.currency, p.amount);
    if (step) err(`/country_prices/${i}/amount`, step);
  });
  const tiers = new Set<string>();
  table.member_discounts.forEach((d, i) => {
    if (tiers.has(d.tier_offer_id)) err(`/member_discounts/${i}/tier_offer_id`, "Listed twice");
    tiers.add(d.tier_offer_id);
  });
  return errors;
}

/** Member discounts must name this creator's membership tiers; another creator's id reads as unknown. */
async function tierErrors(db: Db, creatorId: string, table: PutPriceTableInput): Promise<FieldError[]> {
  const ids = table.member_discounts.map((d) => d.tier_offer_id);
  if (ids.length === 0) return [];
  const found = await db
    .select({ id: offers.id, kind: offers.kind })
    .from(offers)
    .where(and(eq(offers.creatorId, creatorId), inArray(offers.id, ids)));
  const kinds = new Map(found.map((o) => [o.id, o.kind]));
  return table.member_discounts.flatMap((d, i): FieldError[] => {
    const kind = kinds.get(d.tier_offer_id);
    const path = `/member_discounts/${i}/tier_offer_id`;
    if (kind === undefined) return [{ in: "body", path, message: "No such offer" }];
    if (kind !== "membership") return [{ in: "body", path, message: "Must be a membership tier" }];
    return [];
  });
}
