import type { Context } from "hono";
import { AppError } from "../../errors";

/** A device-signed request's body: a compact JWS sent as `application/jose`. */
export async function signedBody(c: Context): Promise<string> {
  if (!/^application\/jose\b/i.test(c.req.header("content-type") ?? "")) {
    throw new AppError(
      "unsupported_media_type",
      "Send the signed request as `Content-Type: application/jose`.",
    );
  }
  // Decoded by hand: workerd warns when text() reads a body whose type (application/jose) is not text.
  return new TextDecoder().decode(await c.req.arrayBuffer());
}
