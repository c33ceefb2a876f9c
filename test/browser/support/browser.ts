/**
 * Real Chromium, driven by playwright-core with the system's executable (Debian's `chromium`
 * package; nothing is downloaded). CHROMIUM_PATH overrides the path. Headless, so no display is needed.
 */
import { type Browser, chromium } from "playwright-core";

export const chromiumPath = (): string => process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Containers and CI runners often lack the user namespaces Chromium's sandbox needs.
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
}

/** For `expect.poll`: wait for what the page shows for as long as a slow runner needs (a wait, not a timing). */
export const settles = { timeout: 30_000, interval: 50 };
