import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { auditEvents, connectedAccounts, sandboxPayments, sandboxTransfers } from "../../src/db/schema";
import {
  type ConnectProvider,
  type Destination,
  ProviderError,
  type ProviderEvent,
} from "../../src/payments/provider";
import { createSandboxProvider } from "../../src/payments/sandbox";
import { onboard } from "../../src/payments/sandbox-connect";
import { api } from "../support/api";
import { createTenant, db } from "../support/tenants";

const NOW = Date.UTC(2026, 11, 2, 3, 0, 0);

/** A sandbox on a fixed clock whose emitted events are collected, as checkout would receive them. */
function sandbox() {
  const events: ProviderEvent[] = [];
  const provider = createSandboxProvider(db, { now: () => NOW, emit: (e) => void events.push(e) });
  const connect = provider.connect as ConnectProvider;
  return { provider, connect, events };
}

const key = () => `key-${crypto.randomUUID()}`;

async function account(connect: ConnectProvider, ready: boolean): Promise<string> {
  const created = await connect.createAccount({ type: "express", metadata: {}, idempotencyKey: key() });
  if (ready) await onboard(db, created.id, "complete", NOW);
  return created.id;
}

const charge = (destination: Destination, paymentMethod?: string, amount = 2000) => ({
  amount,
  currency: "USD",
  destination,
  metadata: { order_id: "ord_test" },
  idempotencyKey: key(),
  ...(paymentMethod === undefined ? {} : { paymentMethod }),
});

const transfersOf = (paymentId: string) =>
  db.select().from(sandboxTransfers).where(eq(sandboxTransfers.paymentId, paymentId));
const paymentRow = async (id: string) =>
  (await db.select().from(sandboxPayments).where(eq(sandboxPayments.id, id)))[0];

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => "resolved",
    (e: unknown) => e,
  );

/** A ready account and a succeeded destination charge of `amount` with `fee` kept by the platform. */
async function paidDestinationCharge(amount: number, fee: number) {
  const s = sandbox();
  const acct = await account(s.connect, true);
  const paid = await s.provider.create(
    charge({ account: acct, applicationFeeAmount: fee }, "4242424242424242", amount),
  );
  expect(paid.status).toBe("succeeded");
  return { ...s, acct, paid };
}

describe("sandbox connected accounts", () => {
  it("creates an account once per key, not onboarded, and refuses the key with other parameters", async () => {
    const { connect } = sandbox();
    const idempotencyKey = key();
    const input = {
      type: "express" as const,
      email: "c@example.test",
      country: "US",
      metadata: {},
      idempotencyKey,
    };
    const created = await connect.createAccount(input);
    expect(created.id).toMatch(/^acct_sbx_/);
    expect(created).toMatchObject({
      type: "express",
      chargesEnabled: false,
      payoutsEnabled: false,
      detailsSubmitted: false,
      disabledReason: "requirements.past_due",
    });
    expect(created.requirementsDue.slice(0, 2)).toEqual([
      "external_account",
      "individual.verification.document",
    ]);
    expect(await connect.createAccount(input)).toEqual(created);
    expect(await connect.retrieveAccount(created.id)).toEqual(created);
    await expect(connect.createAccount({ ...input, type: "standard" })).rejects.toMatchObject({
      kind: "invalid_request",
      code: "idempotency_error",
    });
    await expect(connect.retrieveAccount("acct_sbx_nope")).rejects.toMatchObject({ kind: "not_found" });
  });

  it("creates one account when the same key races", async () => {
    const { connect } = sandbox();
    const input = { type: "express" as const, metadata: {}, idempotencyKey: key() };
    const results = await Promise.all([1, 2, 3, 4].map(() => connect.createAccount(input)));
    expect(new Set(results.map((a) => a.id)).size).toBe(1);
  });

  it("is ready once onboarding completes, and not while requirements are left due", async () => {
    const { connect } = sandbox();
    const acct = await account(connect, false);
    await onboard(db, acct, "leave", NOW);
    expect(await connect.retrieveAccount(acct)).toMatchObject({
      detailsSubmitted: true,
      chargesEnabled: false,
      payoutsEnabled: false,
      requirementsDue: ["individual.verification.document"],
    });
    await onboard(db, acct, "complete", NOW);
    expect(await connect.retrieveAccount(acct)).toMatchObject({
      detailsSubmitted: true,
      chargesEnabled: true,
      payoutsEnabled: true,
      requirementsDue: [],
      disabledReason: null,
    });
  });

  it("links to the sandbox's onboarding page on the return URL's origin, for five minutes", async () => {
    const { connect } = sandbox();
    const acct = await account(connect, false);
    const returnUrl = "https://creator.example/settings/payouts?done=1&x=a b";
    const refreshUrl = "https://creator.example/settings/payouts/refresh";
    const link = await connect.createAccountLink({ account: acct, returnUrl, refreshUrl });
    const url = new URL(link.url);
    expect(`${url.origin}${url.pathname}`).toBe(`https://creator.example/sandbox/connect/${acct}`);
    expect(url.searchParams.get("return")).toBe(returnUrl);
    expect(url.searchParams.get("refresh")).toBe(refreshUrl);
    expect(link.expiresAt).toBe(NOW + 5 * 60 * 1000);
    await expect(
      connect.createAccountLink({ account: "acct_sbx_nope", returnUrl, refreshUrl }),
    ).rejects.toMatchObject({ kind: "not_found" });
  });
});

