import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { createMiddleware } from "hono/factory";
import { AppError } from "../../errors";
import type { AppEnv } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { readOutbox } from "../../mail/outbox";
import { normalizeEmail } from "../../members/verbs";
import { jsonResponse, type Register } from "../shared";

const OUTBOX_PAGE = 20;

const Query = z.object({
  to: z
    .email()
    .max(254)
    .optional()
    .openapi({ param: { name: "to", in: "query" }, description: "Only mail to this address." }),
});

const MailMessageSchema = z
  .object({
    object: z.literal("mail_message"),
    id: z.string(),
    to: z.string(),
    from: z.string(),
    subject: z.string(),
    text: z.string(),
    html: z.string().nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("MailMessage");

const Outbox = z
  .object({ object: z.literal("list"), data: z.array(MailMessageSchema) })
  .openapi("MailOutbox");

/** Before the query is read: in production even a malformed query gets the unknown path's 404. */
export const developmentOnly = createMiddleware<AppEnv>(async (c, next) => {
  if (c.get("config").ENVIRONMENT === "production") {
    throw new AppError("not_found", `No route for ${c.req.method} ${c.req.path}.`);
  }
  return next();
});

export const route = createRoute({
  method: "get",
  path: "/v1/dev/outbox",
  tags: ["Development"],
  summary: "The latest mail the development mailer kept (development and test only)",
  description:
    `The ${OUTBOX_PAGE} newest messages, newest first. Outside production mail is never sent: it lands ` +
    "here, so a developer can read a sign-in code. With ENVIRONMENT=production this path answers 404 like " +
    "any unknown one, and production mail goes out through the mail API, never to the outbox.",
  middleware: [developmentOnly] as const,
  request: { query: Query },
  responses: { 200: jsonResponse("Mail, newest first", Outbox), ...problemResponses(404, 422, 500) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const { to } = c.req.valid("query");
  const data = await readOutbox(c.get("db"), {
    to: to === undefined ? undefined : normalizeEmail(to),
    limit: OUTBOX_PAGE,
  });
  return c.json({ object: "list" as const, data }, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
export type OutboxResponse = z.infer<typeof Outbox>;
