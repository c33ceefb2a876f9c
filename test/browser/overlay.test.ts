/**
 * The live-stream overlay (/overlay/{drop}?token=…) in real Chromium: stock falls on screen as holds are
 * taken through the public API, and after its socket is dropped it resumes from the last `seq` it
 * applied without missing one. The overlay's socket is routed through Playwright, which records every
 * stream message the page receives (so the chaining is checked on the wire, not on the page's word) and
 * holds the reconnection back until holds have been taken while the overlay was away.
 */
import type { Browser, BrowserContext, Page, WebSocketRoute } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { StockMessage } from "../../src/contract/stream";
import { type Api, createDrop, createLink, type Drop, overlayToken, placeHold } from "./support/api";
import { launchChromium } from "./support/browser";

const api: Api = { origin: inject("workerOrigin"), apiKey: inject("apiKey") };
const STOCK = 20;

interface Connection {
  url: URL;
  /** Stream messages delivered to the page on this connection, in order. */
  messages: StockMessage[];
  /** Resolves the hold on this connection: it reaches the server only then. */
  release(): void;
}

let browser: Browser;
let context: BrowserContext | undefined;

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await context?.close();
  context = undefined;
});

/** A stream message, or null for anything else on the socket (a `pong`). */
function parseStockMessage(text: string): StockMessage | null {
  try {
    const value = JSON.parse(text) as Partial<StockMessage> | null;
    return typeof value?.seq === "number" ? (value as StockMessage) : null;
  } catch {
    return null;
  }
}

/**
 * Routes the page's stream sockets: each connection is recorded; the first goes straight through, a
 * later one (a resume) waits for its `release()`. `opened(i)` resolves with the i-th connection.
 */
async function routeStream(page: Page) {
  const connections: Connection[] = [];
  const waiting: ((c: Connection) => void)[] = [];
  const opened = (index: number): Promise<Connection> =>
    new Promise((resolve) => {
      const ready = connections[index];
      if (ready) resolve(ready);
      else waiting.push((c) => (connections.indexOf(c) === index ? resolve(c) : undefined));
    });
  await page.routeWebSocket(/\/v1\/drops\/[^/]+\/stream/, async (ws: WebSocketRoute) => {
    let release = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const connection: Connection = { url: new URL(ws.url()), messages: [], release };
    connections.push(connection);
    for (const notify of waiting) notify(connection);
    if (connections.length > 1) await gate;
    const server = ws.connectToServer();
    let pageOpen = true;
    ws.onClose((code, reason) => {
      pageOpen = false;
      void server.close({ code, reason });
    });
    server.onClose((code, reason) => {
      if (pageOpen) void ws.close({ code, reason });
    });
    server.onMessage((message) => {
      if (!pageOpen) return;
      const parsed = parseStockMessage(String(message));
      if (parsed !== null) connection.messages.push(parsed);
      ws.send(message);
    });
  });
  return { connections, opened };
}

/** Waits until the overlay shows `available` units left. */
async function showsAvailable(page: Page, available: number): Promise<void> {
  // Locators, not a page function: the overlay's CSP (rightly) forbids the eval a function wait needs.
  await page.locator(`#stock-left[data-available="${available}"]`).waitFor();
  expect(await page.locator("#stock-available").textContent()).toBe(String(available));
}

/**
 * Waits, on a socket of its own to the same relay (the overlay's viewer id), until the stream has
 * published `available`: the relay then holds the messages a resume must replay.
 */
async function relayPublished(observer: Page, resumeUrl: URL, available: number): Promise<void> {
  const url = new URL(resumeUrl);
  url.searchParams.delete("after");
  await observer.evaluate(`new Promise((resolve, reject) => {
    const ws = new WebSocket(${JSON.stringify(url.href)});
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.available === ${available}) { ws.close(); resolve(m.seq); }
    };
    ws.onerror = () => reject(new Error("the observer's socket failed"));
  })`);
}

