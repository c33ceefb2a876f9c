/**
 * The creator's allow-list of web origins (src/http/origins.ts reads it): replaced whole by PUT, so a
 * retried PUT lands the same list, and every change is one audit row with the list before and after.
 */
import { z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { auditWrite } from "../audit";
import type { Call } from "../context";
import { creatorOrigins } from "../db/schema";
import { forgetOrigins, ORIGIN_PATTERN } from "../http/origins";

export const MAX_ORIGINS = 50;

export const AllowedOriginsBody = z
  .strictObject({
    origins: z
      .array(
        z
          .string()
          .max(300)
          .regex(
            ORIGIN_PATTERN,
            "a web origin: https://host[:port], lower case, no path, no trailing slash (http only for localhost and 127.0.0.1)",
          ),
      )
      .max(MAX_ORIGINS)
      .refine((list) => new Set(list).size === list.length, "origins must be unique")
      .openapi({
        description:
          "Every origin whose pages may call this creator's public buyer routes and embed its checkout pages.",
        example: ["https://shop.example.com", "http://localhost:8080"],
      }),
  })
  .openapi("AllowedOriginsInput");

export const AllowedOriginsSchema = z
  .object({ object: z.literal("allowed_origins"), origins: z.array(z.string()) })
  .openapi("AllowedOrigins");
export type AllowedOriginsView = z.infer<typeof AllowedOriginsSchema>;

const render = (origins: string[]): AllowedOriginsView => ({
  object: "allowed_origins",
  origins: [...origins].sort(),
});

const listOf = async (ctx: Call<unknown>["ctx"]) =>
  (
    await ctx.db
      .select({ origin: creatorOrigins.origin })
      .from(creatorOrigins)
      .where(eq(creatorOrigins.creatorId, ctx.creatorId))
  ).map((r) => r.origin);

export async function getAllowedOrigins({ ctx }: Call<unknown>): Promise<AllowedOriginsView> {
  return render(await listOf(ctx));
}

export async function putAllowedOrigins({
  ctx,
  input,
}: Call<z.infer<typeof AllowedOriginsBody>>): Promise<AllowedOriginsView> {
  const before = render(await listOf(ctx));
  const view = render(input.origins);
  const rows = view.origins.map((origin) => ({ creatorId: ctx.creatorId, origin, createdAt: ctx.now }));
  await ctx.commit(
    [
      ctx.db.delete(creatorOrigins).where(eq(creatorOrigins.creatorId, ctx.creatorId)),
      ...(rows.length > 0 ? [ctx.db.insert(creatorOrigins).values(rows)] : []),
      auditWrite(
        ctx,
        "allowed_origins.replaced",
        { type: "creator", id: ctx.creatorId },
        {
          before: before.origins,
          after: view.origins,
        },
      ),
    ],
    view,
  );
  forgetOrigins(ctx.creatorId);
  return view;
}
