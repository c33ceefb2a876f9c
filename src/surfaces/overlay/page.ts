/**
 * The overlay page's HTML: a transparent 1920×1080 stage for an OBS browser source. Everything a viewer
 * sees is rendered here first (stock, countdown, QR), so the page reads right before its script runs;
 * the script (clients/overlay/main.ts, inlined) then keeps the figures live.
 */
import { html, raw } from "hono/html";
import {
  countdownText,
  type QueueFigures,
  queueOf,
  queueText,
  statusText,
} from "../../../clients/overlay/format";
import type { OverlayView } from "../../overlay/verbs";
import overlayScript from "../generated/overlay";
import { qrSvg } from "./qr";

/** What the script starts from: the server's figures and clock (so a skewed OBS clock counts right). */
export interface OverlayBoot {
  drop_id: string;
  starts_at: string;
  ends_at: string | null;
  now: number;
  figures: {
    seq: number;
    stock: number;
    available: number;
    held: number;
    sold: number;
    phase: string;
    queue: QueueFigures | null;
  };
}

export const overlayStyle = `html,body{margin:0;width:1920px;height:1080px;overflow:hidden;background:transparent;cursor:none}
body{font:700 48px/1.15 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#fff;text-shadow:0 3px 6px rgba(0,0,0,.9),0 0 18px rgba(0,0,0,.7)}
.stage{position:relative;width:1920px;height:1080px}
h1{position:absolute;left:64px;top:56px;margin:0;font-size:64px;max-width:1100px}
#stock-left{position:absolute;left:64px;bottom:56px;font-size:56px}
#stock-available{display:block;font-size:168px;line-height:1;font-variant-numeric:tabular-nums}
#status{position:absolute;left:64px;bottom:300px;max-width:1400px;font-size:72px;color:#ffd54a}
#queue{position:absolute;left:64px;bottom:420px;max-width:1792px;font-size:52px;font-variant-numeric:tabular-nums}
#countdown{position:absolute;right:64px;top:56px;font-size:80px;font-variant-numeric:tabular-nums}
#ticker{position:absolute;left:0;right:0;bottom:72px;text-align:center;font-size:72px;opacity:0;transition:opacity .4s}
#ticker.show{opacity:1}
#qr{position:absolute;right:64px;bottom:56px;margin:0;text-align:center}
#qr svg{display:block;width:280px;height:280px;border-radius:16px}
#qr figcaption{margin-top:12px;font-size:40px}
@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}`;

/** JSON for a `<script type="application/json">`: `<` escaped, so no value can close the element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c");

export function overlayPage(view: OverlayView) {
  const { drop, stock } = view;
  const seq = (stock as { seq?: number }).seq ?? -1;
  // The stock read carries the admission queue while the drop has one on (null or absent otherwise).
  const queue = queueOf((stock as { queue?: unknown }).queue);
  const boot: OverlayBoot = {
    drop_id: drop.id,
    starts_at: drop.starts_at,
    ends_at: drop.ends_at,
    now: view.now,
    figures: {
      seq,
      stock: stock.stock,
      available: stock.available,
      held: stock.held,
      sold: stock.sold,
      phase: stock.phase,
      queue,
    },
  };
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=1920,height=1080">
<meta name="robots" content="noindex,nofollow">
<link rel="icon" href="data:,">
<title>${drop.title}: live overlay</title>
<style>${raw(overlayStyle)}</style>
</head>
<body data-seq="${seq}" data-phase="${stock.phase}">
<main class="stage">
<h1 id="title">${drop.title}</h1>
<div id="countdown" data-starts-at="${drop.starts_at}" data-ends-at="${drop.ends_at ?? ""}">${countdownText(stock.phase, drop, view.now)}</div>
<div id="status">${statusText(stock.available, stock.phase, queue)}</div>
<div id="queue" data-state="${queue?.state ?? "off"}" data-waiting="${queue?.waiting ?? 0}" data-admitted-through="${queue?.admitted_through ?? 0}"${queueText(queue) === "" ? raw(" hidden") : ""}>${queueText(queue)}</div>
<div id="stock-left" data-available="${stock.available}" data-stock="${stock.stock}"><span id="stock-available">${stock.available}</span> of <span id="stock-total">${stock.stock}</span> left</div>
<div id="ticker" role="status" aria-live="polite"></div>
${
  view.linkUrl === null
    ? html`<figure id="qr" hidden></figure>`
    : html`<figure id="qr" data-url="${view.linkUrl}">${raw(qrSvg(view.linkUrl, `QR code: ${view.linkUrl}`))}<figcaption>Scan to buy</figcaption></figure>`
}
</main>
<script type="application/json" id="cc-overlay-boot">${raw(scriptJson(boot))}</script>
<script>${raw(overlayScript)}</script>
</body>
</html>`;
}

export { overlayScript };
