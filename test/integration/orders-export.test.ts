import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { buildApp } from "../../src/app";
import { EXPORT_COLUMNS, EXPORT_PAGE_ROWS } from "../../src/orders/export";
import { api } from "../support/api";
import { authorisationSuite } from "../support/auth-suite";
import { exportCsv, failingNth, insertOrders, paidOrder, parseCsv } from "../support/creator-reads";
import { createOffer, oneTimeOffer } from "../support/fixtures";
import { createTenant } from "../support/tenants";

const DAY = 86_400_000;
const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
const range = (from: number, to: number) => `created_from=${iso(from)}&created_to=${iso(to)}`;
/** A whole UTC day well in the past, so no order the API makes now falls in it by accident. */
const DAY_START = Date.UTC(2025, 5, 1);

describe("GET /v1/orders.csv", () => {
  it("answers a CSV attachment: the header row, then each order with UTC times and minor units", async () => {
    const tenant = await createTenant();
    const { orderId, checkout: paid } = await paidOrder(tenant);
    const now = Date.now();
    const { res, header, records } = await exportCsv(tenant, range(now - DAY, now + DAY));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("content-disposition")).toMatch(
      /^attachment; filename=orders-\d{4}-\d\d-\d\dT\d{6}Z-\d{4}-\d\d-\d\dT\d{6}Z\.csv$/,
    );
    expect(header).toEqual([...EXPORT_COLUMNS]);
    expect(String(res.body).split("\r\n")[0]).toBe(EXPORT_COLUMNS.join(","));
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      order_id: orderId,
      status: "paid",
      source: "link",
      offer_id: paid.offer_id,
      offer_title: "Signed poster",
      drop_id: paid.drop_id,
      quantity: "1",
      currency: "USD",
      amount_total: String(paid.amount),
      amount_total_decimal: (paid.amount / 100).toFixed(2),
      email: paid.email,
      member_id: paid.member_id,
      refund_status: "",
      shipping_line1: "",
      fulfilment_status: "",
    });
    expect(records[0]?.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Date.parse(records[0]?.paid_at ?? "")).toBeGreaterThanOrEqual(
      Date.parse(records[0]?.created_at ?? ""),
    );
  });

  it("names a midnight-to-midnight range by its dates", async () => {
    const { res } = await exportCsv(await createTenant(), range(DAY_START, DAY_START + 31 * DAY));
    expect(res.headers.get("content-disposition")).toBe(
      "attachment; filename=orders-2025-06-01-2025-07-02.csv",
    );
    expect(res.body).toBe(`${EXPORT_COLUMNS.join(",")}\r\n`);
  });

  it("quotes commas, quotes and line breaks as RFC 4180 asks, and they read back exactly", async () => {
    const tenant = await createTenant();
    const title = 'Poster, "signed"\nedition';
    const offer = await createOffer(tenant, oneTimeOffer({ title }));
    const address = {
      name: "Ada, Countess",
      line1: '1 "Quoted" Lane',
      line2: "Flat 2\r\nBack door",
      city: "London",
      region: "",
      postal_code: "N1 9GU",
      country: "GB",
    };
    await insertOrders(tenant, offer.id, 1, DAY_START, () => ({
      shippingAddress: address,
      fulfilmentStatus: "unfulfilled",
      fulfilmentPath: "central",
      fulfilmentBatchAt: DAY_START + 3600_000,
      carrier: "Royal Mail",
      trackingNumber: "RM123, GB",
    }));
    const { res, records } = await exportCsv(tenant, range(DAY_START, DAY_START + DAY));
    expect(String(res.body)).toContain('"Poster, ""signed""\nedition"');
    expect(records[0]).toMatchObject({
      offer_title: title,
      shipping_name: address.name,
      shipping_line1: address.line1,
      shipping_line2: address.line2,
      shipping_postal_code: address.postal_code,
      shipping_country: "GB",
      fulfilment_status: "unfulfilled",
      fulfilment_path: "central",
      fulfilment_batch_at: new Date(DAY_START + 3600_000).toISOString(),
      carrier: "Royal Mail",
      tracking_number: "RM123, GB",
    });
  });

  it("defuses cells a spreadsheet would run as formulas (= + - @ tab CR) with a leading quote", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(
      tenant,
      oneTimeOffer({ title: '=HYPERLINK("http://evil.test","Click")' }),
    );
    const names = ["+SUM(1,2)", "-2+3", "@cmd", "\tTabbed", "\rReturn", "Plain = fine"];
    await insertOrders(tenant, offer.id, names.length, DAY_START, (i) => ({
      shippingAddress: { name: names[i] as string, line1: "x", city: "x", postal_code: "x", country: "GB" },
      createdAt: DAY_START + i,
    }));
    const { records } = await exportCsv(tenant, range(DAY_START, DAY_START + DAY));
    expect(records.map((r) => r.shipping_name)).toEqual([
      "'+SUM(1,2)",
      "'-2+3",
      "'@cmd",
      "'\tTabbed",
      "'\rReturn",
      "Plain = fine",
    ]);
    expect(records[0]?.offer_title).toBe(`'=HYPERLINK("http://evil.test","Click")`);
  });

  it("includes orders created at created_from and excludes those created at created_to", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const from = DAY_START;
    const to = DAY_START + DAY;
    const [before, atFrom, lastIn, atTo] = await insertOrders(tenant, offer.id, 4, 0, (i) => ({
      createdAt: [from - 1, from, to - 1, to][i],
    }));
    const { records } = await exportCsv(tenant, range(from, to));
    expect(records.map((r) => r.order_id)).toEqual([atFrom, lastIn]);
    expect(records.map((r) => r.order_id)).not.toContain(before);
    expect(records.map((r) => r.order_id)).not.toContain(atTo);
  });

  it("streams a range of several pages completely, oldest first, with no row twice even in one millisecond", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const count = EXPORT_PAGE_ROWS * 2 + 37;
    // Most share one created_at, so only the id can order them across the page boundaries.
    const made = await insertOrders(tenant, offer.id, count, DAY_START, (i) => ({
      createdAt: DAY_START + (i % 3 === 0 ? i : 5000),
    }));
    const { records } = await exportCsv(tenant, range(DAY_START, DAY_START + DAY));
    const got = records.map((r) => r.order_id);
    expect(got).toHaveLength(count);
    expect(new Set(got).size).toBe(count);
    expect([...got].sort()).toEqual([...made].sort());
    const keys = records.map((r) => [Date.parse(r.created_at ?? ""), r.order_id ?? ""] as const);
    const sorted = [...keys].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
    expect(keys).toEqual(sorted);
  });

  it("narrows by status, source and drop as the order list does", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    const [paidLink, refundedPos] = await insertOrders(tenant, offer.id, 2, DAY_START, (i) =>
      i === 0 ? {} : { status: "refunded", source: "pos" },
    );
    const only = async (q: string) =>
      (await exportCsv(tenant, `${range(DAY_START, DAY_START + DAY)}&${q}`)).records.map((r) => r.order_id);
    expect(await only("status=refunded")).toEqual([refundedPos]);
    expect(await only("source=link")).toEqual([paidLink]);
    expect(await only(`offer_id=${offer.id}&status=paid`)).toEqual([paidLink]);
    const refunded = (await exportCsv(tenant, `${range(DAY_START, DAY_START + DAY)}&status=refunded`))
      .records[0];
    expect(refunded?.refund_status).toBe("refunded");
  });

  it("never shows another creator's orders", async () => {
    const [owner, other] = [await createTenant(), await createTenant()];
    await insertOrders(owner, (await createOffer(owner)).id, 3, DAY_START);
    const theirs = await exportCsv(other, range(DAY_START, DAY_START + DAY));
    expect(theirs.res.status).toBe(200);
    expect(theirs.records).toEqual([]);
    const filtered = await exportCsv(other, `${range(DAY_START, DAY_START + DAY)}&status=paid`);
    expect(filtered.records).toEqual([]);
  });

  it.each([
    ["no range at all", ""],
    ["no created_to", `created_from=${iso(DAY_START)}`],
    ["no created_from", `created_to=${iso(DAY_START)}`],
    ["a created_from that is no instant", `created_from=yesterday&created_to=${iso(DAY_START)}`],
    ["a reversed range", range(DAY_START, DAY_START - 1)],
    ["an empty range", range(DAY_START, DAY_START)],
    ["a range over 366 days", range(DAY_START, DAY_START + 366 * DAY + 1)],
    ["an unknown status", `${range(DAY_START, DAY_START + DAY)}&status=shipped`],
  ])("refuses %s with a 422 problem before streaming anything", async (_, query) => {
    const res = await api("GET", `/v1/orders.csv?${query}`, { key: (await createTenant()).key });
    expect(res.status).toBe(422);
    expect(res.headers.get("content-type")).toBe("application/problem+json");
    expect(res.headers.get("content-disposition")).toBeNull();
  });

  it("accepts a range of exactly 366 days", async () => {
    const { res } = await exportCsv(await createTenant(), range(DAY_START, DAY_START + 366 * DAY));
    expect(res.status).toBe(200);
  });

  it("ends a download whose D1 read fails after the 200 with an error, never a short file that looks whole", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    await insertOrders(tenant, offer.id, EXPORT_PAGE_ROWS + 10, DAY_START);
    const d1 = failingNth(env.DB, '"offers"."title"', 2);
    const res = await buildApp().fetch(
      new Request(`http://api.test/v1/orders.csv?${range(DAY_START, DAY_START + DAY)}`, {
        headers: { authorization: `Bearer ${tenant.key}` },
      }),
      { ...env, DB: d1 },
    );
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = "";
    const failure = await (async () => {
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) return null;
        text += decoder.decode(chunk.value, { stream: true });
      }
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Error);
    // What arrived before the failure is the header and the first page, whole rows only.
    expect(parseCsv(text)).toHaveLength(1 + EXPORT_PAGE_ROWS);
  });

  it("reads D1 one page at a time as the reader pulls, not the whole range up front", async () => {
    const tenant = await createTenant();
    const offer = await createOffer(tenant);
    await insertOrders(tenant, offer.id, EXPORT_PAGE_ROWS * 3, DAY_START);
    let pages = 0;
    const counting = new Proxy(env.DB, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop !== "prepare") return typeof value === "function" ? value.bind(target) : value;
        return (query: string) => {
          if (query.includes('"offers"."title"')) pages += 1;
          return target.prepare(query);
        };
      },
    });
    const res = await buildApp().fetch(
      new Request(`http://api.test/v1/orders.csv?${range(DAY_START, DAY_START + DAY)}`, {
        headers: { authorization: `Bearer ${tenant.key}` },
      }),
      { ...env, DB: counting },
    );
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read(); // the header row
    await reader.read(); // the first page
    expect(pages).toBe(1);
    await reader.cancel();
    expect(pages).toBeLessThanOrEqual(2);
  });
});

authorisationSuite(
  "GET /v1/orders.csv",
  async (owner) => {
    const offer = await createOffer(owner);
    await insertOrders(owner, offer.id, 1, DAY_START);
    return async (key: string | undefined) => {
      const res = await api("GET", `/v1/orders.csv?${range(DAY_START, DAY_START + DAY)}`, { key });
      // Another creator's key gets a 200 with the header row only: treat it as the empty list it is.
      if (res.status === 200) {
        const rows = parseCsv(res.body as string).length - 1;
        return { ...res, body: { data: rows === 0 ? [] : [rows], has_more: false } };
      }
      return res;
    };
  },
  "empty_list",
);
