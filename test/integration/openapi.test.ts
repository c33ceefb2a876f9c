import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { api } from "../support/api";

type Document = {
  openapi: string;
  paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown[];
        requestBody?: { content: Record<string, unknown> };
        responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
      }
    >
  >;
  components: { schemas: Record<string, unknown> };
};

const fetchDocument = async (): Promise<Document> =>
  (await exports.default.fetch("http://api.test/openapi.json")).json() as Promise<Document>;

describe("GET /openapi.json", () => {
  it("is OpenAPI 3.1 and documents every registered route", async () => {
    const doc = await fetchDocument();
    expect(doc.openapi).toBe("3.1.0");
    const registered = buildApp()
      // OPTIONS is the CORS preflight for every path (src/http/cors.ts), not an operation.
      .routes.filter((r) => r.method !== "ALL" && r.method !== "OPTIONS")
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, "{$1}")}`);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m} ${path}`),
    );
    expect(registered.length).toBeGreaterThanOrEqual(12);
    expect(new Set(documented)).toEqual(new Set(registered));
  });

  it("keeps every route within Hono's RegExpRouter, the fast one", async () => {
    // One route shape it cannot compile (for one method, a static segment beside a parameter with children:
    // POST /v1/entitlements/token beside POST /v1/entitlements/{id}/revoke) silently moves every request to the
    // slower TrieRouter; the profile of the hot pricing route showed routing cost rise by about 7 %.
    const app = buildApp();
    await app.request("/openapi.json", {}, env);
    const router = app.router as unknown as { activeRouter?: { name: string } };
    expect(router.activeRouter?.name).toBe("RegExpRouter");
  });

  it("declares the error envelope once and points every error response at it", async () => {
    const doc = await fetchDocument();
    expect(doc.components.schemas).toHaveProperty("Problem");
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          expect(
            response.content?.["application/problem+json"]?.schema,
            `${method} ${path} ${status}`,
          ).toEqual({
            $ref: "#/components/schemas/Problem",
          });
        }
        if (op.security) {
          expect(Object.keys(op.responses), `${method} ${path}`).toEqual(
            expect.arrayContaining(["401", "500"]),
          );
        }
      }
    }
  });

  it("documents 413 exactly where a body is read, and 415 wherever a JSON body is declared", async () => {
    // The same rule as the guard in src/http/body.ts: POST, PUT and PATCH read a body, GET and DELETE never.
    const doc = await fetchDocument();
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const readsBody = ["post", "put", "patch"].includes(method) || op.requestBody !== undefined;
        const statuses = Object.keys(op.responses);
        expect(statuses.includes("413"), `${method} ${path} documents 413`).toBe(readsBody);
        if (op.requestBody) expect(statuses, `${method} ${path}`).toContain("415");
        if (!readsBody) expect(statuses, `${method} ${path}`).not.toContain("415");
      }
    }
  });
});

describe("GET /docs", () => {
  it("serves the interactive reference, pointed at the document", async () => {
    const res = await api("GET", "/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/text\/html/);
    expect(res.body).toContain("/openapi.json");
  });
});
