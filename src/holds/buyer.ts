/**
 * The stable key per-buyer caps count against. A member's entitlement token will supply
 * `member:<id>` once entitlements land; until then every buyer is the anonymous id their client keeps.
 * This is the one seam to change: routes pass the validated headers, the ledger sees only the key.
 */
export function buyerKey(headers: { "buyer-id": string }): string {
  return `anon:${headers["buyer-id"]}`;
}
