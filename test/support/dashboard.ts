/**
 * The dashboard as a browser meets it, inside workerd: form posts with an Origin, the session cookie
 * carried by hand (Set-Cookie in, Cookie out), and HTML pages read as text.
 */
import { exports } from "cloudflare:workers";
import { checkout, quotedDrop } from "./checkouts";
import type { Tenant } from "./tenants";

export const ORIGIN = "http://api.test";

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export async function send(path: string, init: RequestInit & { origin?: string } = {}): Promise<Answer> {
  const res = await exports.default.fetch(
    new Request(`${init.origin ?? ORIGIN}${path}`, { redirect: "manual", ...init }),
  );
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** Posts the sign-in form from `origin` (this worker's own by default). */
export const postSignIn = (key: string, origin: string | null = ORIGIN, body?: string) =>
  send("/dashboard/session", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      ...(origin === null ? {} : { origin }),
    },
    body: body ?? new URLSearchParams({ key }).toString(),
  });

/** `name=value` of the Set-Cookie an answer carries, or null. */
export const cookieOf = (answer: Answer): string | null =>
  answer.headers.get("set-cookie")?.split(";")[0] ?? null;

/** Signs in with the tenant's key: the Cookie header to send afterwards. */
export async function signIn(tenant: Tenant): Promise<string> {
  const answer = await postSignIn(tenant.key);
  const cookie = cookieOf(answer);
  if (answer.status !== 303 || cookie === null)
    throw new Error(`sign-in refused: ${answer.status} ${answer.text}`);
  return cookie;
}

export const withCookie = (path: string, cookie: string, init: RequestInit = {}) =>
  send(path, { ...init, headers: { ...(init.headers as Record<string, string>), cookie } });

/** A paid order of one unit of a fresh drop, bought with the sandbox's 4242 card. */
export async function paidOrder(tenant: Tenant, buyerId = `dash-${crypto.randomUUID()}`) {
  const { drop, quote } = await quotedDrop(tenant, buyerId);
  const res = await checkout(
    { quote: quote.token, email: "fan@example.test", payment_method: "4242 4242 4242 4242" },
    { buyerId },
  );
  if (res.status !== 201) throw new Error(`checkout refused: ${JSON.stringify(res.body)}`);
  return { drop, orderId: res.body.order_id as string, checkout: res.body };
}
