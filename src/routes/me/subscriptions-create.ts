import { createRoute, type RouteHandler, z } from "@hono/zod-openapi";
import { type AppEnv, renewalContext } from "../../http/context";
import { memberOfBearer } from "../../http/member";
import { problemResponses } from "../../http/openapi";
import { convertTillSubscription } from "../../subscriptions/convert";
import { SubscriptionSchema } from "../../subscriptions/schemas";
import { jsonBody, jsonResponse, type Register } from "../shared";

const Body = z
  .strictObject({
    offer_id: z.string().min(1).max(64).openapi({ description: "The tier bought at the pop-up." }),
    payment_method: z.string().min(1).max(255).openapi({
      description: "The card renewals are charged with (a Stripe PaymentMethod id, or a sandbox test card).",
      example: "4242424242424242",
    }),
  })
  .openapi("SubscribeFromTill");

export const route = createRoute({
  method: "post",
  path: "/v1/me/subscriptions",
  tags: ["Member self-service"],
  summary: "Turn a tier bought at a pop-up into a renewing subscription, without paying twice",
  description:
    "With the member's own entitlement token as `Authorization: Bearer <token>`. The member must hold the " +
    "tier from a pop-up sale (a POS enrolment) that has not ended. The subscription starts `trialing` until " +
    "the till's period ends and charges the card first at that moment, so the period the till was paid for " +
    "is never charged again; renewals count from then. Repeating the call answers 200 with the same " +
    "subscription; a member who already subscribes to the tier otherwise gets 409, as does one without a " +
    "till-bought tier.",
  security: [{ MemberToken: [] }],
  request: { body: jsonBody(Body) },
  responses: {
    200: jsonResponse("Already converted: the same subscription", SubscriptionSchema),
    201: jsonResponse("The new subscription", SubscriptionSchema),
    ...problemResponses(400, 401, 409, 410, 413, 415, 422, 500),
  },
});

const handler: RouteHandler<typeof route, AppEnv> = async (c) => {
  const member = await memberOfBearer(c);
  const body = c.req.valid("json");
  const { created, subscription } = await convertTillSubscription(
    renewalContext(c, `member:${member.memberId}`),
    member,
    {
      offerId: body.offer_id,
      paymentMethod: body.payment_method,
    },
  );
  return created ? c.json(subscription, 201) : c.json(subscription, 200);
};

export const register: Register = (app) => app.openapi(route, handler);
