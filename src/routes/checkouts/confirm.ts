import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { CheckoutSecretHeader, ConfirmCheckoutBody, PaidCheckoutSchema } from "../../checkout/schemas";
import { confirmCheckout } from "../../checkout/verbs";
import { type AppEnv, checkoutContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "post",
  path: "/v1/checkouts/{id}/confirm",
  tags: ["Checkout"],
  summary: "Complete a checkout from the buyer's side: ask the provider where the payment stands",
  description:
    "Safe to repeat: whichever of this and the provider's event arrives first completes the checkout, and " +
    "the other changes nothing and answers the same. With `payment_method`, confirms the payment with it " +
    "(a retry after a decline). With the sandbox, confirming a `requires_action` checkout completes its " +
    "3-D Secure step.",
  request: {
    params: IdParam("Checkout id"),
    headers: CheckoutSecretHeader,
    body: { required: false, content: { "application/json": { schema: ConfirmCheckoutBody } } },
  },
  responses: {
    200: jsonResponse("The checkout", PaidCheckoutSchema),
    ...problemResponses(400, 404, 413, 415, 422, 500, 503),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await confirmCheckout({
      ctx: await checkoutContext(c),
      input: {
        id: c.req.valid("param").id,
        secret: c.req.valid("header")["checkout-secret"],
        paymentMethod: c.req.valid("json")?.payment_method,
      },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
