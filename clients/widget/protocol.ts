/**
 * The widget's pure half, DOM-free and unit-tested: where the worker is, which URL a link opens, and
 * which postMessages to believe (src/contract/embed.ts). embed.ts does the DOM around it.
 */
import { EMBED_PROTOCOL, type HostMessage, type PageMessage } from "../../src/contract/embed";

export type { PageMessage };
export { EMBED_PROTOCOL };

const LINK_ID = /^lnk_[0-9a-z_]{1,60}$/;
export const isLinkId = (id: unknown): id is string => typeof id === "string" && LINK_ID.test(id);

/** The worker's base URL from the script's own src: `https://pay.example.com/embed.js` → its directory. */
export function baseFromScriptSrc(src: string): string | null {
  try {
    const url = new URL(src);
    if (url.protocol !== "https:" && url.protocol !== "http:") return null;
    return `${url.origin}${url.pathname.replace(/\/embed\.js$/, "").replace(/\/$/, "")}`;
  } catch {
    return null;
  }
}

/** The hosted page in embed mode, told which origin embeds it (the worker checks that origin). */
export const checkoutUrl = (base: string, linkId: string, parentOrigin: string): string =>
  `${base}/l/${encodeURIComponent(linkId)}?embed=1&parent=${encodeURIComponent(parentOrigin)}`;

/** The link id of an enhanced anchor: `data-cc-checkout="lnk_…"`, else its href when that is our page. */
export function linkIdOf(attribute: string | null, href: string | null, base: string): string | null {
  if (isLinkId(attribute)) return attribute;
  if (href === null) return null;
  try {
    const url = new URL(href, base);
    const root = new URL(base);
    const prefix = `${root.pathname.replace(/\/$/, "")}/l/`;
    if (url.origin !== root.origin || !url.pathname.startsWith(prefix)) return null;
    const id = url.pathname.slice(prefix.length).replace(/\/$/, "");
    return isLinkId(id) ? id : null;
  } catch {
    return null;
  }
}

const TYPES = new Set(["loaded", "hold_created", "requires_action", "success", "close"]);
const str = (v: unknown): v is string => typeof v === "string";
const strOrNull = (v: unknown): boolean => v === null || typeof v === "string";

/** What a message event carries; structural, so the check runs without a DOM. */
export interface MessageLike {
  origin: string;
  source: unknown;
  data: unknown;
}

/**
 * The page message an event carries, or null to ignore it: it must come from the worker's origin, from
 * our own iframe's window, speak our protocol, be about the link we opened, and have its fields' types.
 */
export function acceptMessage(
  event: MessageLike,
  expected: { origin: string; source: unknown; linkId: string },
): PageMessage | null {
  if (event.origin !== expected.origin || event.source !== expected.source || event.source == null)
    return null;
  const m = event.data as Record<string, unknown> | null;
  if (typeof m !== "object" || m === null || m.protocol !== EMBED_PROTOCOL) return null;
  if (!TYPES.has(m.type as string) || m.link_id !== expected.linkId) return null;
  if (m.type === "hold_created" && !(str(m.checkout_id) && strOrNull(m.expires_at))) return null;
  if (m.type === "requires_action" && !str(m.checkout_id)) return null;
  if (
    m.type === "success" &&
    !(str(m.checkout_id) && str(m.order_id) && str(m.token) && str(m.expires_at) && strOrNull(m.redirect_url))
  ) {
    return null;
  }
  return m as unknown as PageMessage;
}

/** Where a success may send the top window: http(s) URLs only, never `javascript:` or `data:`. */
export function safeRedirect(url: string | null): string | null {
  if (url === null) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

export const closeMessage: HostMessage = { protocol: EMBED_PROTOCOL, type: "close" };
