import { describe, expect, it } from "vitest";
import { CODE_TTL_MS, RATE_WINDOW_MS } from "../../src/sign-in/code";
import { api } from "../support/api";
import { appAt, exchange, memberWithGrants } from "../support/entitlements";
import { insertMember } from "../support/quotes";
import {
  auditActions,
  codesOf,
  freshCode,
  mailedCode,
  outbox,
  requestCode,
  verifyCode,
  wrongCodes,
} from "../support/sign-in";
import { createTenant, tableCounts } from "../support/tenants";

const emailOf = (memberId: string) => `${memberId}@example.test`;
const invalidCode = "https://creator-commerce.dev/problems/sign-in-code-invalid";

async function member(grants = 0) {
  const tenant = await createTenant("Night Owl Records");
  const { memberId, offers } = await memberWithGrants(tenant, grants);
  return { tenant, memberId, offers, email: emailOf(memberId) };
}

describe("POST /v1/sign-in/email and /verify", () => {
  it("mails a code that signs the member in with everything they hold and a working refresh credential", async () => {
    const { tenant, memberId, offers, email } = await member(2);
    const asked = await requestCode(tenant.creatorId, email);
    expect(asked).toMatchObject({
      status: 202,
      body: { object: "sign_in_request", email, expires_in_seconds: 600 },
    });
    const [mail] = await outbox(email);
    expect(mail).toMatchObject({ to: email, subject: "Your sign-in code for Night Owl Records" });

    const signedIn = await verifyCode(tenant.creatorId, email, await mailedCode(email));
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toMatchObject({ object: "entitlement_token", audience: tenant.creatorId });
    expect([...signedIn.body.entitlements].sort()).toEqual([...offers].sort());
    const refreshed = await exchange(signedIn.body.refresh_token);
    expect(refreshed.status).toBe(200);
    expect([...refreshed.body.entitlements].sort()).toEqual([...offers].sort());

    const [code] = await codesOf(tenant.creatorId, email);
    expect(code).toMatchObject({ memberId, attempts: 0, usedAt: expect.any(Number) });
    expect(code?.codeHash).not.toContain((await mailedCode(email)).replace("-", "").toLowerCase());
    const actions = await auditActions(tenant.creatorId, memberId);
    expect(actions.filter((a) => a.startsWith("sign_in.") || a === "session.started")).toEqual([
      "session.started",
      "sign_in.code_issued",
      "sign_in.completed",
    ]);
  });

  it("accepts the code in any case, without its hyphen, and narrows the audience to a surface", async () => {
    const { tenant, email } = await member(1);
    expect((await requestCode(tenant.creatorId, email.toUpperCase())).status).toBe(202);
    const code = await mailedCode(email);
    const res = await verifyCode(tenant.creatorId, email.toUpperCase(), code.replace("-", "").toLowerCase(), {
      surface: "overlay",
    });
    expect(res.status).toBe(200);
    expect(res.body.audience).toBe(`${tenant.creatorId}:overlay`);
  });

  it("refuses a code used once already (401)", async () => {
    const { tenant, email } = await member(1);
    const code = await freshCode(tenant.creatorId, email);
    expect((await verifyCode(tenant.creatorId, email, code)).status).toBe(200);
    const again = await verifyCode(tenant.creatorId, email, code);
    expect(again.status).toBe(401);
    expect(again.body.type).toBe(invalidCode);
  });

  it("keeps a code working until 10 minutes after it was issued, and not a millisecond longer", async () => {
    const { tenant, email } = await member(1);
    const issuedAt = Date.now();
    const at = (offset: number) => appAt(issuedAt + offset);
    expect((await at(0)("POST", "/v1/sign-in/email", { creator_id: tenant.creatorId, email })).status).toBe(
      202,
    );
    const late = await mailedCode(email);
    expect((await at(1)("POST", "/v1/sign-in/email", { creator_id: tenant.creatorId, email })).status).toBe(
      202,
    );
    const onTime = await mailedCode(email);
    const verify = (offset: number, code: string) =>
      at(offset)("POST", "/v1/sign-in/email/verify", { creator_id: tenant.creatorId, email, code });

    const expired = await verify(CODE_TTL_MS, late);
    expect(expired).toMatchObject({ status: 401, body: { type: invalidCode } });
    expect((await verify(CODE_TTL_MS, onTime)).status).toBe(200);
  });

  it("counts wrong codes: after 4 the right one still works; after 5 it is dead", async () => {
    const survivor = await member(1);
    const kept = await freshCode(survivor.tenant.creatorId, survivor.email);
    for (const wrong of wrongCodes(kept, 4)) {
      expect((await verifyCode(survivor.tenant.creatorId, survivor.email, wrong)).status).toBe(401);
    }
    expect((await verifyCode(survivor.tenant.creatorId, survivor.email, kept)).status).toBe(200);

    const victim = await member(1);
    const killed = await freshCode(victim.tenant.creatorId, victim.email);
    for (const wrong of wrongCodes(killed, 5)) {
      expect((await verifyCode(victim.tenant.creatorId, victim.email, wrong)).status).toBe(401);
    }
    expect((await verifyCode(victim.tenant.creatorId, victim.email, killed)).status).toBe(401);
    const [row] = await codesOf(victim.tenant.creatorId, victim.email);
    expect(row).toMatchObject({ attempts: 5, usedAt: null });
    const actions = await auditActions(victim.tenant.creatorId, victim.memberId);
    expect(actions.filter((a) => a === "sign_in.code_rejected")).toHaveLength(5);
  });

  it("counts 100 parallel wrong codes exactly up to the cap, and the right code is dead afterwards", async () => {
    const { tenant, memberId, email } = await member(1);
    const code = await freshCode(tenant.creatorId, email);
    const answers = await Promise.all(
      wrongCodes(code, 100).map((w) => verifyCode(tenant.creatorId, email, w)),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(100).fill(401));
    const [row] = await codesOf(tenant.creatorId, email);
    expect(row?.attempts).toBe(5);
    const actions = await auditActions(tenant.creatorId, memberId);
    expect(actions.filter((a) => a === "sign_in.code_rejected")).toHaveLength(5);
    expect((await verifyCode(tenant.creatorId, email, code)).status).toBe(401);
  });

  it("answers an unknown email with the same 202, mails nothing and writes nothing", async () => {
    const { tenant, email } = await member(1);
    const stranger = `nobody-${crypto.randomUUID()}@example.test`;
    const before = await tableCounts();
    const res = await requestCode(tenant.creatorId, stranger);
    expect(res).toMatchObject({ status: 202, body: { object: "sign_in_request", email: stranger } });
    expect(Object.keys(res.body).sort()).toEqual(
      Object.keys((await requestCode(tenant.creatorId, email)).body).sort(),
    );
    const after = await tableCounts();
    // The member's own request wrote its code, its audit row and its mail; the stranger's wrote nothing.
    expect(after).toEqual({
      ...before,
      sign_in_codes: (before.sign_in_codes ?? 0) + 1,
      audit_events: (before.audit_events ?? 0) + 1,
      mail_outbox: (before.mail_outbox ?? 0) + 1,
    });
    expect(await outbox(stranger)).toEqual([]);
    expect((await verifyCode(tenant.creatorId, stranger, "AAAA-AAAA")).status).toBe(401);
  });

  it("mails nothing when the email belongs to another creator's member", async () => {
    const { email } = await member(1);
    const other = await createTenant("Other");
    expect((await requestCode(other.creatorId, email)).status).toBe(202);
    expect((await requestCode("cre_doesnotexist", email)).status).toBe(202);
    expect(await outbox(email)).toEqual([]);
  });

  it("mails at most 5 codes per email an hour, answering the same 202, and again once the hour has passed", async () => {
    const { tenant, email } = await member(0);
    const start = Date.now();
    const ask = (offset: number) =>
      appAt(start + offset)("POST", "/v1/sign-in/email", { creator_id: tenant.creatorId, email });
    const answers = await Promise.all(Array.from({ length: 8 }, () => ask(0)));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
    expect(await outbox(email)).toHaveLength(5);
    expect((await codesOf(tenant.creatorId, email)).length).toBe(5);
    await ask(RATE_WINDOW_MS - 1);
    expect(await outbox(email)).toHaveLength(5);
    await ask(RATE_WINDOW_MS);
    expect(await outbox(email)).toHaveLength(6);
  });

  it("signs in a member who holds nothing yet, with an empty token", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const res = await verifyCode(
      tenant.creatorId,
      emailOf(memberId),
      await freshCode(tenant.creatorId, emailOf(memberId)),
    );
    expect(res).toMatchObject({ status: 200, body: { entitlements: [] } });
  });

  describe.each([
    [
      "an unknown field",
      "/v1/sign-in/email",
      { creator_id: "cre_x", email: "a@example.test", extra: 1 },
      "/extra",
    ],
    [
      "an email that is not one",
      "/v1/sign-in/email",
      { creator_id: "cre_x", email: "not-an-email" },
      "/email",
    ],
    ["no creator", "/v1/sign-in/email", { email: "a@example.test" }, "/creator_id"],
    [
      "a code of the wrong shape",
      "/v1/sign-in/email/verify",
      { creator_id: "cre_x", email: "a@example.test", code: "123456" },
      "/code",
    ],
    [
      "a surface of the wrong shape",
      "/v1/sign-in/email/verify",
      { creator_id: "cre_x", email: "a@example.test", code: "AAAA-AAAA", surface: "Not OK" },
      "/surface",
    ],
  ])("refuses %s with 422 and writes nothing", (_name, path, body, pointer) => {
    it(`POST ${path}`, async () => {
      const before = await tableCounts();
      const res = await api("POST", path, { body });
      expect(res.status).toBe(422);
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(pointer);
      expect(await tableCounts()).toEqual(before);
    });
  });

  it("refuses a body over 64 KiB with 413", async () => {
    const res = await api("POST", "/v1/sign-in/email", {
      raw: JSON.stringify({ creator_id: "cre_x", email: "a@example.test", pad: "x".repeat(70_000) }),
      headers: { "content-type": "application/json" },
    });
    expect(res.status).toBe(413);
  });
});