describe("sandbox destination charges", () => {
  it("refuses a destination charge to an account that has not finished onboarding, and writes nothing", async () => {
    const { provider, connect, events } = sandbox();
    const acct = await account(connect, false);
    const request = charge({ account: acct, applicationFeeAmount: 100 }, "4242424242424242");
    const refused = await refusal(provider.create(request));
    expect(refused).toBeInstanceOf(ProviderError);
    expect(refused).toMatchObject({
      kind: "invalid_request",
      retryable: false,
      code: "insufficient_capabilities_for_transfer",
    });
    expect((refused as Error).message).toMatch(/capabilities enabled: transfers/);
    const written = await db
      .select()
      .from(sandboxPayments)
      .where(eq(sandboxPayments.idempotencyKey, request.idempotencyKey));
    expect(written).toEqual([]);
    expect(events).toEqual([]);
    await expect(
      provider.create(charge({ account: "acct_sbx_nope", applicationFeeAmount: 0 }, "4242424242424242")),
    ).rejects.toMatchObject({ code: "account_invalid" });
    await expect(
      provider.create(charge({ account: acct, applicationFeeAmount: 2001 }, "4242424242424242")),
    ).rejects.toMatchObject({ kind: "invalid_request" });
  });

  it("transfers exactly the amount minus the fee when it succeeds, once, and reports the transfer", async () => {
    const { provider, connect, events } = sandbox();
    const acct = await account(connect, true);
    const request = charge({ account: acct, applicationFeeAmount: 150 }, "4242 4242 4242 4242");
    const paid = await provider.create(request);
    expect(paid.status).toBe("succeeded");
    expect(paid.destination).toEqual({
      account: acct,
      applicationFeeAmount: 150,
      transfer: expect.stringMatching(/^tr_sbx_/),
    });
    const rows = await transfersOf(paid.id);
    expect(rows).toMatchObject([
      { id: paid.destination?.transfer, kind: "transfer", account: acct, amount: 1850, currency: "USD" },
    ]);
    // The succeeded event already names the transfer: the money moved in the same write as the success.
    expect(events.map((e) => [e.type, e.payment.destination?.transfer])).toEqual([
      ["payment_intent.succeeded", paid.destination?.transfer],
    ]);
    // A replay answers the same payment and moves nothing more; other parameters under the key are refused.
    expect(await provider.create(request)).toEqual(paid);
    expect(await transfersOf(paid.id)).toHaveLength(1);
    await expect(
      provider.create({ ...request, destination: { account: acct, applicationFeeAmount: 0 } }),
    ).rejects.toMatchObject({ code: "idempotency_error" });
    expect(await provider.retrieve(paid.id)).toEqual(paid);
  });

  it("transfers a 3-D Secure destination charge only once it is confirmed, once under racing confirms", async () => {
    const { provider, connect } = sandbox();
    const acct = await account(connect, true);
    const pending = await provider.create(
      charge({ account: acct, applicationFeeAmount: 99 }, "4000002760003184"),
    );
    expect(pending.status).toBe("requires_action");
    expect(pending.destination).toEqual({ account: acct, applicationFeeAmount: 99, transfer: null });
    expect(await transfersOf(pending.id)).toEqual([]);
    const confirms = await Promise.all(
      [1, 2, 3].map((n) => provider.confirm(pending.id, { idempotencyKey: `confirm-${n}` })),
    );
    expect(confirms.every((p) => p.status === "succeeded")).toBe(true);
    const rows = await transfersOf(pending.id);
    expect(rows.map((r) => [r.kind, r.amount])).toEqual([["transfer", 1901]]);
    expect(confirms.map((p) => p.destination?.transfer)).toEqual(Array(3).fill(rows[0]?.id));
  });

  it("transfers nothing for a declined card, and transfers once another card pays", async () => {
    const { provider, connect } = sandbox();
    const acct = await account(connect, true);
    const declined = await provider.create(
      charge({ account: acct, applicationFeeAmount: 200 }, "4000000000000002"),
    );
    expect(declined.status).toBe("requires_payment_method");
    expect(declined.destination?.transfer).toBeNull();
    expect(await transfersOf(declined.id)).toEqual([]);
    const paid = await provider.confirm(declined.id, { paymentMethod: "pm_card_visa", idempotencyKey: "c1" });
    expect(paid.status).toBe("succeeded");
    expect((await transfersOf(declined.id)).map((r) => r.amount)).toEqual([1800]);
  });

  it("leaves a payment without a destination as it was: no destination, no transfer", async () => {
    const { provider } = sandbox();
    const paid = await provider.create({
      amount: 500,
      currency: "USD",
      metadata: {},
      idempotencyKey: key(),
      paymentMethod: "pm_card_visa",
    });
    expect(paid).not.toHaveProperty("destination");
    expect(await transfersOf(paid.id)).toEqual([]);
  });
});

