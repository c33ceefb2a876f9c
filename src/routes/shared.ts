import { type OpenAPIHono, z } from "@hono/zod-openapi";
import type { AppEnv } from "../http/context";

/** Each route module registers itself on the app; the app lists the modules. */
export type Register = (app: OpenAPIHono<AppEnv>) => void;

export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const jsonResponse = <T extends z.ZodType>(description: string, schema: T) => ({
  description,
  content: { "application/json": { schema } },
});

export const IdParam = (description: string) =>
  z.object({ id: z.string().openapi({ param: { name: "id", in: "path" }, description }) });

export const IdempotencyHeaders = z.object({
  "idempotency-key": z
    .string()
    .optional()
    .openapi({
      description:
        "Makes the write safe to retry: the same key and request replay the first response for 24 hours " +
        "(with `Idempotent-Replayed: true`); the same key with another request is 422; while the first " +
        "is still running, 409. 1 to 255 printable ASCII characters.",
      example: "9f1c1b52-8f0e-4b2a-9d4e-3e8c0e0f7a11",
    }),
});
