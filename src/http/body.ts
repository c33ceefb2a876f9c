import type { OpenAPIHono, RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { AppError } from "../errors";
import type { AppEnv } from "./context";
import { problemResponses } from "./openapi";

export const BODY_LIMIT_BYTES = 64 * 1024;
/** A point-of-sale batch of up to 500 items, signed: the one route allowed a larger body. */
export const RECONCILE_BODY_LIMIT_BYTES = 1024 * 1024;

/**
 * Which requests carry a body, decided once per route from its contract, so that the guard below and the
 * document agree by construction. POST, PUT and PATCH carry one (a few read it raw: the Stripe webhook,
 * signed POS bodies); so does any route that declares one. GET, HEAD and DELETE bodies are never read,
 * so they are neither limited nor typed: an unread body cannot cost anything or mean anything.
 */
const bodyMethods = new Set(["post", "put", "patch"]);
const declaredTypes = (route: RouteConfig): string[] =>
  Object.keys(route.request?.body?.content ?? {}).map((t) => t.toLowerCase());
const readsBody = (route: RouteConfig): boolean =>
  bodyMethods.has(route.method) || declaredTypes(route).length > 0;

/**
 * The media type of a request body, as RFC 9110 writes it: `type/subtype` then `; name=value`
 * parameters. Null when the header is not of that shape.
 */
function mediaType(header: string): { essence: string; params: Map<string, string> } | null {
  const [head = "", ...rest] = header.split(";");
  const essence = head.trim().toLowerCase();
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(essence)) return null;
  const params = new Map<string, string>();
  for (const part of rest) {
    if (part.trim() === "") continue;
    const match = /^\s*([a-z0-9!#$&^_.+-]+)=("?)([^"]*)\2\s*$/i.exec(part);
    if (!match?.[1] || match[3] === undefined) return null;
    params.set(match[1].toLowerCase(), match[3].toLowerCase());
  }
  return { essence, params };
}

/**
 * A declared body is accepted only in a declared media type, exactly: `application/json` is not any
 * `+json` type (merge-patch and problem+json mean other things), and JSON is UTF-8 (RFC 8259), so a
 * charset other than utf-8 is refused rather than misread.
 */
function checkMediaType(req: Request, declared: string[]): void {
  const header = req.headers.get("content-type");
  if (header === null) {
    if (req.body === null || req.headers.get("content-length") === "0") return;
  } else {
    const type = mediaType(header);
    const charset = type?.params.get("charset");
    if (type && declared.includes(type.essence) && (charset === undefined || charset === "utf-8")) return;
  }
  throw new AppError(
    "unsupported_media_type",
    `Send this body as \`Content-Type: ${declared.join("` or `")}\` (UTF-8; a charset parameter is optional).`,
  );
}

/** The body checks of one route: its media type first (a header), then its size (a stream). */
export function bodyGuard(route: RouteConfig, maxSize: number): MiddlewareHandler<AppEnv> | undefined {
  if (!readsBody(route)) return undefined;
  const declared = declaredTypes(route);
  const limit = bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError("payload_too_large", `Request bodies here are limited to ${maxSize} bytes.`);
    },
  });
  return (c, next) => {
    if (declared.length > 0) checkMediaType(c.req.raw, declared);
    return limit(c, next);
  };
}

/**
 * Makes the document say what the guard does: 413 on every operation that reads a body and on no
 * other, 415 on every one that declares a body. A route that reads its body raw and checks its own
 * type (signed POS bodies) keeps the 415 it documents.
 */
export function documentBodyErrors(registry: OpenAPIHono<AppEnv>["openAPIRegistry"]): void {
  for (const definition of registry.definitions) {
    if (definition.type !== "route") continue;
    const route = definition.route;
    const { 413: _tooLarge, 415: unsupported, ...others } = route.responses;
    const responses = {
      ...others,
      ...(readsBody(route) ? problemResponses(413) : {}),
      ...(declaredTypes(route).length > 0 ? problemResponses(415) : {}),
      ...(unsupported && readsBody(route) && declaredTypes(route).length === 0 ? { 415: unsupported } : {}),
    };
    definition.route = { ...route, responses };
  }
}
