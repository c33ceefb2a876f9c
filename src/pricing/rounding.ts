import { chargeStep } from "../lib/currency";

/**
 * `bps` basis points of `amount` (both integers, minor units), rounded to the currency's charge step.
 *
 * The rule: compute the exact value, then round its magnitude to the nearest multiple of the step;
 * an exact half goes in the buyer's favour (a discount rounds up, a surcharge rounds down). Integer
 * arithmetic only: amounts stay below 1e10 and |bps| at most 1e5, so every product is exact in a double.
 */
export function percentOf(amount: number, bps: number, currency: string): number {
  if (amount === 0 || bps === 0) return 0;
  const step = chargeStep(currency);
  const discount = bps < 0;
  const numerator = amount * Math.abs(bps);
  const denominator = 10_000 * step;
  let units = Math.floor(numerator / denominator);
  const twiceRemainder = 2 * (numerator - units * denominator);
  if (twiceRemainder > denominator || (twiceRemainder === denominator && discount)) units += 1;
  const magnitude = units * step;
  return discount ? -magnitude : magnitude;
}
