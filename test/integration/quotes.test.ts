import { eq } from "drizzle-orm";
import { base64url, decodeProtectedHeader, SignJWT, UnsecuredJWT } from "jose";
import { describe, expect, it } from "vitest";
import { coupons, drops, orders } from "../../src/db/schema";
import { verifyQuote } from "../../src/quotes/token";
import { checkQuote } from "../../src/quotes/verbs";
import { api } from "../support/api";
import { checkout } from "../support/checkouts";
import { grant, revoke, startSession } from "../support/entitlements";
import { createDrop, createOffer, membershipTier } from "../support/fixtures";
import {
  buyer,
  insertMember,
  insertOrder,
  memberWithTier,
  pricedOffer,
  quote,
  testQuoteKeys,
} from "../support/quotes";
import { createTenant, db, tableCounts } from "../support/tenants";

const usdEurBrl = {
  prices: [
    { currency: "USD", amount: 1000, floor: 500 },
    { currency: "EUR", amount: 900 },
    { currency: "BRL", amount: 4000 },
  ],
  country_prices: [{ country: "AR", currency: "USD", amount: 600 }],
};

describe("POST /v1/quotes then POST /v1/quotes/verify", () => {
  it("signs what it priced, and verification returns the same binding", async () => {
    const tenant = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    const res = await quote({ offer_id: offer.id, quantity: 2 }, buyer("buyer-verify-1"));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      object: "quote",
      offer_id: offer.id,
      quantity: 2,
      currency: "USD",
      currency_source: "default",
      lines: [{ type: "base", amount: 2000 }],
      total: 2000,
      experiment: null,
      coupon: null,
    });
    expect(res.body.id).toMatch(/^qte_/);
    expect(Date.parse(res.body.expires_at) - Date.now()).toBeGreaterThan(9 * 60_000);
    expect(res.body.token.length).toBeLessThan(600);
    expect(decodeProtectedHeader(res.body.token)).toEqual({ alg: "HS256", typ: "quote+jwt", kid: "q2" });

    const verified = await api("POST", "/v1/quotes/verify", {
      key: tenant.key,
      body: { token: res.body.token },
    });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({
      object: "verified_quote",
      id: res.body.id,
      offer_id: offer.id,
      drop_id: null,
      quantity: 2,
      currency: "USD",
      total: 2000,
      lines: res.body.lines,
      buyer_key: "anon:buyer-verify-1",
      expires_at: res.body.expires_at,
    });
  });

  it("refuses every single-character change to the token", async () => {
    const tenant = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    const { token } = (await quote({ offer_id: offer.id })).body;
    const keys = await testQuoteKeys();
    const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const now = Date.now();
    for (let i = 0; i < token.length; i++) {
      if (token[i] === ".") continue;
      const replacement = alphabet[(alphabet.indexOf(token[i]) + 1 + (i % 63)) % 64];
      const tampered = `${token.slice(0, i)}${replacement}${token.slice(i + 1)}`;
      await expect(
        checkQuote({
          ctx: { creatorId: tenant.creatorId, now, quoteKeys: keys },
          input: { token: tampered },
        }),
      ).rejects.toMatchObject({ code: "quote_invalid" });
    }
    // And the spare bits of the signature's last character, which decode to the same bytes.
    const last = token.at(-1) as string;
    for (const c of alphabet) {
      if (c === last) continue;
      const tampered = `${token.slice(0, -1)}${c}`;
      await expect(verifyQuote(keys, tampered, now)).rejects.toMatchObject({ code: "quote_invalid" });
    }
    // Through the API, a sample: the first header byte, a payload byte, the last signature byte.
    for (const i of [0, token.indexOf(".") + 5, token.length - 1]) {
      const tampered = `${token.slice(0, i)}${token[i] === "A" ? "B" : "A"}${token.slice(i + 1)}`;
      const res = await api("POST", "/v1/quotes/verify", { key: tenant.key, body: { token: tampered } });
      expect(res.status).toBe(422);
      expect(res.body.type).toBe("https://creator-commerce.dev/problems/quote-invalid");
    }
  });

  it("refuses forged tokens: alg none, a foreign key, an unknown kid, a truncated token", async () => {
    const tenant = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    const { token } = (await quote({ offer_id: offer.id })).body;
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(token.split(".")[1])));
    const unsecured = new UnsecuredJWT(payload).encode();
    const foreignKey = new TextEncoder().encode("a-secret-someone-else-chose-0123456789");
    const foreign = await new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256", typ: "quote+jwt", kid: "q2" })
      .sign(foreignKey);
    const unknownKid = await new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256", typ: "quote+jwt", kid: "q9" })
      .sign(foreignKey);
    for (const forged of [unsecured, foreign, unknownKid, token.slice(0, -10), "not.a.token", "x"]) {
      const res = await api("POST", "/v1/quotes/verify", { key: tenant.key, body: { token: forged } });
      expect(res.status, forged).toBe(422);
    }
  });

  it("refuses an expired quote with 410, and another creator's quote with 404", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    const res = await quote({ offer_id: offer.id });
    const keys = await testQuoteKeys();
    const expiresAt = Date.parse(res.body.expires_at);
    const check = (now: number) =>
      checkQuote({
        ctx: { creatorId: tenant.creatorId, now, quoteKeys: keys },
        input: { token: res.body.token },
      });
    await expect(check(expiresAt - 1_000)).resolves.toMatchObject({ id: res.body.id });
    await expect(check(expiresAt + 1_000)).rejects.toMatchObject({ code: "quote_expired" });

    const foreign = await api("POST", "/v1/quotes/verify", {
      key: other.key,
      body: { token: res.body.token },
    });
    expect(foreign.status).toBe(404);
  });

  it("verifies quotes signed with a previous key until it is removed, and signs with the active one", async () => {
    const tenant = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    const { token } = (await quote({ offer_id: offer.id })).body;
    const keys = await testQuoteKeys();
    const q1 = keys.byKid.get("q1");
    if (q1 === undefined) throw new Error("the test config has key q1");
    const payload = JSON.parse(new TextDecoder().decode(base64url.decode(token.split(".")[1])));
    const oldToken = await new SignJWT(payload)
      .setProtectedHeader({ alg: "HS256", typ: "quote+jwt", kid: "q1" })
      .sign(q1);
    const verified = await api("POST", "/v1/quotes/verify", { key: tenant.key, body: { token: oldToken } });
    expect(verified.status).toBe(200);
    const retired = { activeKid: "q2", byKid: new Map([["q2", keys.byKid.get("q2") as CryptoKey]]) };
    await expect(verifyQuote(retired, oldToken, Date.now())).rejects.toMatchObject({ code: "quote_invalid" });
  });
});

