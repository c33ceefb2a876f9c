/**
 * The fan-out benchmark's worker: the bench worker (bench/worker.ts, the real app and its input routes)
 * plus the stock stream's relay class, bound as STOCK_RELAY by bench/fanout.toml. Served only by
 * bench/fanout.sh.
 */
export { StockRelay } from "../src/stream/relay";
export { DropInventory, default, EchoObject } from "./worker";
