import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { AppError } from "../../errors";
import { type AppEnv, tokenContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { MAX_ITEMS } from "../../pos/batch";
import { reconcileBatch } from "../../pos/verbs";
import { jsonResponse, type Register } from "../shared";

const Result = z.object({
  index: z.number().int(),
  client_id: z.string().nullable(),
  status: z.enum(["accepted", "duplicate", "rejected"]),
  member_id: z.string().optional(),
  order_id: z.string().optional(),
  entitlement_ids: z.array(z.string()).optional(),
  code: z
    .enum([
      "sold_out",
      "allotment_exceeded",
      "offline_window_exceeded",
      "device_limit_exceeded",
      "unknown_offer",
      "invalid",
    ])
    .optional(),
  message: z.string().optional(),
  token: z
    .object({ token: z.string(), expires_at: z.string(), entitlements: z.array(z.string()) })
    .optional(),
});

export const route = createRoute({
  method: "post",
  path: "/v1/pos/reconcile",
  tags: ["Point of sale"],
  summary: "Sync a device's offline sales: a signed batch in, one result per item out",
  description:
    "The body is a compact JWS (`Content-Type: application/jose`), EdDSA, signed with the device's key " +
    "under its id as `kid`; the payload is `{batch_id, signed_at, event?, items[]}` with at most " +
    `${MAX_ITEMS} items (the body limit is 1 MiB; over it, 413). An unknown device, a bad signature or a ` +
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
      }),
    ),
    ...problemResponses(401, 403, 413, 415, 422, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  if (!/^application\/jose\b/i.test(c.req.header("content-type") ?? "")) {
    throw new AppError(
      "unsupported_media_type",
      "Send the signed batch as `Content-Type: application/jose`.",
    );
  }
  // Decoded by hand: workerd warns when text() reads a body whose type (application/jose) is not text.
  const jws = new TextDecoder().decode(await c.req.arrayBuffer());
  return c.json(await reconcileBatch(await tokenContext(c), jws), 200);
};

export const register: Register = (app) => app.openapi(route, handler);