describe("currency, country and member pricing", () => {
  it("follows the chain: the asked-for currency, else the country's, else the offer's default", async () => {
    const tenant = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    const cases: [Record<string, unknown>, string | undefined, string, string, number][] = [
      [{ currency: "EUR" }, "BR", "EUR", "request", 900],
      [{}, "DE", "EUR", "country", 900],
      [{}, "BR", "BRL", "country", 4000],
      [{}, "AR", "USD", "country", 600],
      [{}, "JP", "USD", "default", 1000],
      [{}, undefined, "USD", "default", 1000],
    ];
    for (const [extra, country, currency, source, total] of cases) {
      const headers = { ...buyer(), ...(country ? { "buyer-country": country } : {}) };
      const res = await quote({ offer_id: offer.id, ...extra }, headers);
      expect(res.body, `${JSON.stringify(extra)} from ${country}`).toMatchObject({
        currency,
        currency_source: source,
        total,
      });
    }
    const ar = await quote({ offer_id: offer.id }, { ...buyer(), "buyer-country": "AR" });
    expect(ar.body.lines).toEqual([
      { type: "base", amount: 1000 },
      { type: "localization", amount: -400, ref: "AR" },
    ]);
    const unpriced = await quote({ offer_id: offer.id, currency: "JPY" });
    expect(unpriced.status).toBe(422);
    expect(unpriced.body.errors).toEqual([
      { in: "body", path: "/currency", message: "Not offered; priced in BRL, EUR, USD" },
    ]);
  });

  it("gives members their tier's discount (and higher tiers too), never below the floor", async () => {
    const tenant = await createTenant();
    const fan = await createOffer(tenant, membershipTier({ title: "Fan", tier_rank: 1 }));
    const merch = await createOffer(tenant, membershipTier({ title: "Merch", tier_rank: 2 }));
    const vip = await createOffer(tenant, membershipTier({ title: "VIP", tier_rank: 3 }));
    const offer = await pricedOffer(tenant, {
      ...usdEurBrl,
      member_discounts: [{ tier_offer_id: merch.id, percent_off: 10 }],
    });
    const totalFor = async (memberId: string | null) => {
      const res = memberId
        ? await quote({ offer_id: offer.id, member_id: memberId }, {}, tenant.key)
        : await quote({ offer_id: offer.id });
      expect(res.status).toBe(201);
      return res.body;
    };
    const holding = async (tier: string, status?: "lapsed") =>
      (await memberWithTier(tenant, tier, status)).memberId;
    expect((await totalFor(null)).total).toBe(1000);
    expect((await totalFor(await holding(fan.id))).total).toBe(1000);
    const merchQuote = await totalFor(await holding(merch.id));
    expect(merchQuote).toMatchObject({
      total: 900,
      lines: [{ type: "base" }, { type: "member_discount", amount: -100, ref: merch.id }],
    });
    expect(merchQuote.member_id).toMatch(/^mem_/);
    expect((await totalFor(await holding(vip.id))).total).toBe(900);
    expect((await totalFor(await holding(merch.id, "lapsed"))).total).toBe(1000);
  });

  it("prices a member who bought their tier online at that tier", async () => {
    const tenant = await createTenant();
    const merch = await createOffer(tenant, membershipTier({ title: "Merch", tier_rank: 2 }));
    const offer = await pricedOffer(tenant, {
      ...usdEurBrl,
      member_discounts: [{ tier_offer_id: merch.id, percent_off: 10 }],
    });
    const buyerId = crypto.randomUUID();
    const tier = await quote({ offer_id: merch.id }, buyer(buyerId));
    expect(tier.status).toBe(201);
    const paid = await checkout(
      { quote: tier.body.token, email: `${buyerId}@example.test`, payment_method: "4242424242424242" },
      { buyerId },
    );
    expect(paid.body.status).toBe("paid");
    const [order] = await db.select().from(orders).where(eq(orders.id, paid.body.order_id));
    const memberId = order?.memberId;
    if (!memberId) throw new Error("the paid order names no member");
    const priced = await quote({ offer_id: offer.id, member_id: memberId }, {}, tenant.key);
    expect(priced.body).toMatchObject({ total: 900, member_id: memberId });
    const member = await api("GET", `/v1/members/${memberId}`, { key: tenant.key });
    expect(member.body.tier_offer_id).toBe(merch.id);
  });

  it("prices a signed-in buyer by their member token, and refuses a revoked or foreign one", async () => {
    const [tenant, other] = [await createTenant(), await createTenant()];
    const merch = await createOffer(tenant, membershipTier({ title: "Merch", tier_rank: 2 }));
    const offer = await pricedOffer(tenant, {
      ...usdEurBrl,
      member_discounts: [{ tier_offer_id: merch.id, percent_off: 10 }],
    });
    const memberId = await insertMember(tenant, merch.id);
    const granted = await grant(tenant, { member_id: memberId, offer_id: merch.id });
    const { token } = await startSession(tenant, memberId, "overlay");
    const priced = await quote({ offer_id: offer.id, member_token: token }, {});
    expect(priced).toMatchObject({ status: 201, body: { total: 900, member_id: memberId } });

    const both = await quote(
      { offer_id: offer.id, member_token: token, member_id: memberId },
      {},
      tenant.key,
    );
    expect(both.status).toBe(422);
    const foreignOffer = await pricedOffer(other, usdEurBrl);
    const foreign = await quote({ offer_id: foreignOffer.id, member_token: token }, {});
    expect(foreign).toMatchObject({ status: 422, body: { errors: [{ message: "audience" }] } });

    await revoke(tenant, granted.body.id, "cancellation");
    const stale = await quote({ offer_id: offer.id, member_token: token }, {});
    expect(stale.status).toBe(410);
    expect(stale.body.type).toMatch(/token-revoked$/);
  });

  it("takes member_id only with the creator's own API key", async () => {
    const tenant = await createTenant();
    const other = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    const memberId = await insertMember(tenant, null);
    const before = await tableCounts();
    expect((await quote({ offer_id: offer.id, member_id: memberId })).status).toBe(401);
    expect((await quote({ offer_id: offer.id, member_id: memberId }, {}, other.key)).status).toBe(404);
    const otherMember = await insertMember(other, null);
    const unknown = await quote({ offer_id: offer.id, member_id: otherMember }, {}, tenant.key);
    expect(unknown.status).toBe(422);
    expect(await tableCounts()).toMatchObject({ ...before, members: (before.members ?? 0) + 1 });
  });
});

