import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { TicketParams, TicketSchema, type TicketView } from "../../admission/schemas";
import { readTicket } from "../../admission/verbs";
import { gateContext } from "../../buyers/http";
import { GateHeaders } from "../../buyers/schemas";
import { requestBuyerKey } from "../../drops/gate";
import { BuyerHeaders } from "../../holds/schemas";
import { type AppEnv, buyerContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { quoteKeys } from "../../quotes/token";
import { jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/drops/{id}/queue/{ticketId}",
  tags: ["Queue"],
  summary: "Read a queue ticket: place, wait, and once admitted the admission token (404 to anyone else)",
  description:
    "Public: no API key. Admission is computed as of the read, so polling this is never behind the " +
    "stream's broadcast. docs/admission.md.",
  request: {
    params: TicketParams,
    headers: BuyerHeaders.partial().extend(GateHeaders.pick({ "buyer-token": true }).shape),
  },
  responses: { 200: jsonResponse("The ticket", TicketSchema), ...problemResponses(401, 404, 422, 500, 503) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { id, ticketId } = c.req.valid("param");
  const ticket = await readTicket({
    ctx: { ...buyerContext(c), keys: await quoteKeys(c.get("config").QUOTE_SIGNING_KEYS) },
    input: {
      dropId: id,
      ticketId,
      buyer: await requestBuyerKey(await gateContext(c), c.req.valid("header")),
    },
  });
  return c.json(ticket, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
export type GetQueueTicketResponse = TicketView;
