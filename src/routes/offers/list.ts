import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { offerKinds } from "../../db/schema";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { PageQuerySchema, pageOf } from "../../http/pagination";
import { OfferSchema } from "../../offers/schemas";
import { listOffers } from "../../offers/verbs";
import { jsonResponse, type Register } from "../shared";

const Query = PageQuerySchema.extend({ kind: z.enum(offerKinds).optional() });
const Page = pageOf(OfferSchema).openapi("OfferList");

export const route = createRoute({
  method: "get",
  path: "/v1/offers",
  tags: ["Offers"],
  summary: "List the creator's offers, newest first",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: Query },
  responses: { 200: jsonResponse("A page of offers", Page), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listOffers({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
export type ListOffersResponse = z.infer<typeof Page>;