describe("experiments, coupons, upsells, bundles and drops in quotes", () => {
  it("records the buyer's sticky arm on the quote, the token and the price preview", async () => {
    const tenant = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    const created = await api("POST", "/v1/experiments", {
      key: tenant.key,
      body: {
        offer_id: offer.id,
        name: "Poster price",
        arms: [
          { key: "control", weight: 1, adjustment: { type: "none" } },
          { key: "low", weight: 1, adjustment: { type: "percent", percent: -20 } },
        ],
      },
    });
    expect(created.status).toBe(201);
    expect((await api("POST", `/v1/experiments/${created.body.id}/start`, { key: tenant.key })).status).toBe(
      200,
    );
    const seen = new Map<string, number>();
    for (let i = 0; i < 12; i++) {
      const id = `arm-buyer-${i}`;
      const first = await quote({ offer_id: offer.id }, buyer(id));
      const again = await quote({ offer_id: offer.id }, buyer(id));
      const preview = await api("GET", `/v1/offers/${offer.id}/price`, { headers: buyer(id) });
      expect(again.body.experiment).toEqual(first.body.experiment);
      expect(preview.body.experiment).toEqual(first.body.experiment);
      expect(preview.body.total).toBe(first.body.total);
      expect(first.body.experiment.id).toBe(created.body.id);
      seen.set(first.body.experiment.arm, first.body.total);
      const verified = await api("POST", "/v1/quotes/verify", {
        key: tenant.key,
        body: { token: first.body.token },
      });
      expect(verified.body.experiment).toEqual(first.body.experiment);
    }
    expect(Object.fromEntries(seen)).toEqual({ control: 1000, low: 800 });
  });

  it("applies a coupon that has redemptions left and refuses one that has none", async () => {
    const tenant = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    const coupon = await api("POST", "/v1/coupons", {
      key: tenant.key,
      body: { code: "poster25", percent_off: 25, max_redemptions: 1 },
    });
    expect(coupon.status).toBe(201);
    const res = await quote({ offer_id: offer.id, coupon: "POSTER25" });
    expect(res.body).toMatchObject({ coupon: "POSTER25", total: 750 });
    expect(res.body.lines.at(-1)).toEqual({ type: "coupon", amount: -250, ref: "POSTER25" });
    await db.update(coupons).set({ redeemedCount: 1 }).where(eq(coupons.id, coupon.body.id));
    const exhausted = await quote({ offer_id: offer.id, coupon: "poster25" });
    expect(exhausted.status).toBe(422);
    expect(exhausted.body.type).toBe("https://creator-commerce.dev/problems/coupon-exhausted");
    expect((await quote({ offer_id: offer.id, coupon: "NOPE-NOPE" })).body.type).toMatch(/coupon-unknown$/);
  });

  it("never lets a quote outlive its coupon", async () => {
    const tenant = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    const expiresAt = new Date(Date.now() + 3 * 60_000).toISOString();
    const coupon = await api("POST", "/v1/coupons", {
      key: tenant.key,
      body: { code: "SOON-GONE", amount_off: { currency: "USD", amount: 100 }, expires_at: expiresAt },
    });
    expect(coupon.status).toBe(201);
    const res = await quote({ offer_id: offer.id, coupon: "soon-gone" });
    expect(res.body).toMatchObject({ total: 900, coupon: "SOON-GONE" });
    expect(Date.parse(res.body.expires_at)).toBeLessThanOrEqual(Date.parse(expiresAt));
  });

  it("quotes an upsell only to the buyer of a recently paid order, and only within its window", async () => {
    const tenant = await createTenant();
    const main = await pricedOffer(tenant, usdEurBrl);
    const upsell = await pricedOffer(
      tenant,
      { prices: [{ currency: "USD", amount: 300 }] },
      { kind: "upsell", prices: [{ currency: "USD", amount: 300 }] },
    );
    const buyerId = "upsell-buyer-1";
    const paidAt = Date.now() - 5 * 60_000;
    const order = await insertOrder(tenant, main.id, { buyerKey: `anon:${buyerId}`, paidAt });
    const res = await quote({ offer_id: upsell.id, upsell_of: order }, buyer(buyerId));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ upsell_of: order, total: 300 });
    expect(Date.parse(res.body.expires_at)).toBeLessThanOrEqual(paidAt + 15 * 60_000);

    const stale = await insertOrder(tenant, main.id, {
      buyerKey: `anon:${buyerId}`,
      paidAt: Date.now() - 16 * 60_000,
    });
    const pending = await insertOrder(tenant, main.id, {
      buyerKey: `anon:${buyerId}`,
      status: "pending",
      paidAt: null,
    });
    for (const [upsellOf, who] of [
      [order, "someone-else-1"],
      [stale, buyerId],
      [pending, buyerId],
      ["ord_unknown", buyerId],
    ]) {
      const refused = await quote({ offer_id: upsell.id, upsell_of: upsellOf }, buyer(who));
      expect(refused.status, `${upsellOf} for ${who}`).toBe(409);
      expect(refused.body.type).toMatch(/upsell-not-eligible$/);
    }
    expect((await quote({ offer_id: upsell.id }, buyer(buyerId))).status).toBe(422);
    expect((await quote({ offer_id: main.id, upsell_of: order }, buyer(buyerId))).status).toBe(422);
  });

  it("prices a bundle as its components less the bundle saving", async () => {
    const tenant = await createTenant();
    const a = await createOffer(tenant, {
      kind: "one_time",
      title: "A",
      prices: [{ currency: "USD", amount: 1000 }],
    });
    const b = await createOffer(tenant, {
      kind: "upsell",
      title: "B",
      prices: [{ currency: "USD", amount: 500 }],
    });
    const bundle = await createOffer(tenant, {
      kind: "bundle",
      title: "A+B",
      prices: [{ currency: "USD", amount: 1200 }],
      components: [
        { offer_id: a.id, quantity: 1 },
        { offer_id: b.id, quantity: 1 },
      ],
    });
    const res = await quote({ offer_id: bundle.id });
    expect(res.body).toMatchObject({
      total: 1200,
      lines: [
        { type: "base", amount: 1500 },
        { type: "bundle_discount", amount: -300 },
      ],
    });
  });

  it("binds a drop of the same offer, and refuses another offer's drop or an ended one", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant);
    const ok = await quote({ offer_id: drop.offer_id, drop_id: drop.id });
    expect(ok.body.drop_id).toBe(drop.id);
    const verified = await api("POST", "/v1/quotes/verify", {
      key: tenant.key,
      body: { token: ok.body.token },
    });
    expect(verified.body.drop_id).toBe(drop.id);
    const otherOffer = await createOffer(tenant);
    expect((await quote({ offer_id: otherOffer.id, drop_id: drop.id })).status).toBe(422);
    await db.update(drops).set({ state: "closed" }).where(eq(drops.id, drop.id));
    expect((await quote({ offer_id: drop.offer_id, drop_id: drop.id })).body.type).toMatch(/drop-ended$/);
  });
});

