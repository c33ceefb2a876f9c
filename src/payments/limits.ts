/**
 * The amounts a payment provider will charge, per currency, in the same minor units as every amount here
 * (Stripe's: https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts). A quote is checked
 * against them when it is signed, so that no buyer holds units, or reaches a payment form, for a total
 * that no provider could take. Zero is always allowed: it completes without a payment.
 *
 * Minimums, as Stripe documents them: the least it charges, so that its fee never exceeds the charge.
 * Stripe applies the minimum of the account's settlement currency after conversion, which the worker
 * cannot know when quoting; a currency not listed here has no minimum beyond one minor unit, and a charge
 * that converts below the settlement minimum is still refused by the provider at checkout.
 */
const minimumOf: Readonly<Record<string, number>> = {
  USD: 50,
  AED: 200,
  ARS: 50,
  AUD: 50,
  BRL: 50,
  CAD: 50,
  CHF: 50,
  COP: 50,
  CZK: 1500,
  DKK: 250,
  EUR: 50,
  GBP: 30,
  HKD: 400,
  HUF: 17500,
  IDR: 50,
  ILS: 50,
  INR: 50,
  JPY: 50,
  KRW: 50,
  MXN: 1000,
  MYR: 200,
  NOK: 300,
  NZD: 50,
  PHP: 50,
  PLN: 200,
  RON: 200,
  RUB: 50,
  SEK: 300,
  SGD: 50,
  THB: 1000,
  ZAR: 50,
};

/*
 * Maximums: the amount's digits are limited per payment method, and the method is not known when a
 * quote is signed, so the limit is the least of every documented tier for the currency: 8 digits
 * (99,999,999) for non-card methods in most currencies, and 9 digits (999,999,999) for American Express,
 * which caps the currencies whose non-card limit is larger (IDR 12 digits, COP 10, INR 9).
 */
const COMMON_MAXIMUM = 99_999_999;
const maximumOf: Readonly<Record<string, number>> = {
  IDR: 999_999_999,
  COP: 999_999_999,
  INR: 999_999_999,
};

export interface ChargeLimits {
  minimum: number;
  maximum: number;
}

export const chargeLimits = (currency: string): ChargeLimits => ({
  minimum: minimumOf[currency] ?? 1,
  maximum: maximumOf[currency] ?? COMMON_MAXIMUM,
});

/** Why a total cannot be charged in its currency, or undefined when it can (zero always can). */
export function chargeableProblem(currency: string, amount: number): string | undefined {
  if (amount === 0) return undefined;
  const { minimum, maximum } = chargeLimits(currency);
  if (amount < minimum) {
    return `The total ${amount} ${currency} is below ${minimum}, the least a payment provider charges in ${currency} (minor units); only a total of 0 or from ${minimum} to ${maximum} can be paid.`;
  }
  if (amount > maximum) {
    return `The total ${amount} ${currency} is above ${maximum}, the most a payment provider charges in ${currency} (minor units); lower the quantity to stay within ${minimum} to ${maximum}.`;
  }
  return undefined;
}
