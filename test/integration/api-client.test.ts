import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { type ApiClient, createApiClient } from "../../clients/api";
import { createEntitlementVerifier } from "../../clients/verifier";
import { createDrop } from "../support/fixtures";
import { createTenant } from "../support/tenants";

// The typed client (clients/api, `creator-commerce-edge/api`) as a creator's own front end uses it,
// against the real worker: requests and responses typed from the app's OpenAPI document.
const client = (): ApiClient =>
  createApiClient("http://api.test/", { fetch: (request: Request) => exports.default.fetch(request) });

describe("the typed API client against the worker", () => {
  it("quotes a drop, pays with 4242… and reads back an entitlement token that verifies", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 3 });
    const api = client();
    const buyerId = crypto.randomUUID();

    const quoted = await api.POST("/v1/quotes", {
      body: { offer_id: drop.offer_id, drop_id: drop.id, quantity: 1 },
      params: { header: { "buyer-id": buyerId } },
    });
    expect(quoted.response.status).toBe(201);
    const quote = quoted.data;
    if (quote === undefined) throw new Error(`quote refused: ${JSON.stringify(quoted.error)}`);
    expect(quote).toMatchObject({ offer_id: drop.offer_id, quantity: 1, currency: "USD" });

    const paid = await api.POST("/v1/checkouts", {
      body: {
        quote: quote.token,
        email: "fan@example.test",
        payment_method: "4242 4242 4242 4242",
        source: "api",
      },
      params: { header: { "buyer-id": buyerId, "idempotency-key": crypto.randomUUID() } },
    });
    const checkout = paid.data;
    if (checkout === undefined) throw new Error(`checkout refused: ${JSON.stringify(paid.error)}`);
    expect(checkout.status).toBe("paid");

    const read = await api.GET("/v1/checkouts/{id}", {
      params: { path: { id: checkout.id }, header: { "checkout-secret": checkout.secret } },
    });
    const token = read.data?.entitlement?.token;
    if (token === undefined) throw new Error(`no entitlement: ${JSON.stringify(read.data ?? read.error)}`);

    const jwks = (await api.GET("/.well-known/jwks.json")).data;
    if (jwks === undefined) throw new Error("no JWKS");
    const verify = createEntitlementVerifier({
      jwks,
      issuer: "https://commerce.test",
      audience: tenant.creatorId,
    });
    expect(await verify(token)).toMatchObject({ scope: "purchase", entitlements: [drop.offer_id] });
  });

  it("hands a refusal back as the problem+json error, with nothing in data", async () => {
    const refused = await client().POST("/v1/quotes", {
      body: { offer_id: "off_does_not_exist", quantity: 1 },
      params: { header: { "buyer-id": crypto.randomUUID() } },
    });
    expect(refused.data).toBeUndefined();
    expect(refused.response.status).toBe(404);
    expect(refused.response.headers.get("content-type")).toMatch(/application\/problem\+json/);
    expect(refused.error).toMatchObject({ status: 404, type: expect.stringMatching(/not-found/) });
  });
});
