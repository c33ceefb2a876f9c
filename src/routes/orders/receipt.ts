import { createRoute, type RouteHandler } from "@hono/zod-openapi";
import { receipt } from "../../checkout/orders";
import { CheckoutSecretHeader, ReceiptSchema } from "../../checkout/schemas";
import { type AppEnv, checkoutContext } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { IdParam, jsonResponse, type Register } from "../shared";

export const route = createRoute({
  method: "get",
  path: "/v1/orders/{id}/receipt",
  tags: ["Orders"],
  summary: "The buyer's receipt: amount, currency, lines, payment reference and what the order granted",
  description:
    "Public, for the holder of the order's checkout secret (`Checkout-Secret`); anyone else gets 404.",
  request: { params: IdParam("Order id"), headers: CheckoutSecretHeader },
  responses: { 200: jsonResponse("The receipt", ReceiptSchema), ...problemResponses(404, 422, 500) },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) =>
  c.json(
    await receipt({
      ctx: await checkoutContext(c),
      input: { orderId: c.req.valid("param").id, secret: c.req.valid("header")["checkout-secret"] },
    }),
    200,
  );

export const register: Register = (app) => app.openapi(route, handler);
