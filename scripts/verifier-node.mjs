// The exported clients under plain Node 20, as another service would use them: built to dist/ by
// `npm run build:clients` and imported through the package's own "exports" (creator-commerce-edge/…).
// The verifier is fed a JWKS over real HTTP and given good and bad tokens; the POS SDK and the typed
// client must load and offer their entry points. Exits non-zero on any surprise. Keys here are
// generated on the spot; nothing touches the worker.
import { createServer } from "node:http";
import { createApiClient } from "creator-commerce-edge/api";
import { createPosClient, createPosClientWithAllotments, memoryStorage } from "creator-commerce-edge/pos";
import { createEntitlementVerifier, EntitlementTokenError } from "creator-commerce-edge/verify";
import { acceptMessage, EMBED_PROTOCOL } from "creator-commerce-edge/widget";
import { exportJWK, generateKeyPair, SignJWT } from "jose";

const issuer = "https://commerce.example";
const { publicKey, privateKey } = await generateKeyPair("EdDSA", { extractable: true });
const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: "node-1", alg: "EdDSA", use: "sig" }] };
let fetches = 0;
const server = createServer((_req, res) => {
  fetches++;
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwks));
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`;

const sign = (claims, header = {}) => {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    iss: issuer,
    aud: "cre_demo",
    sub: "mem_1",
    jti: "tok_1",
    iat: now,
    nbf: now,
    exp: now + 300,
  };
  return new SignJWT({ ...payload, ent: ["off_poster", "backstage"], ver: 2, ...claims })
    .setProtectedHeader({ alg: "EdDSA", typ: "entitlement+jwt", kid: "node-1", ...header })
    .sign(privateKey);
};

const verify = createEntitlementVerifier({ jwks: url, issuer, audience: "cre_demo" });
const failures = [];
const claims = await verify(await sign({}));
if (
  claims.memberId !== "mem_1" ||
  claims.entitlements.join() !== "off_poster,backstage" ||
  claims.version !== 2
)
  failures.push(`unexpected claims ${JSON.stringify(claims)}`);

const refusals = {
  audience: await sign({ aud: "cre_other" }),
  type: await sign({}, { typ: "JWT" }),
  unknown_key: await sign({}, { kid: "node-9" }),
  expired: await sign({ exp: Math.floor(Date.now() / 1000) - 120 }),
};
for (const [reason, token] of Object.entries(refusals)) {
  const error = await verify(token).then(
    () => undefined,
    (e) => e,
  );
  if (!(error instanceof EntitlementTokenError) || error.reason !== reason)
    failures.push(`${reason}: got ${error?.reason ?? "acceptance"}`);
}
const stale = createEntitlementVerifier({ jwks: url, issuer, audience: "cre_demo", tokenVersion: () => 3 });
const staleError = await stale(await sign({})).then(
  () => undefined,
  (e) => e,
);
if (staleError?.reason !== "stale_version") failures.push("a stale token version was accepted");

// The typed client, against the same server: a GET that answers the key set.
const { data: fetchedSet } = await createApiClient(url.replace("/.well-known/jwks.json", "")).GET(
  "/.well-known/jwks.json",
);
if (fetchedSet?.keys?.[0]?.kid !== "node-1") failures.push("the typed client did not read the JWKS");
for (const [name, value] of Object.entries({ createPosClient, createPosClientWithAllotments, memoryStorage }))
  if (typeof value !== "function") failures.push(`creator-commerce-edge/pos exports no ${name}`);
if (typeof acceptMessage !== "function" || typeof EMBED_PROTOCOL !== "string")
  failures.push("creator-commerce-edge/widget does not export its postMessage contract");

server.close();
// One fetch per verifier, plus the cooldown-limited refetch for the unknown kid, plus the typed client's.
if (fetches > 4) failures.push(`the key set was fetched ${fetches} times`);
if (failures.length > 0) {
  console.error(`exported clients under Node ${process.version}: FAILED\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log(
  `exported clients under Node ${process.version}: the verifier accepted 1 token and refused 5 as expected ` +
    `(${fetches - 1} JWKS fetches); the typed client read the JWKS; the POS SDK and the widget's protocol load`,
);
