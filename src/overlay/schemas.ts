import { z } from "@hono/zod-openapi";

export const RotateOverlayTokenBody = z
  .strictObject({
    link_id: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .openapi({
        example: "lnk_…",
        description:
          "The checkout link the overlay's QR code opens: one of the creator's active links for this drop. " +
          "Omit it to use the drop's newest active link (none: the overlay shows no QR code).",
      }),
  })
  .openapi("RotateOverlayToken");

export const OverlayTokenSchema = z
  .object({
    object: z.literal("overlay_token"),
    drop_id: z.string(),
    token: z.string().openapi({
      example: "ovl_…",
      description:
        "Shown once: only its SHA-256 is kept. It opens this drop's overlay page and nothing else.",
    }),
    url: z.string().openapi({ description: "The overlay page to add to OBS as a browser source." }),
    link_id: z.string().nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("OverlayToken");

export type RotateOverlayTokenInput = z.infer<typeof RotateOverlayTokenBody>;
export type OverlayToken = z.infer<typeof OverlayTokenSchema>;
