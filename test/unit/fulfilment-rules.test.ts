import { describe, expect, it } from "vitest";
import {
  batchAt,
  fulfilmentOnPaid,
  type OrderFacts,
  type RoutableHub,
  type RuleDocument,
  RuleDocumentBody,
  route,
} from "../../src/fulfilment/rules";

const order = (o: Partial<OrderFacts> & { country?: string; region?: string | null } = {}): OrderFacts => ({
  address: { country: o.country ?? "GB", region: o.region ?? null },
  quantity: o.quantity ?? 1,
  amount: o.amount ?? 2000,
  currency: o.currency ?? "USD",
});

const doc: RuleDocument = {
  rules: [
    { when: { regions: ["US-CA", "US-OR"] }, path: "micro_hub", hub_id: "hub_west" },
    { when: { countries: ["GB", "IE"], max_quantity: 3 }, path: "micro_hub", hub_id: "hub_london" },
    { when: { min_amount: 50_000, currency: "USD" }, path: "central", hub_id: "hub_insured" },
    { when: { countries: ["GB"] }, path: "central", hub_id: "hub_central" },
  ],
  default: { path: "central", hub_id: "hub_central" },
};
const hubs: RoutableHub[] = [
  { id: "hub_west", kind: "micro_hub", batch_window: null },
  { id: "hub_london", kind: "micro_hub", batch_window: { every_minutes: 1440, offset_minutes: 1020 } },
  { id: "hub_insured", kind: "central", batch_window: null },
  { id: "hub_central", kind: "central", batch_window: { every_minutes: 360, offset_minutes: 0 } },
];

describe("routing rule: first match wins", () => {
  it.each([
    [
      "a Californian order goes to the west micro hub by region",
      order({ country: "US", region: "CA" }),
      "hub_west",
    ],
    ["a London order of 3 goes to the London micro hub", order({ quantity: 3 }), "hub_london"],
    ["an Irish order goes there too", order({ country: "IE" }), "hub_london"],
    ["a GB order of 4 is too big for the micro hub: the next GB rule", order({ quantity: 4 }), "hub_central"],
    [
      "a large USD order from Texas is insured",
      order({ country: "US", region: "TX", amount: 50_000 }),
      "hub_insured",
    ],
    [
      "one minor unit under the bound is not",
      order({ country: "US", region: "TX", amount: 49_999 }),
      "hub_central",
    ],
    [
      "an amount bound never matches another currency",
      order({ country: "US", region: "TX", amount: 90_000, currency: "EUR" }),
      "hub_central",
    ],
    [
      "a Californian order over the bound still matches its region rule first",
      order({ country: "US", region: "CA", amount: 90_000 }),
      "hub_west",
    ],
    ["an order from elsewhere takes the default", order({ country: "DE" }), "hub_central"],
    [
      "a region rule does not match an address without a region",
      order({ country: "US", region: null }),
      "hub_central",
    ],
  ])("%s", (_, facts, hub) => {
    expect(route(doc, facts).hub_id).toBe(hub);
  });

  it("needs every condition of a rule to hold", () => {
    const both: RuleDocument = {
      rules: [
        {
          when: { countries: ["GB"], min_quantity: 2, max_quantity: 5 },
          path: "micro_hub",
          hub_id: "hub_london",
        },
      ],
      default: { path: "central", hub_id: null },
    };
    expect(route(both, order({ quantity: 1 })).hub_id).toBeNull();
    expect(route(both, order({ quantity: 2 })).hub_id).toBe("hub_london");
    expect(route(both, order({ quantity: 5 })).hub_id).toBe("hub_london");
    expect(route(both, order({ quantity: 6 })).hub_id).toBeNull();
    expect(route(both, order({ country: "FR", quantity: 3 })).hub_id).toBeNull();
  });

  it("an empty condition matches everything", () => {
    const all: RuleDocument = {
      rules: [{ when: {}, path: "micro_hub", hub_id: "hub_west" }],
      default: doc.default,
    };
    expect(route(all, order({ country: "JP" })).hub_id).toBe("hub_west");
  });
});