const appliedSeqs = (page: Page) => page.evaluate("window.ccOverlay.seqs.slice()") as Promise<number[]>;

describe("the live-stream overlay", () => {
  let drop: Drop;
  let overlayUrl: string;

  beforeAll(async () => {
    drop = await createDrop(api, STOCK);
    const link = await createLink(api, { dropId: drop.id });
    const { url } = await overlayToken(api, drop.id, link.id);
    overlayUrl = `${url}${url.includes("?") ? "&" : "?"}debug=1`;
  });

  it("shows stock falling as holds are taken, and resumes after a dropped socket without missing a seq", async () => {
    context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
    const page = await context.newPage();
    const stream = await routeStream(page);
    const res = await page.goto(overlayUrl);
    expect(res?.status()).toBe(200);
    await showsAvailable(page, STOCK);
    for (const id of ["stock-left", "countdown", "ticker", "qr"]) {
      expect(await page.locator(`#${id}`).count(), `#${id}`).toBe(1);
    }
    const first = await stream.opened(0);

    await placeHold(api, drop.id);
    await showsAvailable(page, STOCK - 1);
    await placeHold(api, drop.id, 2);
    await showsAvailable(page, STOCK - 3);
    const beforeDrop = await appliedSeqs(page);
    const lastApplied = beforeDrop.at(-1);
    expect(Number(await page.evaluate("document.body.dataset.seq"))).toBe(lastApplied);

    // The socket goes; while the overlay is away (its reconnection held back), stock keeps falling.
    await page.evaluate("window.ccOverlay.drop()");
    const resumed = await stream.opened(1);
    expect(resumed.url.searchParams.get("after")).toBe(String(lastApplied));
    expect(resumed.url.searchParams.get("viewer")).toBe(first.url.searchParams.get("viewer"));
    await placeHold(api, drop.id);
    await placeHold(api, drop.id, 3);
    context.setDefaultTimeout(30_000);
    const observer = await context.newPage();
    await observer.goto(`${api.origin}/openapi.json`);
    await relayPublished(observer, resumed.url, STOCK - 7);
    resumed.release();
    await showsAvailable(page, STOCK - 7);

    // On the wire: every message after the first names the one before it, across the resume too.
    const wire = [...first.messages, ...resumed.messages];
    for (let i = 1; i < wire.length; i++) {
      expect(wire[i]?.prev_seq, `message ${i} (seq ${wire[i]?.seq})`).toBe(wire[i - 1]?.seq);
    }
    expect(resumed.messages[0]).toMatchObject({ type: "update", prev_seq: lastApplied });
    // On the page: it applied each of them, in order, once.
    const applied = await appliedSeqs(page);
    expect(applied).toEqual(wire.map((m) => m.seq).filter((seq) => seq >= (applied[0] ?? 0)));
    expect(applied.slice(0, beforeDrop.length)).toEqual(beforeDrop);
    expect(new Set(applied).size).toBe(applied.length);
    expect(wire.at(-1)).toMatchObject({ available: STOCK - 7, held: 7 });
    expect(Number(await page.evaluate("document.body.dataset.seq"))).toBe(wire.at(-1)?.seq);
  });

  it("answers 404 to the overlay without its token, with another drop's, or with a made-up one", async () => {
    const other = await createDrop(api, 5);
    const { token: otherToken } = await overlayToken(api, other.id);
    const bare = new URL(overlayUrl);
    for (const token of [null, otherToken, "ovl_not-a-token"]) {
      const url = new URL(bare);
      if (token === null) url.searchParams.delete("token");
      else url.searchParams.set("token", token);
      const res = await fetch(url);
      // The same 404 whatever was wrong: a guessed URL learns nothing about the drop.
      expect(res.status, `token ${token}`).toBe(404);
      expect(await res.text()).not.toContain('id="stock-left"');
    }
  });
});
