import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { apiKeys, dashboardSessions } from "../../../src/db/schema";
import { sha256Hex } from "../../../src/lib/crypto";
import { paidOrder, signIn, withCookie } from "../../support/dashboard";
import { createTenant, db } from "../../support/tenants";

const day = new Date().toISOString().slice(0, 10);
const today = `created_from=${day}T00:00:00Z&created_to=${new Date(Date.parse(day) + 86_400_000).toISOString()}`;

describe("tenancy: the creator dashboard", () => {
  it("another creator's session naming this creator's drop in the filters and the export sees none of its orders", async () => {
    const owner = await createTenant();
    const { drop, orderId } = await paidOrder(owner);
    const cookie = await signIn(await createTenant("Stranger"));
    const page = await withCookie(`/dashboard?drop_id=${drop.id}&status=paid`, cookie);
    expect(page.status).toBe(200);
    expect(page.text).not.toContain(orderId);
    const csv = await withCookie(`/dashboard/orders.csv?${today}&drop_id=${drop.id}`, cookie);
    expect(csv.status).toBe(200);
    expect(csv.text).not.toContain(orderId);
    expect(csv.text.trim().split("\r\n")).toHaveLength(1);
  });

  it("a session row claiming another creator than its key's opens nothing", async () => {
    const [owner, victim] = [await createTenant(), await createTenant("Victim")];
    const [key] = await db.select().from(apiKeys).where(eq(apiKeys.creatorId, owner.creatorId));
    const secret = "forged-session-secret-forged-session-secret";
    await db.insert(dashboardSessions).values({
      hash: await sha256Hex(secret),
      creatorId: victim.creatorId,
      apiKeyId: key?.id ?? "",
      createdAt: Date.now(),
      expiresAt: Date.now() + 60_000,
    });
    const page = await withCookie("/dashboard", `__Host-cc_dashboard=${secret}`);
    expect(page.text).toContain('action="/dashboard/session"');
    expect(page.text).not.toContain(victim.creatorId);
    const csv = await withCookie(`/dashboard/orders.csv?${today}`, `__Host-cc_dashboard=${secret}`);
    expect(csv.status).toBe(401);
  });

  it("a session cookie sent under the local name to a production-shaped origin opens nothing", async () => {
    const cookie = await signIn(await createTenant());
    const secret = cookie.split("=")[1];
    const page = await withCookie("/dashboard", `cc_dashboard=${secret}`);
    expect(page.text).toContain('action="/dashboard/session"');
  });
});
