/**
 * The creator's routing rule and the hubs' batching windows. Pure: checkout runs `fulfilmentOnPaid`
 * inside the batch that marks a physical order paid, with the rule and hubs it read beside its other
 * reads, so routing costs the pay path no round trip of its own.
 *
 * The rule is an ordered list of conditions, each naming a path and a hub; the first whose every given
 * condition holds wins, and the default applies when none does. A condition's lists match any of their
 * entries; its bounds are inclusive; an amount bound names its currency and never matches an order in
 * another one. With no rule set, an order goes `central` with no hub, and ships as it comes.
 */
import { z } from "@hono/zod-openapi";
import { fulfilmentPaths } from "../db/schema";
import { CurrencySchema } from "../lib/currency";
import { COUNTRIES, regionKey, type ShippingAddress } from "./address";

export type FulfilmentPath = (typeof fulfilmentPaths)[number];
export interface BatchWindow {
  every_minutes: number;
  offset_minutes: number;
}
/** What routing needs of a hub: active hubs only reach it. */
export interface RoutableHub {
  id: string;
  kind: FulfilmentPath;
  batch_window: BatchWindow | null;
}

const MINUTE_MS = 60_000;
/** The longest window: four weeks. */
export const MAX_WINDOW_MINUTES = 40_320;

export const BatchWindowSchema = z
  .strictObject({
    every_minutes: z.number().int().min(5).max(MAX_WINDOW_MINUTES).openapi({
      description: "The window's length: windows start every this many minutes, counted from the UTC epoch.",
      example: 1440,
    }),
    offset_minutes: z
      .number()
      .int()
      .min(0)
      .max(MAX_WINDOW_MINUTES - 1)
      .openapi({
        description: "Shifts the grid: daily at 17:00 UTC is every 1440, offset 1020.",
        example: 1020,
      }),
  })
  .refine((w) => w.offset_minutes < w.every_minutes, {
    message: "offset_minutes must be less than every_minutes",
    path: ["offset_minutes"],
  })
  .openapi("BatchWindow");

/**
 * The start of the first window at or after `at`: windows start at `offset + k × every` (k an integer,
 * from the UTC epoch). An order paid exactly on a window's start ships in that window.
 */
export function batchAt(window: BatchWindow, at: number): number {
  const every = window.every_minutes * MINUTE_MS;
  const offset = window.offset_minutes * MINUTE_MS;
  return Math.ceil((at - offset) / every) * every + offset;
}

const Country = z
  .string()
  .regex(/^[A-Z]{2}$/)
  .refine((c) => COUNTRIES.has(c), "Not an ISO 3166-1 alpha-2 country code");
const Region = z
  .string()
  .regex(/^[A-Z]{2}-[A-Z0-9]{1,3}$/, "An ISO 3166-2 code such as US-CA")
  .refine((r) => COUNTRIES.has(r.slice(0, 2)), "Not an ISO 3166-1 alpha-2 country code");
const Count = z.number().int().min(1).max(1_000_000);
const Amount = z.number().int().min(0).max(100_000_000_000);
const HubId = z.string().min(1).max(64);

const Target = z.strictObject({
  path: z.enum(fulfilmentPaths),
  hub_id: HubId.nullable().openapi({
    description: "Required for `micro_hub`; a central path may name none.",
  }),
});

const When = z
  .strictObject({
    countries: z.array(Country).min(1).max(250).optional(),
    regions: z.array(Region).min(1).max(500).optional().openapi({ description: "ISO 3166-2, e.g. US-CA." }),
    min_quantity: Count.optional(),
    max_quantity: Count.optional(),
    min_amount: Amount.optional().openapi({ description: "Minor units of `currency`, inclusive." }),
    max_amount: Amount.optional().openapi({ description: "Minor units of `currency`, inclusive." }),
    currency: CurrencySchema.optional().openapi({ description: "Required with an amount bound." }),
  })
  .refine((w) => (w.min_amount === undefined && w.max_amount === undefined) === (w.currency === undefined), {
    message: "An amount bound needs its currency, and a currency needs an amount bound",
    path: ["currency"],
  })
  .refine(
    (w) => w.min_quantity === undefined || w.max_quantity === undefined || w.min_quantity <= w.max_quantity,
    {
      message: "min_quantity is more than max_quantity",
      path: ["max_quantity"],
    },
  )
  .refine((w) => w.min_amount === undefined || w.max_amount === undefined || w.min_amount <= w.max_amount, {
    message: "min_amount is more than max_amount",
    path: ["max_amount"],
  });

