import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { ProblemSchema } from "../../src/http/problem";
import { api } from "../support/api";
import { createTenant } from "../support/tenants";

describe("the error envelope", () => {
  it("answers an unknown route with 404 problem+json", async () => {
    const res = await api("GET", "/nowhere");
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({
      type: "https://creator-commerce.dev/problems/not-found",
      title: "Not found",
    });
  });

  it("answers a wrong method on a known path with 405 and Allow", async () => {
    const tenant = await createTenant();
    const res = await api("DELETE", "/v1/offers", { key: tenant.key });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD, POST");
    expect(res.body.type).toBe("https://creator-commerce.dev/problems/method-not-allowed");
  });

  it("answers 405 on a public path too", async () => {
    const res = await api("POST", "/openapi.json", { body: {} });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toContain("GET");
  });

  it("answers an unexpected failure with 500 and no internals", async () => {
    // A real D1 that has no tables: every query fails the way a schema drift would in production.
    const app = buildApp();
    const tenantless = await app.request(
      "/v1/offers",
      { headers: { authorization: "Bearer cc_sk_anything" } },
      { ...env, DB: env.UNMIGRATED_DB },
    );
    expect(tenantless.status).toBe(500);
    expect(tenantless.headers.get("content-type")).toBe("application/problem+json");
    const text = await tenantless.text();
    const problem = ProblemSchema.parse(JSON.parse(text));
    expect(problem).toMatchObject({ type: "https://creator-commerce.dev/problems/internal", status: 500 });
    expect(problem.request_id).toBe(tenantless.headers.get("request-id"));
    expect(text).not.toMatch(/no such table|SQLITE|at |\.ts/);
  });

  it("echoes a well-formed client Request-Id and mints one otherwise", async () => {
    const echoed = await api("GET", "/nowhere", { headers: { "request-id": "trace-123" } });
    expect(echoed.headers.get("request-id")).toBe("trace-123");
    expect(echoed.body.request_id).toBe("trace-123");
    const minted = await api("GET", "/nowhere", { headers: { "request-id": "bad id with spaces" } });
    expect(minted.headers.get("request-id")).toMatch(/^req_[0-9a-f]{32}$/);
  });

  it("answers 413 from the declared length before reading a large body", async () => {
    const tenant = await createTenant();
    const res = await api("POST", "/v1/offers", {
      key: tenant.key,
      raw: "x".repeat(64 * 1024 + 1),
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(413);
  });

  it("accepts a body of exactly 64 KiB as far as validation", async () => {
    const tenant = await createTenant();
    const filler = "x".repeat(64 * 1024 - 20);
    const raw = JSON.stringify({ title: filler }).padEnd(64 * 1024, " ");
    const res = await api("POST", "/v1/offers", {
      key: tenant.key,
      raw,
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(422);
  });
});
