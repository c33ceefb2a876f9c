import { describe, expect, it } from "vitest";
import { api } from "../../support/api";
import { signIn, withCookie } from "../../support/dashboard";
import { createTenant, tableCounts } from "../../support/tenants";

const form = "application/x-www-form-urlencoded";

describe("bad-input: the creator dashboard", () => {
  it.each([
    ["a JSON body", "application/json", JSON.stringify({ key: "cc_sk_x" }), 415],
    ["no Content-Type", null, new TextEncoder().encode("key=cc_sk_x"), 415],
    ["an unknown field", form, "key=cc_sk_x&admin=1", 422],
    ["no key", form, "", 422],
    ["an empty key", form, "key=", 422],
    ["a key over 200 characters", form, `key=${"x".repeat(201)}`, 422],
    ["a body over 4 KiB", form, `key=${"x".repeat(5000)}`, 413],
  ])(
    "a sign-in form with %s is refused with one problem+json and writes nothing",
    async (_, type, raw, status) => {
      const before = await tableCounts();
      const res = await api("POST", "/dashboard/session", {
        raw,
        headers: { origin: "http://api.test", ...(type === null ? {} : { "content-type": type }) },
      });
      expect(res.status).toBe(status);
      expect(res.headers.get("set-cookie")).toBeNull();
      expect(await tableCounts()).toEqual(before);
    },
  );

  it.each([
    ["an unknown parameter", "?admin=1"],
    ["a malformed day", "?from=yesterday"],
    ["an instant where a day is asked", "?to=2026-05-01T00:00:00Z"],
    ["a reversed range", "?from=2026-05-02&to=2026-05-01"],
    ["an unknown status", "?status=stolen"],
    ["an unknown source", "?source=fax"],
    ["a lower-case currency", "?currency=usd"],
    ["a cursor over 200 characters", `?cursor=${"c".repeat(201)}`],
  ])("the dashboard page with %s answers 422 problem+json", async (_, query) => {
    const page = await withCookie(`/dashboard${query}`, await signIn(await createTenant()));
    expect(page.status).toBe(422);
    expect(page.headers.get("content-type")).toBe("application/problem+json");
    expect(JSON.parse(page.text).errors[0].in).toBe("query");
  });

  it.each([
    ["no range", ""],
    ["a reversed range", "?created_from=2026-05-02T00:00:00Z&created_to=2026-05-01T00:00:00Z"],
    ["an unknown parameter", "?created_from=2026-05-01T00:00:00Z&created_to=2026-05-02T00:00:00Z&x=1"],
  ])("the CSV export with %s answers 422 problem+json before anything streams", async (_, query) => {
    const csv = await withCookie(`/dashboard/orders.csv${query}`, await signIn(await createTenant()));
    expect(csv.status).toBe(422);
    expect(csv.headers.get("content-type")).toBe("application/problem+json");
  });

  it.each([
    ["an empty value", "__Host-cc_dashboard="],
    ["a value of 4 KB", `__Host-cc_dashboard=${"a".repeat(4096)}`],
    ["bytes that are not base64url", "__Host-cc_dashboard=%00%ff'\";--"],
    ["the cookie twice", "__Host-cc_dashboard=a; __Host-cc_dashboard=b"],
  ])("a session cookie with %s answers the sign-in form, never a 5xx", async (_, cookie) => {
    const page = await withCookie("/dashboard", cookie);
    expect(page.status).toBe(200);
    expect(page.text).toContain('action="/dashboard/session"');
  });
});
