/**
 * The isolated worker of the browser tests as a process of its own, for bench/page-tti.mjs (which pins
 * it to one core with taskset): prints one JSON line `{"origin", "apiKey"}` once it serves, and stops
 * the worker (deleting its state) when stdin closes or on SIGTERM/SIGINT.
 */
import { startTestWorker } from "./worker";

process.env.WRANGLER_LOG ??= "error";
const worker = await startTestWorker();
process.stdout.write(`${JSON.stringify({ origin: worker.origin, apiKey: worker.apiKey })}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await worker.stop();
  process.exit(0);
};
process.stdin.on("end", stop).resume();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
