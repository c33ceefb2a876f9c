import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, tokenContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { AllotmentSchema } from "../../pos/allotments";
import { MAX_ITEMS, MAX_RELEASES } from "../../pos/batch";
import { rejectCodes } from "../../pos/reconcile";
import { reconcileBatch } from "../../pos/verbs";
import { jsonResponse, type Register } from "../shared";
import { signedBody } from "./signed-body";

const Result = z.object({
  index: z.number().int(),
  client_id: z.string().nullable(),
  status: z.enum(["accepted", "duplicate", "rejected"]),
  member_id: z.string().optional(),
  order_id: z.string().optional(),
  entitlement_ids: z.array(z.string()).optional(),
  code: z.enum(rejectCodes).optional(),
  message: z.string().optional(),
  token: z
    .object({
      token: z.string(),
      expires_at: z.string(),
      entitlements: z.array(z.string()),
      scope: z.literal("purchase"),
    })
    .optional()
    .openapi({
      description:
        "A receipt of this item's sale: lists only the active entitlements it granted, `scope: purchase` " +
        "(not a sign-in: refused as a `member_token`). Absent for a pay-later item not yet collected, or " +
        "a sale since refunded. The buyer's email was not verified, so it never unlocks the member's other " +
        "entitlements; reconcile never hands out a refresh credential.",
    }),
});

export const route = createRoute({
  method: "post",
  path: "/v1/pos/reconcile",
  tags: ["Point of sale"],
  summary: "Sync a device's offline sales: a signed batch in, one result per item out",
  description:
    "The body is a compact JWS (`Content-Type: application/jose`), EdDSA, signed with the device's key " +
    "under its id as `kid`; the payload is `{batch_id, signed_at, event?, items[], release_allotments?}` with " +
    `at most ${MAX_ITEMS} items (the body limit is 1 MiB; over it, 413). A drop item names the allotment its ` +
    "units came from (`allotment_id`): it consumes them once, or is rejected `allotment_exceeded` (too few left) " +
    "or `sold_out` (the allotment had ended and open stock cannot cover it); only the device that claimed an " +
    "allotment sells from it (another device's items are `allotment_not_owned`). An offer with a drop that " +
    "is open or upcoming (when the item was captured, or now) sells only from that drop's allotments: " +
    "without one the item is `drop_required`, as is a bundle with a component behind such a drop. " +
    "After the items land, the " +
    `allotments in \`release_allotments\` (up to ${MAX_RELEASES}, the device's own) give their unused units back. ` +
    "An unknown device, a bad signature or a " +
    "`signed_at` more than 5 minutes off is 401, a revoked device 403; nothing is written then. Each item " +
    "is accepted, a duplicate (already landed, by any batch or device: the original result again) or " +
    "rejected with a code; one bad item never fails the rest. Replays are safe in any number and order.",
  responses: {
    200: jsonResponse(
      "One result per item, in order",
      z.object({
        object: z.literal("pos_reconcile"),
        batch_id: z.string(),
        device_id: z.string(),
        results: z.array(Result),
        released_allotments: z.array(AllotmentSchema),
      }),
    ),
    ...problemResponses(401, 403, 413, 415, 422, 500, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const ctx = { ...(await tokenContext(c)), inventory: c.get("inventory") };
  return c.json(await reconcileBatch(ctx, await signedBody(c)), 200);
};

export const register: Register = (app) => app.openapi(route, handler);
