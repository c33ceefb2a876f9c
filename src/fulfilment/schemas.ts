/** The fulfilment API's contract: hubs, the routing rule, a fulfilment move and the batch windows. */
import { z } from "@hono/zod-openapi";
import { fulfilmentPaths, fulfilmentStatuses } from "../db/schema";
import { COUNTRIES } from "./address";
import { BatchWindowSchema, RuleDocumentBody } from "./rules";

const Name = z.string().trim().min(1).max(200);
const Country = z
  .string()
  .regex(/^[A-Z]{2}$/)
  .refine((c) => COUNTRIES.has(c), "Not an ISO 3166-1 alpha-2 country code")
  .nullable()
  .openapi({ description: "ISO 3166-1 alpha-2 country the hub sits in (informational)." });
const Window = BatchWindowSchema.nullable().openapi({
  description: "Orders are grouped into the next window; null ships each order as it comes.",
});

export const HubSchema = z
  .object({
    id: z.string().openapi({ example: "hub_3f9k2m…" }),
    object: z.literal("fulfilment_hub"),
    name: z.string(),
    kind: z.enum(fulfilmentPaths).openapi({ description: "The fulfilment path the hub serves." }),
    country: z.string().nullable(),
    batch_window: z.object({ every_minutes: z.number().int(), offset_minutes: z.number().int() }).nullable(),
    status: z.enum(["active", "archived"]),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi("FulfilmentHub");
export type HubView = z.infer<typeof HubSchema>;

export const CreateHubBody = z
  .strictObject({
    name: Name,
    kind: z.enum(fulfilmentPaths),
    country: Country.optional(),
    batch_window: Window.optional(),
  })
  .openapi("CreateFulfilmentHub");
export type CreateHubInput = z.infer<typeof CreateHubBody>;

export const UpdateHubBody = z
  .strictObject({
    name: Name.optional(),
    kind: z.enum(fulfilmentPaths).optional(),
    country: Country.optional(),
    batch_window: Window.optional(),
    status: z.enum(["active", "archived"]).optional().openapi({
      description: "Archive a hub the routing rule no longer names; orders already routed to it keep it.",
    }),
  })
  .openapi("UpdateFulfilmentHub");
export type UpdateHubInput = z.infer<typeof UpdateHubBody>;

export const RulesSchema = RuleDocumentBody.extend({
  object: z.literal("fulfilment_rules"),
  updated_at: z.string().nullable().openapi({ description: "Null while the creator has set no rule." }),
}).openapi("FulfilmentRules");
export type RulesView = z.infer<typeof RulesSchema>;

const Carrier = z.string().trim().min(1).max(60);
const Tracking = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9 ._/-]+$/, "Letters, digits, spaces and . _ / - only");

export const FulfilmentMoveBody = z
  .strictObject({
    status: z.enum(fulfilmentStatuses).openapi({ description: "Where the order's fulfilment moves to." }),
    carrier: Carrier.optional().openapi({ description: "Required to ship, refused otherwise." }),
    tracking_number: Tracking.optional().openapi({ description: "Required to ship, refused otherwise." }),
  })
  .openapi("FulfilmentMove");
export type FulfilmentMoveInput = z.infer<typeof FulfilmentMoveBody>;

const Instant = z.iso.datetime({ offset: true });
export const BatchesQuery = z.strictObject({
  hub_id: z.string().min(1).max(64).openapi({ description: "The hub whose windows to list." }),
  from: Instant.openapi({ description: "Windows starting at or after this instant (UTC)." }),
  to: Instant.openapi({ description: "Windows starting before this instant; at most 92 days after `from`." }),
});
export type BatchesInput = z.infer<typeof BatchesQuery>;

const ByStatus = z.object(
  Object.fromEntries(fulfilmentStatuses.map((s) => [s, z.number().int()])) as Record<
    (typeof fulfilmentStatuses)[number],
    z.ZodNumber
  >,
);

export const BatchesSchema = z
  .object({
    object: z.literal("fulfilment_batches"),
    hub_id: z.string(),
    batch_window: z.object({ every_minutes: z.number().int(), offset_minutes: z.number().int() }).nullable(),
    data: z.array(
      z.object({
        batch_at: z.string().openapi({ description: "The window's start." }),
        orders: z.number().int(),
        units: z.number().int().openapi({ description: "The orders' quantities, summed." }),
        by_status: ByStatus.openapi({ description: "Orders in the window per fulfilment status." }),
      }),
    ),
  })
  .openapi("FulfilmentBatches");
export type BatchesView = z.infer<typeof BatchesSchema>;