describe("bad price requests", () => {
  it.each<[string, string, Record<string, string>, string[]]>([
    ["no Buyer-Id", "", {}, ["/buyer-id"]],
    ["quantity 0 and an unknown currency", "?quantity=0&currency=XYZ", buyer(), ["/quantity", "/currency"]],
    ["a malformed Buyer-Country", "", { ...buyer(), "buyer-country": "brazil" }, ["/buyer-country"]],
  ])("refuses %s with one 422 listing every field", async (_name, query, headers, paths) => {
    const tenant = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    const res = await api("GET", `/v1/offers/${offer.id}/price${query}`, { headers });
    expect(res.status).toBe(422);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(paths);
  });

  it("answers 404 for an unknown offer and 405 for a write", async () => {
    expect((await api("GET", "/v1/offers/off_nosuchoffer/price", { headers: buyer() })).status).toBe(404);
    const post = await api("POST", "/v1/offers/off_nosuchoffer/price", { headers: buyer(), body: {} });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });
});

describe("bad quote requests", () => {
  it.each<[string, Record<string, unknown>, Record<string, string>, number]>([
    ["an unknown field", { surprise: 1 }, buyer(), 422],
    ["quantity 0", { quantity: 0 }, buyer(), 422],
    ["no Buyer-Id", {}, {}, 422],
    ["a malformed Buyer-Id", {}, { "buyer-id": "x" }, 422],
    ["a malformed Buyer-Country", {}, { ...buyer(), "buyer-country": "Brazil" }, 422],
  ])("refuses %s and writes nothing", async (_name, extra, headers, status) => {
    const tenant = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    const before = await tableCounts();
    expect((await quote({ offer_id: offer.id, ...extra }, headers)).status).toBe(status);
    expect(await tableCounts()).toEqual(before);
  });

  it("answers 404 for an unknown offer and 409 for an archived one", async () => {
    const tenant = await createTenant();
    const offer = await pricedOffer(tenant, usdEurBrl);
    expect((await quote({ offer_id: "off_doesnotexist" })).status).toBe(404);
    expect((await quote({ offer_id: "../../etc" })).status).toBe(404);
    await api("PATCH", `/v1/offers/${offer.id}`, { key: tenant.key, body: { status: "archived" } });
    expect((await quote({ offer_id: offer.id })).status).toBe(409);
    expect((await api("GET", `/v1/offers/${offer.id}/price`, { headers: buyer() })).status).toBe(409);
  });
});
