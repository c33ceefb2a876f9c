/**
 * The POS device SDK (`creator-commerce-edge/pos`): a sales buffer that syncs to `POST /v1/pos/reconcile`
 * (client.ts) and drop allotments claimed online and sold offline (allotments.ts). It depends on jose and
 * WebCrypto only, and imports nothing of the worker: it runs in browsers, React Native, Node ≥ 20 and
 * Workers.
 */
export * from "./allotments";
export * from "./client";
