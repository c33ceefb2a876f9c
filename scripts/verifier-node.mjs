// The exported verifier under plain Node 20, as another service would use it: built to dist/ by
// `npm run build:verifier`, fed a JWKS over real HTTP, given good and bad tokens. Exits non-zero on
// any surprise. Keys here are generated on the spot; nothing touches the worker.
import { createServer } from "node:http";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { createEntitlementVerifier, EntitlementTokenError } from "../dist/verify.js";

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

server.close();
// One fetch per verifier, plus the cooldown-limited refetch for the unknown kid.
if (fetches > 3) failures.push(`the key set was fetched ${fetches} times`);
if (failures.length > 0) {
  console.error(`exported verifier under Node ${process.version}: FAILED\n  ${failures.join("\n  ")}`);
  process.exit(1);
}
console.log(
  `exported verifier under Node ${process.version}: 1 token accepted, 5 refused as expected, ${fetches} JWKS fetches`,
);
