/** What a checkout link's hosted page (routes/pages/link.ts) reads before rendering. */
import { and, eq } from "drizzle-orm";
import type { BuyerContext } from "../context";
import { drops } from "../db/schema";
import { readStock } from "../holds/verbs";
import { findOffer } from "../offers/store";
import { previewPrice } from "../quotes/verbs";
import type { PagePrice, PageStock } from "../surfaces/checkout-page/page";
import type { LinkRow } from "./store";

/**
 * What the page shows before its script runs, every read scoped to the link's own creator: the offer
 * (undefined when it is gone or archived), the drop, the price for the buyer's country (the quote
 * route's pricing decision, without a coupon: the script's quote then shows the exact lines), and
 * the drop's stock. A price or stock that cannot be read now leaves its place empty, not the page.
 */
export async function pageFacts(ctx: BuyerContext, link: LinkRow, country: string | null) {
  const buyerId = crypto.randomUUID();
  const [offer, drop] = await Promise.all([
    findOffer(ctx.db, link.creatorId, link.offerId),
    link.dropId === null
      ? undefined
      : ctx.db
          .select({ title: drops.title })
          .from(drops)
          .where(and(eq(drops.creatorId, link.creatorId), eq(drops.id, link.dropId)))
          .limit(1)
          .then((rows) => rows[0]),
  ]);
  if (offer === undefined || offer.status !== "active") return undefined;
  const [price, stock] = await Promise.all([
    previewPrice({
      ctx,
      input: {
        offerId: offer.id,
        quantity: link.quantity,
        currency: link.currency,
        country,
        buyer: { key: `anon:${buyerId}`, member: null },
      },
    }).then(
      (p): PagePrice => ({ currency: p.currency, lines: p.lines, total: p.total }),
      () => null,
    ),
    // Only the creator's own drop: a link row can never show another creator's counters.
    drop === undefined || link.dropId === null
      ? null
      : readStock({ ctx, input: { dropId: link.dropId } }).then(
          ({ stock: s }): PageStock => ({ available: s.available, stock: s.stock, phase: s.phase }),
          () => null,
        ),
  ]);
  return { buyerId, title: drop?.title ?? offer.title, description: offer.description, price, stock };
}
