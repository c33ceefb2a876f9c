import type { Hook } from "@hono/zod-openapi";
import type { ZodError } from "zod";
import { type FieldError, invalid } from "../errors";
import type { AppEnv } from "./context";

const locations = { json: "body", query: "query", param: "path", header: "header" } as const;

const pointer = (path: readonly PropertyKey[]): string =>
  path.map((p) => `/${String(p).replaceAll("~", "~0").replaceAll("/", "~1")}`).join("");

/** Turns zod issues into field errors; each unknown key becomes its own entry pointing at the key. */
export function fieldErrors(error: ZodError, where: FieldError["in"]): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] =>
    issue.code === "unrecognized_keys"
      ? issue.keys.map((key) => ({
          in: where,
          path: pointer([...issue.path, key]),
          message: "Unknown field",
        }))
      : [{ in: where, path: pointer(issue.path), message: issue.message }],
  );
}

/** Every route's schema failures become one 422 problem with errors[]. */
// biome-ignore lint/suspicious/noExplicitAny: the hook is shared by routes with different input types
export const validationHook: Hook<any, AppEnv, any, any> = (result) => {
  if (result.success) return;
  const where = locations[result.target as keyof typeof locations] ?? "body";
  throw invalid(fieldErrors(result.error, where));
};