describe("refunds of destination charges", () => {
  it("a full refund reverses exactly the whole transfer and refunds the whole fee", async () => {
    const { provider, paid } = await paidDestinationCharge(2000, 150);
    const refund = await provider.refund(paid.id, { idempotencyKey: key(), reverseTransfer: true });
    expect(refund).toMatchObject({
      amount: 2000,
      transferReversal: { id: expect.stringMatching(/^trr_sbx_/), amount: 1850 },
      feeRefunded: 150,
    });
    expect(await paymentRow(paid.id)).toMatchObject({
      amountRefunded: 2000,
      transferReversed: 1850,
      applicationFeeRefunded: 150,
    });
    const reversals = (await transfersOf(paid.id)).filter((r) => r.kind === "reversal");
    expect(reversals).toMatchObject([{ id: refund.transferReversal?.id, amount: 1850 }]);
  });

  it.each([
    [1999, 333, [1000, 999]],
    [1000, 1, [1, 1, 998]],
    [10_001, 9_999, [3, 5_000, 4_998]],
    [777, 0, [100, 677]],
  ])(
    "partial refunds of %i (fee %i) as %j sum exactly to the transfer and the fee",
    async (amount, fee, parts) => {
      const { provider, paid } = await paidDestinationCharge(amount, fee);
      const refunds = [];
      for (const part of parts) {
        refunds.push(
          await provider.refund(paid.id, { amount: part, idempotencyKey: key(), reverseTransfer: true }),
        );
      }
      let refunded = 0;
      for (const refund of refunds) {
        const reversal = refund.transferReversal?.amount ?? 0;
        // Each refund splits exactly: the share comes back from the account, the rest of the fee from the platform.
        expect(reversal + (refund.feeRefunded ?? -1)).toBe(refund.amount);
        // The share is rounded down on what was refunded so far, never ahead of the proportion.
        refunded += refund.amount;
        expect(reversal).toBeGreaterThanOrEqual(0);
        expect(
          refunds
            .slice(0, refunds.indexOf(refund) + 1)
            .reduce((s, r) => s + (r.transferReversal?.amount ?? 0), 0),
        ).toBe(Math.floor(((amount - fee) * refunded) / amount));
      }
      const reversed = refunds.reduce((s, r) => s + (r.transferReversal?.amount ?? 0), 0);
      const fees = refunds.reduce((s, r) => s + (r.feeRefunded ?? 0), 0);
      expect([reversed, fees]).toEqual([amount - fee, fee]);
      expect(await paymentRow(paid.id)).toMatchObject({
        amountRefunded: amount,
        transferReversed: amount - fee,
        applicationFeeRefunded: fee,
      });
    },
  );

  it("a replayed refund key answers the same refund and reverses nothing more", async () => {
    const { provider, paid } = await paidDestinationCharge(2000, 150);
    const request = { amount: 700, idempotencyKey: key(), reverseTransfer: true };
    const first = await provider.refund(paid.id, request);
    const replays = await Promise.all([1, 2, 3].map(() => provider.refund(paid.id, request)));
    expect(replays).toEqual([first, first, first]);
    expect(first).toMatchObject({ transferReversal: { amount: 647 }, feeRefunded: 53 });
    expect(await paymentRow(paid.id)).toMatchObject({
      amountRefunded: 700,
      transferReversed: 647,
      applicationFeeRefunded: 53,
    });
    expect((await transfersOf(paid.id)).filter((r) => r.kind === "reversal")).toHaveLength(1);
    // The same key asking not to reverse is another request: refused, not answered with the reversal.
    await expect(provider.refund(paid.id, { ...request, reverseTransfer: false })).rejects.toMatchObject({
      code: "idempotency_error",
    });
  });

  it("racing partial refunds each land once and still sum exactly", async () => {
    const { provider, paid } = await paidDestinationCharge(3001, 301);
    const refunds = await Promise.all(
      [1000, 1000, 1001].map((amount) =>
        provider.refund(paid.id, { amount, idempotencyKey: key(), reverseTransfer: true }),
      ),
    );
    expect(refunds.reduce((s, r) => s + (r.transferReversal?.amount ?? 0), 0)).toBe(2700);
    expect(refunds.reduce((s, r) => s + (r.feeRefunded ?? 0), 0)).toBe(301);
    expect(await paymentRow(paid.id)).toMatchObject({
      amountRefunded: 3001,
      transferReversed: 2700,
      applicationFeeRefunded: 301,
    });
  });

  it("a refund without reverseTransfer leaves the transfer and the fee where they are", async () => {
    const { provider, paid } = await paidDestinationCharge(2000, 150);
    const refund = await provider.refund(paid.id, { amount: 500, idempotencyKey: key() });
    expect(refund).not.toHaveProperty("transferReversal");
    expect(await paymentRow(paid.id)).toMatchObject({
      amountRefunded: 500,
      transferReversed: 0,
      applicationFeeRefunded: 0,
    });
  });
});

