import { describe, expect, it } from "vitest";
import { sandboxPayments, sandboxRefunds } from "../../../src/db/schema";
import { createSandboxProvider } from "../../../src/payments/sandbox";
import { stepAt } from "../../../src/subscriptions/billing";
import { chargeCard } from "../../../src/subscriptions/renewals";
import { dunningOf, intervalOfRow, loadSubscription, stateOf } from "../../../src/subscriptions/store";
import { api } from "../../support/api";
import { advance, invoicesOf, paymentsOf, subscribe } from "../../support/subscriptions";
import { createTenant, db } from "../../support/tenants";

describe("money without access: subscriptions", () => {
  it("two clock advances at once never charge a period twice", async () => {
    const tenant = await createTenant();
    const { id } = await subscribe(tenant);
    await Promise.all([advance(tenant, "P1W"), advance(tenant, "P1W")]);
    await advance(tenant, "PT1M");
    const invoices = await invoicesOf(id);
    expect(invoices.map((i) => i.periodIndex)).toEqual([0, 1, 2]);
    const payments = (await db.select().from(sandboxPayments)).filter(
      (p) => JSON.parse(p.metadata).subscription_id === id,
    );
    expect(payments).toHaveLength(2);
  });

  it("a crash between a renewal's charge and its batch charges once: the retried step gets the same payment back", async () => {
    const tenant = await createTenant();
    const { id } = await subscribe(tenant);
    // The engine charges the card for the next period, then dies before landing the outcome.
    const loaded = await loadSubscription(db, id);
    if (loaded === undefined) throw new Error("no subscription");
    const { row } = loaded;
    const at = row.periodEnd + 1;
    const step = stepAt(
      { state: stateOf(row), anchor: row.anchor, interval: intervalOfRow(row), dunning: dunningOf(row) },
      at,
    );
    if (step.kind !== "charge") throw new Error("no renewal due");
    const provider = createSandboxProvider(db, { now: () => Date.now() });
    const lost = await chargeCard({ db, now: Date.now(), provider, actor: "test" }, row, step);
    expect(lost).toMatchObject({ status: "succeeded" });
    // The sweep runs the step again after the lease lapses.
    expect(await advance(tenant, "P1W")).toMatchObject({ renewed: 1 });
    const payments = (await db.select().from(sandboxPayments)).filter(
      (p) => JSON.parse(p.metadata).subscription_id === id,
    );
    expect(payments).toHaveLength(1);
    const [, renewal] = await invoicesOf(id);
    expect(renewal).toMatchObject({ status: "paid", paymentId: (lost as { id: string }).id });
  });
  it("a retried refund or clock advance with the same Idempotency-Key replays the first answer and applies once", async () => {
    const tenant = await createTenant();
    const { id } = await subscribe(tenant);
    const key = { "idempotency-key": crypto.randomUUID() };
    const tick = () => api("POST", "/v1/dev/clock", { key: tenant.key, body: { by: "P1W" }, headers: key });
    const [first, again] = [await tick(), await tick()];
    expect(first.body).toMatchObject({ renewed: 1 });
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await invoicesOf(id)).toHaveLength(2);
    const refundKey = { "idempotency-key": crypto.randomUUID() };
    const refund = () =>
      api("POST", `/v1/subscriptions/${id}/refund`, { key: tenant.key, headers: refundKey });
    const [refunded, replayed] = [await refund(), await refund()];
    expect(refunded.status).toBe(200);
    expect(replayed.status).toBe(200);
    expect(replayed.body).toEqual(refunded.body);
    const payments = await paymentsOf(id);
    const refunds = await db.select().from(sandboxRefunds);
    expect(refunds.filter((r) => payments.some((p) => p.id === r.paymentId))).toHaveLength(1);
  });
});
