/**
 * Once per `npm run test:browser`: the isolated worker (support/worker.ts), the creator's own site on
 * another origin (support/host.ts) and a third origin the creator never allows; the demo creator allows
 * the site's origin through the admin API. Test files read these with `inject(...)`.
 */
import type { TestProject } from "vitest/node";
import { allowOrigins } from "./api";
import { startHostSite } from "./host";
import { startTestWorker } from "./worker";

declare module "vitest" {
  export interface ProvidedContext {
    workerOrigin: string;
    apiKey: string;
    /** The platform operator's key (creates creators). */
    operatorKey: string;
    /** The creator's site: allowed to embed the checkout. */
    hostOrigin: string;
    /** Another site: never allowed. */
    strangerOrigin: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  process.env.WRANGLER_LOG ??= "error";
  const worker = await startTestWorker();
  const host = await startHostSite(worker.origin);
  const stranger = await startHostSite(worker.origin);
  const stop = async () => {
    await Promise.all([host.stop(), stranger.stop()]);
    await worker.stop();
  };
  try {
    await allowOrigins(worker, [host.origin]);
  } catch (error) {
    await stop();
    throw error;
  }
  project.provide("workerOrigin", worker.origin);
  project.provide("apiKey", worker.apiKey);
  project.provide("operatorKey", worker.operatorKey);
  project.provide("hostOrigin", host.origin);
  project.provide("strangerOrigin", stranger.origin);
  return stop;
}
