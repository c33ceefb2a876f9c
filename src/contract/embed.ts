/**
 * The postMessage contract between the hosted checkout page (/l/{id}, in an iframe) and the widget
 * (embed.js) on the creator's page. Types only: shared by the worker and the browser clients.
 *
 * - The widget opens `/l/{id}?embed=1&parent=<its page's origin>`. The worker renders the page for
 *   embedding only when the creator allows that origin (PUT /v1/allowed-origins), and says so in the
 *   page's `frame-ancestors`; the page posts only to `window.parent` with that exact `targetOrigin`, and
 *   accepts host messages only from it.
 * - The widget accepts only messages whose `event.origin` is the worker's origin, whose `event.source`
 *   is its own iframe, and whose `protocol` is EMBED_PROTOCOL. It re-dispatches each on the element as a
 *   DOM event `cc:<type>` (`detail` is the message). On `success` it navigates to `redirect_url` unless a
 *   listener called `preventDefault()`; the iframe never navigates the top window itself.
 */
export const EMBED_PROTOCOL = "cc-checkout/1";

interface Base {
  protocol: typeof EMBED_PROTOCOL;
  link_id: string;
}

export type PageMessage =
  | (Base & { type: "loaded" })
  | (Base & { type: "hold_created"; checkout_id: string; expires_at: string | null })
  | (Base & { type: "requires_action"; checkout_id: string })
  | (Base & {
      type: "success";
      checkout_id: string;
      order_id: string;
      /** The buyer's fresh entitlement token (EdDSA JWT): verify it against /.well-known/jwks.json. */
      token: string;
      expires_at: string;
      /** The link's success URL: the widget goes there unless the host prevents it; null: stay. */
      redirect_url: string | null;
    })
  | (Base & { type: "close" });

export type PageMessageType = PageMessage["type"];

/** Host → page: the widget asks the page to close (the page answers with `close`). */
export type HostMessage = { protocol: typeof EMBED_PROTOCOL; type: "close" };