describe("routing rule: the decision a paid order lands with", () => {
  const paidAt = Date.parse("2026-12-01T10:00:00Z");

  it("routes, batches into the hub's next window, and starts unfulfilled", () => {
    expect(fulfilmentOnPaid(doc, hubs, order(), paidAt)).toEqual({
      fulfilmentStatus: "unfulfilled",
      fulfilmentPath: "micro_hub",
      fulfilmentHubId: "hub_london",
      fulfilmentBatchAt: Date.parse("2026-12-01T17:00:00Z"),
      fulfilmentUpdatedAt: paidAt,
    });
  });

  it("a hub without a window ships as it comes", () => {
    expect(
      fulfilmentOnPaid(doc, hubs, order({ country: "US", region: "CA" }), paidAt).fulfilmentBatchAt,
    ).toBeNull();
  });

  it("with no rule set, goes central with no hub", () => {
    expect(fulfilmentOnPaid(null, hubs, order(), paidAt)).toMatchObject({
      fulfilmentPath: "central",
      fulfilmentHubId: null,
      fulfilmentBatchAt: null,
    });
  });

  it("a rule whose hub has been archived falls to the default; a default in the same state to central", () => {
    const withoutLondon = hubs.filter((h) => h.id !== "hub_london");
    expect(fulfilmentOnPaid(doc, withoutLondon, order(), paidAt).fulfilmentHubId).toBe("hub_central");
    expect(fulfilmentOnPaid(doc, [], order(), paidAt)).toMatchObject({
      fulfilmentPath: "central",
      fulfilmentHubId: null,
    });
  });

  it("a hub that changed kind no longer takes the rule's path", () => {
    const changed = hubs.map((h) => (h.id === "hub_london" ? { ...h, kind: "central" as const } : h));
    expect(fulfilmentOnPaid(doc, changed, order(), paidAt).fulfilmentHubId).toBe("hub_central");
  });
});

describe("batching windows", () => {
  const daily17 = { every_minutes: 1440, offset_minutes: 1020 };
  it.each([
    ["before the day's window: that evening", "2026-12-01T09:30:00Z", "2026-12-01T17:00:00Z"],
    ["exactly on the window's start: that window", "2026-12-01T17:00:00Z", "2026-12-01T17:00:00Z"],
    ["one millisecond after: the next day's", "2026-12-01T17:00:00.001Z", "2026-12-02T17:00:00Z"],
    ["just before midnight: the next day's", "2026-12-01T23:59:59Z", "2026-12-02T17:00:00Z"],
    ["one millisecond before the start: that window", "2026-12-01T16:59:59.999Z", "2026-12-01T17:00:00Z"],
  ])("daily at 17:00 UTC, paid %s", (_, paid, window) => {
    expect(new Date(batchAt(daily17, Date.parse(paid))).toISOString()).toBe(new Date(window).toISOString());
  });

  it("an every-6-hours grid from the epoch", () => {
    const w = { every_minutes: 360, offset_minutes: 0 };
    expect(new Date(batchAt(w, Date.parse("2026-12-01T06:00:00Z"))).toISOString()).toBe(
      "2026-12-01T06:00:00.000Z",
    );
    expect(new Date(batchAt(w, Date.parse("2026-12-01T06:00:01Z"))).toISOString()).toBe(
      "2026-12-01T12:00:00.000Z",
    );
  });

  it("is always at or after the paid time and less than one window later, on the grid", () => {
    const w = { every_minutes: 90, offset_minutes: 17 };
    for (let t = Date.parse("2026-01-01T00:00:00Z"); t < Date.parse("2026-01-02T00:00:00Z"); t += 7_919_000) {
      const at = batchAt(w, t);
      expect(at).toBeGreaterThanOrEqual(t);
      expect(at - t).toBeLessThan(90 * 60_000);
      expect((at - 17 * 60_000) % (90 * 60_000)).toBe(0);
    }
  });
});

describe("routing rule document: validation", () => {
  const parse = (body: unknown) => RuleDocumentBody.safeParse(body);
  it.each([
    ["an amount bound without its currency", { when: { min_amount: 100 } }],
    ["a currency without a bound", { when: { currency: "USD" } }],
    ["min above max", { when: { min_quantity: 5, max_quantity: 2 } }],
    ["an unknown country", { when: { countries: ["UK"] } }],
    ["a region that is no ISO 3166-2 code", { when: { regions: ["California"] } }],
    ["an unknown condition", { when: { weekday: "friday" } }],
  ])("refuses %s", (_, rule) => {
    expect(
      parse({
        rules: [{ path: "central", hub_id: null, ...rule }],
        default: { path: "central", hub_id: null },
      }).success,
    ).toBe(false);
  });

  it("accepts a full document", () => {
    expect(parse(doc).success).toBe(true);
  });
});
