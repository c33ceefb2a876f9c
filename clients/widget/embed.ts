/**
 * embed.js: the checkout widget creators paste into their pages (docs/widget.md). It opens the hosted
 * page (/l/{id}?embed=1) in an overlay iframe, believes only messages from that iframe on the worker's
 * origin, re-dispatches them as `cc:<type>` DOM events on the element that opened it, and follows a
 * success redirect itself unless the host calls preventDefault(): the iframe never moves the top window.
 */
import {
  acceptMessage,
  baseFromScriptSrc,
  checkoutUrl,
  closeMessage,
  isLinkId,
  linkIdOf,
  type PageMessage,
  safeRedirect,
} from "./protocol";

interface CCCheckoutApi {
  open(linkId: string, opener?: Element): void;
  close(): void;
}
declare global {
  interface Window {
    CCCheckout?: CCCheckoutApi;
  }
}

interface Overlay {
  root: HTMLElement;
  frame: HTMLIFrameElement;
  closeButton: HTMLButtonElement;
  opener: Element;
  focusBack: Element | null;
  linkId: string;
  overflow: [string, string];
}

function scriptBase(): string | null {
  const own = document.currentScript as HTMLScriptElement | null;
  if (own?.src) return baseFromScriptSrc(own.src);
  const scripts = document.querySelectorAll<HTMLScriptElement>("script[src]");
  for (let i = scripts.length - 1; i >= 0; i--) {
    const src = scripts[i]?.src ?? "";
    if (/\/embed\.js(?:[?#].*)?$/.test(src)) return baseFromScriptSrc(src);
  }
  return null;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string>,
  style: string,
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.style.cssText = style;
  return node;
}

function install(base: string): CCCheckoutApi {
  const baseOrigin = new URL(base).origin;
  let current: Overlay | null = null;
  /** A closed overlay's hidden frame, kept briefly so the page hears `close`; a new overlay drops it. */
  let closing: HTMLElement | null = null;

  const emit = (overlay: Overlay, message: PageMessage): boolean =>
    overlay.opener.dispatchEvent(
      new CustomEvent(`cc:${message.type}`, {
        detail: message,
        bubbles: true,
        cancelable: true,
        composed: true,
      }),
    );

  function open(linkId: string, opener?: Element): void {
    if (!isLinkId(linkId)) {
      console.warn(`CCCheckout: ${String(linkId)} is not a checkout link id (lnk_…)`);
      return;
    }
    close();
    closing?.remove();
    const active = document.activeElement;
    // A click on the backdrop does nothing: a buyer mid-payment (3-D Secure) must not lose it to a stray click.
    const root = el(
      "div",
      { role: "dialog", "aria-modal": "true", "aria-label": "Checkout", "data-cc-overlay": "" },
      "position:fixed;inset:0;z-index:2147483647;display:flex;align-items:center;justify-content:center;background:rgba(12,12,18,.62)",
    );
    // The close button sits above the panel, on the host's side: it works whatever the iframe does.
    const panel = el(
      "div",
      {},
      "position:relative;margin-top:52px;width:min(480px,100vw);height:min(780px,calc(100vh - 60px))",
    );
    const closeButton = el(
      "button",
      { type: "button", "aria-label": "Close checkout" },
      "position:absolute;top:-48px;right:4px;width:40px;height:40px;border:2px solid #fff;border-radius:50%;background:#111;color:#fff;font:24px/1 system-ui,sans-serif;cursor:pointer",
    );
    closeButton.textContent = "×";
    const frame = el(
      "iframe",
      { src: checkoutUrl(base, linkId, location.origin), allow: "payment", title: "Checkout" },
      "display:block;width:100%;height:100%;border:0;border-radius:12px;background:#fff",
    );
    // Focus that leaves either end of the dialog lands on these, which send it back in.
    const start = el("div", { tabindex: "0" }, "");
    const end = el("div", { tabindex: "0" }, "");
    start.addEventListener("focus", () => frame.focus());
    end.addEventListener("focus", () => closeButton.focus());
    closeButton.addEventListener("click", () => close());
    panel.append(closeButton, frame);
    root.append(start, panel, end);

    const html = document.documentElement;
    const overlay: Overlay = {
      root,
      frame,
      closeButton,
      opener: opener ?? (active instanceof HTMLElement && active !== document.body ? active : document.body),
      focusBack: active,
      linkId,
      overflow: [html.style.overflow, document.body.style.overflow],
    };
    html.style.overflow = "hidden";
    document.body.style.overflow = "hidden";
    document.body.append(root);
    current = overlay;
    closeButton.focus();
  }

  /** Closes at once; the iframe lingers hidden for a second so the page hears `close` (its hold goes). */
  function teardown(overlay: Overlay, tellPage: boolean): void {
    if (current !== overlay) return;
    current = null;
    if (tellPage) overlay.frame.contentWindow?.postMessage(closeMessage, baseOrigin);
    overlay.root.style.display = "none";
    if (tellPage) {
      closing = overlay.root;
      setTimeout(() => overlay.root.remove(), 1000);
    } else overlay.root.remove();
    document.documentElement.style.overflow = overlay.overflow[0];
    document.body.style.overflow = overlay.overflow[1];
    if (overlay.focusBack instanceof HTMLElement) overlay.focusBack.focus();
  }

  function close(): void {
    const overlay = current;
    if (overlay === null) return;
    emit(overlay, { protocol: closeMessage.protocol, type: "close", link_id: overlay.linkId });
    teardown(overlay, true);
  }

  window.addEventListener("message", (event) => {
    const overlay = current;
    if (overlay === null) return;
    const message = acceptMessage(event, {
      origin: baseOrigin,
      source: overlay.frame.contentWindow,
      linkId: overlay.linkId,
    });
    if (message === null) return;
    const proceed = emit(overlay, message);
    if (message.type === "close") teardown(overlay, false);
    if (message.type === "success" && proceed) {
      const target = safeRedirect(message.redirect_url);
      if (target !== null) location.assign(target);
    }
  });

  document.addEventListener(
    "keydown",
    (event) => {
      if (current !== null && event.key === "Escape") {
        event.preventDefault();
        close();
      }
    },
    true,
  );
  document.addEventListener("focusin", (event) => {
    if (current !== null && event.target instanceof Node && !current.root.contains(event.target)) {
      current.closeButton.focus();
    }
  });

  // Progressive links: without this script they simply open the hosted page.
  document.addEventListener("click", (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
      return;
    const target = event.target instanceof Element ? event.target.closest("a[data-cc-checkout]") : null;
    if (target === null) return;
    const linkId = linkIdOf(target.getAttribute("data-cc-checkout"), target.getAttribute("href"), base);
    if (linkId === null) return;
    event.preventDefault();
    open(linkId, target);
  });

  if (!customElements.get("cc-checkout")) {
    customElements.define(
      "cc-checkout",
      class extends HTMLElement {
        connectedCallback(): void {
          if (this.shadowRoot) return;
          const shadow = this.attachShadow({ mode: "open", delegatesFocus: true });
          shadow.innerHTML =
            "<style>:host{display:inline-block}button{font:inherit;padding:.65em 1.25em;border:0;border-radius:8px;background:#111;color:#fff;cursor:pointer}button:focus-visible{outline:3px solid #4c8bf5;outline-offset:2px}</style>" +
            '<button type="button" part="button" aria-haspopup="dialog"><slot>Buy now</slot></button>';
          shadow.querySelector("button")?.addEventListener("click", () => {
            open(this.getAttribute("link") ?? "", this);
          });
        }
      },
    );
  }
  return { open, close };
}

if (window.CCCheckout === undefined) {
  const base = scriptBase();
  if (base === null) console.warn("CCCheckout: cannot tell where embed.js was loaded from");
  else window.CCCheckout = install(base);
}