export const RuleDocumentBody = z
  .strictObject({
    rules: z
      .array(z.strictObject({ when: When, ...Target.shape }).openapi("FulfilmentRule"))
      .max(50)
      .openapi({ description: "Checked in order; the first match wins." }),
    default: Target.openapi({ description: "Where an order goes when no rule matches." }),
  })
  .openapi("FulfilmentRulesInput");
export type RuleDocument = z.infer<typeof RuleDocumentBody>;
export type RouteTarget = z.infer<typeof Target>;

/** The document's targets with where they sit, for checking hubs against the creator's. */
export const targetsOf = (doc: RuleDocument): { target: RouteTarget; path: string }[] => [
  ...doc.rules.map((rule, i) => ({ target: rule, path: `/rules/${i}` })),
  { target: doc.default, path: "/default" },
];

/** The routing rule when none is set. */
export const NO_RULE: RuleDocument = { rules: [], default: { path: "central", hub_id: null } };

/** What an order offers the rule. */
export interface OrderFacts {
  address: Pick<ShippingAddress, "country" | "region">;
  quantity: number;
  amount: number;
  currency: string;
}

const within = (value: number, min: number | undefined, max: number | undefined) =>
  (min === undefined || value >= min) && (max === undefined || value <= max);

export function matches(when: RuleDocument["rules"][number]["when"], order: OrderFacts): boolean {
  if (when.countries !== undefined && !when.countries.includes(order.address.country)) return false;
  if (when.regions !== undefined) {
    const key = regionKey(order.address);
    if (key === null || !when.regions.includes(key)) return false;
  }
  if (!within(order.quantity, when.min_quantity, when.max_quantity)) return false;
  if (when.currency !== undefined) {
    if (when.currency !== order.currency) return false;
    if (!within(order.amount, when.min_amount, when.max_amount)) return false;
  }
  return true;
}

/** The first matching rule's target, else the default. */
export function route(doc: RuleDocument, order: OrderFacts): RouteTarget {
  const rule = doc.rules.find((r) => matches(r.when, order));
  return rule === undefined ? doc.default : { path: rule.path, hub_id: rule.hub_id };
}

export interface FulfilmentDecision {
  fulfilmentStatus: "unfulfilled";
  fulfilmentPath: FulfilmentPath;
  fulfilmentHubId: string | null;
  fulfilmentBatchAt: number | null;
  fulfilmentUpdatedAt: number;
}

/**
 * The fulfilment a physical order starts with when it is paid at `paidAt`: the rule's target, in the
 * next window of its hub. A target whose hub has since been archived (or changed kind) falls to the
 * default, and a default in the same state to `central` with no hub: a paid order is always routed.
 */
export function fulfilmentOnPaid(
  doc: RuleDocument | null,
  hubs: readonly RoutableHub[],
  order: OrderFacts,
  paidAt: number,
): FulfilmentDecision {
  const rule = doc ?? NO_RULE;
  const usable = (t: RouteTarget) => {
    if (t.hub_id === null) return t.path === "central" ? { path: t.path, hub: null } : undefined;
    const hub = hubs.find((h) => h.id === t.hub_id && h.kind === t.path);
    return hub === undefined ? undefined : { path: t.path, hub };
  };
  const chosen = usable(route(rule, order)) ??
    usable(rule.default) ?? { path: "central" as const, hub: null };
  return {
    fulfilmentStatus: "unfulfilled",
    fulfilmentPath: chosen.path,
    fulfilmentHubId: chosen.hub?.id ?? null,
    fulfilmentBatchAt: chosen.hub?.batch_window ? batchAt(chosen.hub.batch_window, paidAt) : null,
    fulfilmentUpdatedAt: paidAt,
  };
}

/** A stored document read back: the one PUT validated, or null when absent or unreadable. */
export function storedDocument(raw: unknown): RuleDocument | null {
  const parsed = RuleDocumentBody.safeParse(typeof raw === "string" ? safeJson(raw) : raw);
  return parsed.success ? parsed.data : null;
}

export function storedHubs(raw: unknown): RoutableHub[] {
  const parsed = z
    .array(
      z.object({
        id: z.string(),
        kind: z.enum(fulfilmentPaths),
        batch_window: z.object({ every_minutes: z.number(), offset_minutes: z.number() }).nullable(),
      }),
    )
    .safeParse(typeof raw === "string" ? safeJson(raw) : raw);
  return parsed.success ? parsed.data : [];
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
