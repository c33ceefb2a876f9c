/**
 * RATE_LIMIT_OVERRIDES: JSON `{policy: {limit, windowSeconds}}` that lets a test reach a limit in a few
 * requests. Read only when ENVIRONMENT is "test"; anywhere else it is ignored, so a stray variable on a
 * deploy can never loosen production's limits.
 */
import type { Context } from "hono";
import { z } from "zod";
import { AppError } from "../errors";
import type { AppEnv } from "../http/context";
import { type PolicyName, type PolicyOverrides, policyNames } from "./policies";

const Figures = z.object({ limit: z.number().int().min(1), windowSeconds: z.number().int().min(1) });
const Schema = z.partialRecord(z.enum(policyNames as [PolicyName, ...PolicyName[]]), Figures);

const parsed = new WeakMap<object, PolicyOverrides | undefined>();

export function overridesOf(c: Context<AppEnv>): PolicyOverrides | undefined {
  const env = c.env as unknown as Record<string, unknown>;
  if (env.ENVIRONMENT !== "test") return undefined;
  if (parsed.has(env)) return parsed.get(env);
  const raw = env.RATE_LIMIT_OVERRIDES;
  let value: PolicyOverrides | undefined;
  if (typeof raw === "string" && raw.length > 0) {
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = undefined;
    }
    const result = Schema.safeParse(json);
    if (!result.success)
      throw new AppError("misconfigured", "RATE_LIMIT_OVERRIDES is not a valid override table.");
    value = result.data;
  }
  parsed.set(env, value);
  return value;
}
