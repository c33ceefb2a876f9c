/**
 * Money without access, on the create's one-batch completion (src/checkout/at-once.ts): whatever goes
 * wrong with that batch (a rival creating the member it would create, the batch lost before landing,
 * its answer lost after landing), the buyer who paid ends with exactly one paid order, one grant and a
 * token, and nothing lands twice.
 */
import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../../src/app";
import { auditEvents, entitlements, members, orders, paymentEvents } from "../../../src/db/schema";
import { newId } from "../../../src/lib/ids";
import type { Json } from "../../support/api";
import { quotedDrop } from "../../support/checkouts";
import { expectInvariants } from "../../support/drops";
import { createTenant, db, type Tenant } from "../../support/tenants";

const app = buildApp();

/** The real D1, with `onPaidBatch` run around the create's paid batch (the one that inserts the grant). */
function aroundPaidBatch(onPaidBatch: (run: () => Promise<unknown>) => Promise<unknown>) {
  const sql = new WeakMap<object, string>();
  let seen = false;
  return new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") {
        return (query: string) => {
          const statement = target.prepare(query);
          sql.set(statement, query);
          return new Proxy(statement, {
            get(s, p) {
              if (p === "bind") {
                return (...values: unknown[]) => {
                  const bound = s.bind(...values);
                  sql.set(bound, query);
                  return bound;
                };
              }
              const value = Reflect.get(s, p, s);
              return typeof value === "function" ? value.bind(s) : value;
            },
          });
        };
      }
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          const run = () => target.batch(statements);
          const paid = statements.some((s) => (sql.get(s) ?? "").startsWith('insert into "entitlements"'));
          if (!paid || seen) return run();
          seen = true;
          return onPaidBatch(run);
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

async function buy(tenant: Tenant, database: D1Database, email: string) {
  const buyerId = crypto.randomUUID();
  const { drop, quote } = await quotedDrop(tenant, buyerId);
  const res = await app.fetch(
    new Request("http://api.test/v1/checkouts", {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "buyer-id": buyerId,
        "idempotency-key": `chk-${crypto.randomUUID()}`,
      },
      body: JSON.stringify({ quote: quote.token, email, payment_method: "4242424242424242" }),
    }),
    { ...env, DB: database },
  );
  return { drop, status: res.status, body: (await res.json()) as Json };
}

/** What the buyer's one purchase left in D1. */
async function landed(orderId: string, email: string, creatorId: string) {
  const [order] = await db.select().from(orders).where(eq(orders.id, orderId));
  const memberRows = await db
    .select()
    .from(members)
    .where(and(eq(members.creatorId, creatorId), eq(members.email, email)));
  const grants = await db.select().from(entitlements).where(eq(entitlements.sourceId, orderId));
  const paidAudits = await db
    .select()
    .from(auditEvents)
    .where(and(eq(auditEvents.subjectId, orderId), eq(auditEvents.action, "order.paid")));
  return { order, memberRows, grants, paidAudits };
}

describe("money-without-access: the create's one-batch completion", () => {
  it("a member created with the buyer's email between the create's read and its paid batch gets the order, and no second member appears", async () => {
    const tenant = await createTenant();
    const email = `fan-${crypto.randomUUID()}@example.test`;
    const rival = newId("member");
    const database = aroundPaidBatch(async (run) => {
      // Another request (a sign-in, a till) enrols this email first.
      await db.insert(members).values({
        id: rival,
        creatorId: tenant.creatorId,
        email,
        cohort: "utility",
        acquisitionSource: "api",
        joinedAt: Date.now(),
        updatedAt: Date.now(),
      });
      return run();
    });
    const { drop, status, body } = await buy(tenant, database, email);
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body.status).toBe("paid");
    expect(body.entitlement.token).toEqual(expect.any(String));
    const after = await landed(body.order_id, email, tenant.creatorId);
    expect(after.memberRows.map((m) => m.id)).toEqual([rival]);
    expect(after.order?.memberId).toBe(rival);
    expect(after.grants.map((g) => g.memberId)).toEqual([rival]);
    expect(after.paidAudits).toHaveLength(1);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1, held: 0 });
  });

  it("a paid batch lost before it lands: the order still ends paid and granted, once", async () => {
    const tenant = await createTenant();
    const email = `fan-${crypto.randomUUID()}@example.test`;
    const database = aroundPaidBatch(async () => {
      throw new Error("D1_ERROR: Network connection lost.");
    });
    const { drop, status, body } = await buy(tenant, database, email);
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body.status).toBe("paid");
    expect(body.entitlement.token).toEqual(expect.any(String));
    const after = await landed(body.order_id, email, tenant.creatorId);
    expect(after.memberRows).toHaveLength(1);
    expect(after.grants).toHaveLength(1);
    expect(after.paidAudits).toHaveLength(1);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1, held: 0 });
  });

  it("a paid batch that lands but whose answer is lost changes nothing more: one grant, one event row handled", async () => {
    const tenant = await createTenant();
    const email = `fan-${crypto.randomUUID()}@example.test`;
    const database = aroundPaidBatch(async (run) => {
      await run();
      throw new Error("D1_ERROR: Network connection lost.");
    });
    const { drop, status, body } = await buy(tenant, database, email);
    expect(status, JSON.stringify(body)).toBe(201);
    expect(body.status).toBe("paid");
    const after = await landed(body.order_id, email, tenant.creatorId);
    expect(after.memberRows).toHaveLength(1);
    expect(after.grants).toHaveLength(1);
    expect(after.paidAudits).toHaveLength(1);
    const paymentId = after.order?.providerPaymentId ?? "none";
    const events = await db.select().from(paymentEvents).where(eq(paymentEvents.paymentId, paymentId));
    expect(events.map((e) => [e.type, e.processedAt !== null])).toEqual([["payment_intent.succeeded", true]]);
    expect(await expectInvariants(drop.id)).toMatchObject({ sold: 1, held: 0 });
  });
});
