import { exports } from "cloudflare:workers";
import { expect } from "vitest";
import { ProblemSchema } from "../../src/http/problem";

// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON bodies and assert on their fields
export type Json = any;

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: Json;
}

export interface CallOptions {
  key?: string;
  /** JSON-encoded unless `raw` is given. */
  body?: unknown;
  raw?: BodyInit;
  headers?: Record<string, string>;
}

type Operation = { responses: Record<string, unknown> };
type Document = { paths: Record<string, Record<string, Operation>> };
let documentPromise: Promise<Document> | undefined;

const openapi = (): Promise<Document> => {
  documentPromise ??= exports.default
    .fetch("http://api.test/openapi.json")
    .then((res) => res.json() as Promise<Document>);
  return documentPromise;
};

/** The documented path template a concrete path matches, e.g. /v1/offers/{id}. */
function templateFor(doc: Document, pathname: string): string | undefined {
  // A literal segment beats a parameter, as in the router: /v1/entitlements/verify is not /{id}.
  const params = (template: string) => template.split("{").length;
  return Object.keys(doc.paths)
    .filter((template) => new RegExp(`^${template.replace(/\{[^/]+\}/g, "[^/]+")}$`).test(pathname))
    .sort((a, b) => params(a) - params(b))[0];
}

/**
 * One request through the real worker entry point. Every response is checked against the contract:
 * it carries a Request-Id, its status is documented for that operation, and errors are problem+json
 * that match the Problem schema with the same request id.
 */
export async function api(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body: BodyInit | undefined = options.raw;
  if (body === undefined && options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await exports.default.fetch(new Request(`http://api.test${path}`, { method, headers, body }));
  const text = await res.text();
  const parsed =
    text.length > 0 && /json/.test(res.headers.get("content-type") ?? "") ? JSON.parse(text) : text;

  const requestId = res.headers.get("request-id");
  expect(requestId, "every response carries Request-Id").toBeTruthy();
  const pathname = new URL(`http://api.test${path}`).pathname;
  const doc = await openapi();
  const template = templateFor(doc, pathname);
  const operation = template ? doc.paths[template]?.[method.toLowerCase()] : undefined;
  if (operation) {
    expect(
      operation.responses,
      `${method} ${template} answered ${res.status}, which is not documented`,
    ).toHaveProperty(String(res.status));
  } else {
    // Not an operation: only the global answers are possible.
    expect([404, 405]).toContain(res.status);
  }
  if (res.status >= 400) {
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    const problem = ProblemSchema.parse(parsed);
    expect(problem.status).toBe(res.status);
    expect(problem.request_id).toBe(requestId);
    expect(problem.type).toMatch(/^https:\/\/creator-commerce\.dev\/problems\/[a-z-]+$/);
  }
  return { status: res.status, headers: res.headers, body: parsed };
}
