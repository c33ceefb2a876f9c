/**
 * The demo tenant's buyer surfaces (seed.ts seeds the rest): checkout links for the live drop and the
 * weekly Fan tier, a link the overlay's QR code points at (its orders are sourced `overlay`), the
 * origins a local page may embed the widget from, and the drop's overlay token (only its hash; the
 * token itself is kept by `npm start` in .wrangler/demo-overlay-token and printed).
 */

import { tokenUpsert } from "../overlay/store";
import { hashOverlayToken } from "../overlay/token";
import type { Db, Write } from "./client";
import { auditEvents, checkoutLinks, creatorOrigins } from "./schema";
import { seedAudit } from "./seed-audit";

export const demoSurfaces = {
  dropLinkId: "lnk_demo_poster",
  fanLinkId: "lnk_demo_fan",
  overlayLinkId: "lnk_demo_overlay",
  /** Where the README's widget snippet is served from (`python3 -m http.server 8080`, say). */
  origins: ["http://localhost:8080", "http://127.0.0.1:8080"],
} as const;

export async function demoSurfaceWrites(
  db: Db,
  ids: { creatorId: string; dropId: string; dropOfferId: string; fanOfferId: string },
  overlayToken: string | undefined,
  now: number,
): Promise<Write[]> {
  const at = { creatorId: ids.creatorId, createdAt: now, updatedAt: now };
  const links = [
    { id: demoSurfaces.dropLinkId, offerId: ids.dropOfferId, dropId: ids.dropId, source: "link" as const },
    { id: demoSurfaces.fanLinkId, offerId: ids.fanOfferId, dropId: null, source: "link" as const },
    {
      id: demoSurfaces.overlayLinkId,
      offerId: ids.dropOfferId,
      dropId: ids.dropId,
      source: "overlay" as const,
      attribution: { placement: "stream_qr" },
    },
  ];
  const audit = seedAudit(ids.creatorId, now);
  return [
    db
      .insert(checkoutLinks)
      .values(links.map((link) => ({ ...at, ...link })))
      .onConflictDoNothing(),
    db
      .insert(creatorOrigins)
      .values(demoSurfaces.origins.map((origin) => ({ creatorId: ids.creatorId, origin, createdAt: now })))
      .onConflictDoNothing(),
    ...(overlayToken === undefined
      ? []
      : [
          tokenUpsert(db, {
            dropId: ids.dropId,
            creatorId: ids.creatorId,
            hash: await hashOverlayToken(overlayToken),
            linkId: demoSurfaces.overlayLinkId,
            createdAt: now,
            rotatedAt: null,
          }),
        ]),
    db
      .insert(auditEvents)
      .values([
        ...links.map((link) => audit("checkout_link", link.id)),
        audit("creator", `${ids.creatorId}_origins`, "allowed_origins.replaced"),
      ])
      .onConflictDoNothing(),
  ];
}
