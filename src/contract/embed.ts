/**
 * The postMessage contract between the hosted checkout page (in an iframe) and the widget (embed.js)
 * on the creator's page. Types only: shared by the worker and the browser clients.
 *
 * Page → host, posted only to the host origin the page was opened for, and only when the creator
 * allows that origin; the widget accepts only messages whose `event.origin` is the worker's origin and
 * whose `source` is its own iframe. Every message carries `protocol: "cc-checkout/1"`.
 */
export const EMBED_PROTOCOL = "cc-checkout/1";

export type PageMessage =
  | { protocol: typeof EMBED_PROTOCOL; type: "loaded"; link_id: string }
  | { protocol: typeof EMBED_PROTOCOL; type: "hold_created"; link_id: string; checkout_id: string; expires_at: string | null }
  | { protocol: typeof EMBED_PROTOCOL; type: "requires_action"; link_id: string; checkout_id: string }
  | {
      protocol: typeof EMBED_PROTOCOL;
      type: "success";
      link_id: string;
      checkout_id: string;
      order_id: string;
      /** The buyer's fresh entitlement token (EdDSA JWT): verify it against /.well-known/jwks.json. */
      token: string;
      expires_at: string;
      /** Where the page will send the top window unless the host answers `prevent_redirect`. */
      redirect_url: string | null;
    }
  | { protocol: typeof EMBED_PROTOCOL; type: "close"; link_id: string };

/** Host → page: the host takes over after success (no redirect), or asks the page to close. */
export type HostMessage =
  | { protocol: typeof EMBED_PROTOCOL; type: "prevent_redirect" }
  | { protocol: typeof EMBED_PROTOCOL; type: "close" };
