import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { readConfig } from "../../../src/config";
import { mailOutbox, members, refreshCredentials } from "../../../src/db/schema";
import { CODES_PER_HOUR, MAX_ATTEMPTS } from "../../../src/sign-in/code";
import { memberWithGrants } from "../../support/entitlements";
import { insertMember } from "../../support/quotes";
import {
  auditActions,
  codesOf,
  freshCode,
  mailedCode,
  productionApp,
  requestCode,
  verifyCode,
  wrongCodes,
} from "../../support/sign-in";
import { createTenant, db, type Tenant } from "../../support/tenants";

const emailOf = (memberId: string) => `${memberId}@example.test`;
const invalidCode = "https://creator-commerce.dev/problems/sign-in-code-invalid";

/** A member of `tenant` with this exact email (as a buyer at two creators would be). */
async function memberWithEmail(tenant: Tenant, email: string): Promise<string> {
  const memberId = await insertMember(tenant, null);
  await db.update(members).set({ email }).where(eq(members.id, memberId));
  return memberId;
}

const families = async (memberId: string) =>
  (await db.select().from(refreshCredentials).where(eq(refreshCredentials.memberId, memberId))).length;

describe("access-without-money: sign-in", () => {
  it("a guesser who fills the hour's codes and fires 100 guesses at once, the right one among them, gets no session", async () => {
    const tenant = await createTenant();
    const { memberId } = await memberWithGrants(tenant, 1);
    const email = emailOf(memberId);
    for (let i = 0; i < CODES_PER_HOUR; i++)
      expect((await requestCode(tenant.creatorId, email)).status).toBe(202);
    const real = await mailedCode(email);

    // Ten wrong guesses at once, twice the 5 that may be tried: a check that reads the attempts before
    // the others' writes land would let more through. Then the real code rides among 90 more at once.
    // (Two volleys, because requests fired together may be served in any order.)
    const wrong = wrongCodes(real, 99);
    const first = await Promise.all(wrong.slice(0, 10).map((g) => verifyCode(tenant.creatorId, email, g)));
    const second = await Promise.all(
      [real, ...wrong.slice(10)].map((g) => verifyCode(tenant.creatorId, email, g)),
    );
    expect([...first, ...second].map((g) => g.status)).toEqual(Array(100).fill(401));
    const codes = await codesOf(tenant.creatorId, email);
    expect(codes.map((c) => c.attempts)).toEqual(Array(CODES_PER_HOUR).fill(MAX_ATTEMPTS));
    const rejected = (await auditActions(tenant.creatorId, memberId)).filter(
      (a) => a === "sign_in.code_rejected",
    );
    expect(rejected).toHaveLength(CODES_PER_HOUR * MAX_ATTEMPTS);

    expect((await verifyCode(tenant.creatorId, email, real)).body.type).toBe(invalidCode);
    expect(await families(memberId)).toBe(0);
  });

  it("replaying a used code, or racing it 20 times at once, yields exactly one session", async () => {
    const tenant = await createTenant();
    const { memberId } = await memberWithGrants(tenant, 1);
    const email = emailOf(memberId);
    const code = await freshCode(tenant.creatorId, email);
    const racers = await Promise.all(
      Array.from({ length: 20 }, () => verifyCode(tenant.creatorId, email, code)),
    );
    expect(racers.filter((r) => r.status === 200)).toHaveLength(1);
    expect(racers.filter((r) => r.status === 401)).toHaveLength(19);
    const replay = await verifyCode(tenant.creatorId, email, code);
    expect(replay).toMatchObject({ status: 401, body: { type: invalidCode } });
    expect(await families(memberId)).toBe(1);
  });

  it("a code mailed for one creator's member signs nobody in at another creator with the same email", async () => {
    const email = `fan-${crypto.randomUUID()}@example.test`;
    const [first, second] = [await createTenant("First"), await createTenant("Second")];
    const firstMember = await memberWithEmail(first, email);
    const secondMember = await memberWithEmail(second, email);
    const code = await freshCode(first.creatorId, email);

    expect((await verifyCode(second.creatorId, email, code)).body.type).toBe(invalidCode);
    expect(await families(secondMember)).toBe(0);
    const own = await verifyCode(first.creatorId, email, code);
    expect(own).toMatchObject({ status: 200, body: { audience: first.creatorId } });
    expect(await families(firstMember)).toBe(1);
  });

  it("a code mailed to one member does not sign in another member of the same creator", async () => {
    const tenant = await createTenant();
    const holder = await memberWithGrants(tenant, 1);
    const target = await memberWithGrants(tenant, 2);
    const code = await freshCode(tenant.creatorId, emailOf(holder.memberId));
    const res = await verifyCode(tenant.creatorId, emailOf(target.memberId), code);
    expect(res).toMatchObject({ status: 401, body: { type: invalidCode } });
    expect(await families(target.memberId)).toBe(0);
    expect((await verifyCode(tenant.creatorId, emailOf(holder.memberId), code)).status).toBe(200);
  });

  it("reading the outbox of a production deploy answers 404, and production mail never lands in it", async () => {
    const tenant = await createTenant();
    const memberId = await insertMember(tenant, null);
    const email = emailOf(memberId);
    const production = productionApp();
    const asked = await production("POST", "/v1/sign-in/email", { creator_id: tenant.creatorId, email });
    expect(asked.status).toBe(202);
    expect(await codesOf(tenant.creatorId, email)).toHaveLength(1);

    for (const path of [
      `/v1/dev/outbox?to=${encodeURIComponent(email)}`,
      "/v1/dev/outbox",
      "/v1/dev/outbox?to=x",
    ]) {
      const read = await production("GET", path);
      expect(read).toMatchObject({
        status: 404,
        body: { type: "https://creator-commerce.dev/problems/not-found" },
      });
    }
    expect(await db.select().from(mailOutbox).where(eq(mailOutbox.to, email))).toEqual([]);
  });

  it("a production deploy without the mail secrets refuses to run rather than fall back to the outbox", () => {
    const production = {
      ...env,
      ENVIRONMENT: "production",
      STRIPE_SECRET_KEY: "sk_live_production",
      STRIPE_WEBHOOK_SECRET: "whsec_production",
    };
    expect(() => readConfig(production)).toThrow(/MAIL_API_KEY.*MAIL_FROM/);
    expect(() => readConfig({ ...production, MAIL_API_KEY: "re_test_production_key" } as Env)).toThrow(
      /MAIL_FROM/,
    );
  });

  it("an email a buyer merely typed at checkout gets its owner's codes only in the owner's own mailbox", async () => {
    const tenant = await createTenant();
    const { memberId } = await memberWithGrants(tenant, 1);
    const email = emailOf(memberId);
    expect((await requestCode(tenant.creatorId, email)).status).toBe(202);
    // The answer carries no code and no session: the only copy went to the address.
    const answer = await requestCode(tenant.creatorId, email);
    expect(JSON.stringify(answer.body)).not.toMatch(/[0-9A-Z]{4}-[0-9A-Z]{4}|refresh|token/i);
    const rows = await db
      .select()
      .from(mailOutbox)
      .where(and(eq(mailOutbox.to, email)));
    expect(rows).toHaveLength(2);
  });
});
