import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { TicketSchema, type TicketView } from "../../admission/schemas";
import { joinQueue } from "../../admission/verbs";
import { gateContext } from "../../buyers/http";
import { GateHeaders } from "../../buyers/schemas";
import { gateQueue } from "../../drops/gate";
import { BuyerHeaders } from "../../holds/schemas";
import { optionalApiKey } from "../../http/auth";
import { type AppEnv, buyerContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { quoteKeys } from "../../quotes/token";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/drops/{id}/queue",
  tags: ["Queue"],
  summary: "Join the drop's admission queue: one ticket per buyer, shuffled fairly at the start",
  description:
    "Public: no API key. Before the start a ticket has no position; at the start early arrivals are " +
    "shuffled, later ones queue behind in arrival order. Repeating the call returns the same ticket " +
    "(200). 409 queue-not-enabled when the drop has no queue. A drop that asks buyers for a proof " +
    "(docs/buyer-tokens.md) asks it here too: 401 without the Buyer-Token it needs. A creator's " +
    "publishable key (`cc_pk_…`) may be sent: another creator's drop is then 404. A suspended creator's " +
    "drop is 403 creator-suspended. docs/admission.md.",
  middleware: [optionalApiKey] as const,
  request: {
    params: IdParam("Drop id"),
    headers: BuyerHeaders.partial().extend(GateHeaders.pick({ "buyer-token": true }).shape),
  },
  responses: {
    201: jsonResponse("A new ticket", TicketSchema),
    200: jsonResponse("The ticket this buyer already holds", TicketSchema),
    ...problemResponses(401, 403, 404, 409, 422, 500, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const dropId = c.req.valid("param").id;
  const owner = c.get("caller")?.creatorId ?? null;
  const buyer = await gateQueue(await gateContext(c), dropId, c.req.valid("header"), owner);
  const { ticket, created } = await joinQueue({
    ctx: { ...buyerContext(c), keys: await quoteKeys(c.get("config").QUOTE_SIGNING_KEYS) },
    input: { dropId, buyer },
  });
  return created ? c.json(ticket, 201) : c.json(ticket, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
export type JoinQueueResponse = TicketView;