describe("sandbox transfer reversals and transfers (disputes)", () => {
  it("refuses a reversal beyond what remains of the transfer, and lands an exact remainder once", async () => {
    const { connect, paid } = await paidDestinationCharge(2000, 150);
    const reverse = (amount: number, idempotencyKey = key()) =>
      connect.reverseTransfer({ paymentId: paid.id, amount, idempotencyKey, metadata: {} });
    await expect(reverse(1851)).rejects.toMatchObject({ kind: "invalid_request", code: "amount_too_large" });
    const part = await reverse(1000, "rev-part");
    expect(part).toMatchObject({ id: expect.stringMatching(/^trr_sbx_/), amount: 1000 });
    expect(await reverse(1000, "rev-part")).toEqual(part);
    await expect(reverse(851)).rejects.toMatchObject({ code: "amount_too_large" });
    // Racing reversals of the rest: exactly one lands.
    const raced = await Promise.allSettled([1, 2, 3].map(() => reverse(850)));
    expect(raced.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    expect((await paymentRow(paid.id))?.transferReversed).toBe(1850);
    await expect(reverse(1000, "rev-part").then(() => reverse(1, "rev-part"))).rejects.toMatchObject({
      code: "idempotency_error",
    });
  });

  it("sends a reversed share back, never more than the share", async () => {
    const { connect, acct, paid } = await paidDestinationCharge(2000, 150);
    await connect.reverseTransfer({ paymentId: paid.id, amount: 1850, idempotencyKey: key(), metadata: {} });
    const send = (amount: number, idempotencyKey = key()) =>
      connect.transfer({
        account: acct,
        amount,
        currency: "USD",
        paymentId: paid.id,
        idempotencyKey,
        metadata: {},
      });
    await expect(send(1851)).rejects.toMatchObject({ kind: "invalid_request" });
    const back = await send(1850, "won");
    expect(back.id).toMatch(/^tr_sbx_/);
    expect(await send(1850, "won")).toEqual(back);
    await expect(send(1)).rejects.toMatchObject({ kind: "invalid_request" });
    const rows = await transfersOf(paid.id);
    expect(rows.map((r) => [r.kind, r.amount]).sort()).toEqual([
      ["reversal", 1850],
      ["transfer", 1850],
      ["transfer", 1850],
    ]);
  });

  it("refuses to reverse a payment that is not a succeeded destination charge", async () => {
    const { provider, connect } = sandbox();
    const plain = await provider.create({
      amount: 500,
      currency: "USD",
      metadata: {},
      idempotencyKey: key(),
      paymentMethod: "pm_card_visa",
    });
    await expect(
      connect.reverseTransfer({ paymentId: plain.id, amount: 1, idempotencyKey: key(), metadata: {} }),
    ).rejects.toMatchObject({ kind: "invalid_request" });
  });
});

/** The worker as deployed in production, with every secret it requires there. */
async function productionFetch(method: string, path: string, init: RequestInit = {}) {
  const bindings = {
    ...env,
    ENVIRONMENT: "production",
    MAIL_API_KEY: "re_test_production_key",
    MAIL_FROM: "Sign-in <sign-in@commerce.test>",
    STRIPE_SECRET_KEY: "sk_live_production",
    STRIPE_WEBHOOK_SECRET: "whsec_production",
  };
  const ctx = createExecutionContext();
  const res = await buildApp().fetch(
    new Request(`http://api.test${path}`, { method, ...init }),
    bindings,
    ctx,
  );
  const body = await res.json();
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: body as { type: string; detail: string } };
}

