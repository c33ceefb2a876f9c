#!/usr/bin/env node
/**
 * A tiny local webhook receiver for the `npm start` walkthrough (docs/webhooks.md): it verifies each
 * delivery with the package's own helper (clients/webhooks, bundled on the fly) and prints it.
 *
 *   node scripts/webhook-receiver.mjs --secret whsec_… [--port 8790] [--fail 2] [--gone]
 *
 * --fail N answers 500 to the first N deliveries (to watch the retries); --gone answers 410 (to watch
 * the endpoint be disabled). It keeps the last `seq` per subject and says when one arrives stale.
 */
import { createServer } from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const { values } = parseArgs({
  options: {
    secret: { type: "string" },
    port: { type: "string", default: "8790" },
    fail: { type: "string", default: "0" },
    gone: { type: "boolean", default: false },
  },
});
if (!values.secret?.startsWith("whsec_")) {
  console.error(
    "usage: node scripts/webhook-receiver.mjs --secret whsec_… [--port 8790] [--fail N] [--gone]",
  );
  process.exit(2);
}

// The helper is TypeScript; bundle it in memory so this script needs no build step.
const root = path.join(import.meta.dirname, "..");
const bundled = await build({
  entryPoints: [path.join(root, "clients/webhooks/index.ts")],
  bundle: true,
  format: "esm",
  platform: "neutral",
  write: false,
  logLevel: "warning",
});
const { verifyWebhook } = await import(
  `data:text/javascript;base64,${Buffer.from(bundled.outputFiles[0].text).toString("base64")}`
);

let toFail = Number(values.fail);
const lastSeq = new Map();

createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", async () => {
    const body = Buffer.concat(chunks).toString("utf8");
    const id = req.headers["webhook-id"];
    try {
      const event = await verifyWebhook(values.secret, req.headers, body);
      if (values.gone) {
        console.log(`410 ${id} (--gone: the endpoint will be disabled)`);
        res.writeHead(410).end();
        return;
      }
      if (toFail > 0) {
        toFail -= 1;
        console.log(`500 ${id} ${event.type} (--fail: ${toFail} more to fail)`);
        res.writeHead(500).end();
        return;
      }
      const subject = event.data?.subject?.id;
      const stale = subject !== undefined && (lastSeq.get(subject) ?? 0) >= event.data.seq;
      if (!stale && subject !== undefined) lastSeq.set(subject, event.data.seq);
      console.log(
        `${stale ? "stale (dropped)" : "verified"} ${id} ${event.type} ${subject ?? ""} seq=${event.data?.seq}`,
      );
      console.log(`  ${JSON.stringify(event.data?.changes)}`);
      res.writeHead(204).end();
    } catch (error) {
      console.log(`401 ${id ?? "(no webhook-id)"}: ${error.reason ?? ""} ${error.message}`);
      res.writeHead(401).end();
    }
  });
}).listen(Number(values.port), "127.0.0.1", () => {
  console.log(
    `Listening on http://127.0.0.1:${values.port}/ and verifying with ${values.secret.slice(0, 10)}…`,
  );
});
