import type { Context } from "hono";
import type { AppEnv } from "../../http/context";
import { problemResponses } from "../../http/openapi";
import { OPERATOR_ACTOR } from "../../operator/auth";
import type { OperatorContext } from "../../operator/verbs";

export const TAG = "Platform operator";
export const operatorSecurity = [{ OperatorKey: [] }];

/** Statuses every operator route can answer: no or a wrong operator key, or a fault. */
export const operatorRead = (...extra: number[]) => problemResponses(401, 500, ...extra);
/** A JSON write adds: malformed JSON, a conflict, too large, wrong type, invalid fields. */
export const operatorWrite = (...extra: number[]) => operatorRead(400, 409, 413, 415, 422, ...extra);

export const operatorContext = (c: Context<AppEnv>): OperatorContext => ({
  db: c.get("db"),
  now: c.get("clock").now(),
  actor: OPERATOR_ACTOR,
});
