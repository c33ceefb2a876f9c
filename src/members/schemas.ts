import { z } from "@hono/zod-openapi";
import { memberCohorts, memberStatuses } from "../db/schema";

export const MemberSchema = z
  .object({
    id: z.string(),
    object: z.literal("member"),
    email: z.string().openapi({ description: "Normalized: trimmed and lower-cased." }),
    tier_offer_id: z
      .string()
      .nullable()
      .openapi({
        description:
          "The member's tier now: the highest-ranked membership offer they hold an active entitlement " +
          "to (not revoked, not expired); null when they hold none. It follows grants, refunds, " +
          "revocations and expiry at once.",
      }),
    cohort: z.enum(memberCohorts),
    acquisition_source: z.string().openapi({ example: "pos:spring-market" }),
    status: z.enum(memberStatuses),
    token_version: z
      .number()
      .int()
      .openapi({
        description:
          "Bumped by every revocation. Entitlement tokens minted at an older version are refused by " +
          "introspection, and by verifiers that are given this number.",
      }),
    joined_at: z.string().openapi({ format: "date-time" }),
    updated_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("Member");

export type Member = z.infer<typeof MemberSchema>;
