import { describe, expect, it } from "vitest";
import { type ApiResponse, api } from "./api";
import { createTenant, type Tenant } from "./tenants";

/**
 * The shared authorisation suite every admin route runs: no key and a wrong key are 401, and another
 * creator's key cannot see the row (404, an empty list, or a create that lands in its own tenant) — `call` performs the route's request with the given key
 * against a resource the first tenant owns.
 */
const strangerTitle = {
  not_found: "answers 404 to another creator's key",
  empty_list: "shows another creator none of the rows",
  created_separately: "creates under the other creator, invisible to the first",
  rejected_reference: "treats the first creator's ids as unknown to another creator (422)",
};

export function authorisationSuite(
  name: string,
  setup: (owner: Tenant) => Promise<(key: string | undefined) => Promise<ApiResponse>>,
  stranger: keyof typeof strangerTitle = "not_found",
) {
  describe(`${name}: authorisation`, () => {
    it("answers 401 without an API key", async () => {
      const call = await setup(await createTenant());
      const res = await call(undefined);
      expect(res.status).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
    });
    it("answers 401 with a wrong API key", async () => {
      const call = await setup(await createTenant());
      expect((await call("cc_sk_not-a-real-key")).status).toBe(401);
    });
    it(strangerTitle[stranger], async () => {
      const owner = await createTenant();
      const call = await setup(owner);
      const res = await call((await createTenant("Stranger")).key);
      if (stranger === "not_found") expect(res.status).toBe(404);
      if (stranger === "empty_list")
        expect(res).toMatchObject({ status: 200, body: { data: [], has_more: false } });
      if (stranger === "rejected_reference") expect(res.status).toBe(422);
      if (stranger === "created_separately") {
        expect(res.status).toBe(201);
        const collection = name.split(" ")[1]; // "POST /v1/offers" → /v1/offers
        expect((await api("GET", `${collection}/${res.body.id}`, { key: owner.key })).status).toBe(404);
      }
    });
  });
}
