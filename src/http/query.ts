import { z } from "@hono/zod-openapi";

/**
 * An integer query parameter, in plain decimal digits only. `z.coerce.number()` reads a value with
 * JavaScript's Number(), which takes `0x10`, `1e1`, `+16`, ` 16 ` and `16.0`: several spellings of one
 * request, none of them documented. Documented as an integer with its bounds; use it for every integer
 * in a query string (test/attacks/bad-input.http.test.ts attacks each one the document lists).
 */
export const queryInt = (bounds: { min: number; max: number }) =>
  z
    .string()
    .regex(/^[0-9]{1,15}$/, "Must be an integer in plain decimal digits")
    .transform(Number)
    .pipe(z.number().int().min(bounds.min).max(bounds.max))
    .openapi({ type: "integer", minimum: bounds.min, maximum: bounds.max });