const form = (fields: Record<string, string>, origin: string | null = "http://api.test") => ({
  "content-type": "application/x-www-form-urlencoded",
  ...(origin === null ? {} : { origin }),
  body: new URLSearchParams(fields).toString(),
});

async function post(path: string, fields: Record<string, string>, origin?: string | null) {
  const { body, ...headers } = form(fields, origin);
  return api("POST", path, { raw: body, headers });
}

/** The same form post, not following the redirect (a browser would follow it to the return page). */
async function postUnfollowed(path: string, fields: Record<string, string>) {
  const { body, ...headers } = form(fields);
  return exports.default.fetch(
    new Request(`http://api.test${path}`, { method: "POST", headers, body, redirect: "manual" }),
  );
}

/** A creator whose connected account (not onboarded) is linked, as the Connect domain links one. */
async function linkedCreator() {
  const tenant = await createTenant();
  const { connect } = sandbox();
  const acct = await account(connect, false);
  await db.insert(connectedAccounts).values({
    creatorId: tenant.creatorId,
    accountId: acct,
    type: "express",
    requirementsDue: JSON.stringify((await connect.retrieveAccount(acct)).requirementsDue),
    disabledReason: "requirements.past_due",
    provider: "sandbox",
    createdAt: NOW,
    updatedAt: NOW,
  });
  return { tenant, acct, connect };
}

const linked = async (acct: string) =>
  (await db.select().from(connectedAccounts).where(eq(connectedAccounts.accountId, acct)))[0];

