import { describe, expect, it } from "vitest";
import type { Json } from "../../support/api";
import { stripeWorld, WEBHOOK_SECRET } from "../../support/stripe-world";
import { tableCounts } from "../../support/tenants";

/** Any body, signed with the endpoint's secret exactly as Stripe signs a delivery, through the real app. */
async function deliverSigned(body: string) {
  const world = stripeWorld();
  const headers = {
    "content-type": "application/json",
    ...(await world.fake.signBody(body, WEBHOOK_SECRET)),
  };
  const res = await world.app.fetch(
    new Request("http://api.test/v1/webhooks/stripe", { method: "POST", headers, body }),
    world.bindings,
    world.executionContext(),
  );
  return { status: res.status, contentType: res.headers.get("content-type"), body: await res.json<Json>() };
}

/**
 * Bodies that carry a valid signature (whoever holds the endpoint's secret, or a Stripe bug, can send
 * them) but are not Stripe events. Each must be refused as bad input, never crash the route.
 */
const notEvents: [string, unknown][] = [
  ["an empty object", {}],
  ["an event without data", { id: "evt_nodata", object: "event", type: "payment_intent.succeeded" }],
  [
    "an event whose data.object is null",
    { id: "evt_nullobject", object: "event", type: "payment_intent.succeeded", data: { object: null } },
  ],
  [
    "an event whose data.object is a string",
    { id: "evt_stringobject", object: "event", type: "charge.refunded", data: { object: "ch_1" } },
  ],
  [
    "an event without a type",
    { id: "evt_notype", object: "event", data: { object: { object: "payment_intent", id: "pi_1" } } },
  ],
  [
    "an event without an id",
    { object: "event", type: "payment_intent.succeeded", data: { object: { id: "pi_1" } } },
  ],
  [
    "an event whose id is a number",
    { id: 42, object: "event", type: "payment_intent.succeeded", data: { object: { id: "pi_1" } } },
  ],
  ["an array", [{ id: "evt_1" }]],
  ["a JSON string", "evt_1"],
  ["null", null],
];

describe("bad-input: webhooks", () => {
  it.each(notEvents)(
    "a correctly signed webhook whose body is %s is refused with 400 and stores nothing",
    async (_name, body) => {
      const before = await tableCounts();
      const res = await deliverSigned(JSON.stringify(body));
      expect(res.status).toBe(400);
      expect(res.contentType).toMatch(/^application\/problem\+json/);
      expect(res.body).toMatchObject({
        status: 400,
        type: expect.stringMatching(/\/webhook-event-malformed$/),
      });
      expect(await tableCounts()).toEqual(before);
    },
  );

  it("a correctly signed body that is not JSON at all is refused with 400 and stores nothing", async () => {
    const before = await tableCounts();
    const res = await deliverSigned("this is not json");
    expect(res.status).toBe(400);
    expect(res.body.type).toMatch(/\/webhook-event-malformed$/);
    expect(await tableCounts()).toEqual(before);
  });
});
