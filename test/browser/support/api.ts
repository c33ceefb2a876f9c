/**
 * The HTTP calls the browser tests make from Node, as a creator's back end would: the admin API with
 * the seeded creator's key, and the public holds and verify routes. Any answer other than the expected
 * status throws with the problem+json body, so a failing setup step names itself.
 */
import { demo } from "../../../src/db/seed";

export interface Api {
  origin: string;
  apiKey: string;
}

async function call<T>(
  api: Api,
  method: string,
  path: string,
  body: unknown,
  headers: Record<string, string>,
  expect: number[],
): Promise<T> {
  const res = await fetch(`${api.origin}${path}`, {
    method,
    headers: { "content-type": "application/json", ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!expect.includes(res.status))
    throw new Error(`${method} ${path}: expected ${expect.join(" or ")}, got ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** A create answers 201; a create the contract leaves open may answer 200. */
const created = [201, 200];

const admin = (api: Api) => ({
  authorization: `Bearer ${api.apiKey}`,
  "idempotency-key": crypto.randomUUID(),
});

export const allowOrigins = (api: Api, origins: string[]) =>
  call<unknown>(api, "PUT", "/v1/allowed-origins", { origins }, admin(api), [200]);

export interface Link {
  id: string;
  url: string;
}

/** A checkout link for the demo poster; for a drop unless `dropId` is null. */
export const createLink = (
  api: Api,
  options: { dropId?: string | null; successUrl?: string } = {},
): Promise<Link> =>
  call<Link>(
    api,
    "POST",
    "/v1/links",
    {
      offer_id: demo.dropOfferId,
      ...(options.dropId === null ? {} : { drop_id: options.dropId ?? demo.dropId }),
      ...(options.successUrl ? { success_url: options.successUrl } : {}),
    },
    admin(api),
    created,
  );

export interface Drop {
  id: string;
  stock: number;
}

/** A fresh live drop of the demo poster, so a test's stock counts are its own. */
export const createDrop = (api: Api, stock: number): Promise<Drop> =>
  call<Drop>(
    api,
    "POST",
    "/v1/drops",
    { offer_id: demo.dropOfferId, title: "Browser test drop", stock, per_buyer_limit: null },
    admin(api),
    created,
  );

export const overlayToken = (api: Api, dropId: string, linkId?: string) =>
  call<{ token: string; url: string }>(
    api,
    "POST",
    `/v1/drops/${dropId}/overlay-token`,
    linkId ? { link_id: linkId } : {},
    admin(api),
    created,
  );

/** A hold placed through the public API by a fresh anonymous buyer. */
export const placeHold = (api: Api, dropId: string, quantity = 1) =>
  call<{ id: string; quantity: number }>(
    api,
    "POST",
    `/v1/drops/${dropId}/holds`,
    { quantity },
    { "buyer-id": `browser-${crypto.randomUUID()}`, "idempotency-key": crypto.randomUUID() },
    [201],
  );

export interface Introspection {
  active?: boolean;
  [field: string]: unknown;
}

/** Introspects an entitlement token for the demo creator: 200 and what it grants, or throws. */
export const verifyToken = (api: Api, token: string) =>
  call<Introspection>(api, "POST", "/v1/entitlements/verify", { token, audience: demo.creatorId }, {}, [200]);