describe("the sandbox onboarding page", () => {
  it("does not exist in production: the same 404 as a path that does not", async () => {
    const { acct } = await linkedCreator();
    const unknown = await productionFetch("GET", "/no/such/path");
    for (const [method, init] of [
      ["GET", {}],
      [
        "POST",
        {
          headers: { "content-type": "application/x-www-form-urlencoded", origin: "http://api.test" },
          body: "action=complete",
        },
      ],
      ["POST", { headers: { "content-type": "text/plain" }, body: "x" }],
    ] as const) {
      const res = await productionFetch(method, `/sandbox/connect/${acct}`, init);
      expect(res.status).toBe(404);
      expect(res.body.type).toBe(unknown.body.type);
      expect(res.body.detail).toBe(`No route for ${method} /sandbox/connect/${acct}.`);
    }
    expect((await linked(acct))?.chargesEnabled).toBe(false);
  });

  it("shows the account and the two choices, changing nothing", async () => {
    const { acct, connect } = await linkedCreator();
    const res = await api(
      "GET",
      `/sandbox/connect/${acct}?return=${encodeURIComponent("http://api.test/connect/return")}`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("content-security-policy")).toMatch(/form-action 'self'/);
    expect(res.body).toContain(`Sandbox onboarding for ${acct}`);
    expect(res.body).toContain(">Complete onboarding</button>");
    expect(res.body).toContain(">Leave requirements due</button>");
    expect(res.body).toContain('name="return" value="http://api.test/connect/return"');
    expect((await connect.retrieveAccount(acct)).detailsSubmitted).toBe(false);
    expect((await api("GET", "/sandbox/connect/acct_sbx_nope")).status).toBe(404);
  });

  it("escapes the return URL it echoes into the form", async () => {
    const { acct } = await linkedCreator();
    const res = await api(
      "GET",
      `/sandbox/connect/${acct}?return=${encodeURIComponent('"><script>alert(1)</script>')}`,
    );
    expect(res.body).not.toContain("<script>alert(1)");
    expect(res.body).toContain("&quot;&gt;&lt;script&gt;");
  });

  it("marks the account ready, stores it on the creator's connected account with an audit row, and returns", async () => {
    const { tenant, acct, connect } = await linkedCreator();
    const back = "http://api.test/connect/return?state=1";
    const res = await postUnfollowed(`/sandbox/connect/${acct}`, { action: "complete", return: back });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(back);
    expect(await connect.retrieveAccount(acct)).toMatchObject({
      chargesEnabled: true,
      payoutsEnabled: true,
      detailsSubmitted: true,
    });
    expect(await linked(acct)).toMatchObject({
      chargesEnabled: true,
      payoutsEnabled: true,
      detailsSubmitted: true,
      requirementsDue: "[]",
    });
    const audits = await db
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.creatorId, tenant.creatorId), eq(auditEvents.subjectId, acct)));
    expect(audits.map((a) => a.action)).toEqual(["connect.account_updated"]);
  });

  it("leaves requirements due, and says it is done instead of redirecting to another origin", async () => {
    const { acct } = await linkedCreator();
    const res = await post(`/sandbox/connect/${acct}`, {
      action: "leave",
      return: "https://elsewhere.example/return",
    });
    expect(res.status).toBe(200);
    expect(res.headers.get("location")).toBeNull();
    expect(res.body).toContain(`Requirements left due for ${acct}`);
    expect(await linked(acct)).toMatchObject({ chargesEnabled: false, detailsSubmitted: true });
  });

  it.each([
    ["no Origin", { action: "complete" }, null, 403],
    ["another site's form", { action: "complete" }, "https://evil.example", 403],
    ["an unknown action", { action: "approve" }, undefined, 422],
    ["an unknown field", { action: "complete", charges_enabled: "true" }, undefined, 422],
  ] as const)("refuses %s and changes nothing", async (_what, fields, origin, status) => {
    const { acct, connect } = await linkedCreator();
    const res = await post(`/sandbox/connect/${acct}`, fields, origin);
    expect(res.status).toBe(status);
    expect(await connect.retrieveAccount(acct)).toMatchObject({
      chargesEnabled: false,
      detailsSubmitted: false,
    });
    expect((await linked(acct))?.chargesEnabled).toBe(false);
  });

  it("refuses a body that is not the form, and an unknown account", async () => {
    const { acct } = await linkedCreator();
    const json = await api("POST", `/sandbox/connect/${acct}`, {
      body: { action: "complete" },
      headers: { origin: "http://api.test" },
    });
    expect(json.status).toBe(415);
    expect((await post("/sandbox/connect/acct_sbx_nope", { action: "complete" })).status).toBe(404);
  });

  it("is where the Connect API's onboarding link for a creator points", async () => {
    const tenant = await createTenant();
    const linkedNow = await api("POST", "/v1/connect/account", {
      key: tenant.key,
      body: { type: "express" },
      headers: { "idempotency-key": key() },
    });
    expect(linkedNow.status).toBe(201);
    const link = await api("POST", "/v1/connect/account-links", {
      key: tenant.key,
      body: {},
      headers: { "idempotency-key": key() },
    });
    expect(link.status).toBeLessThan(300);
    const url = new URL(link.body.url);
    expect(url.pathname).toBe(`/sandbox/connect/${linkedNow.body.account_id}`);
    const page = await exports.default.fetch(`http://api.test${url.pathname}${url.search}`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`Sandbox onboarding for ${linkedNow.body.account_id}`);
  });
});
