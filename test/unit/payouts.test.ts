import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  applicationFee,
  disputeShare,
  payoutOf,
  refundSplit,
  transferredOf,
} from "../../src/connect/payouts";

const account = (over: Partial<Parameters<typeof payoutOf>[1] & object> = {}) => ({
  accountId: "acct_1",
  chargesEnabled: true,
  detailsSubmitted: true,
  requirementsDue: "[]",
  disabledReason: null,
  ...over,
});

describe("where a creator's money goes", () => {
  it("a creator with no account is paid by the platform in platform mode, refused in connect mode", () => {
    expect(payoutOf("platform", null, 500)).toEqual({ kind: "platform" });
    expect(payoutOf("connect", null, 500)).toEqual({ kind: "not_ready", reason: "no connected account" });
  });

  it("a linked account that is not onboarded refuses in both modes, naming what is missing", () => {
    const pending = account({
      chargesEnabled: false,
      detailsSubmitted: false,
      requirementsDue: '["external_account","tos_acceptance.date"]',
      disabledReason: "requirements.past_due",
    });
    for (const mode of ["platform", "connect"] as const) {
      const payout = payoutOf(mode, pending, 500);
      expect(payout.kind).toBe("not_ready");
      if (payout.kind !== "not_ready") continue;
      expect(payout.reason).toContain("external_account");
      expect(payout.reason).toContain("requirements.past_due");
    }
  });

  it("details submitted but charges not enabled is still not ready", () => {
    expect(payoutOf("platform", account({ chargesEnabled: false }), 0).kind).toBe("not_ready");
    expect(payoutOf("platform", account({ detailsSubmitted: false }), 0).kind).toBe("not_ready");
  });

  it("a ready account takes a destination charge with the creator's fee (none when unset)", () => {
    expect(payoutOf("connect", account(), 750)).toEqual({
      kind: "destination",
      account: "acct_1",
      feeBps: 750,
    });
    expect(payoutOf("platform", account(), null)).toEqual({
      kind: "destination",
      account: "acct_1",
      feeBps: 0,
    });
  });
});

describe("the platform fee", () => {
  it("is floor(amount × bps / 10 000)", () => {
    expect(applicationFee(1999, 500)).toBe(99);
    expect(applicationFee(1000, 1000)).toBe(100);
    expect(applicationFee(0, 500)).toBe(0);
    expect(applicationFee(1000, 0)).toBe(0);
  });

  it("never exceeds the amount whatever the basis points", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000 }), fc.integer({ min: 0, max: 50_000 }), (a, bps) => {
        const fee = applicationFee(a, bps);
        return fee >= 0 && fee <= a && Number.isInteger(fee);
      }),
    );
  });
});

const charged = fc
  .tuple(fc.integer({ min: 1, max: 5_000_000 }), fc.integer({ min: 0, max: 10_000 }))
  .map(([amount, bps]) => ({ amount, fee: applicationFee(amount, bps) }));

describe("refund and dispute shares", () => {
  it("partial refunds never take back more than was transferred, nor refund more fee than was kept", () => {
    fc.assert(
      fc.property(charged, fc.array(fc.integer({ min: 1, max: 5_000_000 }), { maxLength: 12 }), (c, asks) => {
        let refunded = 0;
        let reversed = 0;
        let feeBack = 0;
        for (const ask of asks) {
          const amount = Math.min(ask, c.amount - refunded);
          const split = refundSplit(c, refunded, amount);
          expect(split.reversal).toBeGreaterThanOrEqual(0);
          expect(split.feeRefunded).toBeGreaterThanOrEqual(0);
          expect(split.reversal + split.feeRefunded).toBe(amount);
          refunded += amount;
          reversed += split.reversal;
          feeBack += split.feeRefunded;
          expect(reversed).toBeLessThanOrEqual(transferredOf(c));
          expect(feeBack).toBeLessThanOrEqual(c.fee);
        }
      }),
    );
  });

  it("any sequence of refunds that ends in a full refund sums to exactly the transfer and the fee", () => {
    fc.assert(
      fc.property(
        charged,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        (c, cuts) => {
          const points = [...cuts.map((f) => Math.floor(f * c.amount)), c.amount].sort((a, b) => a - b);
          let before = 0;
          let reversed = 0;
          let feeBack = 0;
          for (const point of points) {
            const split = refundSplit(c, before, point - before);
            reversed += split.reversal;
            feeBack += split.feeRefunded;
            before = point;
          }
          expect(reversed).toBe(transferredOf(c));
          expect(feeBack).toBe(c.fee);
        },
      ),
    );
  });

  it("a refund asked beyond what is left of the charge moves nothing beyond it", () => {
    const c = { amount: 1000, fee: 100 };
    expect(refundSplit(c, 1000, 500)).toEqual({ reversal: 0, feeRefunded: 0 });
    expect(refundSplit(c, 600, 900)).toEqual({ reversal: 360, feeRefunded: 40 });
  });

  it("a dispute's share is the creator's part of the disputed amount, at most the transfer", () => {
    fc.assert(
      fc.property(charged, fc.integer({ min: 0, max: 10_000_000 }), (c, disputed) => {
        const share = disputeShare(c, disputed);
        return share >= 0 && share <= transferredOf(c) && (disputed < c.amount || share === transferredOf(c));
      }),
    );
    expect(disputeShare({ amount: 2000, fee: 200 }, 2000)).toBe(1800);
  });
});
