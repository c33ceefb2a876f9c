import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import type { AppEnv } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { CODES_PER_HOUR } from "../../sign-in/code";
import { RequestCodeBody, SignInRequestSchema, type SignInRequestView } from "../../sign-in/schemas";
import { requestSignInCode } from "../../sign-in/verbs";
import { jsonBody, jsonResponse, type Register } from "../shared";
import { signInContext } from "./mail";

export const route = createRoute({
  method: "post",
  path: "/v1/sign-in/email",
  tags: ["Sign-in"],
  summary: "Mail a member a one-time sign-in code",
  description:
    "Public. Always 202 with the same body: a code is mailed only if a member of `creator_id` has this " +
    `email, and at most ${CODES_PER_HOUR} codes an hour per email (past that, nothing is mailed), so the ` +
    "answer never says who is a member. A code works once, for 10 minutes, and dies after 5 wrong tries. " +
    "A retry simply asks for another code; no Idempotency-Key is needed.",
  request: { body: jsonBody(RequestCodeBody) },
  responses: {
    202: jsonResponse("Accepted: a code is on its way if the email is a member's", SignInRequestSchema),
    ...problemResponses(400, 413, 415, 422, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  return c.json(
    await requestSignInCode({
      ctx: signInContext(c),
      input: { creatorId: body.creator_id, email: body.email },
    }),
    202,
  );
};

export const register: Register = (app) => app.openapi(route, handler);
export type RequestSignInCodeRequest = z.input<typeof RequestCodeBody>;
export type RequestSignInCodeResponse = SignInRequestView;
