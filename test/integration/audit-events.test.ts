import { describe, expect, it } from "vitest";
import { api, type Json } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { createDrop } from "../support/fixtures";
import { createTenant, type Tenant } from "../support/tenants";

const audit = (tenant: Tenant, query: string) => api("GET", `/v1/audit-events?${query}`, { key: tenant.key });

describe("GET /v1/audit-events", () => {
  it("lists one resource's history newest first, each change a row with its actor and data", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 5 });
    const patched = await api("PATCH", `/v1/drops/${drop.id}`, { key: tenant.key, body: { stock: 7 } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const res = await audit(tenant, `subject_type=drop&subject_id=${drop.id}`);
    expect(res.status).toBe(200);
    const actions = res.body.data.map((e: Json) => e.action);
    expect(actions.length).toBe(2);
    expect(actions[1]).toBe("drop.created");
    for (const e of res.body.data) {
      expect(e).toMatchObject({ object: "audit_event", subject: { type: "drop", id: drop.id } });
      expect(e.actor).toMatch(/^api_key:/);
    }
    const only = await audit(tenant, `subject_type=drop&subject_id=${drop.id}&action=drop.created`);
    expect(only.body.data.map((e: Json) => e.action)).toEqual(["drop.created"]);
  });

  it("pages with a cursor without repeating or skipping a row", async () => {
    const tenant = await createTenant();
    const drop = await createDrop(tenant, { stock: 5 });
    for (const stock of [6, 7, 8]) {
      await api("PATCH", `/v1/drops/${drop.id}`, { key: tenant.key, body: { stock } });
    }
    const all = (await audit(tenant, `subject_type=drop&subject_id=${drop.id}`)).body.data.map(
      (e: Json) => e.id,
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Json = await audit(
        tenant,
        `subject_type=drop&subject_id=${drop.id}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      seen.push(...page.body.data.map((e: Json) => e.id));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(seen).toEqual(all);
    expect(all.length).toBe(4);
  });

  it("shows another creator's resources as having no history", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    const drop = await createDrop(owner, { stock: 5 });
    const res = await audit(other, `subject_type=drop&subject_id=${drop.id}`);
    expect(res).toMatchObject({ status: 200, body: { data: [], has_more: false } });
  });

  it.each([
    ["no subject", ""],
    ["no subject id", "subject_type=drop"],
    ["a subject type with capitals", "subject_type=Drop&subject_id=x"],
    ["an action with spaces", "subject_type=drop&subject_id=x&action=drop%20created"],
  ])("refuses %s with 422", async (_, query) => {
    expect((await audit(await createTenant(), query)).status).toBe(422);
  });
});

authorisationSuite(
  "GET /v1/audit-events",
  async (owner) => {
    const drop = await createDrop(owner, { stock: 5 });
    return (key) => api("GET", `/v1/audit-events?subject_type=drop&subject_id=${drop.id}`, { key });
  },
  "empty_list",
);
