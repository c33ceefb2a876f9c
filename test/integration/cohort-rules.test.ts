import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { members } from "../../src/db/schema";
import { api } from "../support/api";
import { checkout, quotedDrop } from "../support/checkouts";
import { createOffer } from "../support/fixtures";
import { posDevice, posItem, syncItems } from "../support/pos";
import { createTenant, db, type Tenant, tableCounts } from "../support/tenants";

const putRules = (tenant: Tenant, body: Record<string, unknown>) =>
  api("PUT", "/v1/cohort-rules", { key: tenant.key, body });

const cohortOf = async (tenant: Tenant, email: string) => {
  const [row] = await db
    .select({ cohort: members.cohort })
    .from(members)
    .where(and(eq(members.creatorId, tenant.creatorId), eq(members.email, email)));
  return row?.cohort;
};

/** A member enrolled at a pop-up, through a device's batch. */
async function enrolAtPopUp(tenant: Tenant, email: string) {
  const offer = await createOffer(tenant);
  const res = await syncItems(await posDevice(tenant), [posItem(offer.id, { email })]);
  expect(res.body.results[0].status).toBe("accepted");
}

/** A member who joined by paying for a drop online. */
async function joinOnline(tenant: Tenant, email: string) {
  const buyerId = crypto.randomUUID();
  const { quote } = await quotedDrop(tenant, buyerId);
  const res = await checkout(
    { quote: quote.token, email, payment_method: "4242 4242 4242 4242" },
    { buyerId },
  );
  expect(res.body.status).toBe("paid");
}

describe("cohort rules", () => {
  it("default to `utility` for everyone, online and at a pop-up", async () => {
    const tenant = await createTenant();
    expect((await api("GET", "/v1/cohort-rules", { key: tenant.key })).body).toEqual({
      object: "cohort_rules",
      founding_until: null,
      default_cohort: "utility",
      pop_up_cohort: null,
    });
    await enrolAtPopUp(tenant, "pop@example.test");
    await joinOnline(tenant, "web@example.test");
    expect([await cohortOf(tenant, "pop@example.test"), await cohortOf(tenant, "web@example.test")]).toEqual([
      "utility",
      "utility",
    ]);
  });

  it("put pop-up enrolments in the pop-up cohort, and leave existing members where they are", async () => {
    const tenant = await createTenant();
    await enrolAtPopUp(tenant, "early@example.test");
    const res = await putRules(tenant, {
      founding_until: null,
      default_cohort: "utility",
      pop_up_cohort: "seasonal",
    });
    expect(res.status).toBe(200);
    await enrolAtPopUp(tenant, "pop@example.test");
    await enrolAtPopUp(tenant, "early@example.test");
    await joinOnline(tenant, "web@example.test");
    expect(await cohortOf(tenant, "pop@example.test")).toBe("seasonal");
    expect(await cohortOf(tenant, "early@example.test")).toBe("utility");
    expect(await cohortOf(tenant, "web@example.test")).toBe("utility");
  });

  it("make everyone who joins before the founding cutoff `founding`", async () => {
    const tenant = await createTenant();
    const until = new Date(Date.now() + 86_400_000).toISOString();
    await putRules(tenant, { founding_until: until, default_cohort: "utility", pop_up_cohort: "seasonal" });
    await enrolAtPopUp(tenant, "pop@example.test");
    await joinOnline(tenant, "web@example.test");
    expect([await cohortOf(tenant, "pop@example.test"), await cohortOf(tenant, "web@example.test")]).toEqual([
      "founding",
      "founding",
    ]);
    const past = new Date(Date.now() - 1000).toISOString();
    await putRules(tenant, { founding_until: past, default_cohort: "seasonal", pop_up_cohort: null });
    await joinOnline(tenant, "later@example.test");
    expect(await cohortOf(tenant, "later@example.test")).toBe("seasonal");
  });

  it("date a pop-up member from their first sale, not the sync: a sale before the cutoff is founding", async () => {
    const tenant = await createTenant();
    const cutoff = Date.now() - 30 * 60_000;
    await putRules(tenant, {
      founding_until: new Date(cutoff).toISOString(),
      default_cohort: "utility",
      pop_up_cohort: "seasonal",
    });
    const offer = await createOffer(tenant);
    const [early, late] = ["early@example.test", "late@example.test"];
    const res = await syncItems(await posDevice(tenant), [
      posItem(offer.id, { email: late, captured_at: new Date(cutoff + 60_000).toISOString() }),
      posItem(offer.id, { email: early, captured_at: new Date(cutoff + 60_000).toISOString() }),
      posItem(offer.id, { email: early, captured_at: new Date(cutoff - 60_000).toISOString() }),
    ]);
    expect(res.body.results.map((r: { status: string }) => r.status)).toEqual([
      "accepted",
      "accepted",
      "accepted",
    ]);
    expect([await cohortOf(tenant, early), await cohortOf(tenant, late)]).toEqual(["founding", "seasonal"]);
    const [row] = await db
      .select()
      .from(members)
      .where(and(eq(members.creatorId, tenant.creatorId), eq(members.email, early)));
    expect(row?.joinedAt).toBe(cutoff - 60_000);
  });

  it("refuse malformed rules and unknown fields, writing nothing", async () => {
    const tenant = await createTenant();
    const good = { founding_until: null, default_cohort: "utility", pop_up_cohort: null };
    const before = await tableCounts();
    for (const body of [
      { ...good, default_cohort: "vip" },
      { ...good, founding_until: "tomorrow" },
      { ...good, extra: 1 },
      { default_cohort: "utility" },
    ]) {
      const res = await putRules(tenant, body);
      expect(res.status).toBe(422);
    }
    expect(await tableCounts()).toEqual(before);
  });

  it("are each creator's own: another key reads and writes only its own rules, no key gets 401", async () => {
    const [owner, stranger] = [await createTenant(), await createTenant("Stranger")];
    await putRules(owner, { founding_until: null, default_cohort: "seasonal", pop_up_cohort: null });
    expect((await api("GET", "/v1/cohort-rules", { key: stranger.key })).body.default_cohort).toBe("utility");
    await putRules(stranger, { founding_until: null, default_cohort: "founding", pop_up_cohort: null });
    expect((await api("GET", "/v1/cohort-rules", { key: owner.key })).body.default_cohort).toBe("seasonal");
    expect((await api("GET", "/v1/cohort-rules")).status).toBe(401);
    expect((await api("PUT", "/v1/cohort-rules", { body: {} })).status).toBe(401);
  });
});
