/**
 * A creator's own site, on an origin other than the worker's: a tiny Node server whose pages carry the
 * README's widget snippet (`<script src=".../embed.js">` and an `<a data-cc-checkout>` link). It listens
 * on `localhost` while the worker listens on `127.0.0.1`, so the two are different origins (and
 * different sites) to the browser, as a creator's site and the checkout are in production.
 *
 * Pages:
 *   /widget?link=<lnk_…>   the snippet (a link and the <cc-checkout> element), and every `cc:*` event the
 *                          widget dispatches recorded in `window.ccEvents` (a listener on document, so
 *                          it also proves the events bubble). `&prevent=1` cancels the success redirect.
 *   /frame?src=<url>       a bare iframe of `src`, for an origin that tries to embed the page itself.
 */
import { createServer, type Server } from "node:http";
import { freePort } from "./ports";

export interface HostSite {
  /** `http://localhost:<port>` */
  origin: string;
  stop(): Promise<void>;
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export const widgetEvents = ["loaded", "hold_created", "requires_action", "success", "close"] as const;

function widgetPage(workerOrigin: string, link: string, prevent: boolean): string {
  const href = `${workerOrigin}/l/${encodeURIComponent(link)}`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>A creator's site</title></head>
<body>
<h1>A creator's site</h1>
<!-- The README's snippet -->
<script src="${escapeHtml(workerOrigin)}/embed.js" defer></script>
<a data-cc-checkout href="${escapeHtml(href)}" id="buy">Buy the poster</a>
<cc-checkout link="${escapeHtml(link)}" id="element">Join the fan club</cc-checkout>
<!-- End of snippet -->
<p id="unlocked" hidden>Unlocked</p>
<script>
  window.ccEvents = [];
  for (const type of ${JSON.stringify(widgetEvents)}) {
    document.addEventListener("cc:" + type, (event) => {
      window.ccEvents.push({ type: event.type, target: event.target && event.target.id, detail: event.detail });
      if (type === "success") {
        ${prevent ? "event.preventDefault();" : ""}
        document.getElementById("unlocked").hidden = false;
      }
    });
  }
</script>
</body>
</html>`;
}

function framePage(src: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Someone else's site</title></head>
<body>
<iframe id="frame" title="Checkout" allow="payment" width="480" height="720"></iframe>
<script>
  window.frameLoaded = new Promise((resolve) => {
    document.getElementById("frame").addEventListener("load", () => resolve(true), { once: true });
  });
  window.pageMessages = [];
  window.addEventListener("message", (event) => window.pageMessages.push({ origin: event.origin, data: event.data }));
  document.getElementById("frame").src = ${JSON.stringify(src)};
</script>
</body>
</html>`;
}

export async function startHostSite(workerOrigin: string): Promise<HostSite> {
  const port = await freePort();
  const origin = `http://localhost:${port}`;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", origin);
    const html = (body: string) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
      res.end(body);
    };
    if (url.pathname === "/widget") {
      return html(
        widgetPage(workerOrigin, url.searchParams.get("link") ?? "", url.searchParams.has("prevent")),
      );
    }
    if (url.pathname === "/frame") return html(framePage(url.searchParams.get("src") ?? "about:blank"));
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found");
  });
  await new Promise<void>((resolve) => server.listen(port, "localhost", resolve));
  return {
    origin,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
