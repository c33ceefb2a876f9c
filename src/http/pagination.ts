import { z } from "@hono/zod-openapi";

import { MAX_PAGE_SIZE } from "../db/keyset";
import { queryInt } from "./query";

export const PageQuerySchema = z.object({
  limit: queryInt({ min: 1, max: MAX_PAGE_SIZE })
    .default(20)
    .openapi({ description: `Page size, 1 to ${MAX_PAGE_SIZE}.` }),
  cursor: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: "`next_cursor` from the previous page; omit for the first page." }),
});

export const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    object: z.literal("list"),
    data: z.array(item),
    has_more: z.boolean(),
    next_cursor: z.string().nullable(),
  });
