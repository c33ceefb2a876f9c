/**
 * The one error type the worker throws on purpose. Domain code and HTTP middleware both throw it;
 * the app's onError turns it into problem+json using the table in http/problem.ts, so a status code
 * is decided in exactly one place.
 */
export type ErrorCode =
  | "malformed_request"
  | "idempotency_key_required"
  | "idempotency_key_invalid"
  | "unauthenticated"
  | "insufficient_scope"
  | "creator_suspended"
  | "payouts_not_ready"
  | "not_found"
  | "method_not_allowed"
  | "conflict"
  | "idempotency_in_flight"
  | "payload_too_large"
  | "unsupported_media_type"
  | "validation_failed"
  | "idempotency_key_reused"
  | "drop_not_started"
  | "drop_ended"
  | "sold_out"
  | "insufficient_stock"
  | "buyer_limit_reached"
  | "hold_expired"
  | "hold_released"
  | "hold_committed"
  | "coupon_unknown"
  | "coupon_not_applicable"
  | "coupon_expired"
  | "coupon_exhausted"
  | "upsell_not_eligible"
  | "amount_out_of_range"
  | "quote_invalid"
  | "quote_expired"
  | "queue_not_enabled"
  | "admission_required"
  | "buyer_token_required"
  | "buyer_token_invalid"
  | "pow_challenge_invalid"
  | "pow_challenge_used"
  | "pow_solution_invalid"
  | "token_invalid"
  | "token_expired"
  | "token_revoked"
  | "refresh_token_invalid"
  | "sign_in_code_invalid"
  | "payment_unavailable"
  | "payment_declined"
  | "webhook_signature_invalid"
  | "webhook_event_malformed"
  | "batch_signature_invalid"
  | "claim_signature_invalid"
  | "device_revoked"
  | "origin_not_allowed"
  | "link_archived"
  | "fulfilment_not_applicable"
  | "fulfilment_transition_invalid"
  | "internal"
  | "misconfigured"
  | "overloaded"
  | "rate_limited";

/** One field-level complaint. `in` says where the field lives; `path` is a JSON Pointer into it. */
export interface FieldError {
  in: "body" | "query" | "path" | "header";
  path: string;
  message: string;
}

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly options: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(detail);
    this.name = "AppError";
  }
}

export const notFound = (what: string, id: string): AppError =>
  new AppError("not_found", `No ${what} with id ${JSON.stringify(id)} exists for this creator.`);

export const invalid = (errors: FieldError[], detail = "The request has invalid fields."): AppError =>
  new AppError("validation_failed", detail, { errors });
