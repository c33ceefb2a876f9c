import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { AppError, type ErrorCode } from "../errors";
import type { AppEnv } from "./context";

/** The single table from error code to HTTP status and title. */
export const problemTable: Record<ErrorCode, { status: number; title: string }> = {
  malformed_request: { status: 400, title: "Malformed request" },
  idempotency_key_required: { status: 400, title: "Idempotency-Key header required" },
  idempotency_key_invalid: { status: 400, title: "Invalid Idempotency-Key header" },
  unauthenticated: { status: 401, title: "Missing or invalid API key" },
  insufficient_scope: { status: 403, title: "This API key may not call this route" },
  creator_suspended: { status: 403, title: "The creator is suspended" },
  payouts_not_ready: { status: 409, title: "The creator's payout account cannot take payments yet" },
  not_found: { status: 404, title: "Not found" },
  method_not_allowed: { status: 405, title: "Method not allowed" },
  conflict: { status: 409, title: "Conflicts with the current state" },
  idempotency_in_flight: { status: 409, title: "A request with this Idempotency-Key is still in flight" },
  payload_too_large: { status: 413, title: "Request body too large" },
  unsupported_media_type: { status: 415, title: "Unsupported media type" },
  validation_failed: { status: 422, title: "Validation failed" },
  idempotency_key_reused: { status: 422, title: "Idempotency-Key reused with a different request" },
  drop_not_started: { status: 409, title: "The drop has not started" },
  drop_ended: { status: 409, title: "The drop has ended" },
  sold_out: { status: 409, title: "Sold out" },
  insufficient_stock: { status: 409, title: "Fewer units left than requested" },
  buyer_limit_reached: { status: 409, title: "Per-buyer limit reached" },
  hold_expired: { status: 409, title: "The hold has expired" },
  hold_released: { status: 409, title: "The hold was released" },
  hold_committed: { status: 409, title: "The hold is already committed to an order" },
  coupon_unknown: { status: 422, title: "No such coupon" },
  coupon_not_applicable: { status: 422, title: "The coupon does not apply to this offer or currency" },
  coupon_expired: { status: 422, title: "The coupon has expired" },
  coupon_exhausted: { status: 422, title: "The coupon has no redemptions left" },
  upsell_not_eligible: { status: 409, title: "No paid order this upsell can follow" },
  amount_out_of_range: { status: 422, title: "No payment provider can charge this amount" },
  quote_invalid: { status: 422, title: "The quote token is not valid" },
  quote_expired: { status: 410, title: "The quote has expired" },
  queue_not_enabled: { status: 409, title: "This drop has no admission queue" },
  admission_required: { status: 403, title: "This drop admits buyers through its queue" },
  buyer_token_required: { status: 401, title: "This drop needs a buyer token" },
  buyer_token_invalid: { status: 401, title: "The buyer token is not valid" },
  pow_challenge_invalid: { status: 422, title: "The proof-of-work challenge is not valid" },
  pow_challenge_used: { status: 409, title: "The proof-of-work challenge was already used" },
  pow_solution_invalid: { status: 422, title: "The nonce does not solve the challenge" },
  token_invalid: { status: 422, title: "The entitlement token is not valid" },
  token_expired: { status: 410, title: "The entitlement token has expired" },
  token_revoked: { status: 410, title: "The entitlement token predates a revocation" },
  refresh_token_invalid: { status: 401, title: "The refresh credential is not valid" },
  sign_in_code_invalid: { status: 401, title: "The sign-in code is not valid" },
  payment_unavailable: { status: 503, title: "The payment provider is unavailable" },
  payment_declined: { status: 402, title: "The payment was declined" },
  webhook_signature_invalid: { status: 400, title: "The webhook signature does not verify" },
  webhook_event_malformed: { status: 400, title: "The webhook body is not a well-formed event" },
  batch_signature_invalid: { status: 401, title: "The batch is not signed by a registered device" },
  claim_signature_invalid: { status: 401, title: "The claim is not signed by a registered device" },
  device_revoked: { status: 403, title: "The device was revoked" },
  origin_not_allowed: { status: 403, title: "This web origin may not call this route from a browser" },
  link_archived: { status: 410, title: "The checkout link is archived, or its offer is off sale" },
  fulfilment_not_applicable: { status: 409, title: "The order has nothing to fulfil" },
  fulfilment_transition_invalid: { status: 409, title: "The order's fulfilment cannot make this move" },
  internal: { status: 500, title: "Internal error" },
  // The operator's fault, not the client's, and not transient: 500, which every operation documents.
  misconfigured: { status: 500, title: "The worker is misconfigured" },
  overloaded: { status: 503, title: "Temporarily overloaded" },
  rate_limited: { status: 429, title: "Too many requests" },
};

/** Stable, documented type URIs: one per error code (docs/errors.md lists them). */
export const problemType = (code: ErrorCode): string =>
  `https://creator-commerce.dev/problems/${code.replaceAll("_", "-")}`;

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: problemType("validation_failed") }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    request_id: z.string(),
    errors: z
      .array(
        z.object({
          in: z.enum(["body", "query", "path", "header"]),
          path: z
            .string()
            .openapi({ description: "JSON Pointer (RFC 6901) to the field", example: "/prices/0/amount" }),
          message: z.string(),
        }),
      )
      .optional()
      .openapi({ description: "Present on validation failures: one entry per offending field." }),
  })
  .openapi("Problem", { description: "RFC 9457 problem details, used for every error response." });

export type Problem = z.infer<typeof ProblemSchema>;

/** Renders an AppError as problem+json, with the request id in the body (the header is set by middleware). */
export function problemResponse(c: Context<AppEnv>, error: AppError): Response {
  const { status, title } = problemTable[error.code];
  const body: Problem = {
    type: problemType(error.code),
    title,
    status,
    detail: error.detail,
    request_id: c.get("requestId"),
    ...(error.options.errors ? { errors: error.options.errors } : {}),
  };
  return c.body(JSON.stringify(body), status as ContentfulStatusCode, {
    "content-type": "application/problem+json",
    ...error.options.headers,
  });
}

/** Hono and its validators throw HTTPException for a few transport faults; give them our codes. */
export function fromHttpException(error: HTTPException): AppError {
  switch (error.status) {
    case 400:
      return new AppError("malformed_request", error.message || "The request could not be parsed.");
    case 413:
      return new AppError("payload_too_large", "The request body is larger than the limit.");
    case 415:
      return new AppError(
        "unsupported_media_type",
        "Send JSON bodies with `Content-Type: application/json`.",
      );
    default:
      return new AppError("internal", "An unexpected error occurred.");
  }
}
