import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { AuditEventSchema, AuditQuery, listAuditEvents } from "../../audit-log/reads";
import { requireApiKey } from "../../http/auth";
import { type AppEnv, tenantContext } from "../../http/context";
import { adminRead, bearerSecurity } from "../../http/openapi";
import { pageOf } from "../../http/pagination";
import { jsonResponse, type Register } from "../shared";

const Page = pageOf(AuditEventSchema).openapi("AuditEventList");

export const route = createRoute({
  method: "get",
  path: "/v1/audit-events",
  tags: ["Audit"],
  summary: "One resource's audit log, newest first",
  description:
    "Every state change writes an audit row in the same D1 batch as the change; this lists the rows about " +
    "one resource (`subject_type` and `subject_id`), optionally of one `action`. Another creator's " +
    "resources have none.",
  security: bearerSecurity,
  middleware: [requireApiKey] as const,
  request: { query: AuditQuery },
  responses: { 200: jsonResponse("A page of audit rows", Page), ...adminRead(422) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(await listAuditEvents({ ctx: tenantContext(c), input: c.req.valid("query") }), 200);

export const register: Register = (app) => app.openapi(route, handler);
