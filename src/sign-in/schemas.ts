import { z } from "@hono/zod-openapi";
import { CODE_TTL_MS } from "./code";

const CreatorId = z.string().min(1).max(64).openapi({ description: "The creator whose member signs in." });
const Email = z
  .email()
  .max(254)
  .openapi({ description: "The member's email; compared trimmed and lower-cased." });

export const RequestCodeBody = z
  .strictObject({ creator_id: CreatorId, email: Email })
  .openapi("SignInCodeRequest");

export const SignInRequestSchema = z
  .object({
    object: z.literal("sign_in_request"),
    email: z.string().openapi({ description: "The address, normalized." }),
    expires_in_seconds: z.number().int().openapi({ description: "How long a mailed code works." }),
  })
  .openapi("SignInRequest", {
    description:
      "The same answer whether or not the email belongs to a member: a code is mailed only if it does.",
  });
export type SignInRequestView = z.infer<typeof SignInRequestSchema>;

export const signInRequestView = (email: string): SignInRequestView => ({
  object: "sign_in_request",
  email,
  expires_in_seconds: CODE_TTL_MS / 1000,
});

export const VerifyCodeBody = z
  .strictObject({
    creator_id: CreatorId,
    email: Email,
    code: z
      .string()
      .regex(/^\s*[0-9A-Za-z]{4}[\s-]?[0-9A-Za-z]{4}\s*$/, "must be the 8-character code, e.g. 7K3Q-9MZD")
      .openapi({
        description: "The mailed code: any case, with or without the hyphen.",
        example: "7K3Q-9MZD",
      }),
    surface: z
      .string()
      .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/)
      .optional()
      .openapi({ description: "Narrows the token's audience to `<creator id>:<surface>`, as sessions do." }),
  })
  .openapi("SignInCodeVerification");
