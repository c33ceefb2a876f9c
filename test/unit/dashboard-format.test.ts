import { describe, expect, it } from "vitest";
import { formatMs, formatValue, labelOf, unitOf } from "../../clients/dashboard/format";
import type { MetricReport } from "../../src/contract/metrics";
import { funnelOf, openDrops } from "../../src/dashboard/view";
import type { Drop } from "../../src/drops/schemas";

const report = (over: Partial<MetricReport> = {}): MetricReport => ({
  object: "metric",
  metric: "m",
  definition: "d",
  from: "2026-01-01T00:00:00.000Z",
  to: "2026-01-02T00:00:00.000Z",
  currency: "USD",
  summary: {},
  series: [],
  breakdowns: [],
  ...over,
});

describe("dashboard figures", () => {
  it.each([
    [null, "count", null, "—"],
    [Number.NaN, "count", null, "—"],
    [1234, "count", null, "1,234"],
    [0.4567, "rate", null, "45.7%"],
    [0, "rate", null, "0.0%"],
    [2000, "money", "USD", "$20.00"],
    [-0, "money", "USD", "$0.00"],
    [-0.4, "money", "USD", "$0.00"],
    [2000, "money", "JPY", "¥2,000"],
    [5, "money", "KWD", "KWD 0.005"],
    [850, "ms", null, "850 ms"],
    [4200, "ms", null, "4.2 s"],
  ] as const)("writes %s in %s (%s) as %s", (value, unit, currency, text) => {
    expect(formatValue(value, unit, currency).replace(/\u00a0/g, " ")).toBe(text);
  });

  it("writes durations in the unit that reads best", () => {
    expect([formatMs(59_999), formatMs(90_000), formatMs(7_200_000), formatMs(172_800_000)]).toEqual([
      "60.0 s",
      "1.5 min",
      "2.0 h",
      "2.0 d",
    ]);
  });

  it("takes a summary figure's unit from the series of the same name, else from its name", () => {
    const r = report({ series: [{ name: "paid", unit: "money", points: [] }] });
    expect(unitOf("paid", r)).toBe("money");
    expect(unitOf("p50_ms", r)).toBe("ms");
    expect(unitOf("hold_expiry_rate", r)).toBe("rate");
    expect(unitOf("mrr", r)).toBe("money");
    expect(unitOf("mrr", report({ currency: null }))).toBe("count");
    expect(unitOf("checkouts", r)).toBe("count");
    expect(unitOf("paid_per_checkout", r)).toBe("rate");
    expect(unitOf("aov_with", r)).toBe("money");
    expect(unitOf("churned_mrr", r)).toBe("money");
    expect(unitOf("revenue_churn_rate", r)).toBe("rate");
    expect(unitOf("revenue_per_exposure", r)).toBe("money");
    expect(unitOf("upsell_conversion", r)).toBe("rate");
    expect(unitOf("target_ms", r)).toBe("ms");
  });

  it("labels snake_case keys as words, dropping a trailing ms", () => {
    expect(labelOf("time_to_entitlement_p50_ms")).toBe("Time to entitlement p50");
    expect(labelOf("drop-funnel")).toBe("Drop funnel");
  });
});

const drop = (id: string, phase: Drop["phase"], starts_at: string, state: Drop["state"] = "open") =>
  ({ id, phase, starts_at, state }) as Drop;

describe("the dashboard's live drops", () => {
  it("shows live drops first, then the next to start, never an ended or closed one, at most three", () => {
    const picked = openDrops([
      drop("drp_later", "upcoming", "2026-03-01T00:00:00Z"),
      drop("drp_ended", "ended", "2026-01-01T00:00:00Z"),
      drop("drp_live", "live", "2026-01-10T00:00:00Z"),
      drop("drp_closed", "live", "2026-01-10T00:00:00Z", "closed"),
      drop("drp_soon", "upcoming", "2026-02-01T00:00:00Z"),
      drop("drp_last", "upcoming", "2026-04-01T00:00:00Z"),
    ]);
    expect(picked.map((d) => d.id)).toEqual(["drp_live", "drp_soon", "drp_later"]);
  });

  it("reads a drop's funnel from the breakdown grouped by drop: the steps in funnel order, then the rest", () => {
    const r = report({
      breakdowns: [
        { name: "by_source", by: ["source"], rows: [{ group: { source: "link" }, values: { quotes: 9 } }] },
        {
          name: "by_drop",
          by: ["drop_id"],
          rows: [
            {
              group: { drop_id: "drp_a" },
              values: {
                holds: 4,
                quotes: 5,
                checkouts: 3,
                paid: 2,
                entitled: 2,
                paid_per_quote: 0.4,
                sell_through_ms: 9000,
              },
            },
            { group: { drop_id: "drp_b" }, values: { quotes: 1 } },
          ],
        },
      ],
    });
    const funnel = funnelOf(r, "drp_a");
    expect(funnel.steps.map((s) => `${s.key}=${s.value}`)).toEqual([
      "quotes=5",
      "holds=4",
      "checkouts=3",
      "paid=2",
      "entitled=2",
    ]);
    expect(funnel.others).toEqual([
      { key: "paid_per_quote", value: 0.4, unit: "rate" },
      { key: "sell_through_ms", value: 9000, unit: "ms" },
    ]);
    expect(funnelOf(r, "drp_none")).toEqual({ steps: [], others: [] });
  });
});
