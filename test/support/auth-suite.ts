import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiKeys } from "../../src/db/schema";
import { allScopes, requiredScope } from "../../src/keys/scopes";
import { type ApiResponse, api } from "./api";
import { createKey, createTenant, db, type Tenant } from "./tenants";

/**
 * The shared authorisation suite every admin route runs: no key and a wrong key are 401, and another
 * creator's key cannot see the row (404, an empty list, or a create that lands in its own tenant) — `call` performs the route's request with the given key
 * against a resource the first tenant owns.
 *
 * Then the key kinds (docs/keys.md): a publishable key is 403, a restricted key passes only with the
 * scope the route needs (from `name`, "METHOD /v1/path", through requiredScope, as requireApiKey
 * decides it), a revoked key is 401 on its next request, a rotated one works until its overlap ends.
 * Those four share one setup, so each suite pays for its fixtures once more, not four times.
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
    let shared:
      | Promise<{ owner: Tenant; call: (key: string | undefined) => Promise<ApiResponse> }>
      | undefined;
    const once = () => {
      shared ??= createTenant().then(async (owner) => ({ owner, call: await setup(owner) }));
      return shared;
    };
    const [method = "", rawPath = ""] = name.split(" ");
    const needed = requiredScope(method, rawPath.split("?")[0] ?? "");
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
    it("refuses a publishable key (403 insufficient_scope)", async () => {
      const { owner, call } = await once();
      expect(refusal(await call((await createKey(owner, "publishable")).key))).toBe("insufficient-scope");
    });
    it(
      needed === null
        ? "refuses a restricted key even with every scope: the route needs a secret key (403)"
        : `refuses a restricted key without ${needed} (403) and lets one with it through`,
      async () => {
        const { owner, call } = await once();
        // Every other scope, and for a read not the resource's write (which would imply it).
        const implied = needed?.endsWith(":read") ? needed.replace(":read", ":write") : undefined;
        const others = allScopes.filter((s) => s !== needed && s !== implied);
        expect(refusal(await call((await createKey(owner, "restricted", others)).key))).toBe(
          "insufficient-scope",
        );
        if (needed === null) return;
        expect(refusal(await call((await createKey(owner, "restricted", [needed])).key))).toBeNull();
      },
    );
    it("refuses a revoked key at once (401)", async () => {
      const { owner, call } = await once();
      const other = await createKey(owner, "secret");
      expect(refusal(await call(other.key))).toBeNull();
      expect((await api("DELETE", `/v1/api-keys/${other.id}`, { key: owner.key })).status).toBe(200);
      expect(refusal(await call(other.key))).toBe("unauthenticated");
    });
    it("honours a rotated key during its overlap and refuses it after", async () => {
      const { owner, call } = await once();
      const old = await createKey(owner, "secret");
      const rotated = await api("POST", `/v1/api-keys/${old.id}/rotate`, {
        key: owner.key,
        body: { overlap_seconds: 3600 },
      });
      expect(rotated.status).toBe(201);
      expect(refusal(await call(old.key))).toBeNull();
      // The overlap runs out (api-keys.test.ts moves a real clock past it; here the row's end moves).
      await db
        .update(apiKeys)
        .set({ expiresAt: Date.now() - 1 })
        .where(eq(apiKeys.id, old.id));
      expect(refusal(await call(old.key))).toBe("unauthenticated");
      expect(refusal(await call(rotated.body.secret))).toBeNull();
    });
  });
}

/** The authorisation problem an answer is (`unauthenticated`, `insufficient-scope`, …), or null. */
function refusal(res: ApiResponse): string | null {
  if (res.status !== 401 && res.status !== 403) return null;
  const type = String(res.body?.type ?? "");
  const kind = type.slice(type.lastIndexOf("/") + 1);
  // A 403 for another reason (an origin, a suspended creator) is not the key's kind or scope.
  return res.status === 401 || kind === "insufficient-scope" ? kind : null;
}
