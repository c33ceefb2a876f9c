/** Per-isolate cache of what the pricing engine needs per offer (filled in below). */
const cache = new Map<string, unknown>();

/** Drops an offer's cached pricing in this isolate; admin writes that change pricing call it. */
export function forgetPricing(offerId: string): void {
  cache.delete(offerId);
}
