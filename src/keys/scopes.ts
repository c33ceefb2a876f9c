/**
 * What a restricted key may do (docs/keys.md, Scopes): Stripe-style `<resource>:read` and
 * `<resource>:write`, where write implies read. A secret key holds `*`; a publishable key holds nothing
 * and is refused on every admin route. A route's resource is its path's first segment after `/v1/`,
 * through the table below, so a new route is covered the day it is added; a segment the table does not
 * know is secret-key only (fail closed).
 */

export const scopeResources = [
  "catalog",
  "orders",
  "subscriptions",
  "members",
  "fulfilment",
  "pos",
  "webhooks",
  "reports",
] as const;
export type ScopeResource = (typeof scopeResources)[number];
export type Scope = `${ScopeResource}:${"read" | "write"}`;

export const allScopes: Scope[] = scopeResources.flatMap((r) => [`${r}:read`, `${r}:write`] as Scope[]);

/** `/v1/<segment>/…` → the resource a scope names. Segments absent here need a secret key. */
export const resourceBySegment: Record<string, ScopeResource> = {
  offers: "catalog",
  drops: "catalog",
  coupons: "catalog",
  links: "catalog",
  experiments: "catalog",
  "cohort-rules": "catalog",
  "allowed-origins": "catalog",
  "subscription-settings": "catalog",
  orders: "orders",
  "orders.csv": "orders",
  checkouts: "orders",
  entitlements: "orders",
  subscriptions: "subscriptions",
  members: "members",
  fulfilment: "fulfilment",
  "fulfilment-hubs": "fulfilment",
  "fulfilment-rules": "fulfilment",
  pos: "pos",
  "webhook-endpoints": "webhooks",
  "webhook-deliveries": "webhooks",
  metrics: "reports",
  "audit-events": "reports",
};

/** The scope a request needs: reads (GET, HEAD) need `:read`, anything else `:write`; null: secret only. */
export function requiredScope(method: string, routePath: string): Scope | null {
  const segment = /^\/v1\/([^/]+)/.exec(routePath)?.[1];
  const resource = segment === undefined ? undefined : resourceBySegment[segment];
  if (resource === undefined) return null;
  const access = method === "GET" || method === "HEAD" ? "read" : "write";
  return `${resource}:${access}`;
}

/** Whether a key holding `scopes` may make a request needing `needed` (null: a secret key only). */
export function scopesAllow(scopes: readonly string[], needed: Scope | null): boolean {
  if (scopes.includes("*")) return true;
  if (needed === null) return false;
  if (scopes.includes(needed)) return true;
  const [resource, access] = needed.split(":");
  return access === "read" && scopes.includes(`${resource}:write`);
}
