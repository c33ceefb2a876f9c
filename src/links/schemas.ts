import { z } from "@hono/zod-openapi";
import { CreateCheckoutBody } from "../checkout/schemas";
import { linkStatuses, orderSources } from "../db/schema";
import { PageQuerySchema } from "../http/pagination";
import { CurrencySchema } from "../lib/currency";

/** The attribution rule checkouts take: the page passes the link's tags on to each checkout as they are. */
const Attribution = CreateCheckoutBody.shape.attribution;

export const CreateLinkBody = z
  .strictObject({
    offer_id: z.string().min(1).max(64).openapi({ example: "off_…" }),
    drop_id: z.string().min(1).max(64).optional().openapi({
      description: "Required when the offer has an open or upcoming drop: the page then sells through it.",
    }),
    title: z.string().trim().min(1).max(120).optional().openapi({
      description: "Shown above the offer's name on the page; plain text (escaped when rendered).",
    }),
    quantity: z.number().int().min(1).max(100).default(1),
    currency: CurrencySchema.optional().openapi({
      description: "Always quote in this currency; omit to let the buyer's country decide.",
    }),
    coupon: z
      .string()
      .min(1)
      .max(40)
      .optional()
      .openapi({ description: "A coupon code every quote carries." }),
    source: z
      .enum(orderSources)
      .default("link")
      .openapi({ description: "The order source of its checkouts." }),
    attribution: Attribution,
    success_url: z.url().max(2000).optional().openapi({
      description: "https (http only on localhost outside production): offered to the buyer after paying.",
    }),
  })
  .openapi("CreateCheckoutLink");

export const LinkSchema = z
  .object({
    object: z.literal("checkout_link"),
    id: z.string().openapi({ example: "lnk_…" }),
    url: z
      .string()
      .openapi({ description: "The hosted checkout page: share it, or open it with the widget." }),
    offer_id: z.string(),
    drop_id: z.string().nullable(),
    title: z.string().nullable(),
    quantity: z.number().int(),
    currency: z.string().nullable(),
    coupon: z.string().nullable(),
    source: z.enum(orderSources),
    attribution: z.record(z.string(), z.string()).nullable(),
    success_url: z.string().nullable(),
    status: z.enum(linkStatuses),
    created_at: z.string().openapi({ format: "date-time" }),
    archived_at: z.string().nullable().openapi({ format: "date-time" }),
  })
  .openapi("CheckoutLink");

export const LinkListQuery = PageQuerySchema.extend({ status: z.enum(linkStatuses).optional() });

export type Link = z.infer<typeof LinkSchema>;
export type CreateLinkInput = z.infer<typeof CreateLinkBody>;
export type LinkStatus = (typeof linkStatuses)[number];
