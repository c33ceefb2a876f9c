/**
 * Bad input on POST /v1/checkouts: a quote-shaped token that this worker never signed is refused before
 * any Idempotency-Key is claimed, whoever it names.
 */
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { api } from "../../support/api";
import { createTenant, tableCounts } from "../../support/tenants";

/** A token shaped like a quote (same header and claims) but signed with a key this worker does not hold. */
async function forgedQuote(creatorId: string, kid = "q2") {
  const key = crypto.getRandomValues(new Uint8Array(32));
  return new SignJWT({ off: "off_x", qty: 1, cur: "USD", amt: 100, ln: [], drs: [] })
    .setProtectedHeader({ alg: "HS256", typ: "quote+jwt", kid })
    .setIssuer("creator-commerce:quote")
    .setAudience(creatorId)
    .setSubject("anon:forger")
    .setJti(`qte_${crypto.randomUUID().replaceAll("-", "")}`)
    .setIssuedAt()
    .setExpirationTime("10m")
    .sign(key);
}

const post = (quote: string) =>
  api("POST", "/v1/checkouts", {
    body: { quote, email: "forger@example.test", payment_method: "4242424242424242" },
    headers: { "buyer-id": "forger", "idempotency-key": `forged-${crypto.randomUUID()}` },
  });

describe("bad-input: checkout", () => {
  it("a quote-shaped token naming a creator that does not exist is 422, not 500, and claims no key", async () => {
    const before = await tableCounts();
    const res = await post(await forgedQuote("cre_doesnotexist0000000000000"));
    expect(res.status).toBe(422);
    expect(res.body.type).toMatch(/quote-invalid$/);
    expect(await tableCounts()).toEqual(before);
  });

  it("a forged quote naming a real creator claims no Idempotency-Key in that creator's scope", async () => {
    const victim = await createTenant();
    const before = await tableCounts();
    for (const kid of ["q2", "unknown-kid"]) {
      const res = await post(await forgedQuote(victim.creatorId, kid));
      expect(res.status).toBe(422);
    }
    expect(await tableCounts()).toEqual(before);
  });
});
