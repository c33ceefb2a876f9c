import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("serves the OpenAPI document", async () => {
  const res = await exports.default.fetch("http://api.test/openapi.json");
  expect(res.status).toBe(200);
});
