import { describe, expect, it } from "vitest";
import { api } from "../support/api";
import { createDrop, createOffer } from "../support/fixtures";
import { createTenant, tableCounts } from "../support/tenants";

// The read-by-id routes share one table of bad ids: each is a plain 404 that writes nothing.
describe.each([
  ["/v1/offers", "off_"],
  ["/v1/drops", "drp_"],
  ["/v1/members", "mem_"],
])("GET %s/{id} with a bad id", (collection, prefix) => {
  it.each([
    ["an unknown id", `${prefix}missing`],
    ["an id of another kind", "cre_demo"],
    ["an overlong id", `${prefix}${"x".repeat(2000)}`],
    ["percent-encoded junk", "%E2%80%8B%00"],
    ["SQL in the id", `${prefix}' OR '1'='1`],
  ])("answers 404 to %s, writing nothing", async (_name, id) => {
    const tenant = await createTenant();
    await createOffer(tenant);
    await createDrop(tenant);
    const before = await tableCounts();
    const res = await api("GET", `${collection}/${encodeURIComponent(id)}`, { key: tenant.key });
    expect(res.status).toBe(404);
    expect(res.body.type).toBe("https://creator-commerce.dev/problems/not-found");
    expect(await tableCounts()).toEqual(before);
  });
});
