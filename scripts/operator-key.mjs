#!/usr/bin/env node
/**
 * `npm run operator-key`: a fresh platform operator key (docs/platform.md) and its SHA-256. The worker
 * is given only the hash (OPERATOR_KEY_SHA256); keep the key itself in your password manager. To rotate,
 * set both hashes comma-separated (old,new), move your tooling to the new key, then set the new one alone.
 * Plain Node 20: the same format as src/lib/api-keys.ts (cc_op_ and 40 base32 characters).
 */
import { createHash, randomBytes } from "node:crypto";

const alphabet = "0123456789abcdefghjkmnpqrstvwxyz";
const key = `cc_op_${Array.from(randomBytes(40), (b) => alphabet[b & 31]).join("")}`;
const hash = createHash("sha256").update(key).digest("hex");

process.stdout.write(`Operator key (shown once; store it safely):

  ${key}

Its SHA-256, the only part the worker holds:

  ${hash}

Production:
  echo ${hash} | npm run -s wrangler -- secret put OPERATOR_KEY_SHA256 --env production
Locally, npm start keeps its own key in .wrangler/demo-operator-key and its hash in .wrangler/dev-secrets.env.
`);
