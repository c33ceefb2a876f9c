import type { RouteConfig } from "@hono/zod-openapi";
import type { ErrorCode } from "../errors";
import { ProblemSchema, problemTable } from "./problem";

type ResponseMap = NonNullable<RouteConfig["responses"]>;

const byStatus = new Map<number, ErrorCode[]>();
for (const [code, { status }] of Object.entries(problemTable) as [ErrorCode, { status: number }][]) {
  byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
}

/** Error responses for a route, all pointing at the one Problem schema. */
export function problemResponses(...statuses: number[]): ResponseMap {
  const responses: ResponseMap = {};
  for (const status of statuses) {
    const codes = byStatus.get(status) ?? [];
    responses[status] = {
      description: codes.map((c) => problemTable[c].title).join("; ") || "Error",
      content: { "application/problem+json": { schema: ProblemSchema } },
    };
  }
  return responses;
}

/** Statuses every admin route can answer. */
const adminBase = [401, 403, 500];
/** A JSON write: malformed JSON or bad key, in-flight key, too large, wrong type, invalid fields. */
const writeErrors = [400, 409, 413, 415, 422];

export const adminRead = (...extra: number[]) => problemResponses(...adminBase, ...extra);
export const adminWrite = (...extra: number[]) => problemResponses(...adminBase, ...writeErrors, ...extra);

export const bearerSecurity = [{ ApiKey: [] }];
