import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { CheckoutSecretHeader, PaidCheckoutSchema } from "../../checkout/schemas";
import { getCheckout } from "../../checkout/verbs";
import { type AppEnv, checkoutContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/checkouts/{id}",
  tags: ["Checkout"],
  summary: "Read a checkout as its buyer: status, and once paid a fresh entitlement token",
  description:
    "Public, for the holder of the checkout's secret (`Checkout-Secret`); anyone else gets 404. Once paid, " +
    "`entitlement` carries a fresh token and the session's refresh credential (null once exchanged).",
  request: { params: IdParam("Checkout id"), headers: CheckoutSecretHeader },
  responses: {
    200: jsonResponse("The checkout", PaidCheckoutSchema),
    ...problemResponses(404, 422, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await getCheckout({
      ctx: await checkoutContext(c),
      input: { id: c.req.valid("param").id, secret: c.req.valid("header")["checkout-secret"] },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
