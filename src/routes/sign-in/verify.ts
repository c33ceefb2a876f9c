import { createRoute, type RouteHandler, type z } from "@hono/zod-openapi";
import { SessionSchema, type SessionView } from "../../entitlements/schemas";
import { type AppEnv, buyerContext, tokenIssuer } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { guardFailures, isAppError } from "../../ratelimit/enforce";
import { ipKey, memberEmailKey } from "../../ratelimit/keys";
import { VerifyCodeBody } from "../../sign-in/schemas";
import { verifySignInCode } from "../../sign-in/verbs";
import { jsonBody, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/sign-in/email/verify",
  tags: ["Sign-in"],
  summary: "Trade a mailed code for an entitlement token and a refresh credential",
  description:
    "Public: the code is the proof. Answers as POST /v1/members/{id}/sessions does: a token listing " +
    "everything the member holds and the first refresh credential of a new family. A wrong, expired or " +
    "used code, an unknown email or another creator's id are all one 401 `sign-in-code-invalid`; each " +
    "wrong code counts against every live code of the email, and a code tried wrong 5 times is dead.",
  request: { body: jsonBody(VerifyCodeBody) },
  responses: {
    200: jsonResponse("A token and a refresh credential", SessionSchema),
    ...problemResponses(400, 401, 413, 415, 422, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const body = c.req.valid("json");
  // Wrong codes count per member and per address (docs/rate-limits.md); a right one costs nothing.
  const limits = [
    ["sign_in_failures_member", memberEmailKey(body.creator_id, body.email)],
    ["sign_in_failures_ip", ipKey(c)],
  ] as const;
  const session = await guardFailures(c, limits, isAppError("sign_in_code_invalid"), async () =>
    verifySignInCode({
      ctx: { ...buyerContext(c), issuer: await tokenIssuer(c) },
      input: { creatorId: body.creator_id, email: body.email, code: body.code, surface: body.surface },
    }),
  );
  return c.json(session, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
export type VerifySignInCodeRequest = z.input<typeof VerifyCodeBody>;
export type VerifySignInCodeResponse = SessionView;
